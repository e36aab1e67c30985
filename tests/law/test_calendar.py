"""legal-fr.md section G and the date examples of REQ-A8, REQ-E2, REQ-E5, REQ-F1."""

from datetime import date, timedelta

import pytest

from law.calendar import (
    FrenchCalendar,
    add_months,
    agency_deadline_months,
    debtor_deadline,
    debtor_deadline_months,
    subdivision_for_postcode,
)

METROPOLE = FrenchCalendar.for_postcode("75011")
ALSACE = FrenchCalendar.for_postcode("67000")

NATIONAL_HOLIDAYS = {
    # 1 Jan, Easter Monday, 1 May, 8 May, Ascension, Pentecost Monday, 14 Jul, 15 Aug, 1 Nov,
    # 11 Nov, 25 Dec, with the REQ-G1 table's moveable dates.
    year: {
        date(year, 1, 1),
        easter_monday,
        date(year, 5, 1),
        date(year, 5, 8),
        ascension,
        pentecost_monday,
        date(year, 7, 14),
        date(year, 8, 15),
        date(year, 11, 1),
        date(year, 11, 11),
        date(year, 12, 25),
    }
    for year, easter_monday, ascension, pentecost_monday in (
        (2025, date(2025, 4, 21), date(2025, 5, 29), date(2025, 6, 9)),
        (2026, date(2026, 4, 6), date(2026, 5, 14), date(2026, 5, 25)),
        (2027, date(2027, 3, 29), date(2027, 5, 6), date(2027, 5, 17)),
    )
}
GOOD_FRIDAY = {2025: date(2025, 4, 18), 2026: date(2026, 4, 3), 2027: date(2027, 3, 26)}


def holidays_of(calendar: FrenchCalendar, year: int) -> set[date]:
    day, holidays = date(year, 1, 1), set()
    while day.year == year:
        if calendar.is_holiday(day):
            holidays.add(day)
        day += timedelta(days=1)
    return holidays


@pytest.mark.parametrize("year", sorted(NATIONAL_HOLIDAYS))
def test_metropolitan_holidays_are_exactly_the_eleven_of_l3133_1(year):
    assert holidays_of(METROPOLE, year) == NATIONAL_HOLIDAYS[year]


@pytest.mark.parametrize("postcode", ["67000", "68100", "57000"])
@pytest.mark.parametrize("year", sorted(NATIONAL_HOLIDAYS))
def test_alsace_moselle_adds_good_friday_and_26_december(postcode, year):
    local_days = {GOOD_FRIDAY[year], date(year, 12, 26)}
    calendar = FrenchCalendar.for_postcode(postcode)
    assert holidays_of(calendar, year) == NATIONAL_HOLIDAYS[year] | local_days


@pytest.mark.parametrize(
    ("postcode", "abolition_day"),
    [
        ("97600", date(2026, 4, 27)),  # Mayotte
        ("97200", date(2026, 5, 22)),  # Martinique
        ("97100", date(2026, 5, 27)),  # Guadeloupe
        ("97300", date(2026, 6, 10)),  # Guyane
        ("97400", date(2026, 12, 20)),  # La Réunion
    ],
)
def test_overseas_departments_add_their_abolition_day(postcode, abolition_day):
    assert FrenchCalendar.for_postcode(postcode).is_holiday(abolition_day)
    assert not METROPOLE.is_holiday(abolition_day)


@pytest.mark.parametrize(
    ("postcode", "subdivision"),
    [
        ("75011", None),
        ("13001", None),
        ("20000", None),  # Corsica follows the national calendar
        ("57000", "57"),
        ("67000", "6AE"),
        ("68 100", "6AE"),
        ("97100", "971"),
        ("97133", "BL"),
        ("97150", "MF"),
        ("97200", "972"),
        ("97300", "973"),
        ("97400", "974"),
        ("97600", "976"),
        (None, None),
        ("", None),
        ("B-1000", None),
        ("6700", None),
    ],
)
def test_postcode_selects_subdivision(postcode, subdivision):
    assert subdivision_for_postcode(postcode) == subdivision


def test_pentecost_monday_is_a_holiday_even_as_journee_de_solidarite():
    pentecost_monday = date(2026, 5, 25)
    assert METROPOLE.is_holiday(pentecost_monday)
    assert not METROPOLE.is_working_day(pentecost_monday)
    assert not METROPOLE.is_sending_day(pentecost_monday)


def test_call_planned_on_pentecost_monday_is_moved():
    # REQ-F1
    assert METROPOLE.next_sending_day(date(2026, 5, 25)) == date(2026, 5, 26)


@pytest.mark.parametrize(
    ("day", "working", "sending"),
    [
        (date(2026, 3, 13), True, True),  # Friday
        (date(2026, 3, 14), False, True),  # Saturday: letters may go, deadlines move
        (date(2026, 3, 15), False, False),  # Sunday
        (date(2026, 4, 3), True, True),  # Good Friday, a plain day outside Alsace-Moselle
    ],
)
def test_working_and_sending_days(day, working, sending):
    assert METROPOLE.is_working_day(day) is working
    assert METROPOLE.is_sending_day(day) is sending


def test_good_friday_is_a_holiday_in_alsace():
    assert not ALSACE.is_working_day(date(2026, 4, 3))
    assert not ALSACE.is_sending_day(date(2026, 4, 3))


@pytest.mark.parametrize(
    ("day", "next_sending"),
    [
        (date(2026, 3, 14), date(2026, 3, 14)),  # Saturday is a sending day
        (date(2026, 3, 15), date(2026, 3, 16)),
        (date(2026, 12, 25), date(2026, 12, 26)),
    ],
)
def test_next_sending_day(day, next_sending):
    assert METROPOLE.next_sending_day(day) == next_sending


@pytest.mark.parametrize(
    ("day", "next_working", "previous_working"),
    [
        (date(2026, 3, 11), date(2026, 3, 11), date(2026, 3, 11)),  # already a working day
        (date(2026, 3, 14), date(2026, 3, 16), date(2026, 3, 13)),
        (date(2026, 5, 14), date(2026, 5, 15), date(2026, 5, 13)),  # Ascension
        (date(2026, 5, 24), date(2026, 5, 26), date(2026, 5, 22)),  # Sunday before Pentecost
    ],
)
def test_next_and_previous_working_day(day, next_working, previous_working):
    assert METROPOLE.next_working_day(day) == next_working
    assert METROPOLE.previous_working_day(day) == previous_working


@pytest.mark.parametrize(
    ("day", "n", "expected"),
    [
        (date(2026, 5, 13), 0, date(2026, 5, 13)),
        (date(2026, 5, 13), 1, date(2026, 5, 15)),  # over Ascension
        (date(2026, 5, 13), 3, date(2026, 5, 19)),  # over Ascension and the weekend
        (date(2026, 5, 16), 1, date(2026, 5, 18)),  # from a Saturday
        (date(2026, 5, 19), -2, date(2026, 5, 15)),
    ],
)
def test_add_business_days(day, n, expected):
    assert METROPOLE.add_business_days(day, n) == expected


@pytest.mark.parametrize(
    ("calendar", "presented", "deadline"),
    [
        # REQ-E2: 2025-12-17 + 8 = 25-12, Christmas -> Fri 26-12.
        (METROPOLE, date(2025, 12, 17), date(2025, 12, 26)),
        # In Alsace-Moselle 26-12 is a holiday too, then a weekend -> Mon 29-12.
        (ALSACE, date(2025, 12, 17), date(2025, 12, 29)),
        # 2026-05-06 + 8 = 14-05, Ascension -> 15-05.
        (METROPOLE, date(2026, 5, 6), date(2026, 5, 15)),
        # A deadline on a working day stays put.
        (METROPOLE, date(2026, 3, 2), date(2026, 3, 10)),
    ],
)
def test_formal_notice_deadline_moves_later(calendar, presented, deadline):
    assert debtor_deadline(presented, 8, calendar=calendar) == deadline


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2024, 1, 31), 1, date(2024, 2, 29)),
        (date(2026, 1, 30), 1, date(2026, 2, 28)),
        (date(2026, 2, 10), 6, date(2026, 8, 10)),
        (date(2025, 11, 30), 3, date(2026, 2, 28)),
        (date(2026, 3, 31), -1, date(2026, 2, 28)),
        (date(2024, 2, 29), 24, date(2026, 2, 28)),
    ],
)
def test_add_months_clamps_to_month_end(start, months, expected):
    assert add_months(start, months) == expected


def test_opposition_period_after_service_moves_to_monday():
    # REQ-E5: served Fri 2026-01-30 + 1 month -> Sat 2026-02-28 -> Mon 2026-03-02.
    assert debtor_deadline_months(date(2026, 1, 30), 1, calendar=METROPOLE) == date(2026, 3, 2)


def test_ordonnance_must_be_served_within_six_months():
    # REQ-E5: ordonnance 2026-02-10 -> serve by 2026-08-10, a Monday, so no move either way.
    ordonnance = date(2026, 2, 10)
    assert add_months(ordonnance, 6) == date(2026, 8, 10)
    assert agency_deadline_months(ordonnance, 6, calendar=METROPOLE) == date(2026, 8, 10)


def test_funds_remittance_moves_earlier():
    # REQ-A8: credited Fri 2026-01-30 -> due Sat 2026-02-28 -> transfer by Fri 2026-02-27.
    assert agency_deadline_months(date(2026, 1, 30), 1, calendar=METROPOLE) == date(2026, 2, 27)
