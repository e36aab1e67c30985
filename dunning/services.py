"""Writes of the dunning engine: scenarios, notice receipt, step confirmation, prescription."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cases import events
from cases.models import (
    TERMINAL_STATES,
    Case,
    CaseEvent,
    CaseState,
    agency_staff,
)
from collectio.models import Agency, User
from dunning.models import (
    Action,
    Channel,
    DelayUnit,
    ReferenceRate,
    Scenario,
    Step,
    StepExecution,
    validate_step_order,
)
from dunning.reference_rates import RateChange, RateRow, apply_rows
from dunning.selectors import reference_rate_gaps
from dunning.sweep import AgencyPolicy, Batch, run_step
from law.calendar import FrenchCalendar, debtor_deadline
from law.prescription import ALERT_DAYS_BEFORE

# The default French scenario (issue 3): first reminder the next business day, a second ten days
# later, a phone follow-up, the formal notice by registered letter about fifteen days after the
# first reminder, and the judicial handoff once the notice's deadline has passed.
DEFAULT_STEPS: tuple[dict[str, object], ...] = (
    dict(action=Action.REMINDER, delay=1, delay_unit=DelayUnit.BUSINESS_DAYS,
         channels=[Channel.LETTER, Channel.EMAIL], letter_template="first_reminder"),
    dict(action=Action.REMINDER, delay=10, channels=[Channel.LETTER, Channel.EMAIL, Channel.SMS],
         letter_template="second_reminder"),
    dict(action=Action.PHONE_FOLLOWUP, delay=2, delay_unit=DelayUnit.BUSINESS_DAYS,
         channels=[Channel.CALL_TASK]),
    dict(action=Action.FORMAL_NOTICE, delay=3, channels=[Channel.REGISTERED_LETTER, Channel.EMAIL],
         letter_template="formal_notice", payment_deadline_days=8),
    dict(action=Action.JUDICIAL_HANDOFF, delay=1, channels=[Channel.LETTER],
         letter_template="judicial_handoff"),
)  # fmt: skip


@transaction.atomic
def scenario_create(
    *, agency: Agency, name: str, steps: Sequence[dict[str, object]], is_default: bool = False,
    creditor_id: int | None = None,
) -> Scenario:  # fmt: skip
    validate_step_order([str(s["action"]) for s in steps])
    scenario = Scenario.objects.create(
        agency=agency, name=name, is_default=is_default, creditor_id=creditor_id
    )
    rows = [
        Step(agency=agency, scenario=scenario, position=position, **fields)
        for position, fields in enumerate(steps, start=1)
    ]
    for row in rows:
        row.clean()
    Step.objects.bulk_create(rows)
    return scenario


def scenario_create_default(*, agency: Agency) -> Scenario:
    return scenario_create(
        agency=agency, name=_("Default French scenario"), steps=DEFAULT_STEPS, is_default=True
    )


DEFAULT_NOTICE_DAYS = 8  # REQ-E1: practice, not statute


# --- formal notice receipt --------------------------------------------------------------------
@transaction.atomic
def case_record_notice_receipt(*, case: Case, received_on: date, actor: User | None) -> Case:
    """The AR date (first presentation or receipt): legal interest and the deadline run from it.

    The deadline is day 0 + N, moved to the next working day of the debtor's calendar (REQ-E2).
    """
    case = Case.objects.select_for_update().select_related("debtor").get(pk=case.pk)
    if case.state != CaseState.FORMAL_NOTICE:
        raise ValidationError(_("Only a case under formal notice has a notice to acknowledge."))
    execution = (
        case.step_executions.filter(step__action=Action.FORMAL_NOTICE)
        .select_related("step")
        .first()
    )
    deadline = case.formal_notice_deadline
    if execution is None or execution.step.deadline_from_acknowledgement:
        days = execution.step.payment_deadline_days if execution else DEFAULT_NOTICE_DAYS
        deadline = debtor_deadline(
            received_on, days, calendar=FrenchCalendar.for_postcode(case.debtor.postcode)
        )
    Case.objects.filter(pk=case.pk).update(
        formal_notice_received_on=received_on, formal_notice_deadline=deadline
    )
    events.formal_notice_received(
        case=case, received_on=received_on, deadline=deadline, actor=actor
    )
    case.refresh_from_db()
    return case


# --- steps waiting for an agent ---------------------------------------------------------------
@transaction.atomic
def step_confirm(*, execution: StepExecution, actor: User) -> Case:
    """An agent lets a step that needed confirmation go out, exactly as the sweep would."""
    case = (
        Case.objects.select_for_update(of=("self",))
        .select_related("creditor", "debtor")
        .get(pk=execution.case_id)
    )
    if not agency_staff(case, actor):
        raise PermissionDenied(_("You may not do this on this case."))
    locked = StepExecution.objects.select_for_update().filter(pk=execution.pk).first()
    if (
        locked is None
        or locked.status != StepExecution.Status.AWAITING_CONFIRMATION
        or case.next_step_id != locked.step_id
    ):
        raise ValidationError(_("This step is no longer waiting for confirmation."))
    locked.delete()  # replaced by the execution the step writes when it runs
    policy = AgencyPolicy(case.agency_id)
    batch = Batch(agency_id=case.agency_id, now=timezone.now(), actor_id=actor.pk)
    from_state = case.state
    run_step(
        case,
        policy.step_by_id[locked.step_id],
        policy,
        batch,
        policy.calendar(case.debtor.postcode),
    )
    batch.changed[from_state].append(case)
    batch.persist()
    return case


# --- prescription alerts ----------------------------------------------------------------------
@transaction.atomic
def prescription_alerts_raise(*, agency_id: int, today: date) -> int:
    """Flag cases whose earliest limitation date is 90 or 30 days away (REQ-D2), once each."""
    raised = 0
    for days in ALERT_DAYS_BEFORE:
        limit = today + timedelta(days=days)
        already = CaseEvent.objects.filter(
            agency_id=agency_id,
            kind=CaseEvent.Kind.PRESCRIPTION_ALERT,
            payload__limitation_date=str(limit),
        ).values("case_id")
        due = (
            Case.objects.filter(agency_id=agency_id, limitation_date=limit)
            .exclude(state__in=TERMINAL_STATES)
            .exclude(pk__in=already)
        )
        ids = list(due.values_list("pk", flat=True))
        events.prescription_alert(
            cases=events.Cases(agency_id, ids), limitation_date=limit, days_left=days
        )
        raised += len(ids)
    return raised


# --- reference rates --------------------------------------------------------------------------
@transaction.atomic
def reference_rates_import(*, rows: Sequence[RateRow], dry_run: bool) -> list[RateChange]:
    """Write published rates in one transaction; a dry run returns the changes, writes nothing.

    Idempotent: a second import of the same files changes nothing. Demo copies and other
    unverified values are replaced by the imported ones.
    """
    return apply_rows(ReferenceRate, rows, write=not dry_run)


def reference_rates_alert(*, today: date) -> list[str]:
    """Daily (beat): tell the platform operators, by e-mail, which rates the current semester
    lacks, and the next one's from 15 days before it begins, until they are loaded.

    Returns the addresses written to (none when nothing is missing).
    """
    gaps = reference_rate_gaps(today=today)
    recipients = list(
        User.objects.filter(is_superuser=True, is_active=True)
        .exclude(email="")
        .order_by("pk")
        .values_list("email", flat=True)
    )
    if not gaps or not recipients:
        return []
    send_mail(
        subject=_("Collectio: reference rates missing for %(semesters)s")
        % {"semesters": ", ".join(gap.semester for gap in gaps)},
        message="\n\n".join(sentence for gap in gaps for sentence in gap.sentences()),
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=recipients,
    )
    return recipients
