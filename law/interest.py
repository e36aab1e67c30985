"""Late-payment interest (legal-fr.md sections 0, B and C).

Two regimes exist: B2B penalties (C. com. L441-10 II), due without any reminder from the day
after the due date, and civil legal interest (C. civ. 1231-6, 1344-1), running from the mise en
demeure. Both are simple interest. Capitalisation (C. civ. 1343-2) needs a clause or a
judgment and only bites on interest due for a full year; it is off and this module never
compounds (REQ-C3).

Conventions (REQ-R3, no statute fixes them **[VERIFY]**): interest accrues for each day ``d``
with ``start < d <= end``; each day bears its own semester's rate; the day basis is ACT/365
unless the tenant picks ACT/ACT; unrounded segment amounts are summed and rounded once, per
claim line, by :func:`collectio.money.to_money`.
"""

from __future__ import annotations

import re
from calendar import isleap
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Protocol

from collectio.money import ZERO, to_money


class RateKind(StrEnum):
    """The published reference rates, each looked up by semester (REQ-R1)."""

    ECB_MRO = "ECB_MRO"
    LEGAL_PRIVATE_CREDITOR = "LEGAL_PRIVATE_CREDITOR"
    LEGAL_OTHER = "LEGAL_OTHER"


class InterestRegime(StrEnum):
    B2B_DEFAULT = "B2B_DEFAULT"
    B2B_CONTRACT = "B2B_CONTRACT"
    LEGAL = "LEGAL"
    NONE = "NONE"


class DayBasis(StrEnum):
    ACT_365 = "ACT_365"
    ACT_ACT = "ACT_ACT"

    def days_in_year(self, year: int) -> int:
        return 366 if self is DayBasis.ACT_ACT and isleap(year) else 365


class RateMissing(LookupError):
    """A rate was needed but is not loaded: an error, never a fallback (REQ-R1)."""

    def __init__(self, kind: RateKind, semester: str) -> None:
        self.kind = kind
        self.semester = semester
        super().__init__(f"RATE_MISSING({semester}): no {kind} rate loaded for {semester}")


class RateBelowFloor(ValueError):
    """A contract rate under 3x the legal rate (L441-10 II).

    What to apply instead is **[VERIFY]**; the spec suggests applying the floor and flagging
    the case, which callers do with :attr:`floor`.
    """

    def __init__(self, rate: Decimal, floor: Decimal, semester: str) -> None:
        self.rate = rate
        self.floor = floor
        self.semester = semester
        super().__init__(
            f"RATE_BELOW_FLOOR: {rate} % is below 3 x the legal rate in {semester} ({floor} %)"
        )


class IndemnityForbidden(ValueError):
    """The €40 indemnity was asked of a debtor who is not a professional (L111-8, REQ-A5)."""

    def __init__(self) -> None:
        super().__init__("INDEMNITY_FORBIDDEN: the L441-10 indemnity is owed by professionals only")


class RateSource(Protocol):
    def rate(self, kind: RateKind, semester: str) -> Decimal:
        """Annual rate in percent for ``semester`` (e.g. ``"2026-S1"``); raises
        :class:`RateMissing` when none is loaded."""
        ...


RatesBySemester = Mapping[str, Mapping[RateKind, Decimal]]


_published_rates: Callable[[], RateSource] | None = None


def register_published_rates(source: Callable[[], RateSource]) -> None:
    """The app that holds the rate table says, at start-up, how to read it: the apps below it
    (cases, checking a contract rate at intake) then ask :func:`published_rates` for it
    without importing the app above them."""
    global _published_rates  # set once, by dunning's AppConfig.ready()
    _published_rates = source


def published_rates() -> RateSource:
    """The published reference rates, as registered by :func:`register_published_rates`."""
    if _published_rates is None:
        raise RuntimeError("no reference-rate table is registered")
    return _published_rates()


class DictRateSource:
    """A :class:`RateSource` over an in-memory ``{semester: {kind: rate}}`` mapping."""

    def __init__(self, rates: RatesBySemester) -> None:
        self._rates = rates

    def rate(self, kind: RateKind, semester: str) -> Decimal:
        try:
            return self._rates[semester][kind]
        except KeyError:
            raise RateMissing(kind, semester) from None


_SEMESTER = re.compile(r"(?P<year>\d{4})-S(?P<half>[12])")


def semester_of(d: date) -> str:
    """``"YYYY-S1"`` for January-June, ``"YYYY-S2"`` for July-December (REQ-R1)."""
    return f"{d.year}-S{1 if d.month <= 6 else 2}"


def semester_bounds(semester: str) -> tuple[date, date]:
    """First and last day (both included) of a semester such as ``"2026-S1"``."""
    match = _SEMESTER.fullmatch(semester)
    if match is None:
        raise ValueError(f"not a semester: {semester!r}")
    year = int(match["year"])
    if match["half"] == "1":
        return date(year, 1, 1), date(year, 6, 30)
    return date(year, 7, 1), date(year, 12, 31)


B2B_DEFAULT_MARGIN = Decimal(10)
CONTRACT_RATE_FLOOR_MULTIPLIER = 3


def b2b_default_rate(semester: str, rates: RateSource) -> Decimal:
    """ECB MRO in force on the semester's first day + 10 points (L441-10 II, REQ-B2)."""
    return rates.rate(RateKind.ECB_MRO, semester) + B2B_DEFAULT_MARGIN


def legal_rate_kind(*, creditor_is_private: bool) -> RateKind:
    """The legal rate follows the *creditor's* status, not the debtor's (C. mon. fin. L313-2,
    REQ-R2)."""
    return RateKind.LEGAL_PRIVATE_CREDITOR if creditor_is_private else RateKind.LEGAL_OTHER


def contract_rate_floor(on: date, rates: RateSource) -> Decimal:
    """3 x the "other cases" legal rate of ``on``'s semester (L441-10 II, REQ-B2).

    It binds contract rates only: in 2024-S1 it exceeded the statutory default, which stayed
    valid.
    """
    return CONTRACT_RATE_FLOOR_MULTIPLIER * rates.rate(RateKind.LEGAL_OTHER, semester_of(on))


def validate_contract_rate(rate: Decimal, on: date, rates: RateSource) -> None:
    """Raise :class:`RateBelowFloor` if a contract penalty rate is under the legal floor."""
    floor = contract_rate_floor(on, rates)
    if rate < floor:
        raise RateBelowFloor(rate, floor, semester_of(on))


@dataclass(frozen=True)
class InterestSegment:
    """Interest over consecutive days at one rate: ``from_date`` to ``to_date`` included.

    ``amount`` is deliberately unrounded; only the claim line's total is rounded (REQ-R3).
    """

    from_date: date
    to_date: date
    days: int
    rate: Decimal
    amount: Decimal


def interest_segments(
    *,
    principal: Decimal,
    start: date,
    end: date,
    regime: InterestRegime,
    rates: RateSource,
    creditor_is_private: bool = False,
    contract_rate: Decimal | None = None,
    basis: DayBasis = DayBasis.ACT_365,
) -> list[InterestSegment]:
    """Split ``start`` (excluded) to ``end`` (included) into one segment per semester.

    ``start`` is the due date for B2B penalties and the date the mise en demeure was received
    for legal interest; ``end`` is the payment (or computation) date. Semesters never straddle
    a year, so splitting by semester also gives ACT/ACT its year boundaries.
    """
    if (regime is InterestRegime.B2B_CONTRACT) != (contract_rate is not None):
        raise ValueError("a contract rate goes with, and only with, the B2B_CONTRACT regime")
    if regime is InterestRegime.NONE:
        return []
    segments: list[InterestSegment] = []
    accrued_to = start
    while accrued_to < end:
        first_day = accrued_to + timedelta(days=1)
        semester = semester_of(first_day)
        last_day = min(end, semester_bounds(semester)[1])
        days = (last_day - accrued_to).days
        rate = _annual_rate(regime, semester, rates, creditor_is_private, contract_rate)
        amount = principal * rate * days / (100 * basis.days_in_year(first_day.year))
        segments.append(InterestSegment(first_day, last_day, days, rate, amount))
        accrued_to = last_day
    return segments


def _annual_rate(
    regime: InterestRegime,
    semester: str,
    rates: RateSource,
    creditor_is_private: bool,
    contract_rate: Decimal | None,
) -> Decimal:
    if contract_rate is not None:
        return contract_rate
    if regime is InterestRegime.B2B_DEFAULT:
        return b2b_default_rate(semester, rates)
    return rates.rate(legal_rate_kind(creditor_is_private=creditor_is_private), semester)


def total_interest(segments: Iterable[InterestSegment]) -> Decimal:
    """Sum the unrounded segments, then round once to the cent (REQ-R3)."""
    return to_money(sum((segment.amount for segment in segments), ZERO))


def interest_amount(
    *,
    principal: Decimal,
    start: date,
    end: date,
    regime: InterestRegime,
    rates: RateSource,
    creditor_is_private: bool = False,
    contract_rate: Decimal | None = None,
    basis: DayBasis = DayBasis.ACT_365,
) -> Decimal:
    """Interest owed on one claim line, in cents; see :func:`interest_segments`."""
    return total_interest(
        interest_segments(
            principal=principal,
            start=start,
            end=end,
            regime=regime,
            rates=rates,
            creditor_is_private=creditor_is_private,
            contract_rate=contract_rate,
            basis=basis,
        )
    )


RECOVERY_INDEMNITY = Decimal("40.00")


def recovery_indemnity(*, late_invoices: int, debtor_is_professional: bool) -> Decimal:
    """Flat €40 per invoice paid late (L441-10 II, D441-5, REQ-B4).

    The per-invoice reading follows CJEU C-585/20 **[VERIFY]**. A consumer never owes it:
    recovery costs stay with the creditor (L111-8, REQ-A5).
    """
    if not debtor_is_professional:
        raise IndemnityForbidden
    return RECOVERY_INDEMNITY * late_invoices
