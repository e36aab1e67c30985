"""legal-fr.md section D: limitation periods (C. civ. 2224 to 2244)."""

from datetime import date

import pytest

from law.calendar import FrenchCalendar
from law.prescription import (
    DebtType,
    Interruption,
    InterruptionKind,
    add_years,
    alert_dates,
    filing_date,
    limitation_date,
)

METROPOLE = FrenchCalendar()


@pytest.mark.parametrize(
    ("debt_type", "years"),
    [
        (DebtType.COMMERCIAL, 5),
        (DebtType.CIVIL, 5),
        (DebtType.CONSUMER, 2),
        (DebtType.RESIDENTIAL_RENT, 3),
        (DebtType.ROAD_TRANSPORT, 1),
        (DebtType.CONSUMER_CREDIT, 2),
    ],
)
def test_periods(debt_type, years):
    # REQ-D1; the period ends on the same-numbered day (2228-2229).
    assert debt_type.years == years
    assert limitation_date(debt_type=debt_type, starts_on=date(2021, 3, 15)) == date(
        2021 + years, 3, 15
    )


def test_29_february_falls_back_to_28():
    # REQ-D2: 29-02 + 2 years -> 28-02.
    assert add_years(date(2024, 2, 29), 2) == date(2026, 2, 28)
    assert limitation_date(debt_type=DebtType.CONSUMER, starts_on=date(2024, 2, 29)) == date(
        2026, 2, 28
    )


def test_last_day_on_a_sunday_is_filed_the_friday_before():
    # REQ-D2: due 2021-03-15 -> last day Sun 2026-03-15 -> filing Fri 2026-03-13.
    last_day = limitation_date(debt_type=DebtType.COMMERCIAL, starts_on=date(2021, 3, 15))
    assert last_day == date(2026, 3, 15)
    assert filing_date(last_day, calendar=METROPOLE) == date(2026, 3, 13)


def test_filing_on_a_working_last_day_is_that_day():
    assert filing_date(date(2026, 3, 16), calendar=METROPOLE) == date(2026, 3, 16)


def test_alerts_at_d_minus_90_and_30():
    assert alert_dates(date(2026, 3, 15)) == (date(2025, 12, 15), date(2026, 2, 13))


def test_partial_payment_restarts_a_full_period():
    # REQ-D3: due 2021-03-15, partial payment 2023-06-10 -> 2028-06-10.
    assert limitation_date(
        debt_type=DebtType.COMMERCIAL,
        starts_on=date(2021, 3, 15),
        interruptions=[Interruption(InterruptionKind.PARTIAL_PAYMENT, date(2023, 6, 10))],
    ) == date(2028, 6, 10)


def test_consumer_plan_restarts_two_years():
    # REQ-D3: B2C exigible 2024-09-01 -> 2026-09-01; plan signed 2025-02-01 -> 2027-02-01.
    starts_on = date(2024, 9, 1)
    assert limitation_date(debt_type=DebtType.CONSUMER, starts_on=starts_on) == date(2026, 9, 1)
    assert limitation_date(
        debt_type=DebtType.CONSUMER,
        starts_on=starts_on,
        interruptions=[Interruption(InterruptionKind.SIGNED_PLAN, date(2025, 2, 1))],
    ) == date(2027, 2, 1)


def test_a_formal_notice_changes_nothing():
    # REQ-D3: neither a MED nor an agency letter interrupts.
    assert limitation_date(
        debt_type=DebtType.COMMERCIAL,
        starts_on=date(2021, 3, 15),
        interruptions=[Interruption(InterruptionKind.FORMAL_NOTICE, date(2025, 10, 10))],
    ) == date(2026, 3, 15)


def test_interruption_after_expiry_revives_nothing():
    assert limitation_date(
        debt_type=DebtType.CONSUMER,
        starts_on=date(2022, 1, 10),
        interruptions=[Interruption(InterruptionKind.ACKNOWLEDGEMENT, date(2024, 1, 11))],
    ) == date(2024, 1, 10)


def test_interruption_on_the_last_day_still_counts():
    assert limitation_date(
        debt_type=DebtType.CONSUMER,
        starts_on=date(2022, 1, 10),
        interruptions=[Interruption(InterruptionKind.ACKNOWLEDGEMENT, date(2024, 1, 10))],
    ) == date(2026, 1, 10)


def test_successive_interruptions_chain_in_date_order():
    # Given out of order: 2023-12-01 restarts to 2025-12-01, then 2025-06-01 to 2027-06-01.
    assert limitation_date(
        debt_type=DebtType.CONSUMER,
        starts_on=date(2022, 1, 10),
        interruptions=[
            Interruption(InterruptionKind.PARTIAL_PAYMENT, date(2025, 6, 1)),
            Interruption(InterruptionKind.PARTIAL_PAYMENT, date(2023, 12, 1)),
        ],
    ) == date(2027, 6, 1)


@pytest.mark.parametrize(
    "kind",
    [
        InterruptionKind.ACKNOWLEDGEMENT,
        InterruptionKind.PARTIAL_PAYMENT,
        InterruptionKind.SIGNED_PLAN,
    ],
)
def test_consumer_credit_forclusion_ignores_acknowledgements(kind):
    assert limitation_date(
        debt_type=DebtType.CONSUMER_CREDIT,
        starts_on=date(2024, 9, 1),
        interruptions=[Interruption(kind, date(2025, 2, 1))],
    ) == date(2026, 9, 1)


@pytest.mark.parametrize("kind", [InterruptionKind.COURT_DEMAND, InterruptionKind.ENFORCEMENT])
def test_consumer_credit_forclusion_yields_to_court_and_enforcement(kind):
    # C. civ. 2241 and 2244 name the délai de forclusion expressly.
    assert limitation_date(
        debt_type=DebtType.CONSUMER_CREDIT,
        starts_on=date(2024, 9, 1),
        interruptions=[Interruption(kind, date(2025, 2, 1))],
    ) == date(2027, 2, 1)


def acknowledged_every_four_years(kind: InterruptionKind) -> list[Interruption]:
    return [Interruption(kind, date(2000 + years, 1, 1)) for years in range(4, 24, 4)]


def test_acknowledgements_cannot_pass_the_20_year_cap():
    # C. civ. 2232: starts 2000-01-01, acknowledged every 4 years up to 2020 -> capped at 2020.
    assert limitation_date(
        debt_type=DebtType.COMMERCIAL,
        starts_on=date(2000, 1, 1),
        interruptions=acknowledged_every_four_years(InterruptionKind.ACKNOWLEDGEMENT),
    ) == date(2020, 1, 1)


def test_enforcement_escapes_the_20_year_cap():
    # C. civ. 2232 al. 2 excludes 2244: the last measure (2020-01-01) runs its full 5 years.
    assert limitation_date(
        debt_type=DebtType.COMMERCIAL,
        starts_on=date(2000, 1, 1),
        interruptions=acknowledged_every_four_years(InterruptionKind.ENFORCEMENT),
    ) == date(2025, 1, 1)
