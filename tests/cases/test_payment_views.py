"""Agents record payments and creditors approve the handoff from the case page."""

import re
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse
from django.utils import formats, timezone

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
        {
            "amount": "100.00",
            "received_on": timezone.localdate().isoformat(),
            "method": "transfer",
            **factories.once(),
        },
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
        {
            "amount": "10.00",
            "received_on": timezone.localdate().isoformat(),
            "method": "cheque",
            **factories.once(),
        },
    )
    assert response.status_code == 400
    assert "RATE_MISSING(2026-S1)" in response.content.decode()
    assert not Payment.objects.filter(case=case).exists()


@pytest.mark.parametrize(
    ("state", "litigation", "why"),
    [
        (CaseState.NEW, True, "only once the formal notice is sent"),
        (CaseState.REMINDER, True, "only once the formal notice is sent"),
        (CaseState.FORMAL_NOTICE, False, "does not cover judicial proceedings"),
    ],
)
def test_handoff_approval_is_refused_before_the_formal_notice_or_without_the_mandate(
    client, alpha_scope, state, litigation, why
):
    """Issue 8 item 13: the service checks the state and the mandate, not only the page."""
    w = alpha_scope
    w.creditor.mandate_allows_litigation = litigation
    w.creditor.save()
    case = factories.new_case(w.creditor, state=state)
    client.force_login(w.creditor_user)
    page = client.get(reverse("workspace:detail", args=[case.pk])).content.decode()
    assert 'data-action="approve-handoff"' not in page
    response = client.post(reverse("workspace:handoff_approve", args=[case.pk]))
    assert response.status_code == 409
    assert why in response.content.decode()
    assert Case.objects.get(pk=case.pk).handoff_approved_at is None
    assert not CaseEvent.objects.filter(case=case, kind=CaseEvent.Kind.HANDOFF_APPROVED).exists()


@pytest.mark.parametrize("day", ["1990-01-01", "0001-01-01"])
def test_a_payment_before_the_earliest_invoice_is_refused(client, alpha_scope, case, day):
    """Issue 8 item 16: the invoice is dated 90 days ago; nothing can be paid before it."""
    client.force_login(alpha_scope.agent)
    response = client.post(
        reverse("workspace:payment_create", args=[case.pk]),
        {"amount": "10.00", "received_on": day, "method": "transfer", **factories.once()},
    )
    assert response.status_code == 400
    invoiced = formats.date_format(case.claims.get().invoice_date, "SHORT_DATE_FORMAT")
    assert f"before the earliest invoice, dated {invoiced}" in response.content.decode()
    assert not Payment.objects.filter(case=case).exists()


def test_the_date_field_is_prefilled_in_the_format_the_browser_reads(
    client, settings, alpha_scope, case
):
    """``<input type="date">`` reads only ISO dates: ``01/12/2026`` would leave it empty."""
    settings.LANGUAGE_CODE = "fr"
    client.force_login(alpha_scope.agent)
    detail = reverse("workspace:detail", args=[case.pk])
    html = client.get(detail, headers={"accept-language": "fr"}).content.decode()
    field = re.search(r'<input type="date" name="received_on"[^>]*>', html).group(0)
    assert 'value="2026-05-20"' in field
    assert f'min="{case.claims.get().invoice_date.isoformat()}"' in field
    assert 'max="2026-05-20"' in field


def _post_payment(client, case, token: dict[str, str], **fields):
    data = {"amount": "10.00", "received_on": "2026-05-20", "method": "cheque", **fields, **token}
    return client.post(reverse("workspace:payment_create", args=[case.pk]), data)


def test_the_same_form_sent_twice_records_one_payment(client, alpha_scope, case):
    client.force_login(alpha_scope.agent)
    token = factories.once()
    assert _post_payment(client, case, token).status_code == 302
    again = _post_payment(client, case, token)
    assert again.status_code == 302
    page = client.get(again.url).content.decode()
    assert "This form was already sent: it was applied once." in page
    assert Payment.objects.filter(case=case).count() == 1


def test_a_refused_payment_leaves_its_form_usable_once_corrected(client, alpha_scope, case):
    """The token is claimed in the payment's transaction: a refusal rolls the claim back."""
    client.force_login(alpha_scope.agent)
    token = factories.once()
    assert _post_payment(client, case, token, received_on="1990-01-01").status_code == 400
    assert _post_payment(client, case, token).status_code == 302
    assert Payment.objects.filter(case=case).count() == 1


@pytest.mark.parametrize("token", ["", "forged:token:value"])
def test_a_form_without_a_valid_token_is_refused(client, alpha_scope, case, token):
    client.force_login(alpha_scope.agent)
    response = _post_payment(client, case, {"form_token": token})
    assert response.status_code == 400
    assert "This form is out of date or incomplete" in response.content.decode()
    assert not Payment.objects.filter(case=case).exists()


def test_a_form_left_open_for_more_than_a_day_is_refused(client, alpha_scope, case):
    client.force_login(alpha_scope.agent)
    token = factories.once()
    with time_machine.travel(timezone.now() + timedelta(days=1, minutes=1)):
        response = _post_payment(client, case, token, received_on="2026-05-21")
    assert response.status_code == 400
    assert not Payment.objects.filter(case=case).exists()
