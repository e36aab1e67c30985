"""Agents record payments and creditors approve the handoff from the case page."""

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from cases.models import Case, CaseState
from dunning.models import ReferenceRate
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


def test_detail_shows_the_statement_of_account(client, alpha_scope, case):
    client.force_login(alpha_scope.agent)
    html = client.get(reverse("workspace:detail", args=[case.pk])).content.decode()
    assert 'id="statement"' in html
    assert "data-total" in html


def test_agent_records_a_payment(client, alpha_scope, case):
    client.force_login(alpha_scope.agent)
    response = client.post(
        reverse("workspace:payment_create", args=[case.pk]),
        {"amount": "100.00", "received_on": timezone.localdate().isoformat(), "method": "transfer"},
    )
    assert response.status_code == 302
    payment = Payment.objects.get(case=case)
    assert payment.amount == Decimal("100.00")
    assert Case.objects.get(pk=case.pk).principal_due < case.principal_due + 100


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
