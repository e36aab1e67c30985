"""A dunning step's side effects: letters, e-mails, SMS and call tasks, each produced once."""

from __future__ import annotations

from datetime import date

import pytest
from django.utils import timezone

from cases import queues
from cases.models import CaseEvent
from collectio.models import Agency
from debtors.models import CallTask, ContactPoint
from dunning.models import Scenario, StepExecution
from notices import services
from notices.models import Channel, LetterKind, Notice
from tests.notices.conftest import b1_case

pytestmark = pytest.mark.time_machine(date(2026, 3, 2))  # in 2026-S1, whose rates are loaded


def execute(case, position: int) -> StepExecution:
    """What the sweep writes when a case reaches the default scenario's step ``position``."""
    step = Scenario.objects.get(agency=case.agency, is_default=True).steps.get(position=position)
    return StepExecution.objects.create(
        agency=case.agency,
        case=case,
        step=step,
        status=StepExecution.Status.DONE,
        planned_for=timezone.now(),
        executed_at=timezone.now(),
    )


def produce(capture, execution: StepExecution) -> list[Notice]:
    with capture(execute=True):
        services.produce_step_effects(execution=execution)
    return list(Notice.objects.filter(step_execution=execution).order_by("channel"))


def test_default_scenario_steps_produce_their_channels_once(
    scoped, eager_tasks, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    case = b1_case(scoped.creditor)
    for channel, value in (("email", "dupont@example.fr"), ("phone", "+33611223344")):
        ContactPoint.objects.create(
            agency=scoped.agency, debtor=case.debtor, channel=channel, value=value
        )

    first = execute(case, 1)  # first reminder: letter + e-mail
    email, letter = produce(capture, first)
    assert (email.channel, letter.channel) == (Channel.EMAIL, Channel.LETTER)
    assert {email.kind, letter.kind} == {LetterKind.FIRST_REMINDER}
    assert email.status == Notice.Status.SENT  # the first letter, by e-mail
    assert letter.status == Notice.Status.RENDERED  # waits for the print batch
    assert produce(capture, first) == [email, letter]  # idempotent: nothing new
    assert Notice.objects.count() == 2

    second = execute(case, 2)  # second reminder: letter + e-mail + SMS
    notices = produce(capture, second)
    assert [n.kind for n in notices] == [LetterKind.SECOND_REMINDER] * 3
    sms = next(n for n in notices if n.channel == Channel.SMS)
    assert sms.status == Notice.Status.SENT
    assert f"courrier {email.reference} du 02/03/2026" in sms.body

    call = execute(case, 3)  # phone follow-up: a call task
    with django_capture_on_commit_callbacks(execute=True):
        services.produce_step_effects(execution=call)
        services.produce_step_effects(execution=call)
    task = CallTask.objects.get()
    assert task.step_execution == call and task.status == CallTask.Status.OPEN
    assert f"premier courrier référencé {email.reference} du 02/03/2026" in task.script
    # The call waits in the agents' calls queue (its outcomes: tests/workspace).
    assert list(queues.queue_cases(membership=scoped.agent.membership, key="calls")) == [case]


def test_a_blocked_step_leaves_a_failed_notice_and_an_event(
    scoped, django_capture_on_commit_callbacks
):
    Agency.objects.filter(pk=scoped.agency.pk).update(rc_policy_expires_on=date(2026, 1, 1))
    case = b1_case(scoped.creditor)
    execution = execute(case, 1)
    notices = produce(django_capture_on_commit_callbacks, execution)
    assert [n.status for n in notices] == [Notice.Status.FAILED] * 2
    assert all("LETTER_BLOCKED" in n.error and "expired" in n.error for n in notices)
    blocked = CaseEvent.objects.filter(case=case, kind=CaseEvent.Kind.STEP_BLOCKED)
    assert blocked.count() == 2
    assert produce(django_capture_on_commit_callbacks, execution) == notices
    assert blocked.count() == 2
