"""Agents record payments and creditors approve the handoff from the case page."""

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from cases.models import Case, CaseEvent, CaseState
from collectio.money import euros
from dunning.models import ReferenceRate
from dunning.statement import case_statement
from payments.models import Payment
from tests import factories


@pytest.fixture(autouse=True)
def _in_a_semester_with_rates():
    """Rates are loaded up to 2026-S1 (legal-fr.md section 0); 2026-S2 is tested apart."""
    with time_machine.travel(datetime(2026, 5, 20, 12, tzinfo=ZoneInfo("Europe/Paris"))):
        yield


@pytest.fixture
def case(alpha_scope):
    return factories.new_case(alpha_scope.creditor, state=CaseState.REMINDER)


def _cell(html: str, marker: str) -> str:
    """The text of the element carrying ``marker`` (an attribute such as ``data-total``)."""
    start = html.index(">", html.index(marker)) + 1
    return html[start : html.index("<", start)]


def test_detail_shows_the_statement_of_account(client, alpha_scope, case):
    client.force_login(alpha_scope.agent)
    html = client.get(reverse("workspace:detail", args=[case.pk])).content.decode()
    statement = case_statement(case, on=timezone.localdate())
    assert statement.interest > 0 and statement.indemnity == Decimal("40.00")
    assert _cell(html, "data-total") == euros(statement.balance)
    assert _cell(html, "data-principal-due") == euros(Decimal("1200.00"))
    assert euros(statement.claims[0].interest) in html


def test_the_list_and_the_page_show_the_same_figure_under_the_same_label(client, alpha_scope, case):
    client.force_login(alpha_scope.agent)
    page = client.get(reverse("workspace:detail", args=[case.pk])).content.decode()
    listing = client.get(reverse("workspace:list")).content.decode()
    due = _cell(page, "data-principal-due")
    assert "Principal still due" in page and "Principal still due" in listing
    assert due in listing
    assert _cell(page, "data-total") not in listing  # the amount due today is on the page only


def test_agent_records_a_payment(client, alpha_scope, case):
    client.force_login(alpha_scope.agent)
    interest = case_statement(case, on=timezone.localdate()).interest
    assert 0 < interest < 100
    response = client.post(
        reverse("workspace:payment_create", args=[case.pk]),
        {"amount": "100.00", "received_on": timezone.localdate().isoformat(), "method": "transfer"},
    )
    assert response.status_code == 302
    payment = Payment.objects.get(case=case)
    assert payment.amount == Decimal("100.00")
    # Interest first (C. civ. 1343-1), then principal; the €40 last (the default order).
    assert Case.objects.get(pk=case.pk).principal_due == Decimal("1100.00") + interest
    assert CaseEvent.objects.filter(case=case, kind=CaseEvent.Kind.PAYMENT).count() == 1


def test_bad_payment_shows_errors_and_writes_nothing(client, alpha_scope, case):
    client.force_login(alpha_scope.agent)
    tomorrow = timezone.localdate() + timedelta(days=1)
    response = client.post(
        reverse("workspace:payment_create", args=[case.pk]),
        {"amount": "-5", "received_on": tomorrow.isoformat(), "method": "transfer"},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "errorlist" in html
    assert not Payment.objects.filter(case=case).exists()


@pytest.mark.parametrize("who", ["charlie", "creditor_user", "other_creditor_user"])
def test_only_agency_staff_record_payments(client, alpha_scope, case, who):
    client.force_login(getattr(alpha_scope, who))
    response = client.post(
        reverse("workspace:payment_create", args=[case.pk]),
        {"amount": "10.00", "received_on": date(2026, 1, 5).isoformat(), "method": "cheque"},
    )
    assert response.status_code == 404
    assert not Payment.objects.filter(case=case).exists()


def test_creditor_user_approves_the_handoff(client, alpha_scope):
    w = alpha_scope
    case = factories.new_case(w.creditor, state=CaseState.FORMAL_NOTICE)
    client.force_login(w.creditor_user)
    page = client.get(reverse("workspace:detail", args=[case.pk])).content.decode()
    assert 'data-action="approve-handoff"' in page
    assert client.post(reverse("workspace:handoff_approve", args=[case.pk])).status_code == 302
    assert Case.objects.get(pk=case.pk).handoff_approved_at is not None


@pytest.mark.parametrize("who", ["charlie", "other_creditor_user"])
def test_handoff_approval_of_another_tenant_is_404(client, alpha_scope, who):
    case = factories.new_case(alpha_scope.creditor, state=CaseState.FORMAL_NOTICE)
    client.force_login(getattr(alpha_scope, who))
    assert client.post(reverse("workspace:handoff_approve", args=[case.pk])).status_code == 404
    assert Case.objects.get(pk=case.pk).handoff_approved_at is None


def test_payment_refused_with_a_clear_error_when_the_semester_rate_is_missing(
    client, alpha_scope, case
):
    ReferenceRate.objects.filter(semester="2026-S1").delete()
    client.force_login(alpha_scope.agent)
    response = client.post(
        reverse("workspace:payment_create", args=[case.pk]),
        {"amount": "10.00", "received_on": timezone.localdate().isoformat(), "method": "cheque"},
    )
    assert response.status_code == 400
    assert "RATE_MISSING(2026-S1)" in response.content.decode()
    assert not Payment.objects.filter(case=case).exists()
