"""The case state machine: every allowed transition, forbidden ones, conditions, events, races."""

from __future__ import annotations

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.utils import timezone
from django_fsm import ConcurrentTransition, TransitionNotAllowed
from django_scopes import scopes_disabled

from cases import services
from cases.models import Case, CaseEvent, CaseState, ClosureCode
from collectio.scoping import tenant_scope
from tests import factories

S = CaseState
YESTERDAY = timezone.localdate() - timedelta(days=1)

# (source state, extra fields on the case, transition, arguments, expected target state)
WHY = {"reason": "accord du créancier"}
ALLOWED = [
    (S.NEW, {}, "accept", {}, S.REMINDER),
    (S.NEW, {}, "reject", {}, S.CLOSED),
    (S.REMINDER, {}, "send_reminder", {}, S.REMINDER),
    (S.REMINDER, {}, "escalate", {}, S.PHONE_FOLLOWUP),
    (S.PHONE_FOLLOWUP, {}, "escalate", {}, S.FORMAL_NOTICE),
    (
        S.FORMAL_NOTICE,
        {"formal_notice_deadline": YESTERDAY, "handoff_approved_at": timezone.now()},
        "hand_off",
        {},
        S.JUDICIAL,
    ),
    *[
        (src, {}, "agree_plan", {}, S.PAYMENT_PLAN)
        for src in (S.REMINDER, S.PHONE_FOLLOWUP, S.FORMAL_NOTICE)
    ],
    (S.PAYMENT_PLAN, {"resume_state": S.PHONE_FOLLOWUP}, "break_plan", {}, S.PHONE_FOLLOWUP),
    *[
        (src, {}, "open_dispute", {"reason": "facture contestée"}, S.DISPUTED)
        for src in (S.REMINDER, S.PHONE_FOLLOWUP, S.FORMAL_NOTICE)
    ],
    (S.DISPUTED, {"resume_state": S.FORMAL_NOTICE}, "reject_dispute", {}, S.FORMAL_NOTICE),
    (S.DISPUTED, {"resume_state": S.REMINDER}, "uphold_dispute", {}, S.CLOSED),
    *[(src, {}, "hold", {}, S.ON_HOLD) for src in (S.REMINDER, S.PHONE_FOLLOWUP, S.FORMAL_NOTICE)],
    (S.ON_HOLD, {"resume_state": S.REMINDER}, "resume", {}, S.REMINDER),
    *[
        (
            src,
            {
                "principal_due": Decimal("0.00"),
                **(
                    {"resume_state": S.REMINDER}
                    if src in (S.PAYMENT_PLAN, S.DISPUTED, S.ON_HOLD)
                    else {}
                ),
            },
            "mark_paid",
            {},
            S.PAID,
        )
        for src in (
            S.NEW,
            S.REMINDER,
            S.PHONE_FOLLOWUP,
            S.FORMAL_NOTICE,
            S.JUDICIAL,
            S.PAYMENT_PLAN,
            S.DISPUTED,
            S.ON_HOLD,
        )
    ],
    (S.PAYMENT_PLAN, {"resume_state": S.REMINDER}, "mark_settled", WHY, S.SETTLED),
    (S.JUDICIAL, {}, "mark_settled", WHY, S.SETTLED),
    (S.REMINDER, {}, "close", {"code": ClosureCode.UNRECOVERABLE, **WHY}, S.CLOSED),
    (S.JUDICIAL, {}, "close", {"code": ClosureCode.INSOLVENCY, **WHY}, S.CLOSED),
    (S.NEW, {}, "withdraw", WHY, S.CLOSED),
    (S.FORMAL_NOTICE, {}, "withdraw", WHY, S.CLOSED),
]

FORBIDDEN = [
    (S.NEW, "escalate"),
    (S.NEW, "hand_off"),
    (S.REMINDER, "accept"),
    (S.REMINDER, "hand_off"),
    (S.PHONE_FOLLOWUP, "send_reminder"),
    (S.JUDICIAL, "escalate"),
    (S.JUDICIAL, "agree_plan"),
    (S.DISPUTED, "escalate"),
    (S.ON_HOLD, "send_reminder"),
    (S.PAYMENT_PLAN, "hold"),
    (S.PAID, "withdraw"),
    (S.CLOSED, "accept"),
    (S.SETTLED, "mark_paid"),
]


@pytest.mark.parametrize(("source", "fields", "name", "arguments", "target"), ALLOWED)
def test_allowed_transition_changes_state_and_writes_one_event(
    alpha_scope, source, fields, name, arguments, target
):
    w = alpha_scope
    case = factories.new_case(w.creditor, state=source, **fields)
    done = services.case_transition(case=case, transition=name, actor=w.admin, **arguments)

    assert done.state == target
    assert Case.objects.get(pk=case.pk).state == target
    event = CaseEvent.objects.filter(case=case, kind=CaseEvent.Kind.TRANSITION).get()
    assert (event.transition, event.from_state, event.to_state) == (name, source, target)
    assert event.actor == w.admin
    if target in (S.PAYMENT_PLAN, S.DISPUTED, S.ON_HOLD):
        assert done.resume_state == source and done.next_action_at is None
    if target in (S.PAID, S.SETTLED, S.CLOSED):
        assert done.closed_at is not None and done.closure_code and done.next_action_at is None


@pytest.mark.parametrize(("source", "name"), FORBIDDEN)
def test_forbidden_transition_is_refused_and_writes_nothing(alpha_scope, source, name):
    case = factories.new_case(
        alpha_scope.creditor,
        state=source,
        resume_state=S.REMINDER if source in (S.DISPUTED, S.ON_HOLD, S.PAYMENT_PLAN) else "",
    )
    with pytest.raises(services.CaseTransitionError):
        services.case_transition(case=case, transition=name, actor=alpha_scope.admin)
    assert Case.objects.get(pk=case.pk).state == source
    assert not CaseEvent.objects.filter(case=case, kind=CaseEvent.Kind.TRANSITION).exists()


def test_model_transition_outside_its_sources_raises(alpha_scope):
    case = factories.new_case(alpha_scope.creditor, state=S.CLOSED)
    with pytest.raises(TransitionNotAllowed):
        case.escalate()


def test_state_field_is_protected(alpha_scope):
    case = factories.new_case(alpha_scope.creditor)
    with pytest.raises(AttributeError):
        case.state = S.JUDICIAL


# --- conditions ------------------------------------------------------------------------------
def _blocked(case, name, actor):
    with pytest.raises(services.CaseTransitionError) as caught:
        services.case_transition(case=case, transition=name, actor=actor)
    return " ".join(caught.value.reasons)


def test_accept_needs_a_valid_mandate(alpha_scope):
    w = alpha_scope
    with scopes_disabled():
        unmandated = factories.new_creditor(w.agency, "Sans Mandat SA", mandate_fee_terms="")
    case = factories.new_case(unmandated)
    assert "mandate" in _blocked(case, "accept", w.admin)


def test_time_barred_case_is_never_accepted_or_escalated(alpha_scope):
    w = alpha_scope
    for state, name in ((S.NEW, "accept"), (S.REMINDER, "escalate"), (S.REMINDER, "send_reminder")):
        case = factories.new_case(w.creditor, state=state, limitation_date=YESTERDAY)
        assert "time-barred" in _blocked(case, name, w.admin)
    today = factories.new_case(w.creditor, state=S.REMINDER, limitation_date=timezone.localdate())
    assert (
        services.case_transition(case=today, transition="escalate", actor=w.admin).state
        == S.PHONE_FOLLOWUP
    )


def test_nothing_outstanding_stops_escalation_and_allows_paid(alpha_scope):
    w = alpha_scope
    case = factories.new_case(w.creditor, state=S.REMINDER, principal_due=Decimal("0"))
    assert "No principal is still due" in _blocked(case, "escalate", w.admin)
    owing = factories.new_case(w.creditor, state=S.REMINDER)
    assert "Principal is still due" in _blocked(owing, "mark_paid", w.admin)


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"formal_notice_deadline": None, "handoff_approved_at": timezone.now()}, "deadline"),
        (
            {"formal_notice_deadline": timezone.localdate(), "handoff_approved_at": timezone.now()},
            "deadline",
        ),
        ({"formal_notice_deadline": YESTERDAY, "handoff_approved_at": None}, "approved"),
        (
            {
                "formal_notice_deadline": YESTERDAY,
                "handoff_approved_at": timezone.now(),
                "principal_due": Decimal("0"),
            },
            "principal",
        ),
        (
            {
                "formal_notice_deadline": YESTERDAY,
                "handoff_approved_at": timezone.now(),
                "limitation_date": YESTERDAY,
            },
            "time-barred",
        ),
    ],
)
def test_hand_off_gate(alpha_scope, fields, reason):
    case = factories.new_case(alpha_scope.creditor, state=S.FORMAL_NOTICE, **fields)
    assert reason in _blocked(case, "hand_off", alpha_scope.admin)


def test_hand_off_needs_a_mandate_covering_litigation(alpha_scope):
    w = alpha_scope
    with scopes_disabled():
        amicable_only = factories.new_creditor(
            w.agency, "Amiable SA", mandate_allows_litigation=False
        )
    case = factories.new_case(
        amicable_only,
        state=S.FORMAL_NOTICE,
        formal_notice_deadline=YESTERDAY,
        handoff_approved_at=timezone.now(),
    )
    assert "judicial proceedings" in _blocked(case, "hand_off", w.admin)


def test_hand_off_without_approval_when_the_creditor_does_not_require_it(alpha_scope):
    w = alpha_scope
    with scopes_disabled():
        trusting = factories.new_creditor(w.agency, "Confiance SA", handoff_requires_approval=False)
    case = factories.new_case(trusting, state=S.FORMAL_NOTICE, formal_notice_deadline=YESTERDAY)
    assert (
        services.case_transition(case=case, transition="hand_off", actor=w.agent).state
        == S.JUDICIAL
    )


def test_close_refuses_an_unknown_closure_code(alpha_scope):
    case = factories.new_case(alpha_scope.creditor, state=S.REMINDER)
    with pytest.raises(services.CaseTransitionError, match="Invalid details"):
        services.case_transition(
            case=case, transition="close", actor=alpha_scope.admin, code="paid", reason="x"
        )
    assert Case.objects.get(pk=case.pk).state == S.REMINDER


# --- permissions -----------------------------------------------------------------------------
def test_creditor_user_may_withdraw_own_case_but_not_escalate(alpha_scope):
    w = alpha_scope
    case = factories.new_case(w.creditor, state=S.REMINDER)
    with pytest.raises(PermissionDenied):
        services.case_transition(case=case, transition="escalate", actor=w.creditor_user)
    with pytest.raises(PermissionDenied):
        services.case_transition(case=case, transition="withdraw", actor=w.other_creditor_user)
    done = services.case_transition(
        case=case, transition="withdraw", actor=w.creditor_user, reason="réglé en direct"
    )
    assert (done.state, done.closure_code) == (S.CLOSED, ClosureCode.WITHDRAWN)


def test_user_of_another_agency_holds_no_permission(alpha_scope):
    case = factories.new_case(alpha_scope.creditor, state=S.REMINDER)
    with pytest.raises(PermissionDenied):
        services.case_transition(case=case, transition="escalate", actor=alpha_scope.charlie)


def test_system_actor_runs_without_a_user(alpha_scope):
    case = factories.new_case(alpha_scope.creditor, state=S.REMINDER)
    done = services.case_transition(case=case, transition="escalate", actor=None)
    assert done.state == S.PHONE_FOLLOWUP
    assert CaseEvent.objects.get(case=case, kind=CaseEvent.Kind.TRANSITION).actor is None


def test_unknown_transition_name_is_refused(alpha_scope):
    case = factories.new_case(alpha_scope.creditor)
    with pytest.raises(services.CaseTransitionError):
        services.case_transition(case=case, transition="delete", actor=alpha_scope.admin)


# --- concurrency -----------------------------------------------------------------------------
def test_stale_instance_cannot_overwrite_a_newer_state(alpha_scope):
    case = factories.new_case(alpha_scope.creditor, state=S.REMINDER)
    first, second = Case.objects.get(pk=case.pk), Case.objects.get(pk=case.pk)
    first.escalate()
    first.save()
    second.hold()
    with pytest.raises(ConcurrentTransition), transaction.atomic():
        second.save()
    assert Case.objects.get(pk=case.pk).state == S.PHONE_FOLLOWUP


def test_click_on_a_state_the_user_no_longer_sees_is_refused(alpha_scope):
    w = alpha_scope
    case = factories.new_case(w.creditor, state=S.REMINDER)
    services.case_transition(case=case, transition="escalate", actor=w.agent)
    with pytest.raises(ConcurrentTransition):
        services.case_transition(
            case=case, transition="hold", actor=w.admin, expected_state=S.REMINDER
        )
    assert Case.objects.get(pk=case.pk).state == S.PHONE_FOLLOWUP


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_escalations_apply_once(world):
    """Two sessions race on the same case: the row lock serialises them, the second is refused."""
    case = factories.new_case(world.creditor, state=S.REMINDER)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def attempt() -> None:
        try:
            with tenant_scope(world.agency.pk):
                barrier.wait()
                services.case_transition(
                    case=case, transition="escalate", actor=None, expected_state=S.REMINDER
                )
            outcomes.append("done")
        except (ConcurrentTransition, services.CaseTransitionError):
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["done", "refused"]
    with scopes_disabled():
        assert Case.objects.get(pk=case.pk).state == S.PHONE_FOLLOWUP
        assert CaseEvent.objects.filter(case=case, kind=CaseEvent.Kind.TRANSITION).count() == 1


# --- reasons ---------------------------------------------------------------------------------
def test_withdraw_settle_dispute_and_close_are_the_ones_that_need_a_reason():
    assert {"withdraw", "mark_settled", "open_dispute", "close"} == services.REASON_REQUIRED


@pytest.mark.parametrize("name", sorted(services.REASON_REQUIRED))
def test_a_person_ending_or_suspending_a_case_gives_the_reason_kept_in_the_event(alpha_scope, name):
    """Issue 8 item 17: the service refuses without a reason, whatever page or client asks."""
    case = factories.new_case(alpha_scope.creditor, state=S.REMINDER)
    code = {"code": ClosureCode.UNRECOVERABLE} if name == "close" else {}
    with pytest.raises(services.CaseTransitionError, match="Give the reason"):
        services.case_transition(
            case=case, transition=name, actor=alpha_scope.admin, reason="  ", **code
        )
    assert Case.objects.get(pk=case.pk).state == S.REMINDER
    assert not CaseEvent.objects.filter(case=case, kind=CaseEvent.Kind.TRANSITION).exists()
    services.case_transition(
        case=case, transition=name, actor=alpha_scope.admin, reason=" Accord amiable ", **code
    )
    event = CaseEvent.objects.get(case=case, kind=CaseEvent.Kind.TRANSITION)
    assert event.payload["reason"] == "Accord amiable"
