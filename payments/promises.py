"""Promises to pay taken on the phone: recorded with their call, checked the day after.

A promise pauses escalation until its date: the case goes on hold (``hold``, so the sweep leaves
it alone). The day after the date (or as soon as the money is in), :func:`promises_check` finds
it kept, when the payments received since it was made reach its amount, or broken: either way a
case still on hold resumes where it was (``resume``, due at once, so the sweep replans it); a
broken promise also counts in the case's priority and puts it in the "promises" queue until an
agent calls again.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from cases import calls, events, queues
from cases import services as case_services
from cases.models import ACTIVE_STATES, TERMINAL_STATES, Case, CaseState, transition_blockers
from collectio.models import User
from collectio.money import ZERO, euros, to_money
from debtors.models import CallOutcome, ContactLogEntry, ContactPoint
from payments.models import Payment, PaymentPromise

# Beyond a month, what the debtor offers is a payment plan, agreed with its schedule.
MAX_PROMISE_DAYS = 31


def _check(case: Case, amount: Decimal, due_on: date, today: date) -> None:
    errors: dict[str, str] = {}
    if amount <= ZERO:
        errors["amount"] = _("A promise is for an amount above zero.")
    elif case.principal_due > ZERO and amount > case.principal_due * 10:
        errors["amount"] = _("This amount is far above what the debtor owes; check it.")
    if due_on < today:
        errors["due_on"] = _("A promise is for today or a day to come.")
    elif due_on > today + timedelta(days=MAX_PROMISE_DAYS):
        errors["due_on"] = _(
            "A promise is for at most %(days)s days: beyond that, agree a payment plan."
        ) % {"days": MAX_PROMISE_DAYS}
    if errors:
        raise ValidationError(errors)
    if case.state not in (*ACTIVE_STATES, CaseState.ON_HOLD):
        raise ValidationError(transition_blockers(case, "hold"))


@transaction.atomic
def promise_record(
    *,
    case: Case,
    agent: User,
    amount: Decimal,
    due_on: date,
    contact: ContactLogEntry | None = None,
    contact_point: ContactPoint | None = None,
) -> PaymentPromise:
    """The debtor promised ``amount`` by ``due_on``: the call's outcome, the promise, and the
    escalation paused until the date, in one transaction."""
    amount = to_money(amount)
    today = timezone.localdate()
    locked = Case.objects.select_for_update().get(pk=case.pk)
    _check(locked, amount, due_on, today)
    if PaymentPromise.objects.filter(case=locked, status=PaymentPromise.Status.PENDING).exists():
        raise ValidationError(_("This case already has a promise to pay pending."))
    calls.call_outcome_record(
        case=locked,
        agent=agent,
        outcome=CallOutcome.PROMISE,
        contact=contact,
        contact_point=contact_point,
    )
    promise = PaymentPromise.objects.create(
        agency_id=locked.agency_id,
        case=locked,
        amount=amount,
        due_on=due_on,
        made_on=today,
        made_by=agent,
    )
    if locked.state in ACTIVE_STATES:
        case_services.case_transition(
            case=locked,
            transition="hold",
            actor=agent,
            reason=_("promise to pay %(amount)s by %(day)s")
            % {"amount": euros(amount), "day": due_on.strftime("%d/%m/%Y")},
        )
    events.promise_made(
        case=locked, actor=agent, promise_id=promise.pk, amount=amount, due_on=due_on
    )
    return promise


def _paid_since(promise: PaymentPromise) -> Decimal:
    total = Payment.objects.filter(
        case_id=promise.case_id, agency_id=promise.agency_id, received_on__gte=promise.made_on
    ).aggregate(total=Sum("amount"))["total"]
    return to_money(total or ZERO)


def _resume(case: Case) -> None:
    if case.state == CaseState.ON_HOLD:
        case_services.case_transition(case=case, transition="resume", actor=None)


@transaction.atomic
def promise_settle(*, promise: PaymentPromise, today: date) -> str:
    """Decide one pending promise: its new status, or "" while it stays pending."""
    promise = (
        PaymentPromise.objects.select_for_update(skip_locked=True)
        .filter(pk=promise.pk, status=PaymentPromise.Status.PENDING)
        .first()
    )
    if promise is None:  # decided meanwhile, or being decided by another run
        return ""
    case = Case.objects.select_for_update().get(pk=promise.case_id)
    paid = _paid_since(promise)
    details = {"promise_id": promise.pk, "amount": promise.amount, "due_on": promise.due_on}
    if paid >= promise.amount:
        promise.status = PaymentPromise.Status.KEPT
        events.promise_kept(case=case, paid=paid, **details)
    elif case.state in TERMINAL_STATES:
        promise.status = PaymentPromise.Status.CANCELLED
    elif promise.due_on < today:
        promise.status = PaymentPromise.Status.BROKEN
        Case.objects.filter(pk=case.pk).update(promises_broken=F("promises_broken") + 1)
        events.promise_broken(case=case, paid=paid, **details)
    else:
        return ""
    promise.resolved_on = today
    promise.save(update_fields=["status", "resolved_on"])
    if case.state not in TERMINAL_STATES:
        _resume(case)
    queues.priorities_refresh(cases=Case.objects.filter(pk=case.pk))
    return promise.status


def promises_check(*, agency_id: int, today: date | None = None) -> int:
    """The beat's daily pass (and any later run): settle every promise whose date has gone by
    or whose money came in; the number settled."""
    today = today or timezone.localdate()
    paid = Payment.objects.filter(case=OuterRef("case"), received_on__gte=OuterRef("made_on"))
    due = (
        PaymentPromise.objects.filter(agency_id=agency_id, status=PaymentPromise.Status.PENDING)
        .filter(Q(due_on__lt=today) | Exists(paid))
        .order_by("due_on", "pk")
    )
    return sum(1 for promise in due if promise_settle(promise=promise, today=today))
