"""Reads on money owed and received: what a payment plan must total, a ready schedule, and
what a case received beyond its debt; always given the case (already access-checked)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import ROUND_DOWN, Decimal
from typing import NamedTuple

from django.db.models import QuerySet

from cases.models import Case
from collectio.models import Agency
from collectio.money import CENT, ZERO, to_money
from dunning.statement import InterestPause, PaymentTerms, case_statement
from payments.models import Refund


class Instalment(NamedTuple):
    """One dated amount of a schedule; a plain ``(due_on, amount)`` pair is one too."""

    due_on: date
    amount: Decimal


def payment_plan_owed(
    *, case: Case, instalments: Sequence[Instalment], agreed_on: date, interest: str
) -> Decimal:
    """What these instalments must add up to for the case to owe nothing once the last is paid
    on its date, under the interest rule ``interest`` (``Agency.PlanInterest``).

    *Frozen*: what the debtor owes on ``agreed_on``, invoices not yet due included (the plan
    covers the whole case, so its last instalment closes it). *Accrues*: that, plus the
    interest accruing on what is left until each instalment, as the statement will compute it.
    Raises ``RateMissing`` like the statement.
    """
    planned = [
        PaymentTerms(payment_id=-position, received_on=due_on, amount=amount, method="planned")
        for position, (due_on, amount) in enumerate(instalments, start=1)
    ]
    frozen = interest == Agency.PlanInterest.FROZEN
    projected = case_statement(
        case,
        on=max(due_on for due_on, _ in instalments),
        planned=planned,
        planned_pause=InterestPause(agreed_on) if frozen else None,
    )
    paid = sum((amount for _, amount in instalments), ZERO)
    return paid + projected.outstanding - projected.overpayment


def _split(total: Decimal, due_dates: Sequence[date]) -> list[Instalment]:
    part = (total / len(due_dates)).quantize(CENT, rounding=ROUND_DOWN)
    last = total - part * (len(due_dates) - 1)
    return [Instalment(d, part) for d in due_dates[:-1]] + [Instalment(due_dates[-1], last)]


def payment_plan_schedule(
    *, case: Case, due_dates: Sequence[date], agreed_on: date
) -> list[Instalment]:
    """Equal instalments on ``due_dates`` (the last takes the odd cents) that
    :func:`payment_plan_owed` accepts under the agency's rule: a form's starting point."""
    if not due_dates:
        return []
    interest = case.agency.plan_interest
    total = to_money(case_statement(case, on=agreed_on).outstanding)
    for _ in range(5):  # under "accrues" the interest depends on the amounts: a few rounds
        schedule = _split(total, due_dates)
        owed = payment_plan_owed(
            case=case, instalments=schedule, agreed_on=agreed_on, interest=interest
        )
        if owed == total:
            return schedule
        total, planned = owed, total
    # A cent apart still: the last instalment changes no interest before its date, so it
    # takes the difference.
    last = schedule[-1]
    return [*schedule[:-1], Instalment(last.due_on, last.amount + owed - planned)]


def case_refunds(*, case: Case) -> QuerySet[Refund]:
    """What the case received beyond the debt, owed back or refunded, oldest first."""
    return Refund.objects.filter(case=case, agency_id=case.agency_id).select_related("payment")
