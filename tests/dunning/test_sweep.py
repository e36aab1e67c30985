"""The escalation sweep on a real PostgreSQL: time travel, blocking rules, exactly once."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from cases import services as case_services
from cases.models import Case, CaseEvent, CaseState
from collectio.money import euros
from dunning import services
from dunning.models import Action, Scenario, StepExecution
from dunning.sweep import BATCH_SIZE, sweep_agency
from payments import services as payment_services
from tests import factories
from tests.dunning.sweep_helpers import accepted_case
from tests.outbox import run_outbox

PARIS = ZoneInfo("Europe/Paris")


def paris(*args: int) -> datetime:
    return datetime(*args, tzinfo=PARIS)


def sweep_at(world, moment: datetime):
    with time_machine.travel(moment, tick=False):
        return sweep_agency(agency_id=world.agency.pk)


def test_new_agency_gets_the_default_french_scenario(alpha_scope):
    scenario = Scenario.objects.get(agency=alpha_scope.agency, is_default=True)
    actions = list(scenario.steps.values_list("action", flat=True))
    assert actions == [
        "reminder",
        "reminder",
        "phone_followup",
        "formal_notice",
        "judicial_handoff",
    ]


def test_time_travel_from_acceptance_to_judicial_handoff(alpha_scope):
    """Every date of the default scenario, around 1 May, 8 May and Ascension 2026."""
    w = alpha_scope
    case = accepted_case(w.creditor, accepted_at=paris(2026, 4, 30, 10, 0))

    def reload() -> Case:
        return Case.objects.get(pk=case.pk)

    sweep_at(w, paris(2026, 4, 30, 10, 5))
    # 1 business day after Thu 30 April: Fri 1 May is a holiday, then the weekend.
    assert reload().next_action_at == paris(2026, 5, 4, 9, 0)

    sweep_at(w, paris(2026, 5, 4, 9, 0))
    # Second reminder 10 days later: Thu 14 May is Ascension, so Fri 15 May.
    assert reload().next_action_at == paris(2026, 5, 15, 9, 0)

    sweep_at(w, paris(2026, 5, 15, 9, 0))
    # Phone follow-up 2 business days after Fri 15 May.
    assert reload().next_action_at == paris(2026, 5, 19, 9, 0)

    sweep_at(w, paris(2026, 5, 19, 9, 0))
    assert reload().state == CaseState.PHONE_FOLLOWUP
    assert reload().next_action_at == paris(2026, 5, 22, 9, 0)

    sweep_at(w, paris(2026, 5, 22, 9, 0))
    after_notice = reload()
    assert after_notice.state == CaseState.FORMAL_NOTICE
    assert after_notice.formal_notice_deadline is None  # runs from the acknowledgement
    assert after_notice.next_action_at == paris(2026, 5, 23, 9, 0)

    sweep_at(w, paris(2026, 5, 23, 9, 0))  # no AR yet: look again tomorrow
    assert reload().state == CaseState.FORMAL_NOTICE
    assert reload().next_action_at == paris(2026, 5, 24, 9, 0)

    with time_machine.travel(paris(2026, 5, 26, 15, 0), tick=False):
        services.case_record_notice_receipt(case=case, received_on=date(2026, 5, 26), actor=w.agent)
        case_services.case_approve_handoff(case=case, actor=w.creditor_user)
    assert reload().formal_notice_deadline == date(2026, 6, 3)

    sweep_at(w, paris(2026, 5, 26, 15, 5))
    assert reload().next_action_at == paris(2026, 6, 4, 9, 0)  # the day after the deadline

    sweep_at(w, paris(2026, 6, 4, 9, 0))
    final = reload()
    assert final.state == CaseState.JUDICIAL
    assert final.next_action_at is None and final.next_step_id is None

    executions = StepExecution.objects.filter(case=case).order_by("executed_at")
    assert [e.step.action for e in executions] == [
        "reminder",
        "reminder",
        "phone_followup",
        "formal_notice",
        "judicial_handoff",
    ]
    assert [timezone.localtime(e.executed_at).date() for e in executions] == [
        date(2026, 5, 4),
        date(2026, 5, 15),
        date(2026, 5, 19),
        date(2026, 5, 22),
        date(2026, 6, 4),
    ]
    transitions = CaseEvent.objects.filter(case=case, kind=CaseEvent.Kind.TRANSITION)
    assert transitions.count() == 5


def test_steps_skip_sundays_and_alsace_holidays(alpha_scope):
    """Accepted Thu 2 April 2026 in Strasbourg: Good Friday (3 April) is a holiday there."""
    w = alpha_scope
    strasbourg = accepted_case(w.creditor, accepted_at=paris(2026, 4, 2, 10), postcode="67000")
    paris_case = accepted_case(w.creditor, accepted_at=paris(2026, 4, 2, 10), postcode="75002")
    sweep_at(w, paris(2026, 4, 2, 10, 1))
    assert Case.objects.get(pk=paris_case.pk).next_action_at == paris(2026, 4, 3, 9)
    # Good Friday, weekend, Easter Monday 6 April: Tuesday 7 April.
    assert Case.objects.get(pk=strasbourg.pk).next_action_at == paris(2026, 4, 7, 9)


def test_time_barred_case_is_blocked_and_flagged(alpha_scope):
    w = alpha_scope
    case = accepted_case(
        w.creditor, accepted_at=paris(2026, 4, 1, 10), limitation_date=date(2026, 3, 31)
    )
    result = sweep_at(w, paris(2026, 4, 3, 10))
    assert result.blocked == 1
    blocked = Case.objects.get(pk=case.pk)
    assert blocked.next_action_at is None and blocked.state == CaseState.REMINDER
    event = CaseEvent.objects.get(case=case, kind=CaseEvent.Kind.STEP_BLOCKED)
    assert "time-barred" in " ".join(event.payload["reasons"])
    assert not StepExecution.objects.filter(case=case).exists()


def test_paused_case_is_not_swept_and_resumes_where_it_left(alpha_scope):
    w = alpha_scope
    case = accepted_case(w.creditor, accepted_at=paris(2026, 4, 1, 10))
    sweep_at(w, paris(2026, 4, 2, 9, 0))  # first reminder
    with time_machine.travel(paris(2026, 4, 2, 12), tick=False):
        case_services.case_transition(
            case=case, transition="open_dispute", actor=w.agent, reason="livraison contestée"
        )
    assert Case.objects.get(pk=case.pk).next_action_at is None
    assert sweep_at(w, paris(2026, 5, 30, 9)).executed == 0

    with time_machine.travel(paris(2026, 6, 1, 10), tick=False):
        case_services.case_transition(case=case, transition="reject_dispute", actor=w.agent)
    sweep_at(w, paris(2026, 6, 1, 10, 1))
    resumed = Case.objects.get(pk=case.pk)
    assert resumed.state == CaseState.REMINDER
    assert StepExecution.objects.filter(case=case).count() == 2  # the second reminder went out


def test_step_needing_confirmation_waits_for_an_agent(alpha_scope):
    w = alpha_scope
    first = Scenario.objects.get(agency=w.agency, is_default=True).steps.get(position=1)
    first.requires_confirmation = True
    first.save()
    case = accepted_case(w.creditor, accepted_at=paris(2026, 4, 1, 10))
    result = sweep_at(w, paris(2026, 4, 2, 9))
    assert result.awaiting == 1 and result.executed == 0
    execution = StepExecution.objects.get(case=case)
    assert execution.status == StepExecution.Status.AWAITING_CONFIRMATION
    assert Case.objects.get(pk=case.pk).next_action_at is None


def test_payment_in_full_stops_escalation_and_closes(alpha_scope):
    w = alpha_scope
    case = accepted_case(w.creditor, accepted_at=paris(2026, 4, 1, 10), principal=Decimal("100.00"))
    with time_machine.travel(paris(2026, 4, 1, 11), tick=False):
        statement_due = Case.objects.get(pk=case.pk)
        from dunning.statement import case_statement

        balance = case_statement(statement_due, on=date(2026, 4, 1)).balance
        payment_services.payment_record(
            case=case,
            amount=balance,
            received_on=date(2026, 4, 1),
            method="transfer",
            actor=w.agent,
        )
    paid = Case.objects.get(pk=case.pk)
    assert paid.state == CaseState.PAID
    assert sweep_at(w, paris(2026, 4, 10, 9)).executed == 0
    kinds = set(CaseEvent.objects.filter(case=case).values_list("kind", flat=True))
    assert CaseEvent.Kind.PAYMENT in kinds
    assert CaseEvent.Kind.CREDITOR_NOTIFIED not in kinds  # not before the e-mail has left


def test_partial_payment_interrupts_prescription(alpha_scope):
    w = alpha_scope
    with time_machine.travel(paris(2026, 4, 1, 10), tick=False):  # invoiced 90 days before
        case = accepted_case(w.creditor, accepted_at=paris(2026, 4, 1, 10))
    before = Case.objects.get(pk=case.pk).limitation_date
    assert before == date(2031, 1, 1)
    with time_machine.travel(paris(2026, 4, 2, 11), tick=False):
        payment_services.payment_record(
            case=case,
            amount=Decimal("10"),
            received_on=date(2026, 4, 2),
            method="cheque",
            actor=None,
        )
    after = Case.objects.get(pk=case.pk)
    assert after.limitation_date == date(2031, 4, 2) > before
    assert after.principal_due > 0 and after.state == CaseState.REMINDER


def test_scenario_steps_must_follow_the_case_graph(alpha_scope):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        services.scenario_create(
            agency=alpha_scope.agency,
            name="Wrong",
            steps=[
                dict(action=Action.FORMAL_NOTICE, delay=1),
                dict(action=Action.REMINDER, delay=1),
            ],
        )


def test_creditor_scenario_overrides_the_agency_default(alpha_scope):
    w = alpha_scope
    services.scenario_create(
        agency=w.agency,
        name="Fast",
        creditor_id=w.creditor.pk,
        steps=[dict(action=Action.REMINDER, delay=0, channels=[])],
    )
    case = accepted_case(w.creditor, accepted_at=paris(2026, 4, 1, 10))
    sweep_at(w, paris(2026, 4, 1, 10, 1))
    done = Case.objects.get(pk=case.pk)
    assert done.scenario.name == "Fast"
    assert StepExecution.objects.filter(case=case).count() == 1
    assert done.next_step_id is None and done.next_action_at is None


def test_sweep_only_touches_its_agency(world):
    from django_scopes import scopes_disabled

    from collectio.scoping import tenant_scope

    with scopes_disabled():
        other_creditor = factories.new_creditor(world.other_agency)
        foreign = accepted_case(other_creditor, accepted_at=paris(2026, 4, 1, 10))
    with tenant_scope(world.agency.pk):
        sweep_at(world, paris(2026, 4, 3, 10))
    with scopes_disabled():
        assert not StepExecution.objects.filter(case=foreign).exists()
        assert Case.objects.get(pk=foreign.pk).scenario_id is None


def test_many_cases_in_small_batches_each_run_once(alpha_scope):
    w = alpha_scope
    cases = [accepted_case(w.creditor, accepted_at=paris(2026, 4, 1, 10)) for _ in range(7)]
    with time_machine.travel(paris(2026, 4, 3, 10), tick=False):
        result = sweep_agency(agency_id=w.agency.pk, batch_size=3)
    assert result.executed == 7
    assert StepExecution.objects.filter(case__in=cases).count() == 7
    assert sweep_at(w, paris(2026, 4, 3, 10)).executed == 0
    first_due = {c.next_action_at for c in Case.objects.filter(pk__in=[c.pk for c in cases])}
    assert first_due == {paris(2026, 4, 13, 9)}  # second reminder, 10 days later (Easter Mon 6 Apr)


def test_notice_counted_from_the_acknowledgement_needs_a_registered_letter(alpha_scope):
    from django.core.exceptions import ValidationError

    steps = [
        dict(action=Action.REMINDER, delay=1),
        dict(action=Action.PHONE_FOLLOWUP, delay=1),
        dict(action=Action.FORMAL_NOTICE, delay=1, channels=["letter"]),
    ]
    with pytest.raises(ValidationError, match="registered letter"):
        services.scenario_create(agency=alpha_scope.agency, name="No AR", steps=steps)
    assert not Scenario.objects.filter(name="No AR").exists()


def test_receipt_keeps_a_deadline_counted_from_sending(alpha_scope):
    """When the step counts from the sending date the AR date must not move the deadline."""
    w = alpha_scope
    Scenario.objects.get(agency=w.agency, is_default=True).steps.filter(
        action=Action.FORMAL_NOTICE
    ).update(deadline_from_acknowledgement=False)
    case = accepted_case(w.creditor, accepted_at=paris(2026, 4, 1, 10))
    for moment in (
        paris(2026, 4, 2, 9),
        paris(2026, 4, 13, 9),
        paris(2026, 4, 15, 9),
        paris(2026, 4, 18, 9),
    ):
        sweep_at(w, moment)
    sent = Case.objects.get(pk=case.pk)
    assert sent.state == CaseState.FORMAL_NOTICE
    assert sent.formal_notice_deadline == date(2026, 4, 27)  # 18 April + 8 = Sunday 26 → Monday
    with time_machine.travel(paris(2026, 4, 22, 10), tick=False):
        services.case_record_notice_receipt(case=case, received_on=date(2026, 4, 21), actor=None)
    received = Case.objects.get(pk=case.pk)
    assert received.formal_notice_received_on == date(2026, 4, 21)
    assert received.formal_notice_deadline == date(2026, 4, 27)


@pytest.mark.parametrize(
    ("due", "parallelism", "sweepers"),
    [(1, 2, 1), (BATCH_SIZE, 2, 1), (BATCH_SIZE + 1, 2, 2), (10**6, 2, 2), (10**6, 4, 4)],
)
def test_large_backlogs_get_several_sweepers(settings, due, parallelism, sweepers):
    from dunning.tasks import sweepers_for

    settings.DUNNING_SWEEP_PARALLELISM = parallelism
    assert sweepers_for(due) == sweepers


def test_creditor_is_emailed_about_each_payment(alpha_scope, mailoutbox):
    from cases.models import Creditor

    w = alpha_scope
    Creditor.objects.filter(pk=w.creditor.pk).update(contact_email="compta@martin.fr")
    with time_machine.travel(paris(2026, 4, 1, 10), tick=False):
        case = accepted_case(w.creditor, accepted_at=paris(2026, 4, 1, 10))
    with time_machine.travel(paris(2026, 4, 2, 11), tick=False):
        payment_services.payment_record(
            case=case, amount=Decimal("50.00"), received_on=date(2026, 4, 2), method="transfer",
            actor=w.agent,
        )  # fmt: skip
        assert not mailoutbox  # decided in the transaction, sent after it
        run_outbox(kinds={"creditor_payment_notice"})
        run_outbox(kinds={"creditor_payment_notice"})  # a second delivery sends nothing more
    (mail,) = mailoutbox
    assert mail.to == ["compta@martin.fr"]
    due = euros(Case.objects.get(pk=case.pk).principal_due)
    assert case.reference in mail.subject and "50,00\u00a0€" in mail.body and due in mail.body
    told = CaseEvent.objects.filter(case=case, kind=CaseEvent.Kind.CREDITOR_NOTIFIED)
    assert list(told.values_list("payload__recipient", flat=True)) == ["compta@martin.fr"]
