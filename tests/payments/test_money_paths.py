"""Every way money comes in, to the cent, on legal-fr.md's imputation examples: typed by an
agent, declared by the creditor (received directly), posted through the API, or read from a
bank statement (CAMT.053, CSV, or the agents' queue). Each is imputed as the law says (REQ-C4),
the creditor is told (REQ-A7), the debtor gets a receipt showing the imputation (REQ-A8), and it
reaches the ledger and the next remittance, except what the creditor received itself."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine

from cases import services as case_services
from cases.models import Case, CaseEvent, CaseState
from debtors.models import Debtor
from dunning.statement import case_statement
from notices.models import LetterKind, Notice
from payments import services
from payments.models import BankLine, Payment
from payments.selectors import funds_held
from tests import factories
from tests.notices.conftest import notice_text
from tests.outbox import run_outbox
from tests.payments.camt import Entry, camt053

PAID_ON = date(2025, 6, 15)
ZERO_ = Decimal("0.00")
PATHS = ("agent", "creditor", "api", "camt053", "csv", "queue")


def _b1(world) -> Case:
    """REQ-B3 B1: 1,200.00 € due 2025-03-01, between professionals."""
    case = case_services.case_open(
        agency=world.agency, creditor=world.creditor,
        debtor=factories.new_debtor(world.agency, name="Dupont Bâtiment"),
        claims=[case_services.ClaimInput(
            invoice_number="B1", invoice_date=date(2025, 3, 1), due_date=date(2025, 3, 1),
            principal=Decimal("1200.00"), debt_kind="b2b",
        )],
        actor=None,
    )  # fmt: skip
    Case.objects.filter(pk=case.pk).update(state=CaseState.REMINDER)
    return Case.objects.get(pk=case.pk)


def pay_by(path: str, world, case: Case, amount: Decimal, on: date) -> Payment:
    """Money in by one of the paths, as the product records it."""
    if path in ("agent", "creditor", "api"):
        return services.payment_record(
            case=case, amount=amount, received_on=on, method=Payment.Method.TRANSFER,
            actor=world.agent, source=path,
        )  # fmt: skip
    info = f"Facture B1 {case.reference}" if path != "queue" else "Facture B1"
    if path == "csv":
        content = f"date;montant;nom;libellé\n{on:%d/%m/%Y};{amount};X;{info}\n".encode()
    else:
        content = camt053(
            [Entry(amount, "SOMEONE ELSE", info, on, f"REF-{case.pk}-{amount}")],
            account_iban=world.agency.collection_iban, statement_id=f"S-{case.pk}", on=on,
        )  # fmt: skip
    result = services.bank_statement_import(
        agency=world.agency, filename="s", content=content, actor=world.agent
    )
    line = result.statement.lines.get()
    if path == "queue":
        assert line.status == BankLine.Status.UNMATCHED
        line = services.bank_line_resolve(line=line, actor=world.agent, case=case)
    else:
        run_outbox(kinds={services.BANK_LINE_RECORD})
        line.refresh_from_db()
    assert line.status == BankLine.Status.MATCHED
    return line.payment


@pytest.mark.parametrize("path", PATHS)
def test_partial_payment_goes_to_interest_first_then_the_balance(scoped, path, settings):
    """REQ-C4 (i): 600 € paid 2025-06-15 → 45.83 to interest, 554.17 to principal; on
    2025-07-15 the debtor owes 645.83 + 6.71 + 40 = 692.54 €."""
    w = scoped
    w.creditor.contact_email = "compta@martin.fr"
    w.creditor.save()
    with time_machine.travel(datetime(2025, 6, 16, 12, tzinfo=ZoneInfo("Europe/Paris"))):
        case = _b1(w)
        payment = pay_by(path, w, case, Decimal("600.00"), PAID_ON)
        expected_source = {"camt053": "bank", "csv": "bank", "queue": "bank"}.get(path, path)
        assert (payment.amount, payment.source) == (Decimal("600.00"), expected_source)
        run_outbox()
        (line,) = case_statement(case, on=date(2025, 7, 15)).claims
        assert (line.paid_interest, line.paid_principal) == (Decimal("45.83"), Decimal("554.17"))
        assert (line.balance_principal, line.balance_interest) == (
            Decimal("645.83"), Decimal("6.71"),
        )  # fmt: skip
        assert line.balance == Decimal("692.54")
        assert Case.objects.get(pk=case.pk).principal_due == Decimal("645.83")
        # the creditor is told, the debtor gets the receipt with the imputation
        assert CaseEvent.objects.filter(case=case, kind=CaseEvent.Kind.CREDITOR_NOTIFIED).exists()
        receipt = notice_text(Notice.objects.get(case=case, kind=LetterKind.PAYMENT_RECEIPT))
        assert "600,00" in receipt and "45,83" in receipt and "554,17" in receipt
        # the ledger and the next remittance: the creditor's own receipt is never transferred
        direct = path == "creditor"
        assert funds_held(creditor=w.creditor, on=PAID_ON) == (
            Decimal("0.00") if direct else Decimal("600.00")
        )
        remittance = services.remittance_prepare(creditor=w.creditor, on=PAID_ON, actor=None)
        assert (remittance.collected, remittance.direct) == (
            (Decimal("0.00"), Decimal("600.00")) if direct else (Decimal("600.00"), ZERO_)
        )
        assert (remittance.commission, remittance.vat) == (Decimal("90.00"), Decimal("18.00"))
        assert remittance.net == (Decimal("-108.00") if direct else Decimal("492.00"))


@pytest.mark.parametrize("path", ["agent", "camt053"])
def test_across_invoices_without_designation(scoped, path):
    """REQ-C4 (ii): A 300 € (due 2025-01-31), B 500 € (due 2025-03-31), C 200 € (due
    2025-12-31); 600 € paid 2025-06-30 without indication → A 0, B 200, C 200 (due debts first,
    then the oldest)."""
    w = scoped
    with time_machine.travel(datetime(2025, 7, 1, 12, tzinfo=ZoneInfo("Europe/Paris"))):
        case = case_services.case_open(
            agency=w.agency, creditor=w.creditor,
            debtor=factories.new_debtor(w.agency, kind=Debtor.Kind.PERSON, siren="",
                                        first_name="Julie"),
            claims=[
                case_services.ClaimInput(
                    invoice_number=n, invoice_date=due, due_date=due, principal=Decimal(p),
                    debt_kind="consumer",
                )
                for n, p, due in (("A", "300.00", date(2025, 1, 31)),
                                  ("B", "500.00", date(2025, 3, 31)),
                                  ("C", "200.00", date(2025, 12, 31)))
            ],
            actor=None,
        )  # fmt: skip
        Case.objects.filter(pk=case.pk).update(state=CaseState.REMINDER)
        pay_by(path, w, case, Decimal("600.00"), date(2025, 6, 30))
        statement = case_statement(case, on=date(2025, 6, 30))
    assert [c.balance_principal for c in statement.claims] == [
        Decimal("0.00"), Decimal("200.00"), Decimal("200.00"),
    ]  # fmt: skip
