"""Every call outcome writes its typed event and drives what follows (issue 10)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from cases import calls, events, queues
from cases.models import Case, CaseEvent, CaseLease, CaseState
from debtors.models import CallOutcome, CallTask, ContactLogEntry, ContactPoint
from payments import promises
from payments.models import Payment, PaymentPromise
from tests.workspace.conftest import PARIS

WEDNESDAY_0930 = datetime(2026, 5, 20, 9, 30, tzinfo=PARIS)


def _record(world, outcome, **details):
    attempt = calls.call_start(case=world.case, contact_point=world.phone, agent=world.agent)
    return calls.call_outcome_record(
        case=world.case, agent=world.agent, outcome=outcome, contact=attempt, **details
    )


def _sentences(case):
    return [events.describe(e) for e in CaseEvent.objects.filter(case=case).order_by("pk")]


@pytest.mark.parametrize(
    "outcome", [CallOutcome.NO_ANSWER, CallOutcome.WRONG_NUMBER, CallOutcome.THIRD_PARTY]
)
def test_unanswered_calls_are_tried_again_the_next_morning(calling, outcome):
    entry = _record(calling, outcome)
    case = Case.objects.get(pk=calling.case.pk)
    task = CallTask.objects.get(case=case)
    assert task.status == CallTask.Status.OPEN and task.due_at == WEDNESDAY_0930
    assert entry.outcome == outcome and not entry.reached
    assert case.state == CaseState.PHONE_FOLLOWUP and case.last_contact_at is not None
    event = CaseEvent.objects.filter(case=case, kind=CaseEvent.Kind.CALL_LOGGED).get()
    assert event.payload["outcome"] == outcome and event.payload["contact_id"] == entry.pk
    wrong = ContactPoint.objects.get(pk=calling.phone.pk).is_wrong
    assert wrong == (outcome == CallOutcome.WRONG_NUMBER)
    assert not queues.queue_cases(membership=calling.agent.membership, key="calls").exists()


def test_a_third_party_reads_as_nothing_disclosed(calling):
    _record(calling, CallOutcome.THIRD_PARTY)
    assert "a third party answered; nothing was disclosed" in _sentences(calling.case)[-1]


def test_a_wrong_number_is_never_offered_again(calling):
    _record(calling, CallOutcome.WRONG_NUMBER)
    with pytest.raises(calls.CallRefused, match="marked wrong"):
        calls.call_start(
            case=calling.case,
            contact_point=ContactPoint.objects.get(pk=calling.phone.pk),
            agent=calling.agent,
        )


def test_a_refusal_closes_the_call_and_collection_goes_on(calling):
    entry = _record(calling, CallOutcome.REFUSAL)
    assert entry.reached
    assert CallTask.objects.get(case=calling.case).status == CallTask.Status.DONE
    assert Case.objects.get(pk=calling.case.pk).state == CaseState.PHONE_FOLLOWUP
    assert _sentences(calling.case)[-1] == "Call to the debtor: the debtor refuses to pay."


def test_a_dispute_suspends_the_case_with_what_is_disputed(calling):
    _record(calling, CallOutcome.DISPUTE, reason="Marchandise jamais livrée")
    case = Case.objects.get(pk=calling.case.pk)
    assert case.state == CaseState.DISPUTED and case.resume_state == CaseState.PHONE_FOLLOWUP
    transition = CaseEvent.objects.get(case=case, kind=CaseEvent.Kind.TRANSITION)
    assert transition.transition == "open_dispute"
    assert transition.payload["reason"] == "Marchandise jamais livrée"


def test_a_dispute_needs_what_is_disputed_and_writes_nothing(calling):
    with pytest.raises(ValidationError) as refused:
        _record(calling, CallOutcome.DISPUTE, reason=" ")
    assert "reason" in refused.value.error_dict
    assert Case.objects.get(pk=calling.case.pk).state == CaseState.PHONE_FOLLOWUP
    assert not ContactLogEntry.objects.exclude(outcome="").exists()


def test_a_plan_proposal_is_told_to_the_creditor(calling):
    _record(calling, CallOutcome.PLAN_PROPOSED, summary="200 € par mois pendant 6 mois")
    assert CallTask.objects.get(case=calling.case).status == CallTask.Status.DONE
    assert _sentences(calling.case)[-1] == (
        "The debtor proposed a payment plan: 200 € par mois pendant 6 mois"
    )


def test_a_callback_schedules_the_case_at_the_time_asked(calling):
    at = datetime(2026, 5, 21, 17, 0, tzinfo=PARIS)
    _record(calling, CallOutcome.CALLBACK, callback_at=at)
    callback = CallTask.objects.get(case=calling.case, kind=CallTask.Kind.CALLBACK)
    assert callback.due_at == at and callback.requested_by_debtor
    assert callback.status == CallTask.Status.OPEN
    assert CallTask.objects.get(kind=CallTask.Kind.STEP).status == CallTask.Status.DONE
    event = CaseEvent.objects.get(case=calling.case, kind=CaseEvent.Kind.CALLBACK_SCHEDULED)
    assert "21 May 2026 at 17:00" in events.describe(event)


def test_a_callback_asked_for_pentecost_monday_is_moved(calling):
    """legal-fr.md REQ-F1: a call planned for Mon 2026-05-25 (Pentecost Monday) is moved."""
    _record(calling, CallOutcome.CALLBACK, callback_at=datetime(2026, 5, 25, 15, 0, tzinfo=PARIS))
    callback = CallTask.objects.get(case=calling.case, kind=CallTask.Kind.CALLBACK)
    assert callback.due_at == datetime(2026, 5, 26, 8, 0, tzinfo=PARIS)


def test_any_outcome_releases_the_agents_claim(calling):
    taken = queues.case_claim_next(membership=calling.agent.membership, key="calls")
    assert taken == calling.case and CaseLease.objects.filter(case=taken).exists()
    _record(calling, CallOutcome.NO_ANSWER)
    assert not CaseLease.objects.exists()


# --- promises to pay ---------------------------------------------------------------------------
def _promise(world, amount="300.00", due_on=date(2026, 5, 26)):
    attempt = calls.call_start(case=world.case, contact_point=world.phone, agent=world.agent)
    return promises.promise_record(
        case=world.case, agent=world.agent, amount=Decimal(amount), due_on=due_on, contact=attempt
    )


def test_a_promise_pauses_escalation_until_its_date(calling):
    promise = _promise(calling)
    case = Case.objects.get(pk=calling.case.pk)
    assert case.state == CaseState.ON_HOLD and case.next_action_at is None
    assert promise.status == PaymentPromise.Status.PENDING and promise.made_by == calling.agent
    kinds = list(CaseEvent.objects.filter(case=case).order_by("pk").values_list("kind", flat=True))
    assert kinds[-3:] == ["call_logged", "transition", "promise_made"]
    assert _sentences(case)[-1] == (
        "The debtor promised to pay 300,00\u00a0€ by 26 May 2026; reminders wait until then."
    )
    membership = calling.agent.membership
    assert not queues.queue_cases(membership=membership, key="calls").exists()
    assert promises.promises_check(agency_id=case.agency_id, today=date(2026, 5, 26)) == 0


def test_a_broken_promise_resumes_escalation_and_requeues_the_case(calling, tuesday):
    _promise(calling)
    Payment.objects.create(
        agency=calling.agency, case=calling.case, amount=Decimal("100.00"),
        received_on=date(2026, 5, 22), method=Payment.Method.TRANSFER,
    )  # fmt: skip
    tuesday.move_to(datetime(2026, 5, 27, 6, 30, tzinfo=PARIS))
    assert promises.promises_check(agency_id=calling.agency.pk) == 1
    case = Case.objects.get(pk=calling.case.pk)
    promise = PaymentPromise.objects.get()
    assert promise.status == PaymentPromise.Status.BROKEN
    assert promise.resolved_on == date(2026, 5, 27)
    assert case.state == CaseState.PHONE_FOLLOWUP and case.next_action_at is not None
    assert case.promises_broken == 1
    assert "was not kept (100,00\u00a0€ received); collection resumes" in _sentences(case)[-2]
    membership = calling.agent.membership
    assert list(queues.queue_cases(membership=membership, key="promises")) == [case]
    assert case.priority == Case.objects.get(pk=case.pk).priority > 0  # scored when it broke
    row = queues.queue_page(membership=membership, key="promises", filters=queues.QueueFilters())
    assert {p["label"]: p["points"] for p in queues.priority_parts(row[0])}["Broken promises"] == 15
    tuesday.move_to(datetime(2026, 5, 27, 10, 0, tzinfo=PARIS))
    _record(calling, CallOutcome.NO_ANSWER)  # somebody called: off the promises queue
    assert not queues.queue_cases(membership=membership, key="promises").exists()


def test_a_kept_promise_resumes_collection_of_the_rest(calling, tuesday):
    _promise(calling)
    Payment.objects.create(
        agency=calling.agency, case=calling.case, amount=Decimal("300.00"),
        received_on=date(2026, 5, 21), method=Payment.Method.TRANSFER,
    )  # fmt: skip
    tuesday.move_to(datetime(2026, 5, 22, 6, 30, tzinfo=PARIS))
    assert promises.promises_check(agency_id=calling.agency.pk) == 1
    assert PaymentPromise.objects.get().status == PaymentPromise.Status.KEPT
    assert Case.objects.get(pk=calling.case.pk).state == CaseState.PHONE_FOLLOWUP
    assert CaseEvent.objects.filter(kind=CaseEvent.Kind.PROMISE_KEPT).count() == 1


@pytest.mark.parametrize(
    ("amount", "due_on", "field"),
    [("0", date(2026, 5, 26), "amount"), ("10", date(2026, 5, 18), "due_on"),
     ("10", date(2026, 7, 1), "due_on")],
)  # fmt: skip
def test_a_promise_out_of_bounds_is_refused_and_writes_nothing(calling, amount, due_on, field):
    with pytest.raises(ValidationError) as refused:
        _promise(calling, amount=amount, due_on=due_on)
    assert field in refused.value.error_dict
    assert not PaymentPromise.objects.exists()
    assert Case.objects.get(pk=calling.case.pk).state == CaseState.PHONE_FOLLOWUP
    assert not CaseEvent.objects.filter(kind=CaseEvent.Kind.CALL_LOGGED).exists()


def test_a_new_case_takes_no_promise(calling):
    Case.objects.filter(pk=calling.case.pk).update(state=CaseState.NEW)
    calling.case = Case.objects.get(pk=calling.case.pk)
    with pytest.raises(ValidationError, match="Not possible from the state"):
        _promise(calling)


def test_a_case_that_ends_is_not_called_any_more(calling):
    from cases import services

    services.case_transition(
        case=calling.case, transition="withdraw", actor=calling.agent, reason="Réglé en direct"
    )
    assert CallTask.objects.get(case=calling.case).status == CallTask.Status.DONE
    assert not queues.queue_cases(membership=calling.agent.membership, key="calls").exists()
