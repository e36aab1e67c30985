"""Reads on money owed and received: what a payment plan must total, a ready schedule, and
what a case received beyond its debt; always given the case (already access-checked)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_DOWN, Decimal
from typing import NamedTuple

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from cases.models import Case
from collectio.models import Agency, User
from collectio.money import CENT, ZERO, to_money
from debtors.models import CallTask, ContactLogEntry
from dunning.statement import InterestPause, PaymentTerms, case_statement
from payments.models import Payment, PaymentPromise, Refund


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


@dataclass(frozen=True)
class DayFigures:
    day: date
    calls: int
    reached: int
    promises: int


@dataclass(frozen=True)
class AgentFigures:
    """An agent's own work over a period: what "my day" shows."""

    calls: int
    reached: int
    promises_made: int
    promises_kept: int
    collected: Decimal
    days: list[DayFigures]


def agent_figures(*, agency_id: int, agent: User, start: date, end: date) -> AgentFigures:
    """Calls made, debtors reached, promises taken and kept from ``start`` to ``end`` included,
    and the money received on the agent's kept promises (since each was made)."""
    zone = timezone.get_current_timezone()
    since = datetime.combine(start, datetime.min.time(), zone)
    until = datetime.combine(end + timedelta(days=1), datetime.min.time(), zone)
    calls = ContactLogEntry.objects.filter(
        agency_id=agency_id,
        agent=agent,
        channel=ContactLogEntry.Channel.PHONE,
        direction=ContactLogEntry.Direction.OUTBOUND,
        at__gte=since,
        at__lt=until,
    )
    per_day = {
        row["day"]: row
        for row in calls.annotate(day=TruncDate("at", tzinfo=zone))
        .values("day")
        .annotate(calls=Count("pk"), reached=Count("pk", filter=Q(reached=True)))
    }
    promises = PaymentPromise.objects.filter(agency_id=agency_id, made_by=agent)
    made = dict(
        promises.filter(made_on__range=(start, end))
        .values_list("made_on")
        .annotate(n=Count("pk"))
        .values_list("made_on", "n")
    )
    kept = promises.filter(status=PaymentPromise.Status.KEPT, resolved_on__range=(start, end))
    promised = kept.filter(case=OuterRef("case"), made_on__lte=OuterRef("received_on"))
    collected = (
        Payment.objects.filter(agency_id=agency_id, received_on__lte=end)
        .filter(Exists(promised))
        .aggregate(total=Sum("amount"))["total"]
    )
    days = []
    day = start
    while day <= end:
        row = per_day.get(day, {})
        days.append(
            DayFigures(
                day=day,
                calls=row.get("calls", 0),
                reached=row.get("reached", 0),
                promises=made.get(day, 0),
            )
        )
        day += timedelta(days=1)
    return AgentFigures(
        calls=sum(d.calls for d in days),
        reached=sum(d.reached for d in days),
        promises_made=sum(d.promises for d in days),
        promises_kept=kept.count(),
        collected=to_money(collected or ZERO),
        days=days,
    )


def agent_callbacks_due(*, agency_id: int, agent: User, today: date) -> QuerySet[CallTask]:
    """The callbacks this agent scheduled that fall today or are overdue."""
    zone = timezone.get_current_timezone()
    return (
        CallTask.objects.filter(
            agency_id=agency_id,
            created_by=agent,
            kind=CallTask.Kind.CALLBACK,
            status=CallTask.Status.OPEN,
            due_at__lt=datetime.combine(today + timedelta(days=1), datetime.min.time(), zone),
        )
        .select_related("case__debtor")
        .order_by("due_at")
    )


def agent_promises_due(*, agency_id: int, agent: User, today: date) -> QuerySet[PaymentPromise]:
    return (
        PaymentPromise.objects.filter(
            agency_id=agency_id,
            made_by=agent,
            status=PaymentPromise.Status.PENDING,
            due_on__lte=today,
        )
        .select_related("case__debtor")
        .order_by("due_on")
    )
