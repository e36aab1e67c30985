"""Limitation periods (legal-fr.md section D).

Computation (C. civ. 2228-2229, REQ-D2): the starting day is not counted and the period ends
at the end of the day bearing the same number, 29-02 falling back to 28-02. The CPC 642
weekend extension is not relied on **[VERIFY]**: court filings are scheduled on the last
working day on or before the limitation date instead.

Suspension (mediation, conciliation, L125-1 acceptance; 2238) is not modelled here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from law.calendar import FrenchCalendar, add_months

ABSOLUTE_CAP_YEARS = 20


class DebtType(StrEnum):
    COMMERCIAL = "COMMERCIAL"
    CIVIL = "CIVIL"
    CONSUMER = "CONSUMER"
    RESIDENTIAL_RENT = "RESIDENTIAL_RENT"
    ROAD_TRANSPORT = "ROAD_TRANSPORT"
    CONSUMER_CREDIT = "CONSUMER_CREDIT"

    @property
    def years(self) -> int:
        """Length of the period (REQ-D1)."""
        return _PERIOD_YEARS[self]

    @property
    def acknowledgement_interrupts(self) -> bool:
        """A forclusion is not interrupted by the debtor's acknowledgement (C. civ. 2220)."""
        return self is not DebtType.CONSUMER_CREDIT


_PERIOD_YEARS = {
    DebtType.COMMERCIAL: 5,  # C. com. L110-4
    DebtType.CIVIL: 5,  # C. civ. 2224, from when the facts were or should have been known
    DebtType.CONSUMER: 2,  # C. conso L218-2, professional vs consumer
    DebtType.RESIDENTIAL_RENT: 3,  # loi 89-462 art. 7-1 [VERIFY]
    DebtType.ROAD_TRANSPORT: 1,  # C. com. L133-6 [VERIFY]
    DebtType.CONSUMER_CREDIT: 2,  # forclusion, C. conso R312-35 [VERIFY]
}


class InterruptionKind(StrEnum):
    ACKNOWLEDGEMENT = "ACKNOWLEDGEMENT"  # written admission, 2240
    PARTIAL_PAYMENT = "PARTIAL_PAYMENT"  # 2240
    SIGNED_PLAN = "SIGNED_PLAN"  # 2240
    COURT_DEMAND = "COURT_DEMAND"  # 2241, including a requête en injonction de payer
    ENFORCEMENT = "ENFORCEMENT"  # 2244
    FORMAL_NOTICE = "FORMAL_NOTICE"  # a MED or agency letter: interrupts nothing (REQ-D3)

    @property
    def is_acknowledgement(self) -> bool:
        return self in _ACKNOWLEDGEMENTS

    @property
    def escapes_absolute_cap(self) -> bool:
        """C. civ. 2232 al. 2: the 20-year cap does not apply to 2241 al. 1 and 2244."""
        return self in _ESCAPING_CAP


_ACKNOWLEDGEMENTS = frozenset(
    {
        InterruptionKind.ACKNOWLEDGEMENT,
        InterruptionKind.PARTIAL_PAYMENT,
        InterruptionKind.SIGNED_PLAN,
    }
)
_ESCAPING_CAP = frozenset({InterruptionKind.COURT_DEMAND, InterruptionKind.ENFORCEMENT})


@dataclass(frozen=True)
class Interruption:
    """An event that may restart the period.

    For a court demand the interruption lasts until the proceedings end (2242): pass the date
    the instance ended, not the date of the demand.
    """

    kind: InterruptionKind
    on: date


def add_years(d: date, years: int) -> date:
    """Same day and month ``years`` later; 29-02 gives 28-02 in a common year (REQ-D2)."""
    return add_months(d, 12 * years)


def limitation_date(
    *, debt_type: DebtType, starts_on: date, interruptions: Iterable[Interruption] = ()
) -> date:
    """Last day on which the creditor can still act (REQ-D1 to D3).

    Each interrupting event before expiry restarts a full new period from its date (2231);
    one after expiry revives nothing. Acknowledgements cannot carry the period past 20 years
    from ``starts_on`` (2232).
    """
    period = debt_type.years
    cap = add_years(starts_on, ABSOLUTE_CAP_YEARS)
    last_day = add_years(starts_on, period)
    for event in sorted(interruptions, key=lambda event: event.on):
        if event.on > last_day:
            break
        if not _interrupts(event.kind, debt_type):
            continue
        restarted = add_years(event.on, period)
        if not event.kind.escapes_absolute_cap:
            restarted = min(restarted, cap)
        last_day = max(last_day, restarted)
    return last_day


def _interrupts(kind: InterruptionKind, debt_type: DebtType) -> bool:
    if kind is InterruptionKind.FORMAL_NOTICE:
        return False
    return debt_type.acknowledgement_interrupts or not kind.is_acknowledgement


def filing_date(last_day: date, *, calendar: FrenchCalendar) -> date:
    """Last working day on or before the limitation date: never count on CPC 642 to extend
    a limitation period (REQ-D2)."""
    return calendar.previous_working_day(last_day)


ALERT_DAYS_BEFORE = (90, 30)


def alert_dates(last_day: date) -> tuple[date, ...]:
    """Reminders at D-90 and D-30 before the limitation date (REQ-D2)."""
    return tuple(last_day - timedelta(days=days) for days in ALERT_DAYS_BEFORE)
