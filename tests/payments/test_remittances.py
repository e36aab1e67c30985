"""Remittances: what was collected, the commission and its VAT, the net transferred by a
pain.001 the official XSD accepts, the statement PDF, each payment once even under two runs at
once, and money the creditor received itself never transferred."""

from __future__ import annotations

import threading
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django_scopes import scopes_disabled
from lxml import etree

from cases.models import CaseState
from collectio.celery import app
from dunning.models import Deadline
from notices.models import LetterKind, Notice
from payments import bankfiles, services
from payments.models import LedgerEntry, Payment, Remittance, RemittanceItem
from payments.selectors import funds_held, money_by_month
from tests import factories
from tests.notices.conftest import notice_text
from tests.outbox import run_outbox

TODAY = date(2026, 5, 20)
PARIS = ZoneInfo("Europe/Paris")


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(datetime(2026, 5, 20, 12, tzinfo=PARIS)):
        yield


def _pay(case, amount, source=Payment.Source.AGENT, on=date(2026, 5, 18), **extra):
    return services.payment_record(
        case=case, amount=Decimal(amount), received_on=on, method=Payment.Method.TRANSFER,
        actor=None, source=source, **extra,
    )  # fmt: skip


@pytest.fixture
def collected(alpha_scope):
    """Three payments for the creditor (15 % commission): two through the agency's account,
    one the debtor paid the creditor directly; one payment for another creditor."""
    w = alpha_scope
    first = factories.new_case(w.creditor, principal=Decimal("3000.00"), state=CaseState.REMINDER)
    second = factories.new_case(w.creditor, principal=Decimal("800.00"), state=CaseState.REMINDER)
    other = factories.new_case(w.other_creditor, principal=Decimal("500.00"), state="reminder")
    return [
        _pay(first, "1000.00"),
        _pay(second, "333.33", source=Payment.Source.BANK),
        _pay(first, "200.00", source=Payment.Source.CREDITOR),
        _pay(other, "100.00"),
    ]


def test_amounts_to_the_cent_and_direct_payments_never_transferred(alpha_scope, collected):
    w = alpha_scope
    remittance = services.remittance_prepare(creditor=w.creditor, on=TODAY, actor=None)
    # 1,000.00 + 333.33 through the account; 200.00 paid to the creditor itself.
    assert remittance.collected == Decimal("1333.33")
    assert remittance.direct == Decimal("200.00")
    # 15 % of each payment: 150.00 + 50.00 (49.9995) + 30.00, the direct one included.
    assert remittance.commission == Decimal("230.00")
    assert remittance.vat == Decimal("46.00")  # 20 % of the commission
    assert remittance.net == Decimal("1057.33")  # 1,333.33 − 230.00 − 46.00
    items = {i.payment_id: i for i in remittance.items.all()}
    assert items[collected[2].pk].remitted is False
    assert collected[3].pk not in items  # another creditor's payment
    # the transfer is the net, to the creditor's IBAN, from the dedicated account
    tree = etree.fromstring(remittance.pain001.encode())
    ns = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"}
    assert tree.findtext(".//p:CdtTrfTxInf/p:Amt/p:InstdAmt", namespaces=ns) == "1057.33"
    assert tree.findtext(".//p:CdtrAcct/p:Id/p:IBAN", namespaces=ns) == w.creditor.iban
    assert tree.findtext(".//p:DbtrAcct/p:Id/p:IBAN", namespaces=ns) == w.agency.collection_iban
    assert tree.findtext(".//p:GrpHdr/p:CtrlSum", namespaces=ns) == "1057.33"
    # nothing left to remit: a second run prepares nothing
    assert services.remittance_prepare(creditor=w.creditor, on=TODAY, actor=None) is None


def test_pain001_is_valid_against_the_official_xsd(alpha_scope, collected):
    remittance = services.remittance_prepare(creditor=alpha_scope.creditor, on=TODAY, actor=None)
    schema = etree.XMLSchema(etree.parse(str(bankfiles.PAIN001_XSD)))
    document = etree.fromstring(remittance.pain001.encode())
    assert schema.validate(document), schema.error_log
    # and the check bites: a transfer without its amount is refused
    document.find(".//{*}InstdAmt").getparent().remove(document.find(".//{*}InstdAmt"))
    with pytest.raises(bankfiles.BankFileError, match=r"pain\.001\.001\.09"):
        bankfiles.validate_pain001(etree.tostring(document))


def test_overpayment_owed_back_is_neither_remitted_nor_charged(alpha_scope):
    w = alpha_scope
    case = factories.new_case(w.creditor, principal=Decimal("100.00"), state=CaseState.REMINDER)
    payment = _pay(case, "500.00", excess_owed_to_debtor=True)
    refund = payment.refunds.get()
    remittance = services.remittance_prepare(creditor=w.creditor, on=TODAY, actor=None)
    assert remittance.collected == Decimal("500.00") - refund.amount
    assert remittance.commission == (remittance.collected * Decimal("0.15")).quantize(
        Decimal("0.01")
    )


def test_executed_moves_the_ledger_and_closes_the_r124_6_deadlines(alpha_scope, collected):
    w = alpha_scope
    assert funds_held(creditor=w.creditor, on=TODAY) == Decimal("1333.33")
    remittance = services.remittance_prepare(creditor=w.creditor, on=TODAY, actor=None)
    open_deadlines = Deadline.objects.filter(
        case__creditor=w.creditor, kind=Deadline.Kind.REMITTANCE, status=Deadline.Status.OPEN
    )
    assert open_deadlines.count() == 2  # none for the payment the creditor received itself
    services.remittance_mark_executed(remittance=remittance, executed_on=TODAY, actor=w.admin)
    assert not open_deadlines.exists()
    assert funds_held(creditor=w.creditor, on=TODAY) == Decimal("0.00")
    assert funds_held(creditor=w.creditor, on=date(2026, 5, 19)) == Decimal("1333.33")
    moved = {
        kind: sum(e.amount for e in LedgerEntry.objects.filter(kind=kind, account="bank"))
        for kind in ("remittance", "commission")
    }
    assert moved == {"remittance": Decimal("-1057.33"), "commission": Decimal("-276.00")}
    (may,) = money_by_month(
        principal=w.admin.membership, start=date(2026, 1, 1), end=TODAY, creditor_id=w.creditor.pk
    )
    assert may == (date(2026, 5, 1), Decimal("1333.33"), Decimal("0.00"), Decimal("1057.33"),
                   Decimal("276.00"))  # fmt: skip
    (both,) = money_by_month(principal=w.admin.membership, start=date(2026, 1, 1), end=TODAY)
    assert both.collected == Decimal("1433.33")  # and the other creditor's 100.00
    # a creditor's user sees its own figures only
    (own,) = money_by_month(
        principal=w.other_creditor_user.membership, start=date(2026, 1, 1), end=TODAY
    )
    assert own.collected == Decimal("100.00")
    with pytest.raises(ValidationError, match="already marked executed"):
        services.remittance_mark_executed(remittance=remittance, executed_on=TODAY, actor=None)


def test_direct_payments_without_commission_in_the_convention(alpha_scope, collected):
    w = alpha_scope
    w.creditor.commission_on_direct_payments = False
    w.creditor.save()
    remittance = services.remittance_prepare(creditor=w.creditor, on=TODAY, actor=None)
    assert remittance.direct == Decimal("0.00")
    assert remittance.commission == Decimal("200.00")
    assert not RemittanceItem.objects.filter(payment=collected[2]).exists()


def test_commission_beyond_what_was_collected_takes_only_the_collection(alpha_scope):
    """Only direct payments: the creditor owes the commission; nothing is transferred and the
    account gives no more than it holds."""
    w = alpha_scope
    case = factories.new_case(w.creditor, principal=Decimal("1000.00"), state=CaseState.REMINDER)
    _pay(case, "50.00")
    _pay(case, "500.00", source=Payment.Source.CREDITOR)
    remittance = services.remittance_prepare(creditor=w.creditor, on=TODAY, actor=None)
    assert (remittance.collected, remittance.commission, remittance.vat) == (
        Decimal("50.00"), Decimal("82.50"), Decimal("16.50"),
    )  # fmt: skip
    assert remittance.net == Decimal("-49.00")
    assert remittance.pain001 == ""
    services.remittance_mark_executed(remittance=remittance, executed_on=TODAY, actor=None)
    assert funds_held(creditor=w.creditor, on=TODAY) == Decimal("0.00")


def test_each_payment_once_in_the_database(alpha_scope, collected):
    remittance = services.remittance_prepare(creditor=alpha_scope.creditor, on=TODAY, actor=None)
    with pytest.raises(IntegrityError), transaction.atomic():
        RemittanceItem.objects.create(
            agency=alpha_scope.agency, remittance=remittance, payment=collected[0],
            amount=Decimal("1"), commission=Decimal("0"), remitted=True,
        )  # fmt: skip


def test_the_statement_pdf_says_the_figures(alpha_scope, collected, eager_tasks):
    w = alpha_scope
    remittance = services.remittance_prepare(creditor=w.creditor, on=TODAY, actor=None)
    run_outbox()
    notice = Notice.objects.get(kind=LetterKind.REMITTANCE_STATEMENT)
    assert notice.data["remittance_id"] == remittance.pk
    text = notice_text(Notice.objects.get(pk=notice.pk))
    assert f"REVERSEMENT {remittance.reference}" in text  # a heading, in capitals
    assert "C-2026-000001 Garage Dupont SARL 2 1 200,00 180,00 820,00" in text
    assert "Net à reverser : 1 057,33 €" in text
    assert "TVA sur la commission (20,00 %) 46,00" in text
    assert "Dont réglé directement entre vos mains" in text
    run_outbox()
    assert Notice.objects.filter(kind=LetterKind.REMITTANCE_STATEMENT).count() == 1


def test_the_beat_runs_every_creditor(alpha_scope, collected):
    app.finalize()
    assert "payments.tasks.remittances" in {e["task"] for e in app.conf.beat_schedule.values()}
    from payments.tasks import remittances

    assert remittances() == 2  # both creditors of Alpha have something to remit
    assert remittances() == 0


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_runs_remit_each_payment_exactly_once(world):
    """Two runs for one creditor at the same instant, on two connections: one prepares the
    remittance, the other waits for its lock and then finds nothing left."""
    with scopes_disabled(), time_machine.travel(datetime(2026, 5, 20, 12, tzinfo=PARIS)):
        cases = [
            factories.new_case(world.creditor, principal=Decimal("400.00"), state="reminder")
            for _ in range(3)
        ]
        for case in cases:
            _pay(case, "100.00")
    barrier, results, errors = threading.Barrier(2), [], []

    def run() -> None:
        try:
            with scopes_disabled(), time_machine.travel(datetime(2026, 5, 20, 12, tzinfo=PARIS)):
                barrier.wait()
                results.append(
                    services.remittance_prepare(creditor=world.creditor, on=TODAY, actor=None)
                )
        except Exception as error:  # reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(r is None for r in results) == [False, True]
    with scopes_disabled():
        assert Remittance.objects.count() == 1
        assert RemittanceItem.objects.count() == 3
        assert Remittance.objects.get().collected == Decimal("300.00")
