"""Issue 8 item 14: money received beyond the debt is the debtor's, never swallowed.

A payment above what the statement says is owed is refused with the figures until the agent
confirms the debtor did pay that much; then the excess is a refund owed to the debtor, on the
case page with its figure and in the timeline, and kept out of the creditor's remittance.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from cases.models import Case, CaseEvent, CaseState
from collectio.money import euros
from dunning.models import Deadline
from dunning.statement import case_statement
from notices.selectors import remittance
from payments.models import Payment, Refund
from tests import factories

TODAY = date(2026, 5, 20)


@pytest.fixture(autouse=True)
def _in_a_semester_with_rates():
    with time_machine.travel(datetime(2026, 5, 20, 12, tzinfo=ZoneInfo("Europe/Paris"))):
        yield


@pytest.fixture
def case(alpha_scope):
    return factories.new_case(
        alpha_scope.creditor, principal=Decimal("3000.00"), state=CaseState.REMINDER
    )


def _pay(client, case, amount, **extra):
    return client.post(
        reverse("workspace:payment_create", args=[case.pk]),
        {
            "amount": amount,
            "received_on": TODAY.isoformat(),
            "method": "transfer",
            **factories.once(),
            **extra,
        },
    )


def _owed(case) -> Decimal:
    return case_statement(case, on=timezone.localdate()).outstanding


def test_a_payment_beyond_what_is_owed_is_refused_with_the_figures(client, alpha_scope, case):
    owed = _owed(case)
    assert Decimal("3040.00") < owed < Decimal("3200.00")  # principal, interest and the €40
    client.force_login(alpha_scope.agent)
    response = _pay(client, case, "1000000.00")
    assert response.status_code == 400
    html = response.content.decode()
    excess = Decimal("1000000.00") - owed
    assert (
        f"This payment of {euros(Decimal('1000000'))} is {euros(excess)} more than what is owed "
        f"({euros(owed)})"
    ) in html
    assert re.search(r'<input type="checkbox" name="excess_owed_to_debtor"', html)
    assert not Payment.objects.filter(case=case).exists()
    assert not Refund.objects.filter(case=case).exists()
    assert Case.objects.get(pk=case.pk).state == CaseState.REMINDER


def test_confirmed_the_excess_is_owed_back_to_the_debtor_and_shown_to_the_agent(
    client, alpha_scope, case
):
    owed = _owed(case)
    client.force_login(alpha_scope.agent)
    response = _pay(client, case, "1000000.00", excess_owed_to_debtor="on")
    assert response.status_code == 302
    payment = Payment.objects.get(case=case)
    refund = Refund.objects.get(case=case)
    assert (refund.payment, refund.amount, refund.status) == (
        payment,
        Decimal("1000000.00") - owed,
        Refund.Status.OWED,
    )
    assert Case.objects.get(pk=case.pk).state == CaseState.PAID
    event = CaseEvent.objects.get(case=case, kind=CaseEvent.Kind.REFUND_OWED)
    assert Decimal(event.payload["amount"]) == refund.amount

    html = client.get(reverse("workspace:detail", args=[case.pk])).content.decode()
    assert f"data-refund-amount>{euros(refund.amount)}<" in html
    assert f"data-overpayment>{euros(refund.amount)}<" in html  # the statement's own figure
    assert 'data-refund="owed"' in html
    assert f"{euros(refund.amount)} received beyond what was owed" in html  # the timeline


def test_two_payments_that_together_exceed_the_debt_owe_the_second_ones_excess(
    client, alpha_scope, case
):
    """The issue's 2 x 258,38 € on 306,12 €: the second payment's excess is not hidden."""
    owed = _owed(case)
    half = (owed * Decimal("0.85")).quantize(Decimal("0.01"))
    client.force_login(alpha_scope.agent)
    assert _pay(client, case, str(half)).status_code == 302
    assert not Refund.objects.filter(case=case).exists()
    assert _pay(client, case, str(half)).status_code == 400
    assert _pay(client, case, str(half), excess_owed_to_debtor="on").status_code == 302
    refund = Refund.objects.get(case=case)
    assert refund.amount == 2 * half - owed
    assert refund.payment == Payment.objects.filter(case=case).latest("pk")


def test_the_creditor_is_remitted_what_was_owed_not_the_excess(client, alpha_scope, case):
    owed = _owed(case)
    client.force_login(alpha_scope.agent)
    _pay(client, case, "5000.00", excess_owed_to_debtor="on")
    (row,) = remittance(alpha_scope.creditor, date(2026, 5, 1), date(2026, 5, 31)).rows
    assert row.collected == owed
    (deadline,) = Deadline.objects.filter(case=case, kind=Deadline.Kind.REMITTANCE)
    assert deadline.amount == owed  # the month to remit runs on the creditor's money only
    assert row.commission == (owed * alpha_scope.creditor.commission_rate / 100).quantize(
        Decimal("0.01")
    )


def test_the_agent_records_the_refund_once(client, alpha_scope, case):
    client.force_login(alpha_scope.agent)
    _pay(client, case, "5000.00", excess_owed_to_debtor="on")
    refund = Refund.objects.get(case=case)
    url = reverse("workspace:refund_refunded", args=[refund.pk])

    early = client.post(url, {"refunded_on": "2026-05-01", **factories.once()})
    assert early.status_code == 400
    assert "A refund cannot come before the payment it returns" in early.content.decode()

    done = client.post(
        url, {"refunded_on": "2026-05-20", "bank_reference": "VIR-88", **factories.once()}
    )
    assert done.status_code == 302
    refund.refresh_from_db()
    assert (refund.status, refund.refunded_on, refund.bank_reference) == (
        Refund.Status.REFUNDED,
        TODAY,
        "VIR-88",
    )
    assert CaseEvent.objects.filter(case=case, kind=CaseEvent.Kind.REFUND_PAID).count() == 1

    again = client.post(url, {"refunded_on": "2026-05-20", **factories.once()})
    assert again.status_code == 400
    assert "already refunded" in again.content.decode()
    assert CaseEvent.objects.filter(case=case, kind=CaseEvent.Kind.REFUND_PAID).count() == 1


@pytest.mark.parametrize("who", ["creditor_user", "charlie"])
def test_only_the_agency_staff_record_a_refund(client, alpha_scope, case, who):
    client.force_login(alpha_scope.agent)
    _pay(client, case, "5000.00", excess_owed_to_debtor="on")
    refund = Refund.objects.get(case=case)
    client.force_login(getattr(alpha_scope, who))
    response = client.post(
        reverse("workspace:refund_refunded", args=[refund.pk]),
        {"refunded_on": "2026-05-20", **factories.once()},
    )
    assert response.status_code == 404
    assert Refund.objects.get(pk=refund.pk).status == Refund.Status.OWED


def test_the_refusals_read_in_french_in_the_page(client, settings, alpha_scope, case):
    settings.LANGUAGE_CODE = "fr"
    client.force_login(alpha_scope.agent)
    owed = _owed(case)
    fr = {"headers": {"accept-language": "fr"}}
    data = {"amount": "1000000.00", "method": "transfer"}
    too_much = client.post(
        reverse("workspace:payment_create", args=[case.pk]),
        {**data, "received_on": TODAY.isoformat(), **factories.once()},
        **fr,
    ).content.decode()
    assert (
        f"Ce paiement de {euros(Decimal('1000000'))} dépasse de "
        f"{euros(Decimal('1000000') - owed)} ce qui est dû ({euros(owed)})."
    ) in too_much
    assert "Le débiteur a bien payé ce montant" in too_much
    invoiced = case.claims.get().invoice_date
    too_early = client.post(
        reverse("workspace:payment_create", args=[case.pk]),
        {**data, "received_on": "1990-01-01", **factories.once()},
        **fr,
    ).content.decode()
    assert (
        "Un paiement ne peut pas être reçu avant la première facture, datée du "
        f"{invoiced:%d/%m/%Y}."
    ) in too_early
    assert not Payment.objects.filter(case=case).exists()
