"""The escalation sweep: advance every due case by one step, exactly once, in set-based batches.

Due cases are locked with ``SELECT … FOR UPDATE SKIP LOCKED`` so concurrent sweeps take disjoint
batches; each case's transition runs in memory (the state machine stays the one authority), then
the batch is written with one guarded UPDATE per source state plus bulk INSERTs of events and
step executions. A crash rolls the whole batch back and the next sweep finds it still due.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import models, transaction
from django.db.models import Case as SqlCase
from django.db.models import Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.models import (
    ACTIVE_STATES,
    Case,
    CaseEvent,
    failing_conditions,
    formal_notice_expired,
    handoff_approved,
)
from collectio.outbox import enqueue_on_commit
from dunning.calendar import FrenchCalendar, debtor_deadline
from dunning.models import Action, Scenario, Step, StepExecution
from dunning.planning import PARIS, RECHECK_AFTER, at_sending_time, step_due_on

BATCH_SIZE = 500
# Conditions a handoff waits on rather than fails on: the deadline runs out, the creditor answers.
WAITING_CONDITIONS = frozenset({formal_notice_expired, handoff_approved})
PLANNED_FIELDS = (
    "state",
    "scenario_id",
    "next_step_id",
    "next_action_at",
    "formal_notice_deadline",
)


@dataclass
class SweepResult:
    executed: int = 0
    awaiting: int = 0
    blocked: int = 0
    rescheduled: int = 0

    def __iadd__(self, other: SweepResult) -> SweepResult:
        for name in ("executed", "awaiting", "blocked", "rescheduled"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        return self


class AgencyPolicy:
    """An agency's scenarios and steps, loaded once per sweep instead of once per case."""

    def __init__(self, agency_id: int) -> None:
        steps: dict[int, list[Step]] = defaultdict(list)
        for step in Step.objects.filter(agency_id=agency_id).order_by("scenario_id", "position"):
            steps[step.scenario_id].append(step)
        self.steps_by_scenario = dict(steps)
        self.step_by_id = {s.pk: s for group in steps.values() for s in group}
        self.by_creditor: dict[int, int] = {}
        self.default: int | None = None
        for scenario in Scenario.objects.filter(agency_id=agency_id):
            if scenario.creditor_id:
                self.by_creditor[scenario.creditor_id] = scenario.pk
            elif scenario.is_default:
                self.default = scenario.pk
        self._calendars: dict[str | None, FrenchCalendar] = {}

    def scenario_for(self, case: Case) -> int | None:
        return self.by_creditor.get(case.creditor_id, self.default)

    def following(self, step: Step) -> Step | None:
        steps = self.steps_by_scenario[step.scenario_id]
        index = steps.index(step)
        return steps[index + 1] if index + 1 < len(steps) else None

    def calendar(self, postcode: str) -> FrenchCalendar:
        if postcode not in self._calendars:
            self._calendars[postcode] = FrenchCalendar.for_postcode(postcode)
        return self._calendars[postcode]


@dataclass
class Batch:
    """What one batch will write, collected while the cases are advanced in memory."""

    agency_id: int
    now: datetime
    actor_id: int | None = None
    result: SweepResult = field(default_factory=SweepResult)
    changed: dict[str, list[Case]] = field(default_factory=lambda: defaultdict(list))
    events: list[CaseEvent] = field(default_factory=list)
    executions: list[StepExecution] = field(default_factory=list)

    def event(self, case: Case, kind: str, **fields: Any) -> None:
        self.events.append(
            CaseEvent(
                agency_id=self.agency_id,
                case_id=case.pk,
                actor_id=self.actor_id,
                at=self.now,
                kind=kind,
                **fields,
            )
        )

    def persist(self) -> None:
        for from_state, cases in self.changed.items():
            ids = [c.pk for c in cases]
            values = {name: _per_case(cases, name) for name in PLANNED_FIELDS}
            updated = Case.objects.filter(pk__in=ids, state=from_state).update(**values)
            if updated != len(ids):  # impossible under our row locks: refuse to write half a batch
                raise RuntimeError(f"sweep: {len(ids) - updated} cases moved under a lock")
        StepExecution.objects.bulk_create(self.executions)
        CaseEvent.objects.bulk_create(self.events)
        with_effects = [e.pk for e in self.executions if e.effects == StepExecution.Effects.PENDING]
        if with_effects:
            from dunning.tasks import run_step_effects

            enqueue_on_commit(
                run_step_effects, agency_id=self.agency_id, execution_ids=with_effects
            )


def _per_case(cases: list[Case], name: str) -> Any:
    """One SQL value for a field: a constant when every case agrees, else a CASE on the id."""
    target = Case._meta.get_field(name.removesuffix("_id"))
    column = models.ForeignKey if name.endswith("_id") else type(target)
    values = [getattr(c, name) for c in cases]
    if all(v == values[0] for v in values):
        return values[0]
    output = models.BigIntegerField() if column is models.ForeignKey else target
    return SqlCase(
        *(
            When(pk=c.pk, then=Value(v, output_field=output))
            for c, v in zip(cases, values, strict=True)
        ),
        output_field=output,
    )


def _advance(case: Case, policy: AgencyPolicy, batch: Batch) -> None:
    """Decide one due case: plan its first step, run its step, wait, or block it."""
    from_state = case.state
    calendar = policy.calendar(case.debtor.postcode)
    if case.scenario_id is None:
        scenario_id = policy.scenario_for(case)
        if scenario_id is None:
            _block(case, batch, [_("No dunning scenario applies to this case.")])
            batch.changed[from_state].append(case)
            return
        first = policy.steps_by_scenario[scenario_id][0]
        case.scenario_id, case.next_step_id = scenario_id, first.pk
        anchor = (case.accepted_at or batch.now).astimezone(PARIS).date()
        case.next_action_at = at_sending_time(
            step_due_on(step=first, anchor=anchor, calendar=calendar)
        )
        if case.next_action_at > batch.now:
            batch.result.rescheduled += 1
            batch.changed[from_state].append(case)
            return
    step = policy.step_by_id[case.next_step_id]
    if step.requires_confirmation:
        batch.executions.append(
            _execution(
                case, step, batch, StepExecution.Status.AWAITING_CONFIRMATION, case.next_action_at
            )
        )
        batch.event(case, CaseEvent.Kind.STEP_AWAITING, payload={"step": step.pk})
        case.next_action_at = None
        batch.result.awaiting += 1
    else:
        run_step(case, step, policy, batch, calendar)
    batch.changed[from_state].append(case)


def run_step(
    case: Case, step: Step, policy: AgencyPolicy, batch: Batch, calendar: FrenchCalendar
) -> None:
    failing = failing_conditions(case, step.transition)
    if failing is None:
        _block(case, batch, [_("The step does not fit the case's state.")])
        return
    if failing:
        if set(failing) <= WAITING_CONDITIONS:
            case.next_action_at = _recheck_at(case, step, batch, calendar)
            batch.result.rescheduled += 1
        else:
            _block(case, batch, [str(check.message) for check in failing])
        return
    from_state, planned_for = case.state, case.next_action_at
    getattr(case, step.transition)()
    today = timezone.localdate(batch.now)
    if step.action == Action.FORMAL_NOTICE and not step.deadline_from_acknowledgement:
        case.formal_notice_deadline = debtor_deadline(
            today, step.payment_deadline_days, calendar=calendar
        )
    batch.executions.append(_execution(case, step, batch, StepExecution.Status.DONE, planned_for))
    batch.event(
        case,
        CaseEvent.Kind.TRANSITION,
        transition=step.transition,
        from_state=from_state,
        to_state=case.state,
        payload={"step": step.pk, "action": step.action},
    )
    batch.result.executed += 1
    following = policy.following(step)
    case.next_step_id = following.pk if following else None
    if following is None:
        case.next_action_at = None
    elif following.action == Action.JUDICIAL_HANDOFF:
        case.next_action_at = _recheck_at(case, following, batch, calendar)
    else:
        case.next_action_at = at_sending_time(
            step_due_on(step=following, anchor=today, calendar=calendar)
        )


def _recheck_at(case: Case, step: Step, batch: Batch, calendar: FrenchCalendar) -> datetime:
    """A handoff is due the day after the deadline; without one yet (no AR), look again tomorrow."""
    if case.formal_notice_deadline is not None:
        due = at_sending_time(
            step_due_on(step=step, anchor=case.formal_notice_deadline, calendar=calendar)
        )
        if due > batch.now:
            return due
    return batch.now + RECHECK_AFTER


def _block(case: Case, batch: Batch, reasons: list[str]) -> None:
    """Stop automatic work and flag the case for a person (time-barred, no mandate, …)."""
    case.next_action_at = None
    batch.event(
        case, CaseEvent.Kind.STEP_BLOCKED, payload={"reasons": reasons, "step": case.next_step_id}
    )
    batch.result.blocked += 1


def _execution(
    case: Case, step: Step, batch: Batch, status: str, planned_for: datetime | None
) -> StepExecution:
    has_effects = bool(step.channels) and status == StepExecution.Status.DONE
    return StepExecution(
        agency_id=batch.agency_id,
        case_id=case.pk,
        step=step,
        status=status,
        planned_for=planned_for or batch.now,
        executed_at=batch.now if status == StepExecution.Status.DONE else None,
        effects=StepExecution.Effects.PENDING if has_effects else StepExecution.Effects.NONE,
        effects_updated_at=batch.now if has_effects else None,
    )


def sweep_agency(
    *, agency_id: int, now: datetime | None = None, batch_size: int = BATCH_SIZE
) -> SweepResult:
    """Advance every case of one agency that is due at ``now``; call inside its tenant scope."""
    now = now or timezone.now()
    policy = AgencyPolicy(agency_id)
    total = SweepResult()
    while True:
        with transaction.atomic():
            cases = list(
                Case.objects.select_for_update(skip_locked=True, of=("self",))
                .filter(agency_id=agency_id, state__in=ACTIVE_STATES, next_action_at__lte=now)
                .select_related("creditor", "debtor")
                .order_by("next_action_at", "pk")[:batch_size]
            )
            if not cases:
                return total
            batch = Batch(agency_id=agency_id, now=now)
            for case in cases:
                _advance(case, policy, batch)
            batch.persist()
        total += batch.result
