"""Imputation of a payment onto the debtor's claim lines (legal-fr.md REQ-C4).

Across debts (C. civ. 1342-10), unless the debtor designates what is paid: due debts first,
then the one the debtor had the most interest in paying (read as the highest rate), then the
oldest, then pro rata. Within a debt (C. civ. 1343-1), interest goes before principal; where
the €40 indemnity sits is **[VERIFY]**, so the order is a tenant setting defaulting to the
spec's interest -> principal -> indemnity.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from enum import StrEnum
from itertools import groupby

from collectio.money import ZERO, to_money


class Component(StrEnum):
    """Parts of a claim line; the values are the field names of :class:`DebtLine`."""

    INTEREST = "interest"
    PRINCIPAL = "principal"
    INDEMNITY = "indemnity"


DEFAULT_ORDER: tuple[Component, ...] = (
    Component.INTEREST,
    Component.PRINCIPAL,
    Component.INDEMNITY,
)


@dataclass(frozen=True)
class DebtLine:
    """What is still owed on one claim on the payment date, in cents (interest accrued to
    that date included).

    ``rate`` is the annual rate the line bears (0 if none): the debt with the highest rate is
    the one the debtor "avait le plus d'intérêt d'acquitter".
    """

    claim_id: Hashable
    due_date: date
    principal: Decimal
    interest: Decimal = ZERO
    indemnity: Decimal = ZERO
    rate: Decimal = ZERO

    @property
    def outstanding(self) -> Decimal:
        return self.principal + self.interest + self.indemnity

    def after(self, allocation: Allocation) -> DebtLine:
        """The line once ``allocation`` is paid."""
        return replace(
            self,
            **{
                part.value: getattr(self, part.value) - getattr(allocation, part.value)
                for part in Component
            },
        )


@dataclass(frozen=True)
class Payment:
    amount: Decimal
    paid_on: date
    designated: Sequence[Hashable] = ()
    """Claim ids the debtor chose to pay, in his order; they override the legal order."""


@dataclass(frozen=True)
class Allocation:
    claim_id: Hashable
    interest: Decimal = ZERO
    principal: Decimal = ZERO
    indemnity: Decimal = ZERO

    @property
    def total(self) -> Decimal:
        return self.interest + self.principal + self.indemnity


@dataclass(frozen=True)
class Imputation:
    allocations: tuple[Allocation, ...]
    """One per input line, in input order (zero when the line receives nothing)."""
    unallocated: Decimal
    """Overpayment left once every line is settled, to refund or hold for the debtor."""


def impute(
    payment: Payment, lines: Sequence[DebtLine], *, order: Sequence[str] = DEFAULT_ORDER
) -> Imputation:
    """Spread ``payment`` over ``lines`` (REQ-C4); ``order`` is the within-debt order."""
    components = _checked_order(order)
    if payment.amount <= 0:
        raise ValueError("a payment must be positive")
    by_id = {line.claim_id: line for line in lines}
    if len(by_id) != len(lines):
        raise ValueError("claim ids must be unique")
    unknown = [claim_id for claim_id in payment.designated if claim_id not in by_id]
    if unknown:
        raise ValueError(f"designated claims not among the lines: {unknown}")

    allocations = {line.claim_id: Allocation(line.claim_id) for line in lines}
    left = payment.amount
    for group in _priority_groups(payment, lines, by_id):
        shares = _pro_rata(min(left, sum((line.outstanding for line in group), ZERO)), group)
        for line, share in zip(group, shares, strict=True):
            allocations[line.claim_id] = _within_debt(line, share, components)
        left -= sum(shares, ZERO)
    return Imputation(tuple(allocations[line.claim_id] for line in lines), left)


def _checked_order(order: Sequence[str]) -> tuple[Component, ...]:
    if sorted(order) != sorted(Component):
        raise ValueError(f"the order must list each of {[c.value for c in Component]} once")
    return tuple(Component(part) for part in order)


def _priority_groups(
    payment: Payment, lines: Sequence[DebtLine], by_id: dict[Hashable, DebtLine]
) -> Iterable[list[DebtLine]]:
    """Designated lines one by one, then the others grouped by legal priority (1342-10)."""
    for claim_id in payment.designated:
        yield [by_id[claim_id]]
    designated = set(payment.designated)

    def priority(line: DebtLine) -> tuple[bool, Decimal, date]:
        return (line.due_date > payment.paid_on, -line.rate, line.due_date)

    others = sorted((line for line in lines if line.claim_id not in designated), key=priority)
    for _, tied in groupby(others, key=priority):
        yield list(tied)


def _pro_rata(amount: Decimal, lines: list[DebtLine]) -> list[Decimal]:
    """Share ``amount`` (at most the lines' total) in proportion to what each line owes.

    Each share is taken from what is left, so the cents add up exactly and the last line
    absorbs the rounding without ever receiving more than it owes.
    """
    shares: list[Decimal] = []
    left, owed = amount, sum((line.outstanding for line in lines), ZERO)
    for line in lines:
        share = to_money(left * line.outstanding / owed) if line.outstanding else ZERO
        shares.append(share)
        left -= share
        owed -= line.outstanding
    return shares


def _within_debt(line: DebtLine, amount: Decimal, order: tuple[Component, ...]) -> Allocation:
    paid: dict[str, Decimal] = {}
    for part in order:
        paid[part.value] = min(amount, getattr(line, part.value))
        amount -= paid[part.value]
    return Allocation(line.claim_id, **paid)
