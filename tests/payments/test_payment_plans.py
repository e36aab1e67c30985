"""Payment plans (issue 8, item 3): the plan fixes what the debtor owes, its letter says what
happens to interest, the statement honours it and the last instalment paid closes the case.

The issue's case: an invoice of 920,00 € between professionals, due 2025-09-30, in formal
notice; on 2026-02-02 the debtor owes 998,28 € (interest at 12,15 % and the 40 € indemnity) and
agrees to three equal instalments of 332,76 € on 2 March, 2 April and 2 May 2026. Before plans
froze anything, paying all three on their dates left 18,19 € of interest owed and the case open.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from cases.models import Case, CaseEvent, CaseState
from cases.services import CaseTransitionError, case_transition
from collectio.models import Agency
from collectio.money import ZERO, euros
from dunning.reference_rates import shipped_rate_source
from dunning.statement import (
    InterestPause,
    accruing_periods,
    case_statement,
    claim_terms,
    compute_statement,
)
from notices import services as notice_services
from notices.models import LetterKind, Notice
from payments import services
from payments.models import PaymentPlan
from payments.selectors import Instalment, payment_plan_owed, payment_plan_schedule
from tests import factories
from tests.notices.conftest import notice_text, sent_first_letter

AGREED_ON = date(2026, 2, 2)
DUE_DATES = [date(2026, 3, 2), date(2026, 4, 2), date(2026, 5, 2)]
EQUAL_THIRDS = [Instalment(d, Decimal("332.76")) for d in DUE_DATES]


def issue_case(creditor) -> Case:
    """The 920,00 € invoice of the issue, in formal notice, its first letter sent."""
    case = factories.new_case(
        creditor,
        principal=Decimal("920.00"),
        invoiced_on=date(2025, 8, 31),
        state=CaseState.FORMAL_NOTICE,
    )
    sent_first_letter(case, date(2025, 10, 6))
    return case


def pay_on_time(case: Case, agent, schedule) -> None:
    for due_on, amount in schedule:
        with time_machine.travel(due_on):
            services.payment_record(
                case=case, amount=amount, received_on=due_on, method="transfer", actor=agent
            )


@pytest.fixture
def case(scoped):
    return issue_case(scoped.creditor)


def test_the_issue_figures(scoped, case):
    assert case_statement(case, on=AGREED_ON).outstanding == Decimal("998.28")


def test_three_instalments_paid_on_time_leave_nothing_and_close_the_case(scoped, case):
    with time_machine.travel(AGREED_ON):
        plan = services.payment_plan_agree(case=case, instalments=EQUAL_THIRDS, actor=scoped.agent)
    assert (plan.total, plan.interest, plan.status) == (Decimal("998.28"), "frozen", "active")
    assert Case.objects.get(pk=case.pk).state == CaseState.PAYMENT_PLAN
    pay_on_time(case, scoped.agent, EQUAL_THIRDS[:2])
    # Halfway, the debtor owes exactly the instalment left: nothing accrued on the plan.
    assert case_statement(case, on=date(2026, 4, 20)).outstanding == Decimal("332.76")
    pay_on_time(case, scoped.agent, EQUAL_THIRDS[2:])
    statement = case_statement(case, on=date(2026, 5, 2))
    assert (statement.outstanding, statement.overpayment) == (0, 0)  # was 18,19 € owed
    case.refresh_from_db()
    assert (case.state, case.principal_due) == (CaseState.PAID, 0)
    assert PaymentPlan.objects.get(pk=plan.pk).status == PaymentPlan.Status.COMPLETED


def test_a_broken_plan_lets_interest_run_again_from_the_day_it_broke(scoped, case):
    with time_machine.travel(AGREED_ON):
        plan = services.payment_plan_agree(case=case, instalments=EQUAL_THIRDS, actor=scoped.agent)
    pay_on_time(case, scoped.agent, EQUAL_THIRDS[:1])
    with time_machine.travel(date(2026, 4, 10)):
        case_transition(case=case, transition="break_plan", actor=scoped.agent)
    plan.refresh_from_db()
    assert (plan.status, plan.broken_on) == ("broken", date(2026, 4, 10))
    # 665.52 left: 625.52 of principal (the first instalment paid the interest first) and the
    # 40 € indemnity. From 11 April, 10 days at 12.15 % on 625.52 = 2.0822… → 2.08.
    left = case_statement(case, on=date(2026, 4, 10)).outstanding
    assert left == Decimal("665.52")
    assert case_statement(case, on=date(2026, 4, 20)).outstanding == left + Decimal("2.08")


@pytest.mark.parametrize("rule", ["frozen", "accrues"])
def test_the_plan_letter_states_the_interest_rule(scoped, case, rule):
    Agency.objects.filter(pk=scoped.agency.pk).update(plan_interest=rule)
    case = Case.objects.get(pk=case.pk)
    with time_machine.travel(AGREED_ON):
        schedule = payment_plan_schedule(case=case, due_dates=DUE_DATES, agreed_on=AGREED_ON)
        plan = services.payment_plan_agree(case=case, instalments=schedule, actor=scoped.agent)
        notice = notice_services.notice_render(
            notice=notice_services.payment_plan_create(plan=plan, actor=scoped.agent)
        )
    text = notice_text(notice)
    assert f"Total {euros_text(plan.total)}" in text
    if rule == "frozen":
        assert schedule == EQUAL_THIRDS
        assert "ils cessent de courir à compter du 02/02/2026 tant que chaque échéance" in text
    else:
        assert "ils continuent de courir pendant l’échéancier" in text
        assert "Les échéances les incluent" in text


def test_accruing_interest_is_in_the_schedule_and_the_last_instalment_still_closes(scoped, case):
    Agency.objects.filter(pk=scoped.agency.pk).update(plan_interest="accrues")
    case = Case.objects.get(pk=case.pk)
    with time_machine.travel(AGREED_ON):
        schedule = payment_plan_schedule(case=case, due_dates=DUE_DATES, agreed_on=AGREED_ON)
        plan = services.payment_plan_agree(case=case, instalments=schedule, actor=scoped.agent)
    # Interest keeps running on what is left between instalments: it is in the total.
    assert plan.total > Decimal("998.28")
    assert max(i.amount for i in schedule) - min(i.amount for i in schedule) <= Decimal("0.02")
    pay_on_time(case, scoped.agent, schedule)
    case.refresh_from_db()
    assert case.state == CaseState.PAID
    assert case_statement(case, on=DUE_DATES[-1]).outstanding == 0


def test_the_plan_letter_is_decided_with_the_agreement(
    scoped, case, eager_tasks, django_capture_on_commit_callbacks
):
    with (
        time_machine.travel(AGREED_ON),
        django_capture_on_commit_callbacks(execute=True),
    ):
        plan = services.payment_plan_agree(case=case, instalments=EQUAL_THIRDS, actor=scoped.agent)
    letter = Notice.objects.get(case=case, kind=LetterKind.PAYMENT_PLAN)
    assert letter.data == {"plan_id": plan.pk}
    text = notice_text(letter)
    assert "lundi 2 mars 2026" in text and "samedi 2 mai 2026" in text
    assert f"Total {euros_text(Decimal('998.28'))}" in text
    event = CaseEvent.objects.get(case=case, kind=CaseEvent.Kind.PLAN_AGREED)
    assert event.payload["total"] == "998.28"


@pytest.mark.parametrize(
    ("instalments", "message"),
    [
        ([], "at least one instalment"),
        ([Instalment(date(2026, 3, 2), Decimal("998.28"))], "in the future"),  # today is 3 March
        (
            [Instalment(date(2026, 5, 2), Decimal("500")),
             Instalment(date(2026, 4, 2), Decimal("498.28"))],
            "in the future and in order",
        ),
        ([Instalment(date(2026, 4, 2), Decimal("0"))], "positive amount"),
        ([Instalment(date(2026, 4, 2), Decimal("500.00"))], "must add up to"),
    ],
)  # fmt: skip
def test_a_plan_that_does_not_settle_the_case_is_refused_with_nothing_written(
    scoped, case, instalments, message
):
    with time_machine.travel(date(2026, 3, 3)), pytest.raises(ValidationError, match=message):
        services.payment_plan_agree(case=case, instalments=instalments, actor=scoped.agent)
    assert Case.objects.get(pk=case.pk).state == CaseState.FORMAL_NOTICE
    assert not PaymentPlan.objects.exists()
    assert not CaseEvent.objects.filter(case=case, kind__in=["plan_agreed", "transition"]).exists()


def test_the_refusal_names_what_the_debtor_owes(scoped, case):
    with time_machine.travel(AGREED_ON), pytest.raises(ValidationError) as refused:
        services.payment_plan_agree(
            case=case, instalments=[(date(2026, 3, 2), Decimal("900"))], actor=scoped.agent
        )
    assert "998,28" in refused.value.messages[0]


def test_only_staff_agree_and_only_from_an_active_state(scoped, case):
    with time_machine.travel(AGREED_ON):
        with pytest.raises(PermissionDenied):
            services.payment_plan_agree(
                case=case, instalments=EQUAL_THIRDS, actor=scoped.creditor_user
            )
        new = factories.new_case(scoped.creditor)
        with pytest.raises(CaseTransitionError):
            services.payment_plan_agree(case=new, instalments=EQUAL_THIRDS, actor=scoped.agent)
    assert not PaymentPlan.objects.exists()


def test_accruing_interest_cannot_be_scheduled_into_a_semester_not_published(scoped, case):
    Agency.objects.filter(pk=scoped.agency.pk).update(plan_interest="accrues")
    case = Case.objects.get(pk=case.pk)
    late = [(date(2026, 4, 2), Decimal("500")), (date(2026, 8, 3), Decimal("1"))]
    with time_machine.travel(AGREED_ON), pytest.raises(ValidationError, match="2026-S2"):
        services.payment_plan_agree(case=case, instalments=late, actor=scoped.agent)


def test_frozen_owed_is_what_the_case_owes_on_the_agreement_day(scoped, case):
    assert (
        payment_plan_owed(
            case=case, instalments=EQUAL_THIRDS, agreed_on=AGREED_ON, interest="frozen"
        )
        == case_statement(case, on=AGREED_ON).outstanding
    )


def euros_text(value: Decimal) -> str:
    """An amount as the extracted PDF text reads it (spaces folded)."""
    return euros(value).replace("\u00a0", " ")


@pytest.mark.parametrize(
    ("pauses", "periods"),
    [
        ([], [(1, 30)]),
        ([InterestPause(date(2026, 1, 10))], [(1, 10)]),
        ([InterestPause(date(2026, 1, 10), date(2026, 1, 20))], [(1, 10), (20, 30)]),
        ([InterestPause(date(2025, 12, 1), date(2026, 1, 5))], [(5, 30)]),
        ([InterestPause(date(2026, 2, 1))], [(1, 30)]),
        (
            [InterestPause(date(2026, 1, 25)), InterestPause(date(2026, 1, 5), date(2026, 1, 8))],
            [(1, 5), (8, 25)],
        ),
    ],
)
def test_interest_accrues_outside_the_pauses_only(pauses, periods):
    january = [(date(2026, 1, a), date(2026, 1, b)) for a, b in periods]
    assert accruing_periods(date(2026, 1, 1), date(2026, 1, 30), pauses) == january


def test_an_invoice_falling_due_during_a_kept_plan_owes_no_indemnity(scoped):
    """The plan covered it: the indemnity of an invoice whose first late day is in the pause
    is not owed; one late before the agreement still is."""
    case = factories.new_case(scoped.creditor, invoiced_on=date(2026, 1, 1))  # due 31 January
    terms = claim_terms(case)
    rates = shipped_rate_source()
    on_time = compute_statement(on=date(2026, 3, 1), claims=terms, payments=[], rates=rates)
    assert on_time.indemnity == Decimal("40.00")
    # First late day 1 February: frozen from 31 January or before, the indemnity is not owed.
    cases = [(date(2026, 1, 31), ZERO), (date(2026, 1, 30), ZERO), (date(2026, 2, 1), Decimal(40))]
    for agreed, owed in cases:
        frozen = compute_statement(
            on=date(2026, 3, 1), claims=terms, payments=[], rates=rates,
            pauses=[InterestPause(agreed)],
        )  # fmt: skip
        assert frozen.indemnity == owed, agreed
