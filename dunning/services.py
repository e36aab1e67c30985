"""Writes of the dunning engine: scenarios, notice receipt, step confirmation, prescription."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cases import events
from cases.models import (
    TERMINAL_STATES,
    Case,
    CaseEvent,
    CaseState,
    Creditor,
    agency_staff,
)
from collectio.models import Agency, ConfigChange, User
from collectio.services import config_change_record, model_changes
from dunning.models import (
    Action,
    Channel,
    Deadline,
    DelayUnit,
    JudicialStep,
    ReferenceRate,
    Scenario,
    Step,
    StepExecution,
    validate_step_order,
)
from dunning.reference_rates import RateChange, RateRow, apply_rows
from dunning.selectors import reference_rate_gaps
from dunning.sweep import AgencyPolicy, Batch, run_step
from law.calendar import (
    FrenchCalendar,
    agency_deadline_months,
    debtor_deadline,
    debtor_deadline_months,
)
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


# --- deadlines: computed, then tracked -------------------------------------------------------
REMITTANCE_MONTHS = 1  # R124-6: within one month of effective collection, unless agreed otherwise
SERVICE_MONTHS = 6  # CPC 1411: an order not served within six months of its date lapses
OPPOSITION_MONTHS = 1  # CPC 1416: one month from service to oppose


def deadline_remittance_open(
    *, case: Case, payment_id: int, amount: Decimal, collected_on: date
) -> Deadline:
    """Funds collected are remitted to the creditor within one month (REQ-A8, R124-6): month
    arithmetic as CPC 641, moved *earlier* to a working day of the agency's calendar, since it
    is the agency's own obligation (REQ-G3). Credited Fri 30 January 2026: by Fri 27 February."""
    calendar = FrenchCalendar.for_postcode(case.agency.postcode)
    return Deadline.objects.create(
        agency_id=case.agency_id,
        case=case,
        kind=Deadline.Kind.REMITTANCE,
        starts_on=collected_on,
        due_on=agency_deadline_months(collected_on, REMITTANCE_MONTHS, calendar=calendar),
        amount=amount,
        payment_id=payment_id,
    )


def deadlines_remittance_done(
    *, agency_id: int, payment_ids: Sequence[int], actor: User | None
) -> int:
    """The funds of these payments reached the creditor: their R124-6 deadlines are done, on
    time or late (a missed one stays missed: it was). Returns how many were closed."""
    return Deadline.objects.filter(
        agency_id=agency_id,
        kind=Deadline.Kind.REMITTANCE,
        payment_id__in=payment_ids,
        status=Deadline.Status.OPEN,
    ).update(status=Deadline.Status.DONE, done_at=timezone.now(), done_by=actor)


@transaction.atomic
def judicial_step_record(*, case: Case, step: str, on: date, actor: User | None) -> Deadline:
    """Record an injunction order (``ordonnance``) or its service (``service``) and open the
    deadline it starts (REQ-E5), returned.

    The order must be served within six months (CPC 1411), moved earlier to a working day: an
    obligation of the creditor's side. Served, the debtor has one month to oppose (CPC 1416),
    moved later to the next working day, as any period granted to the debtor (CPC 642). When
    service was not made to the debtor in person, record the first act served in person (or
    the first enforcement measure): the month runs from it. The court is the debtor's
    (CPC 1406), so the calendar is the debtor's postcode's.
    """
    case = Case.objects.select_for_update().select_related("agency", "debtor").get(pk=case.pk)
    if case.state != CaseState.JUDICIAL:
        raise ValidationError(
            _("Judicial steps are recorded once the case is with the judicial partner.")
        )
    if on > timezone.localdate():
        raise ValidationError(_("A judicial step cannot be dated in the future."))
    calendar = FrenchCalendar.for_postcode(case.debtor.postcode)
    existing = {d.kind: d for d in case.deadlines.exclude(kind=Deadline.Kind.REMITTANCE)}
    if step == JudicialStep.ORDONNANCE:
        if Deadline.Kind.SERVICE in existing:
            raise ValidationError(_("The injunction order of this case is already recorded."))
        kind, due_on = (
            Deadline.Kind.SERVICE,
            agency_deadline_months(on, SERVICE_MONTHS, calendar=calendar),
        )
    elif step == JudicialStep.SERVICE:
        order = existing.get(Deadline.Kind.SERVICE)
        if order is None:
            raise ValidationError(_("Record the injunction order before its service."))
        if on < order.starts_on:
            raise ValidationError(_("The order cannot be served before the day it was issued."))
        if Deadline.Kind.OPPOSITION in existing:
            raise ValidationError(_("The service of the order is already recorded."))
        if order.status == Deadline.Status.OPEN:
            Deadline.objects.filter(pk=order.pk).update(
                status=Deadline.Status.DONE, done_at=timezone.now(), done_by=actor
            )
        kind, due_on = (
            Deadline.Kind.OPPOSITION,
            debtor_deadline_months(on, OPPOSITION_MONTHS, calendar=calendar),
        )
    else:
        raise ValidationError(_("Unknown judicial step."))
    deadline = Deadline.objects.create(
        agency_id=case.agency_id, case=case, kind=kind, starts_on=on, due_on=due_on
    )
    events.judicial_step_recorded(case=case, actor=actor, step=step, on=on, deadline=due_on)
    return deadline


@transaction.atomic
def deadline_done(*, deadline: Deadline, actor: User) -> Deadline:
    """An agent did what a deadline asked (the funds were remitted), on time or late."""
    locked = Deadline.objects.select_for_update().select_related("case").get(pk=deadline.pk)
    if not agency_staff(locked.case, actor):
        raise PermissionDenied(_("You may not do this on this case."))
    if locked.status == Deadline.Status.DONE:
        raise ValidationError(_("This deadline is already done."))
    if locked.kind not in Deadline.AGENCY_OBLIGATIONS:
        raise ValidationError(_("The debtor's period ends by itself; there is nothing to do."))
    locked.status, locked.done_at, locked.done_by = Deadline.Status.DONE, timezone.now(), actor
    locked.save(update_fields=["status", "done_at", "done_by"])
    return locked


@transaction.atomic
def deadline_alerts_raise(*, agency_id: int, today: date) -> int:
    """Daily (beat): alert each open deadline at D-7 and at D-1, once each, and close the ones
    gone by: the agency's own are missed, the debtor's period is simply over. A deadline
    opened late, or a day the beat did not run, gets the most urgent alert due, once.

    Returns the number of events written.
    """
    written = 0
    due = (
        Deadline.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(
            agency_id=agency_id,
            status=Deadline.Status.OPEN,
            due_on__lte=today + timedelta(days=max(Deadline.ALERT_DAYS_BEFORE)),
        )
        .select_related("case")
        .order_by("due_on", "pk")
    )
    for deadline in due:
        days_left = (deadline.due_on - today).days
        facts = {
            "case": deadline.case,
            "deadline_id": deadline.pk,
            "deadline": deadline.kind,
            "due_on": deadline.due_on,
            "amount": deadline.amount,
        }
        if days_left < 0:
            missed = deadline.kind in Deadline.AGENCY_OBLIGATIONS
            deadline.status = Deadline.Status.MISSED if missed else Deadline.Status.DONE
            deadline.save(update_fields=["status"])
            events.deadline_passed(missed=missed, **facts)
            written += 1
            continue
        level = min(d for d in Deadline.ALERT_DAYS_BEFORE if d >= days_left)
        if deadline.alerted_days_before is not None and deadline.alerted_days_before <= level:
            continue
        deadline.alerted_days_before = level
        deadline.save(update_fields=["alerted_days_before"])
        events.deadline_alert(days_left=days_left, **facts)
        written += 1
    return written


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


# --- scenarios edited in the back-office ------------------------------------------------------
STEP_FIELDS = [
    "action", "delay", "delay_unit", "channels", "letter_template", "payment_deadline_days",
    "deadline_from_acknowledgement", "requires_confirmation",
]  # fmt: skip


def _steps_checked(scenario: Scenario, steps: Sequence[dict[str, object]]) -> list[Step]:
    """The scenario's steps as they would be, in memory; ValidationError (each reason in
    French, the position named) if they break the case graph or a step's own rule."""
    existing = {step.pk: step for step in scenario.steps.all()}
    rows, errors = [], []
    for position, fields in enumerate(steps, start=1):
        step = existing.get(fields.get("id")) or Step(
            agency_id=scenario.agency_id, scenario=scenario
        )  # type: ignore[arg-type]
        for name in STEP_FIELDS:
            if name in fields:
                setattr(step, name, fields[name])
        step.position = position
        try:
            step.clean()
        except ValidationError as error:
            errors.extend(
                _("Step %(position)s: %(reason)s") % {"position": position, "reason": message}
                for message in error.messages
            )
        rows.append(step)
    if not rows:
        errors.append(_("A scenario needs at least one step."))
    try:
        validate_step_order([row.action for row in rows])
    except ValidationError as error:
        errors.extend(error.messages)
    if errors:
        raise ValidationError(errors)
    return rows


def scenario_validate(*, scenario: Scenario, steps: Sequence[dict[str, object]]) -> list[Step]:
    """Check edited steps without writing anything (the editor's live check and preview)."""
    return _steps_checked(scenario, steps)


@transaction.atomic
def scenario_update(
    *, scenario: Scenario, name: str, steps: Sequence[dict[str, object]], actor: User
) -> Scenario:
    """New step settings apply to open cases from their next step on: a case points at its
    next step, not at a copy. A step already carried out on a case, or that a case waits on,
    cannot be removed (its history points at it)."""
    scenario = Scenario.objects.select_for_update().get(pk=scenario.pk)
    before = {step.pk: copy.copy(step) for step in scenario.steps.all()}
    rows = _steps_checked(scenario, steps)
    kept = {row.pk for row in rows if row.pk}
    removed = [pk for pk in before if pk not in kept]
    in_use = set(
        StepExecution.objects.filter(step_id__in=removed).values_list("step_id", flat=True)
    )
    in_use |= set(
        Case.objects.filter(next_step_id__in=removed).values_list("next_step_id", flat=True)
    )
    if in_use:
        raise ValidationError(
            _("Step %(positions)s was already used by cases: it can be changed, not removed.")
            % {"positions": ", ".join(str(before[pk].position) for pk in sorted(in_use))}
        )
    changes: list[dict[str, str]] = []
    if scenario.name != name:
        changes.append({"field": str(_("name")), "old": scenario.name, "new": name})
        scenario.name = name
        scenario.full_clean()
        scenario.save(update_fields=["name"])
    for pk in removed:
        changes.append(
            {"field": str(before[pk]), "old": str(_("present")), "new": str(_("removed"))}
        )
    Step.objects.filter(pk__in=removed).delete()
    # Positions are unique per scenario: move the kept steps out of the way first.
    Step.objects.filter(pk__in=kept).update(position=models.F("position") + 1000)
    for row in rows:
        old = before.get(row.pk) if row.pk else None
        for change in model_changes(old, row, ["position", *STEP_FIELDS]):
            changes.append({**change, "field": f"{_('Step')} {row.position} · {change['field']}"})
        row.save()
    if changes:
        config_change_record(
            agency_id=scenario.agency_id, actor=actor, target=ConfigChange.Target.SCENARIO,
            target_id=scenario.pk, target_label=scenario.name, summary=_("Scenario changed"),
            changes=changes,
        )  # fmt: skip
    return scenario


@transaction.atomic
def scenario_copy(
    *, source: Scenario, name: str, actor: User, creditor: Creditor | None = None
) -> Scenario:
    """A new scenario with the steps of ``source``: a creditor's own, or another for the agency."""
    if creditor is not None and Scenario.objects.filter(creditor=creditor).exists():
        raise ValidationError({"creditor": _("This creditor already has its own scenario.")})
    steps = [{name: getattr(step, name) for name in STEP_FIELDS} for step in source.steps.all()]
    scenario = scenario_create(
        agency=source.agency, name=name, steps=steps,
        creditor_id=creditor.pk if creditor else None,
    )  # fmt: skip
    config_change_record(
        agency_id=scenario.agency_id, actor=actor, target=ConfigChange.Target.SCENARIO,
        target_id=scenario.pk, target_label=scenario.name,
        summary=_("Scenario created from “%(source)s”") % {"source": source.name},
    )  # fmt: skip
    return scenario
