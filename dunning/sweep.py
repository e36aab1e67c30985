"""The escalation sweep: advance every due case by one step, exactly once, in set-based batches.

Due cases are locked with ``SELECT … FOR UPDATE SKIP LOCKED`` so concurrent sweeps take disjoint
batches; each case's transition runs in memory (the state machine stays the one authority), then
the batch is written with one guarded UPDATE per source state plus bulk INSERTs of events and
step executions. A crash rolls the whole batch back and the next sweep finds it still due.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.db import connection, models, transaction
from django.db.models import Case as SqlCase
from django.db.models import F, Value, When
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import TransitionNotAllowed

from cases import events
from cases.models import (
    ACTIVE_STATES,
    Case,
    Creditor,
    claim_past_due,
    failing_conditions,
    formal_notice_expired,
    handoff_approved,
)
from collectio.models import User
from collectio.outbox import OutboxMessage, enqueue_on_commit
from dunning.models import Action, Scenario, Step, StepExecution
from dunning.planning import PARIS, RECHECK_AFTER, at_sending_time, step_due_on
from law.calendar import FrenchCalendar, debtor_deadline

BATCH_SIZE = 2000
# The outbox kind of a step's side effects; the letters app registers what it does.
STEP_EFFECTS = "step_effects"
# Conditions a step waits on rather than fails on: the deadline runs out, the creditor answers,
# an invoice falls due.
WAITING_CONDITIONS = frozenset({formal_notice_expired, handoff_approved, claim_past_due})
# What the sweep, the transitions and their conditions read of a case: loading nothing else
# halves the cost of building each instance (the other fields load on access, if ever).
SWEEP_READS = (
    "agency_id",
    "creditor_id",
    "state",
    "scenario_id",
    "next_step_id",
    "next_action_at",
    "accepted_at",
    "limitation_date",
    "first_due_date",
    "principal_due",
    "formal_notice_deadline",
    "handoff_approved_at",
)
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
        self._creditors: dict[int, Creditor] = {}
        self._due: dict[tuple[int, date, str | None], datetime] = {}

    def attach_creditors(self, cases: list[Case]) -> None:
        """One instance per creditor for the whole sweep, instead of one per case row."""
        missing = {c.creditor_id for c in cases} - self._creditors.keys()
        if missing:
            self._creditors.update(Creditor.objects.in_bulk(missing))
        creditor = Case._meta.get_field("creditor")
        for case in cases:
            creditor.set_cached_value(case, self._creditors[case.creditor_id])

    def due_after(self, step: Step, anchor: date, calendar: FrenchCalendar) -> datetime:
        """When ``step`` falls after ``anchor``: the same for every case of a day and calendar."""
        key = (step.pk, anchor, calendar.subdivision)
        if key not in self._due:
            self._due[key] = at_sending_time(
                step_due_on(step=step, anchor=anchor, calendar=calendar)
            )
        return self._due[key]

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
    # Events that differ only by case go in with one INSERT … SELECT each (cases.events).
    events: dict[tuple[str, str], list[int]] = field(default_factory=lambda: defaultdict(list))
    executions: dict[tuple[int, str], tuple[list[int], list[datetime]]] = field(
        default_factory=lambda: defaultdict(lambda: ([], []))
    )

    def __post_init__(self) -> None:
        self.today = timezone.localdate(self.now)

    def event(self, case: Case, kind: str, **details: Any) -> None:
        """Record ``events.<kind>(**details)`` for this case, written with its like at persist."""
        self.events[(kind, json.dumps(details, sort_keys=True))].append(case.pk)

    def execution(self, case: Case, step: Step, status: str, planned_for: datetime | None) -> None:
        ids, planned = self.executions[(step.pk, status)]
        ids.append(case.pk)
        planned.append(planned_for or self.now)

    def persist(self) -> None:
        for from_state, cases in self.changed.items():
            ids = [c.pk for c in cases]
            values = {name: _per_case(cases, name) for name in PLANNED_FIELDS}
            in_batch = RawSQL("SELECT unnest(%s::bigint[])", [ids])  # one parameter, not 500
            updated = Case.objects.filter(pk__in=in_batch, state=from_state).update(**values)
            if updated != len(ids):  # impossible under our row locks: refuse to write half a batch
                raise RuntimeError(f"sweep: {len(ids) - updated} cases moved under a lock")
        with_effects = self._insert_executions()
        self._insert_events()
        if with_effects:
            enqueue_on_commit(STEP_EFFECTS, with_effects)

    def _insert_executions(self) -> list[int]:
        """One INSERT … SELECT FROM unnest per (step, status), and in the same statement one
        outbox message per execution that has side effects; returns the messages' ids."""
        steps = Step.objects.in_bulk({step_id for step_id, _status in self.executions})
        with_effects: list[int] = []
        with connection.cursor() as cursor:
            for (step_id, status), (ids, planned) in self.executions.items():
                done = status == StepExecution.Status.DONE
                insert = (
                    f"INSERT INTO {StepExecution._meta.db_table} (agency_id, case_id, step_id, "  # noqa: S608
                    "status, planned_for, executed_at, reasons) SELECT %s, t.case_id, %s, %s, "
                    "t.planned_for, %s, '[]' FROM unnest(%s::bigint[], %s::timestamptz[]) "
                    "AS t(case_id, planned_for)"
                )
                params: list[Any] = [
                    self.agency_id, step_id, status, self.now if done else None, ids, planned,
                ]  # fmt: skip
                if not (done and steps[step_id].channels):
                    cursor.execute(insert, params)
                    continue
                cursor.execute(
                    f"WITH executed AS ({insert} RETURNING id, case_id) "  # noqa: S608
                    f"INSERT INTO {OutboxMessage._meta.db_table} (agency_id, kind, key, payload, "
                    "case_id, status, attempts, available_at, last_error, created_at) "
                    "SELECT %s, %s, 'step_execution:' || id, "
                    "jsonb_build_object('execution_id', id), case_id, 'pending', 0, %s, '', %s "
                    "FROM executed RETURNING id",
                    [*params, self.agency_id, STEP_EFFECTS, self.now, self.now],
                )
                with_effects.extend(row[0] for row in cursor.fetchall())
        return with_effects

    def _insert_events(self) -> None:
        actor = User(pk=self.actor_id) if self.actor_id else None
        for (kind, details), ids in self.events.items():
            write = getattr(events, kind)
            extra = {"actor": actor} if kind == "state_changed" else {}
            write(cases=events.Cases(self.agency_id, ids), **extra, **json.loads(details))


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
    calendar = policy.calendar(case.debtor_postcode)
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
        batch.execution(case, step, StepExecution.Status.AWAITING_CONFIRMATION, case.next_action_at)
        batch.event(case, "step_awaiting", step_id=step.pk, action=step.action)
        case.next_action_at = None
        batch.result.awaiting += 1
    else:
        run_step(case, step, policy, batch, calendar)
    batch.changed[from_state].append(case)


def run_step(
    case: Case, step: Step, policy: AgencyPolicy, batch: Batch, calendar: FrenchCalendar
) -> None:
    from_state, planned_for = case.state, case.next_action_at
    try:
        # The transition checks its own conditions; asking which ones fail only when it refuses
        # saves a second round of them (each reads today's date) on nearly every case.
        getattr(case, step.transition)()
    except TransitionNotAllowed:
        failing = failing_conditions(case, step.transition)
        if failing is None:
            _block(case, batch, [_("The step does not fit the case's state.")])
        elif failing and set(failing) <= WAITING_CONDITIONS:
            case.next_action_at = _recheck_at(case, step, batch, calendar)
            batch.result.rescheduled += 1
        elif failing:
            _block(case, batch, [str(check.message) for check in failing])
        else:  # refused although every condition holds: nothing this sweep can decide
            raise
        return
    today = batch.today
    if step.action == Action.FORMAL_NOTICE and not step.deadline_from_acknowledgement:
        case.formal_notice_deadline = debtor_deadline(
            today, step.payment_deadline_days, calendar=calendar
        )
    batch.execution(case, step, StepExecution.Status.DONE, planned_for)
    batch.event(
        case,
        "state_changed",
        transition=step.transition,
        from_state=from_state,
        to_state=case.state,
        step_id=step.pk,
        details={"action": step.action},
    )
    batch.result.executed += 1
    following = policy.following(step)
    case.next_step_id = following.pk if following else None
    if following is None:
        case.next_action_at = None
    elif following.action == Action.JUDICIAL_HANDOFF:
        case.next_action_at = _recheck_at(case, following, batch, calendar)
    else:
        case.next_action_at = policy.due_after(following, today, calendar)


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
    batch.event(case, "step_blocked", reasons=reasons, step_id=case.next_step_id)
    batch.result.blocked += 1


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
                .annotate(debtor_postcode=F("debtor__postcode"))  # all the sweep needs of it
                .only(*SWEEP_READS)
                .order_by("next_action_at", "pk")[:batch_size]
            )
            if not cases:
                return total
            policy.attach_creditors(cases)
            batch = Batch(agency_id=agency_id, now=now)
            for case in cases:
                _advance(case, policy, batch)
            batch.persist()
        total += batch.result
