"""Payment plans as data (instalments matched by payments, broken past the grace period with
escalation resuming, signed → prescription starts again, beyond the convention → the
creditor's approval) and settlements (within bounds or approved, paid → settled, the rest
written off with the reason). The issue's plan: 998,28 € in three instalments of 332,76 €."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from cases import services as case_services
from cases.models import ACTIVE_STATES, Case, CaseEvent, CaseState, ClosureCode
from dunning.statement import case_statement
from payments import services
from payments.models import PaymentPlan, Settlement
from payments.selectors import PLAN_GRACE_DAYS, plan_instalments
from tests import factories
from tests.payments.test_payment_plans import AGREED_ON, EQUAL_THIRDS, issue_case, pay_on_time

PARIS = ZoneInfo("Europe/Paris")


def _noon(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 12, tzinfo=PARIS)


@pytest.fixture
def plan(scoped):
    case = issue_case(scoped.creditor)
    with time_machine.travel(_noon(AGREED_ON)):
        return services.payment_plan_agree(case=case, instalments=EQUAL_THIRDS, actor=scoped.agent)


def _check(scoped, day: date) -> int:
    with time_machine.travel(_noon(day)):
        return services.payment_plans_check(agency_id=scoped.agency.pk, today=day)


def test_instalments_are_matched_by_payments_in_order(scoped, plan):
    pay_on_time(plan.case, scoped.agent, EQUAL_THIRDS[:1])
    with time_machine.travel(_noon(date(2026, 3, 20))):
        services.payment_record(
            case=plan.case, amount=Decimal("100.00"), received_on=date(2026, 3, 20),
            method="transfer", actor=None,
        )  # fmt: skip
    paid = [(s.position, s.paid, s.missing) for s in plan_instalments(plan=plan)]
    assert paid == [
        (1, Decimal("332.76"), Decimal("0.00")),
        (2, Decimal("100.00"), Decimal("232.76")),
        (3, Decimal("0.00"), Decimal("332.76")),
    ]


def test_a_missed_instalment_breaks_the_plan_after_the_grace_period_and_escalation_resumes(
    scoped, plan
):
    pay_on_time(plan.case, scoped.agent, EQUAL_THIRDS[:1])
    second_due = EQUAL_THIRDS[1].due_on
    # within the grace period nothing happens
    assert _check(scoped, second_due + timedelta(days=PLAN_GRACE_DAYS)) == 0
    assert Case.objects.get(pk=plan.case.pk).state == CaseState.PAYMENT_PLAN
    broken_on = second_due + timedelta(days=PLAN_GRACE_DAYS + 1)
    assert _check(scoped, broken_on) == 1
    case = Case.objects.get(pk=plan.case.pk)
    plan.refresh_from_db()
    assert (plan.status, plan.broken_on) == (PaymentPlan.Status.BROKEN, broken_on)
    # back to the formal notice it left, due at once: the sweep takes it up again
    assert case.state == CaseState.FORMAL_NOTICE
    with time_machine.travel(_noon(broken_on) + timedelta(minutes=1)):
        assert case.next_action_at <= timezone.now()
        assert Case.objects.filter(
            pk=case.pk, state__in=ACTIVE_STATES, next_action_at__lte=timezone.now()
        ).exists()
    event = CaseEvent.objects.get(case=case, kind=CaseEvent.Kind.PLAN_BROKEN)
    assert event.payload == {
        "plan_id": plan.pk, "position": 2, "due_on": "2026-04-02", "missing": "332.76",
    }  # fmt: skip
    # interest runs again from the day it broke, on what is left
    owed = case_statement(case, on=broken_on).outstanding
    later = case_statement(case, on=broken_on + timedelta(days=30)).outstanding
    assert owed == Decimal("665.52") and later > owed
    assert _check(scoped, broken_on + timedelta(days=1)) == 0  # broken once


def test_a_plan_paid_in_full_closes_the_case(scoped, plan):
    pay_on_time(plan.case, scoped.agent, EQUAL_THIRDS)
    plan.refresh_from_db()
    assert plan.status == PaymentPlan.Status.COMPLETED
    assert Case.objects.get(pk=plan.case.pk).state == CaseState.PAID
    assert _check(scoped, date(2026, 6, 1)) == 0


def test_a_signed_plan_interrupts_prescription(scoped):
    """REQ-D3: B2C exigible 2024-09-01 → time-barred 2026-09-01; plan signed 2025-02-01 →
    2027-02-01."""
    with time_machine.travel(_noon(date(2025, 1, 20))):
        case = case_services.case_open(
            agency=scoped.agency, creditor=scoped.creditor,
            debtor=factories.new_debtor(scoped.agency, kind="person", first_name="Léa",
                                        name="Morel"),
            claims=[case_services.ClaimInput(
                invoice_number="B2C-1", invoice_date=date(2024, 9, 1), due_date=date(2024, 9, 1),
                principal=Decimal("600.00"), debt_kind="consumer",
            )],
            actor=None,
        )  # fmt: skip
        Case.objects.filter(pk=case.pk).update(state=CaseState.REMINDER)
    assert Case.objects.get(pk=case.pk).limitation_date == date(2026, 9, 1)
    with time_machine.travel(_noon(date(2025, 2, 1))):
        plan = services.payment_plan_agree(
            case=case, instalments=[(date(2025, 3, 1), Decimal("300.00")),
                                    (date(2025, 4, 1), Decimal("300.00"))],
            actor=scoped.agent,
        )  # fmt: skip
        services.payment_plan_sign(plan=plan, signed_on=date(2025, 2, 1), actor=scoped.agent)
        with pytest.raises(ValidationError, match="already signed"):
            services.payment_plan_sign(plan=plan, signed_on=date(2025, 2, 1), actor=None)
    assert Case.objects.get(pk=case.pk).limitation_date == date(2027, 2, 1)


def test_a_plan_beyond_the_convention_needs_the_creditors_approval(scoped):
    scoped.creditor.plan_max_months = 2
    scoped.creditor.save()
    case = issue_case(scoped.creditor)
    long = [(date(2026, 3, 2), Decimal("332.76")), (date(2026, 4, 2), Decimal("332.76")),
            (date(2026, 6, 2), Decimal("332.76"))]  # fmt: skip
    with time_machine.travel(_noon(AGREED_ON)):
        with pytest.raises(ValidationError) as refused:
            services.payment_plan_agree(case=case, instalments=long, actor=scoped.agent)
        assert refused.value.code == services.PLAN_NEEDS_APPROVAL
        assert "up to 2 months" in refused.value.messages[0]
        assert Case.objects.get(pk=case.pk).state == CaseState.FORMAL_NOTICE
        with pytest.raises(ValidationError):  # another creditor's user cannot approve it
            services.payment_plan_agree(
                case=case, instalments=long, actor=scoped.agent,
                approved_by=scoped.other_creditor_user,
            )  # fmt: skip
        plan = services.payment_plan_agree(
            case=case, instalments=long, actor=scoped.agent, approved_by=scoped.creditor_user
        )
    assert plan.approved_by == scoped.creditor_user


# --- settlements ---------------------------------------------------------------------------------
@pytest.fixture
def owing(scoped):
    case = issue_case(scoped.creditor)
    with time_machine.travel(_noon(AGREED_ON)):
        assert case_statement(case, on=AGREED_ON).outstanding == Decimal("998.28")
    return case


def test_a_settlement_within_the_bounds_paid_in_full_settles_the_case(scoped, owing):
    scoped.creditor.settlement_min_percent = Decimal("70")
    scoped.creditor.save()
    with time_machine.travel(_noon(AGREED_ON)):
        settlement = services.settlement_propose(
            case=owing, amount=Decimal("700.00"), reason="Difficultés de trésorerie",
            actor=scoped.agent,
        )  # fmt: skip
        assert settlement.status == Settlement.Status.AGREED  # 70.12 % of 998.28
        assert CaseEvent.objects.filter(case=owing, kind="settlement_agreed").exists()
        services.payment_record(
            case=owing, amount=Decimal("400.00"), received_on=AGREED_ON, method="transfer",
            actor=scoped.agent,
        )  # fmt: skip
        assert Case.objects.get(pk=owing.pk).state == CaseState.FORMAL_NOTICE  # not yet
    with time_machine.travel(_noon(date(2026, 2, 10))):
        services.payment_record(
            case=owing, amount=Decimal("300.00"), received_on=date(2026, 2, 10),
            method="transfer", actor=scoped.agent,
        )  # fmt: skip
        left = case_statement(owing, on=date(2026, 2, 10)).outstanding
    case = Case.objects.get(pk=owing.pk)
    settlement.refresh_from_db()
    assert (case.state, case.closure_code) == (CaseState.SETTLED, ClosureCode.SETTLED)
    assert settlement.status == Settlement.Status.PAID
    assert settlement.written_off == left
    # 998.28 − 700.00 = 298.28, and 1.49 of interest over the 8 days between the payments
    assert left == Decimal("299.77")
    transition = CaseEvent.objects.filter(case=case, kind="transition").latest("pk")
    assert "Difficultés de trésorerie" in transition.payload["reason"]
    assert "299,77" in transition.payload["reason"]


def test_a_settlement_below_the_bounds_waits_for_the_creditor(scoped, owing):
    scoped.creditor.settlement_min_percent = Decimal("80")
    scoped.creditor.save()
    with time_machine.travel(_noon(AGREED_ON)):
        settlement = services.settlement_propose(
            case=owing, amount=Decimal("500.00"), reason="Offre du débiteur", actor=scoped.agent
        )
        assert settlement.status == Settlement.Status.AWAITING_APPROVAL
        with pytest.raises(ValidationError, match="already has a settlement"):
            services.settlement_propose(
                case=owing, amount=Decimal("900.00"), reason="x", actor=scoped.agent
            )
        with pytest.raises(PermissionDenied):
            services.settlement_approve(settlement=settlement, actor=scoped.agent)
        with pytest.raises(PermissionDenied):
            services.settlement_approve(settlement=settlement, actor=scoped.other_creditor_user)
        services.settlement_approve(settlement=settlement, actor=scoped.creditor_user)
        settlement.refresh_from_db()
        assert (settlement.status, settlement.approved_by) == (
            Settlement.Status.AGREED, scoped.creditor_user,
        )  # fmt: skip
        services.payment_record(
            case=owing, amount=Decimal("500.00"), received_on=AGREED_ON, method="transfer",
            actor=None,
        )  # fmt: skip
    assert Case.objects.get(pk=owing.pk).state == CaseState.SETTLED


@pytest.mark.parametrize("amount", ["0", "998.28", "1200"])
def test_a_settlement_is_below_the_debt_and_above_zero(scoped, owing, amount):
    with time_machine.travel(_noon(AGREED_ON)), pytest.raises(ValidationError, match="below"):
        services.settlement_propose(
            case=owing, amount=Decimal(amount), reason="x", actor=scoped.agent
        )
    assert not Settlement.objects.exists()


def test_a_time_barred_case_keeps_its_plan_for_an_agent_and_the_check_goes_on(scoped, plan):
    """``break_plan`` refuses a time-barred case: that plan is left for an agent (nothing of it
    written), and the other plans are still checked."""
    other = issue_case(scoped.creditor)
    with time_machine.travel(_noon(AGREED_ON)):
        other_plan = services.payment_plan_agree(
            case=other, instalments=EQUAL_THIRDS, actor=scoped.agent
        )
    Case.objects.filter(pk=plan.case.pk).update(limitation_date=date(2026, 3, 1))
    assert _check(scoped, date(2026, 3, 20)) == 1
    plan.refresh_from_db()
    other_plan.refresh_from_db()
    assert plan.status == PaymentPlan.Status.ACTIVE
    assert not CaseEvent.objects.filter(case=plan.case, kind=CaseEvent.Kind.PLAN_BROKEN).exists()
    assert other_plan.status == PaymentPlan.Status.BROKEN
