"""The agents' side of the demo: calls due, callbacks, promises and two weeks of calls.

So that the queues and "my day" look alive under ``make run``: the phone follow-up cases have
the call their scenario step planned; some debtors asked to be called back today; the cases on
hold wait on a promise to pay, a few promises were broken and nobody has called since; and each
agent made calls over the last two weeks (the contact log that "my day" counts). Rows are
written as the services would have left them, dated in the past; a second run adds nothing.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from cases import events
from cases.models import Case, CaseState
from collectio.models import Agency, User
from debtors.models import REACHED_OUTCOMES, CallOutcome, CallTask, ContactLogEntry, ContactPoint
from payments.models import PaymentPromise

SEED = 20261202
CALLBACK_TIMES = (time(10, 15), time(14, 30), time(16, 45))
# What a day of calls gives, roughly: mostly no answer, some conversations.
OUTCOME_WEIGHTS = {
    CallOutcome.NO_ANSWER: 50,
    CallOutcome.THIRD_PARTY: 8,
    CallOutcome.WRONG_NUMBER: 3,
    CallOutcome.PROMISE: 14,
    CallOutcome.PLAN_PROPOSED: 5,
    CallOutcome.REFUSAL: 8,
    CallOutcome.CALLBACK: 12,
}


def _local(day: date, at: time) -> datetime:
    return timezone.make_aware(datetime.combine(day, at))


def _phone(case: Case) -> ContactPoint | None:
    return ContactPoint.objects.filter(
        debtor_id=case.debtor_id, channel=ContactPoint.Channel.PHONE
    ).first()


@transaction.atomic
def seed_workspace(*, agency: Agency, agents: list[User], today: date) -> int:
    """Write the agents' demo rows once; the number of call tasks written."""
    if CallTask.objects.filter(agency=agency).exists():
        return 0
    rng = random.Random(SEED)
    cases = Case.objects.filter(agency=agency).select_related("debtor").order_by("pk")
    now = timezone.now()
    tasks = [
        CallTask(
            agency=agency,
            case=case,
            kind=CallTask.Kind.STEP,
            due_at=now - timedelta(hours=rng.randint(1, 72)),
            script="",
        )
        for case in cases.filter(state=CaseState.PHONE_FOLLOWUP)
    ]
    reminders = list(cases.filter(state=CaseState.REMINDER))
    for index, case in enumerate(reminders[:3]):
        tasks.append(
            CallTask(
                agency=agency,
                case=case,
                kind=CallTask.Kind.CALLBACK,
                requested_by_debtor=True,
                due_at=_local(today, CALLBACK_TIMES[index]),
                created_by=agents[0],
            )
        )
    CallTask.objects.bulk_create(tasks)
    for task in tasks:
        events.call_task_created(case=task.case, call_task_id=task.pk)
    _seed_promises(agency, agents, cases, reminders, today)
    # The debtors to call today are left out of the history, so the caps let the calls go.
    called_before = cases.exclude(state__in=(CaseState.NEW, CaseState.PHONE_FOLLOWUP)).exclude(
        pk__in=[case.pk for case in reminders[:3]]
    )
    _seed_contact_log(agency, agents, list(called_before), today, rng)
    return len(tasks)


def _seed_promises(
    agency: Agency, agents: list[User], cases: object, reminders: list[Case], today: date
) -> None:
    """Cases on hold wait on a promise; three reminders had one broken yesterday."""
    for index, case in enumerate(cases.filter(state=CaseState.ON_HOLD)):
        due_on = today + timedelta(days=index % 4)  # some due today, the others this week
        amount = min(case.principal_due, Decimal("500.00")) or Decimal("100.00")
        promise = PaymentPromise.objects.create(
            agency=agency,
            case=case,
            amount=amount,
            due_on=due_on,
            made_on=today - timedelta(days=3),
            made_by=agents[index % len(agents)],
        )
        events.promise_made(
            case=case, actor=agents[index % len(agents)], promise_id=promise.pk,
            amount=amount, due_on=due_on,
        )  # fmt: skip
    for case in reminders[3:6]:
        amount = min(case.principal_due, Decimal("300.00")) or Decimal("100.00")
        promise = PaymentPromise.objects.create(
            agency=agency,
            case=case,
            amount=amount,
            due_on=today - timedelta(days=2),
            made_on=today - timedelta(days=9),
            made_by=agents[0],
            status=PaymentPromise.Status.BROKEN,
            resolved_on=today - timedelta(days=1),
        )
        Case.objects.filter(pk=case.pk).update(
            promises_broken=1, last_contact_at=_local(today - timedelta(days=9), time(11))
        )
        events.promise_broken(
            case=case, promise_id=promise.pk, amount=amount, due_on=promise.due_on,
            paid=Decimal("0.00"),
        )  # fmt: skip


def _seed_contact_log(
    agency: Agency, agents: list[User], cases: list[Case], today: date, rng: random.Random
) -> None:
    """Two weeks of calls per agent, weekdays and Saturday mornings, within the call hours."""
    rows = []
    outcomes, weights = zip(*OUTCOME_WEIGHTS.items(), strict=True)
    for agent in agents:
        for back in range(13, 0, -1):
            day = today - timedelta(days=back)
            if day.weekday() == 6:
                continue
            for _call in range(rng.randint(4, 14) if day.weekday() < 5 else rng.randint(0, 4)):
                case = rng.choice(cases)
                outcome = rng.choices(outcomes, weights)[0]
                rows.append(
                    ContactLogEntry(
                        agency=agency,
                        debtor_id=case.debtor_id,
                        case=case,
                        contact_point=_phone(case),
                        channel=ContactLogEntry.Channel.PHONE,
                        direction=ContactLogEntry.Direction.OUTBOUND,
                        outcome=outcome,
                        reached=outcome in REACHED_OUTCOMES,
                        agent=agent,
                        at=_local(day, time(rng.randint(9, 18), rng.randint(0, 59))),
                    )
                )
    ContactLogEntry.objects.bulk_create(rows)
