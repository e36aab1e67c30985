"""Issue 8 item 17: ending or suspending a case is confirmed with a reason kept in the event, and
a payment plan is agreed only with its schedule (and its letter, in the same transaction)."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from cases.models import Case, CaseEvent, CaseState, ClosureCode
from collectio.money import NBSP, amount, euros
from dunning.statement import case_statement
from notices.models import LetterKind, Notice
from payments.models import PaymentPlan
from tests import factories
from tests.notices.conftest import notice_text, sent_first_letter
from tests.outbox import run_outbox

FR = {"accept-language": "fr"}


@pytest.fixture(autouse=True)
def _in_a_semester_with_rates():
    with time_machine.travel(datetime(2026, 5, 20, 12, tzinfo=ZoneInfo("Europe/Paris"))):
        yield


@pytest.fixture
def case(alpha_scope):
    """A case in reminders whose first letter left (a plan's letter recalls it, R124-4)."""
    case = factories.new_case(alpha_scope.creditor, state=CaseState.REMINDER)
    sent_first_letter(case, date(2026, 5, 4))
    return case


def _transition(case: Case, name: str) -> str:
    return reverse("workspace:transition", args=[case.pk, name])


def _transitions(case: Case) -> list[CaseEvent]:
    return list(CaseEvent.objects.filter(case=case, kind=CaseEvent.Kind.TRANSITION))


def _confirm_form(html: str, name: str) -> str:
    return re.search(rf'<details class="confirm" data-confirm="{name}".*?</details>', html, re.S)[0]


def test_the_page_asks_a_reason_for_each_of_them_and_offers_no_plan_in_one_click(
    client, alpha_scope, case
):
    client.force_login(alpha_scope.agent)
    html = client.get(reverse("workspace:detail", args=[case.pk])).content.decode()
    for name in ("withdraw", "mark_settled", "open_dispute", "close"):
        form = _confirm_form(html, name)
        assert re.search(r'<textarea name="reason"[^>]*required', form), name
        assert f'data-transition="{name}"' in form
    assert '<select name="code"' in _confirm_form(html, "close")
    assert 'data-confirm="hold"' not in html  # a pause that needs no reason stays one click
    assert 'data-transition="agree_plan"' not in html
    assert 'id="payment-plan"' in html and 'name="plan-0-due_on"' in html


@pytest.mark.parametrize("name", ["withdraw", "mark_settled", "open_dispute", "close"])
def test_without_a_reason_it_is_refused_in_the_page_and_nothing_changes(
    client, alpha_scope, case, name
):
    client.force_login(alpha_scope.agent)
    data = {"expected_state": CaseState.REMINDER, "reason": " ", **factories.once()}
    if name == "close":
        data["code"] = ClosureCode.UNRECOVERABLE
    response = client.post(_transition(case, name), data)
    assert response.status_code == 400
    form = _confirm_form(response.content.decode(), name)
    assert " open>" in form and "This field is required." in form
    assert Case.objects.get(pk=case.pk).state == CaseState.REMINDER
    assert _transitions(case) == []


def test_the_reason_and_the_closure_code_are_in_the_event(client, alpha_scope, case):
    client.force_login(alpha_scope.agent)
    response = client.post(
        _transition(case, "close"),
        {
            "expected_state": CaseState.REMINDER,
            "code": ClosureCode.INSOLVENCY,
            "reason": "Liquidation judiciaire publiée au BODACC",
            **factories.once(),
        },
    )
    assert response.status_code == 302
    closed = Case.objects.get(pk=case.pk)
    assert (closed.state, closed.closure_code) == (CaseState.CLOSED, ClosureCode.INSOLVENCY)
    (event,) = _transitions(case)
    assert event.payload == {
        "code": "insolvency",
        "reason": "Liquidation judiciaire publiée au BODACC",
    }
    page = client.get(reverse("workspace:detail", args=[case.pk]), headers=FR).content.decode()
    assert (
        "Le dossier a été clos : Procédure collective. "
        "Motif : Liquidation judiciaire publiée au BODACC"
    ) in page


def test_the_creditor_user_withdraws_with_a_reason_french_errors_in_the_page(
    client, settings, alpha_scope, case
):
    settings.LANGUAGE_CODE = "fr"
    client.force_login(alpha_scope.creditor_user)
    refused = client.post(
        _transition(case, "withdraw"),
        {"expected_state": CaseState.REMINDER, **factories.once()},
        headers=FR,
    )
    assert refused.status_code == 400
    assert "Ce champ est obligatoire." in _confirm_form(refused.content.decode(), "withdraw")
    done = client.post(
        _transition(case, "withdraw"),
        {"expected_state": CaseState.REMINDER, "reason": "Réglé en direct", **factories.once()},
        headers=FR,
    )
    assert done.status_code == 302
    (event,) = _transitions(case)
    assert (event.transition, event.payload["reason"]) == ("withdraw", "Réglé en direct")


def test_agree_plan_is_not_a_one_click_transition(client, alpha_scope, case):
    client.force_login(alpha_scope.agent)
    response = client.post(
        _transition(case, "agree_plan"), {"expected_state": CaseState.REMINDER, **factories.once()}
    )
    assert response.status_code == 400
    assert "A payment plan is agreed with its schedule" in response.content.decode()
    assert Case.objects.get(pk=case.pk).state == CaseState.REMINDER
    assert _transitions(case) == []


# --- the payment plan ------------------------------------------------------------------------
def _plan(rows: list[tuple[str, str]], **extra: str) -> dict[str, str]:
    data = {
        "plan-TOTAL_FORMS": str(max(len(rows), 1)),
        "plan-INITIAL_FORMS": "0",
        "plan-MIN_NUM_FORMS": "1",
        "plan-MAX_NUM_FORMS": "36",
        "expected_state": CaseState.REMINDER,
        **factories.once(),
        **extra,
    }
    for i, (due_on, value) in enumerate(rows):
        data[f"plan-{i}-due_on"], data[f"plan-{i}-amount"] = due_on, value
    return data


def _plan_letters(case: Case) -> int:
    return Notice.objects.filter(case=case, kind=LetterKind.PAYMENT_PLAN).count()


def _post_plan(client, case, rows, **extra):
    return client.post(reverse("workspace:plan_agree", args=[case.pk]), _plan(rows, **extra))


def test_a_plan_without_its_schedule_is_refused(client, alpha_scope, case):
    client.force_login(alpha_scope.agent)
    response = _post_plan(client, case, [("", "")])
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    assert Case.objects.get(pk=case.pk).state == CaseState.REMINDER
    assert _plan_letters(case) == 0 and _transitions(case) == []


def test_instalments_that_do_not_add_up_are_refused_with_the_balance(client, alpha_scope, case):
    client.force_login(alpha_scope.agent)
    response = _post_plan(client, case, [("2026-06-15", "100.00"), ("2026-07-15", "100.00")])
    assert response.status_code == 400
    owed = case_statement(case, on=timezone.localdate()).outstanding
    assert f"they must add up to {euros(owed)}, what the debtor owes" in response.content.decode()
    # The transition ran first in the same transaction: it was rolled back with the refusal.
    assert Case.objects.get(pk=case.pk).state == CaseState.REMINDER
    assert _plan_letters(case) == 0 and _transitions(case) == []


def test_the_plan_is_agreed_with_its_schedule_and_its_letter(client, alpha_scope, case):
    balance = case_statement(case, on=timezone.localdate()).balance
    first = (balance / 3).quantize(Decimal("0.01"))
    rows = [("2026-06-15", str(first)), ("2026-07-15", str(first))]
    rows.append(("2026-08-15", str(balance - 2 * first)))
    client.force_login(alpha_scope.agent)
    page = client.get(reverse("workspace:detail", args=[case.pk])).content.decode()
    assert f"must add up to what the debtor owes today, {euros(balance)}" in page
    response = _post_plan(client, case, rows)
    assert response.status_code == 302
    assert Case.objects.get(pk=case.pk).state == CaseState.PAYMENT_PLAN
    (event,) = _transitions(case)
    assert (event.transition, event.actor) == ("agree_plan", alpha_scope.agent)
    plan = PaymentPlan.objects.get(case=case)
    assert [(str(i.due_on), str(i.amount)) for i in plan.instalments.order_by("position")] == rows
    run_outbox()  # the plan's letter, decided with the plan, produced after commit
    letter = Notice.objects.get(case=case, kind=LetterKind.PAYMENT_PLAN)
    assert letter.data == {"plan_id": plan.pk}
    text = notice_text(Notice.objects.get(pk=letter.pk))
    last = amount(balance - 2 * first).replace(NBSP, " ")
    assert "ÉCHÉANCIER" in text and f"samedi 15 août 2026 {last} €" in text


def test_only_the_agency_staff_agree_a_plan(client, alpha_scope, case):
    client.force_login(alpha_scope.creditor_user)
    page = client.get(reverse("workspace:detail", args=[case.pk])).content.decode()
    assert 'id="payment-plan"' not in page
    response = _post_plan(client, case, [("2026-06-15", "100.00")])
    assert response.status_code == 403
    assert Case.objects.get(pk=case.pk).state == CaseState.REMINDER


def test_a_plan_whose_letter_the_law_blocks_is_agreed_and_the_letter_flagged(client, alpha_scope):
    """No first letter has left (R124-4): the plan agreed on the phone stands, its letter is
    refused after commit and the case shows why, for an agent to act on."""
    case = factories.new_case(alpha_scope.creditor, state=CaseState.REMINDER)
    balance = case_statement(case, on=timezone.localdate()).outstanding
    client.force_login(alpha_scope.agent)
    response = _post_plan(client, case, [("2026-06-15", str(balance))])
    assert response.status_code == 302
    assert Case.objects.get(pk=case.pk).state == CaseState.PAYMENT_PLAN
    run_outbox()
    assert not Notice.objects.filter(case=case, kind=LetterKind.PAYMENT_PLAN).exists()
    blocked = CaseEvent.objects.get(case=case, kind=CaseEvent.Kind.STEP_BLOCKED)
    assert "The first letter has not been sent yet (R124-4)." in blocked.payload["reasons"]
