"""The statement of account read from the database, on legal-fr.md's worked examples."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django_scopes import scopes_disabled

from cases import services as case_services
from cases.models import Case
from debtors.models import Debtor
from dunning.statement import case_statement
from law.interest import RateMissing
from payments.models import Payment
from tests import factories


def _open(world, claims, *, debtor_kind=Debtor.Kind.COMPANY, creditor=None, **case_fields) -> Case:
    fields = {"kind": debtor_kind}
    if debtor_kind != Debtor.Kind.COMPANY:
        fields.update(siren="", first_name="Julie")
    debtor = factories.new_debtor(world.agency, **fields)
    case = case_services.case_open(
        agency=world.agency,
        creditor=creditor or world.creditor,
        debtor=debtor,
        claims=claims,
        actor=None,
    )
    if case_fields:
        Case.objects.filter(pk=case.pk).update(**case_fields)
    return Case.objects.select_related("creditor", "debtor", "agency").get(pk=case.pk)


def _claim(number, principal, due, kind="b2b", invoice=None):
    return case_services.ClaimInput(
        invoice_number=number,
        invoice_date=invoice or due,
        due_date=due,
        principal=Decimal(principal),
        debt_kind=kind,
    )


def _pay(case, amount, on):
    Payment.objects.create(
        agency_id=case.agency_id,
        case=case,
        amount=Decimal(amount),
        received_on=on,
        method="transfer",
    )


def test_b1_late_b2b_invoice(alpha_scope):
    case = _open(alpha_scope, [_claim("B1", "1200.00", date(2025, 3, 1))])
    statement = case_statement(case, on=date(2025, 6, 15))
    (line,) = statement.claims
    assert line.interest == Decimal("45.83")
    assert [a.segment.rate for a in line.accruals] == [Decimal("13.15")]
    assert line.indemnity == Decimal("40.00")
    assert statement.balance == Decimal("1285.83")


def test_c4_partial_payment_goes_to_interest_first(alpha_scope):
    case = _open(alpha_scope, [_claim("B1", "1200.00", date(2025, 3, 1))])
    _pay(case, "600.00", date(2025, 6, 15))
    (line,) = case_statement(case, on=date(2025, 7, 15)).claims
    assert (line.paid_interest, line.paid_principal) == (Decimal("45.83"), Decimal("554.17"))
    assert line.balance_principal == Decimal("645.83")
    assert line.balance_interest == Decimal("6.71")
    assert line.balance == Decimal("692.54")


def test_c4_across_debts_without_designation(alpha_scope):
    case = _open(
        alpha_scope,
        [
            _claim("A", "300.00", date(2025, 1, 31), kind="consumer"),
            _claim("B", "500.00", date(2025, 3, 31), kind="consumer"),
            _claim("C", "200.00", date(2025, 12, 31), kind="consumer"),
        ],
        debtor_kind=Debtor.Kind.PERSON,
    )
    _pay(case, "600.00", date(2025, 6, 30))
    statement = case_statement(case, on=date(2025, 6, 30))
    assert [c.balance_principal for c in statement.claims] == [
        Decimal("0.00"),
        Decimal("200.00"),
        Decimal("200.00"),
    ]


def test_b4_three_late_invoices_owe_120_euros(alpha_scope):
    claims = [_claim(f"F{i}", "100.00", date(2025, 3, 1)) for i in range(3)]
    statement = case_statement(_open(alpha_scope, claims), on=date(2025, 6, 15))
    assert statement.indemnity == Decimal("120.00")


def test_c2_consumer_interest_runs_from_the_formal_notice(alpha_scope):
    claims = [_claim("C2", "850.00", date(2025, 6, 1), kind="consumer")]
    case = _open(
        alpha_scope,
        claims,
        debtor_kind=Debtor.Kind.PERSON,
        formal_notice_received_on=date(2025, 10, 10),
    )
    statement = case_statement(case, on=date(2026, 1, 20))
    assert statement.interest == Decimal("6.49")
    assert statement.indemnity == Decimal("0")  # never on a consumer (REQ-A5)


def test_c2_private_person_creditor_gets_the_higher_legal_rate(alpha_scope):
    with scopes_disabled():
        private = factories.new_creditor(
            alpha_scope.agency, "M. Paul Durand", is_private_person=True
        )
    case = _open(
        alpha_scope,
        [_claim("C2", "850.00", date(2025, 6, 1), kind="consumer")],
        debtor_kind=Debtor.Kind.PERSON,
        creditor=private,
        formal_notice_received_on=date(2025, 10, 10),
    )
    assert case_statement(case, on=date(2026, 1, 20)).interest == Decimal("15.81")


def test_no_formal_notice_no_consumer_interest(alpha_scope):
    claims = [_claim("C", "850.00", date(2025, 6, 1), kind="consumer")]
    case = _open(alpha_scope, claims, debtor_kind=Debtor.Kind.PERSON)
    assert case_statement(case, on=date(2026, 1, 20)).interest == Decimal("0")


def test_missing_rate_is_an_error_not_a_fallback(alpha_scope):
    case = _open(alpha_scope, [_claim("S2", "1000.00", date(2026, 6, 1))])
    with pytest.raises(RateMissing, match=r"RATE_MISSING\(2026-S2\)"):
        case_statement(case, on=date(2026, 7, 15))


def test_debtor_designation_overrides_the_legal_order(alpha_scope):
    import time_machine

    from payments.models import PaymentDesignation
    from payments.services import payment_record

    case = _open(
        alpha_scope,
        [
            _claim("A", "300.00", date(2025, 1, 31), kind="consumer"),
            _claim("C", "200.00", date(2025, 12, 31), kind="consumer"),
        ],
        debtor_kind=Debtor.Kind.PERSON,
    )
    later = case.claims.get(invoice_number="C")
    with time_machine.travel(date(2025, 7, 1)):
        payment_record(
            case=case,
            amount=Decimal("200.00"),
            received_on=date(2025, 6, 30),
            method="transfer",
            actor=None,
            designated_claims=[later],
        )
    balances = {
        c.invoice_number: c.balance for c in case_statement(case, on=date(2025, 6, 30)).claims
    }
    assert balances == {"A": Decimal("300.00"), "C": Decimal("0.00")}
    assert PaymentDesignation.objects.get().agency_id == alpha_scope.agency.pk
