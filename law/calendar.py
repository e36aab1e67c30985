"""French business-day calendar and deadline arithmetic (legal-fr.md section G).

The holiday tables come from the maintained ``holidays`` library rather than from a hand-kept
list: Easter-based dates move every year and the local days of Alsace-Moselle and overseas
departments are easy to get wrong (REQ-G1).

Two rules decide which way a deadline moves when it ends on a non-working day (REQ-G3):
periods granted to the debtor move *later* (CPC 642), the agency's own obligations move
*earlier*, so the agency is never late whatever the reading of the text.
"""

from __future__ import annotations

from calendar import monthrange
from collections.abc import Callable
from datetime import date, timedelta
from functools import cache

import holidays

# Postcode prefix -> ``holidays.France`` subdivision. The longest matching prefix wins, which
# lets Saint-Barthélemy (97133) and Saint-Martin (97150) override Guadeloupe's 971.
_SUBDIVISION_BY_POSTCODE_PREFIX: dict[str, str] = {
    "57": "57",  # Moselle
    "67": "6AE",  # Bas-Rhin, Alsace
    "68": "6AE",  # Haut-Rhin, Alsace
    "971": "971",  # Guadeloupe
    "97133": "BL",  # Saint-Barthélemy
    "97150": "MF",  # Saint-Martin
    "972": "972",  # Martinique
    "973": "973",  # Guyane
    "974": "974",  # La Réunion
    "975": "PM",  # Saint-Pierre-et-Miquelon
    "976": "976",  # Mayotte
    "986": "WF",  # Wallis-et-Futuna
    "987": "PF",  # Polynésie française
    "988": "NC",  # Nouvelle-Calédonie
}
_SATURDAY, _SUNDAY = 5, 6
_ONE_DAY = timedelta(days=1)


def subdivision_for_postcode(postcode: str | None) -> str | None:
    """Return the holiday subdivision of a postcode, ``None`` meaning metropolitan France.

    REQ-G1: the calendar follows the debtor's postcode (or the court's for procedural
    deadlines). Anything that is not a French postcode falls back to the national calendar.
    """
    code = (postcode or "").replace(" ", "")
    if len(code) != 5 or not code.isdigit():
        return None
    for length in (5, 3, 2):
        if subdivision := _SUBDIVISION_BY_POSTCODE_PREFIX.get(code[:length]):
            return subdivision
    return None


@cache
def _holidays_for(subdivision: str | None) -> holidays.HolidayBase:
    # One table per subdivision for the life of the process; it fills in years on demand.
    return holidays.France(subdiv=subdivision)


class FrenchCalendar:
    """Working, sending and holiday days for one French territory."""

    def __init__(self, subdivision: str | None = None) -> None:
        self.subdivision = subdivision
        self._holidays = _holidays_for(subdivision)

    @classmethod
    def for_postcode(cls, postcode: str | None) -> FrenchCalendar:
        return cls(subdivision_for_postcode(postcode))

    def __repr__(self) -> str:
        return f"FrenchCalendar(subdivision={self.subdivision!r})"

    def is_holiday(self, d: date) -> bool:
        """Public holiday (C. trav. L3133-1, plus local days). Pentecost Monday counts even
        when worked as the journée de solidarité."""
        return d in self._holidays

    def is_working_day(self, d: date) -> bool:
        """Monday to Friday and not a holiday: CPC 642 extends past Saturdays too."""
        return d.weekday() < _SATURDAY and not self.is_holiday(d)

    def is_sending_day(self, d: date) -> bool:
        """REQ-G3: nothing is sent and no call is made on Sundays or holidays; Saturday is fine."""
        return d.weekday() != _SUNDAY and not self.is_holiday(d)

    def next_working_day(self, d: date) -> date:
        """``d`` itself if it is a working day, else the first working day after it."""
        return self._step_until(d, _ONE_DAY, self.is_working_day)

    def previous_working_day(self, d: date) -> date:
        """``d`` itself if it is a working day, else the last working day before it."""
        return self._step_until(d, -_ONE_DAY, self.is_working_day)

    def next_sending_day(self, d: date) -> date:
        """``d`` itself if letters may go out that day, else the next such day (REQ-G3)."""
        return self._step_until(d, _ONE_DAY, self.is_sending_day)

    def add_business_days(self, d: date, n: int) -> date:
        """The ``n``-th working day after ``d`` (before it if ``n`` is negative); ``d`` itself
        is never counted."""
        step = _ONE_DAY if n >= 0 else -_ONE_DAY
        for _ in range(abs(n)):
            d = self._step_until(d + step, step, self.is_working_day)
        return d

    @staticmethod
    def _step_until(d: date, step: timedelta, accept: Callable[[date], bool]) -> date:
        while not accept(d):
            d += step
        return d


def add_months(d: date, n: int) -> date:
    """Same-numbered day ``n`` months later, or the month's last day if there is none
    (CPC 641: 31-01 + 1 month = 28/29-02)."""
    month_index = d.year * 12 + d.month - 1 + n
    year, month = divmod(month_index, 12)
    month += 1
    return date(year, month, min(d.day, monthrange(year, month)[1]))


def debtor_deadline(start: date, days: int, *, calendar: FrenchCalendar) -> date:
    """Last day of a period of ``days`` granted to the debtor (REQ-E2, CPC 640-642).

    The starting day is not counted, and a deadline ending on a Saturday, Sunday or holiday
    is extended to the next working day.
    """
    return calendar.next_working_day(start + timedelta(days=days))


def debtor_deadline_months(start: date, months: int, *, calendar: FrenchCalendar) -> date:
    """Same as :func:`debtor_deadline` for a period in months (REQ-E5, CPC 641-642)."""
    return calendar.next_working_day(add_months(start, months))


def agency_deadline_months(start: date, months: int, *, calendar: FrenchCalendar) -> date:
    """Last day for one of the agency's own obligations, e.g. remitting funds within one month
    (REQ-A8, R124-6): moved *earlier* to the previous working day (REQ-G3)."""
    return calendar.previous_working_day(add_months(start, months))
