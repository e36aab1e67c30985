"""Money entry in a real browser (issue 8 items 14 to 17): the date field starts filled, a payment
above the debt is refused with the figures until confirmed, a withdrawal asks for its reason and a
payment plan is agreed with its schedule."""

from __future__ import annotations

import os
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from django_scopes import scopes_disabled

from cases.models import Case, CaseEvent, CaseState
from collectio.money import euros
from dunning.models import ReferenceRate
from dunning.statement import case_statement
from law.interest import semester_of
from payments.models import PaymentPlan, Refund
from tests import factories
from tests.browser.conftest import log_in
from tests.notices.conftest import sent_first_letter

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
# Set to a folder to keep the screenshots of the journey (to look at the page).
SHOTS = os.environ.get("COLLECTIO_SCREENSHOTS", "")


def _shot(page, name: str) -> None:
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, f"{name}.png"), full_page=True)


@pytest.fixture
def current_rates(world):
    """The operator imported the current semester (the shipped table stops before it)."""
    current = semester_of(timezone.localdate())
    last = ReferenceRate.objects.order_by("-semester").values_list("semester", flat=True)[0]
    if last != current:
        for rate in ReferenceRate.objects.filter(semester=last):
            rate.pk, rate.semester = None, current
            rate.save()


def test_agent_records_an_overpayment_and_withdraws_with_a_reason(
    world, current_rates, live_server, page
):
    with scopes_disabled():
        case = factories.new_case(world.creditor, state=CaseState.REMINDER)
        owed = case_statement(case, on=timezone.localdate()).outstanding
    log_in(page, live_server.url, world.agent.email)
    page.wait_for_url("**/cases/queues/")
    page.goto(f"{live_server.url}/cases/{case.pk}/")
    assert page.input_value("#id_received_on")  # filled, in the ISO form the browser reads
    _shot(page, "1-case-page")

    page.fill("#id_amount", "1000000")
    page.click("form[action$='/payments/'] button[type=submit]")
    error = page.inner_text("form[action$='/payments/'] .errorlist")
    assert euros(Decimal("1000000")).replace("\u00a0", " ") in error.replace("\u00a0", " ")
    _shot(page, "2-overpayment-refused")
    page.check("#id_excess_owed_to_debtor")
    page.click("form[action$='/payments/'] button[type=submit]")
    page.wait_for_selector("#refunds")
    _shot(page, "3-overpayment-recorded")
    with scopes_disabled():
        refund = Refund.objects.get(case=case)
        assert refund.amount == Decimal("1000000") - owed
        assert Case.objects.get(pk=case.pk).state == CaseState.PAID
    assert page.inner_text("[data-refund-amount]").replace("\u00a0", " ") == euros(
        refund.amount
    ).replace("\u00a0", " ")


def test_withdrawing_asks_for_a_reason_in_the_page(world, current_rates, live_server, page):
    with scopes_disabled():
        case = factories.new_case(world.creditor, state=CaseState.REMINDER)
    log_in(page, live_server.url, world.creditor_user.email)
    page.wait_for_url("**/portal/")
    page.goto(f"{live_server.url}/cases/{case.pk}/")
    page.click("details[data-confirm=withdraw] summary")
    _shot(page, "4-withdraw-confirmation")
    page.click("button[data-transition=withdraw]")  # the browser refuses an empty reason
    with scopes_disabled():
        assert Case.objects.get(pk=case.pk).state == CaseState.REMINDER
    page.fill("#id_withdraw_reason", "Le débiteur a payé le créancier en direct")
    page.click("button[data-transition=withdraw]")
    page.wait_for_selector("text=Motif : Le débiteur a payé le créancier en direct")
    _shot(page, "5-withdrawn")
    with scopes_disabled():
        event = CaseEvent.objects.get(case=case, transition="withdraw")
        assert event.payload["reason"] == "Le débiteur a payé le créancier en direct"


def test_agent_agrees_a_plan_with_its_schedule(world, current_rates, live_server, page):
    with scopes_disabled():
        case = factories.new_case(world.creditor, state=CaseState.REMINDER)
        sent_first_letter(case, timezone.localdate() - timedelta(days=20))
        balance = case_statement(case, on=timezone.localdate()).outstanding
    half = (balance / 2).quantize(Decimal("0.01"))
    log_in(page, live_server.url, world.agent.email)
    page.wait_for_url("**/cases/queues/")
    page.goto(f"{live_server.url}/cases/{case.pk}/")
    page.click("#payment-plan summary")
    soon = timezone.localdate() + timedelta(days=30)
    for i, (due_on, amount) in enumerate(
        [(soon, half), (soon + timedelta(days=30), balance - half)]
    ):
        page.fill(f"#id_plan-{i}-due_on", due_on.isoformat())
        page.fill(f"#id_plan-{i}-amount", str(amount))
    _shot(page, "6-plan-schedule")
    page.click("button[data-action=agree-plan]")
    page.wait_for_selector("text=Échéancier convenu")
    _shot(page, "7-plan-agreed")
    with scopes_disabled():
        assert Case.objects.get(pk=case.pk).state == CaseState.PAYMENT_PLAN
        plan = PaymentPlan.objects.get(case=case)
        assert [i.amount for i in plan.instalments.order_by("position")] == [half, balance - half]
        assert plan.total == balance
