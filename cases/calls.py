"""Calls to debtors: starting one within the guardrails, and its outcome in one click.

Each outcome is written to the debtor's contact log and the case timeline (``call_logged``) and
drives what follows: a wrong number is never offered again; no answer or a third party puts the
call back to the next allowed opening; a callback the debtor asked for becomes a call task at
the time asked (moved into the call hours if need be); a dispute suspends the case
(``open_dispute``); a promise to pay is recorded by ``payments.promises``, which calls
:func:`call_outcome_record` in its own transaction. Any outcome releases the agent's claim.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cases import events, queues
from cases import services as case_services
from cases.models import TERMINAL_STATES, Case
from collectio.models import User
from debtors.guardrails import call_refusals, debtor_zone, next_call_time
from debtors.models import REACHED_OUTCOMES, CallOutcome, CallTask, ContactLogEntry, ContactPoint

# No answer, a wrong number or a third party: try again the next morning, within the hours.
RETRY_AT = time(9, 30)
RETRIED = frozenset({CallOutcome.NO_ANSWER, CallOutcome.WRONG_NUMBER, CallOutcome.THIRD_PARTY})


class CallRefused(Exception):
    """The guardrails refuse the call now, with the reasons (legal-fr.md REQ-F1)."""

    def __init__(self, reasons: list[str]) -> None:
        self.reasons = reasons
        super().__init__("; ".join(reasons))


def _open_tasks(case: Case) -> list[CallTask]:
    return list(
        CallTask.objects.select_for_update().filter(
            case=case, agency_id=case.agency_id, status=CallTask.Status.OPEN
        )
    )


def _callback_due(case: Case, now: datetime) -> bool:
    return CallTask.objects.filter(
        case=case,
        agency_id=case.agency_id,
        status=CallTask.Status.OPEN,
        requested_by_debtor=True,
        due_at__lte=now,
    ).exists()


def _phone(case: Case, contact_point: ContactPoint | None) -> ContactPoint | None:
    if contact_point is None:
        return None
    if contact_point.debtor_id != case.debtor_id or contact_point.agency_id != case.agency_id:
        raise ValidationError(_("This number is not one of the debtor's."))
    if contact_point.channel != ContactPoint.Channel.PHONE:
        raise ValidationError(_("This contact point is not a phone number."))
    return contact_point


def call_refusals_for(*, case: Case, now: datetime | None = None) -> list[str]:
    """Why the debtor of ``case`` may not be called now (empty: it may)."""
    now = now or timezone.now()
    return call_refusals(
        agency=case.agency, debtor=case.debtor, at=now, callback=_callback_due(case, now)
    )


@transaction.atomic
def call_start(*, case: Case, contact_point: ContactPoint, agent: User) -> ContactLogEntry:
    """The agent dials: refused with the reasons outside the hours or beyond the caps, else the
    attempt is logged from now (it counts against the caps whatever its outcome)."""
    _phone(case, contact_point)
    if contact_point.is_wrong:
        raise CallRefused([_("This number was marked wrong: it is not the debtor's.")])
    if case.state in TERMINAL_STATES:
        raise CallRefused([_("The case is closed: the debtor is not called any more.")])
    now = timezone.now()
    refusals = call_refusals_for(case=case, now=now)
    if refusals:
        raise CallRefused(refusals)
    return ContactLogEntry.objects.create(
        agency_id=case.agency_id,
        debtor_id=case.debtor_id,
        case=case,
        contact_point=contact_point,
        channel=ContactLogEntry.Channel.PHONE,
        direction=ContactLogEntry.Direction.OUTBOUND,
        agent=agent,
        at=now,
    )


def _attempt(
    case: Case, agent: User, contact: ContactLogEntry | None, contact_point: ContactPoint | None
) -> ContactLogEntry:
    """The call started with :func:`call_start`, or one logged now (within the guardrails)."""
    if contact is not None:
        attempt = ContactLogEntry.objects.select_for_update().get(pk=contact.pk)
        if attempt.case_id != case.pk or attempt.agent_id != agent.pk or attempt.outcome:
            raise ValidationError(_("This call already has its outcome."))
        return attempt
    refusals = call_refusals_for(case=case)
    if refusals:
        raise CallRefused(refusals)
    return ContactLogEntry.objects.create(
        agency_id=case.agency_id,
        debtor_id=case.debtor_id,
        case=case,
        contact_point=contact_point,
        channel=ContactLogEntry.Channel.PHONE,
        direction=ContactLogEntry.Direction.OUTBOUND,
        agent=agent,
    )


def _next_morning(case: Case, now: datetime) -> datetime:
    zone = debtor_zone(case.debtor)
    tomorrow = now.astimezone(zone).date() + timedelta(days=1)
    return next_call_time(
        agency=case.agency, debtor=case.debtor, at=datetime.combine(tomorrow, RETRY_AT, zone)
    )


def _check(
    outcome: str, case: Case, callback_at: datetime | None, reason: str, summary: str
) -> None:
    now = timezone.now()
    if outcome not in CallOutcome.values:
        raise ValidationError(_("Unknown call outcome."))
    if outcome == CallOutcome.CALLBACK and (callback_at is None or callback_at <= now):
        raise ValidationError({"callback_at": _("Give a day and time to come, to call back.")})
    if outcome == CallOutcome.DISPUTE and not reason.strip():
        raise ValidationError({"reason": _("Say what the debtor disputes.")})
    if outcome == CallOutcome.PLAN_PROPOSED and not summary.strip():
        raise ValidationError({"summary": _("Say what the debtor proposes.")})
    if case.state in TERMINAL_STATES:
        raise ValidationError(_("The case is closed: no call outcome can be recorded."))


@transaction.atomic
def call_outcome_record(
    *,
    case: Case,
    agent: User,
    outcome: str,
    contact: ContactLogEntry | None = None,
    contact_point: ContactPoint | None = None,
    callback_at: datetime | None = None,
    reason: str = "",
    summary: str = "",
) -> ContactLogEntry:
    """Record what a call gave and carry out what follows from it (see the module)."""
    case = Case.objects.select_for_update().select_related("agency", "debtor").get(pk=case.pk)
    contact_point = _phone(case, contact_point)
    _check(outcome, case, callback_at, reason, summary)
    attempt = _attempt(case, agent, contact, contact_point)
    now = timezone.now()
    attempt.outcome = outcome
    attempt.reached = outcome in REACHED_OUTCOMES
    attempt.summary = (summary or reason).strip()
    attempt.save(update_fields=["outcome", "reached", "summary"])
    point = contact_point or attempt.contact_point
    if outcome == CallOutcome.WRONG_NUMBER and point is not None:
        ContactPoint.objects.filter(pk=point.pk).update(marked_wrong_at=now)
    tasks = _open_tasks(case)
    task_id = tasks[0].pk if tasks else None
    if outcome in RETRIED:
        CallTask.objects.filter(pk__in=[t.pk for t in tasks]).update(
            due_at=_next_morning(case, now)
        )
    else:
        CallTask.objects.filter(pk__in=[t.pk for t in tasks]).update(
            status=CallTask.Status.DONE, done_at=now, outcome=outcome
        )
    if attempt.call_task_id is None and task_id is not None:
        ContactLogEntry.objects.filter(pk=attempt.pk).update(call_task_id=task_id)
    Case.objects.filter(pk=case.pk).update(last_contact_at=now)
    events.call_logged(
        case=case, actor=agent, call_task_id=task_id, outcome=outcome, contact_id=attempt.pk
    )
    if outcome == CallOutcome.CALLBACK and callback_at is not None:
        at = next_call_time(agency=case.agency, debtor=case.debtor, at=callback_at)
        callback = CallTask.objects.create(
            agency_id=case.agency_id,
            case=case,
            kind=CallTask.Kind.CALLBACK,
            due_at=at,
            requested_by_debtor=True,
            created_by=agent,
        )
        events.callback_scheduled(
            case=case, actor=agent, call_task_id=callback.pk, at=at, asked_for=callback_at
        )
    elif outcome == CallOutcome.PLAN_PROPOSED:
        events.plan_proposed(case=case, actor=agent, proposal=summary.strip())
    elif outcome == CallOutcome.DISPUTE:
        case_services.case_transition(
            case=case, transition="open_dispute", actor=agent, reason=reason
        )
    queues.case_release(case=case, agent=agent)
    queues.priorities_refresh(cases=Case.objects.filter(pk=case.pk))  # its last contact moved
    return attempt


@transaction.atomic
def contact_point_mark_wrong(*, case: Case, contact_point: ContactPoint) -> None:
    """Someone answered that this is not the debtor's number: it is not offered again."""
    _phone(case, contact_point)
    ContactPoint.objects.filter(pk=contact_point.pk, marked_wrong_at__isnull=True).update(
        marked_wrong_at=timezone.now()
    )


# A case that ends, goes to court or is disputed is not called any more: its calls are closed.
CALLS_END_ON = ("mark_paid", "mark_settled", "close", "withdraw", "reject", "hand_off")


def _close_calls(*, case: Case, **transition: object) -> None:
    CallTask.objects.filter(case=case, status=CallTask.Status.OPEN).update(
        status=CallTask.Status.DONE, done_at=timezone.now()
    )


for _name in (*CALLS_END_ON, "open_dispute"):
    case_services.on_transition(_name)(_close_calls)
