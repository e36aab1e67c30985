"""Bank statements in: a CAMT.053 with matched, unmatched, ambiguous and duplicate lines, the
same file twice, a CSV, the agents' queue, and every matched line recorded once as a payment."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError

from cases.models import CaseState
from dunning.statement import case_statement
from payments import services
from payments.models import BankLine, BankStatement, LedgerEntry, Payment
from payments.selectors import statement_reconciliation
from tests import factories
from tests.outbox import run_outbox
from tests.payments.camt import Entry, camt053

TODAY = date(2026, 5, 20)
BOOKED = date(2026, 5, 19)


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(datetime(2026, 5, 20, 12, tzinfo=ZoneInfo("Europe/Paris"))):
        yield


@pytest.fixture
def cases(alpha_scope):
    w = alpha_scope
    make = factories.new_case
    return {
        "by_ref": make(w.creditor, factories.new_debtor(w.agency, name="Dupont Bâtiment"),
                       principal=Decimal("1200.00"), state=CaseState.REMINDER),
        "by_name": make(w.creditor, factories.new_debtor(w.agency, name="Garage Lefèvre"),
                        principal=Decimal("640.00"), state=CaseState.REMINDER),
        # two debtors named alike, both owing 300.00: a 300.00 transfer from "MARTIN" is ambiguous
        "twin_a": make(w.creditor, factories.new_debtor(w.agency, name="Martin"),
                       principal=Decimal("300.00"), state=CaseState.REMINDER),
        "twin_b": make(w.other_creditor, factories.new_debtor(w.agency, name="Martin"),
                       principal=Decimal("300.00"), state=CaseState.REMINDER),
    }  # fmt: skip


def _statement(world, cases, statement_id="STMT-1", extra=()):
    ref = cases["by_ref"].reference
    entries = [
        # the case reference, dashes lost by the bank
        Entry(Decimal("500.00"), "SARL DUPONT BATIMENT", f"REGLT {ref.replace('-', '')}",
              BOOKED, "BANK-0001"),
        # no reference: the amount and the debtor's name
        Entry(Decimal("640.00"), "GARAGE LEFEVRE", "FACTURE MARS", BOOKED, "BANK-0002"),
        # nobody we know
        Entry(Decimal("77.70"), "INCONNU SA", "VIREMENT", BOOKED, "BANK-0003"),
        # two cases fit equally
        Entry(Decimal("300.00"), "MME MARTIN", "PAIEMENT", BOOKED, "BANK-0004"),
        # the agency's own transfer out: not a debtor's payment
        Entry(Decimal("-50.00"), "FOURNISSEUR", "FRAIS", BOOKED, "BANK-0005", debit=True),
        *extra,
    ]  # fmt: skip
    return camt053(entries, account_iban=world.agency.collection_iban, statement_id=statement_id,
                   on=BOOKED)  # fmt: skip


def test_camt053_matched_unmatched_ambiguous_then_duplicates_and_the_same_file(alpha_scope, cases):
    w = alpha_scope
    owed_before = case_statement(cases["by_ref"], on=TODAY).outstanding
    content = _statement(w, cases)
    result = services.bank_statement_import(
        agency=w.agency, filename="releve.xml", content=content, actor=w.agent
    )
    assert (result.new_lines, result.duplicates, result.matched, result.queued) == (5, 0, 2, 2)
    lines = {line.line_key.split(":")[-2]: line for line in result.statement.lines.all()}
    assert lines["BANK-0001"].status == BankLine.Status.TO_RECORD
    assert lines["BANK-0001"].matched_by == BankLine.MatchedBy.REFERENCE
    assert lines["BANK-0001"].confidence == 100  # reference and the debtor's name
    assert lines["BANK-0002"].confidence == 80  # amount and name
    assert lines["BANK-0003"].status == BankLine.Status.UNMATCHED
    assert lines["BANK-0004"].status == BankLine.Status.AMBIGUOUS
    assert {c["case_id"] for c in lines["BANK-0004"].candidates} == {
        cases["twin_a"].pk, cases["twin_b"].pk,
    }  # fmt: skip
    assert lines["BANK-0005"].status == BankLine.Status.IGNORED

    run_outbox()
    matched = BankLine.objects.filter(status=BankLine.Status.MATCHED)
    assert matched.count() == 2
    payment = lines["BANK-0001"].__class__.objects.get(pk=lines["BANK-0001"].pk).payment
    assert (payment.amount, payment.source, payment.received_on) == (
        Decimal("500.00"), Payment.Source.BANK, BOOKED,
    )  # fmt: skip
    # 1,263.97 owed today without it; paid yesterday, the 500.00 went to interest first and
    # stopped 16 cents of interest from running on the principal it paid.
    assert owed_before == Decimal("1263.97")
    assert case_statement(cases["by_ref"], on=TODAY).outstanding == Decimal("763.81")
    garage = Payment.objects.get(case=cases["by_name"])
    assert garage.amount == Decimal("640.00")
    # a second delivery of the same message records nothing
    services.bank_line_record(line=matched.first(), actor=None)
    assert Payment.objects.count() == 2

    # the same file again: refused whole, nothing written
    with pytest.raises(ValidationError, match="already imported"):
        services.bank_statement_import(
            agency=w.agency, filename="releve.xml", content=content, actor=w.agent
        )
    # the next day's statement repeats two lines and brings one new
    new_line = Entry(Decimal("10.00"), "GARAGE LEFEVRE", "SOLDE", TODAY, "BANK-0006")
    again = services.bank_statement_import(
        agency=w.agency, filename="releve-2.xml",
        content=_statement(w, cases, statement_id="STMT-2", extra=[new_line]), actor=w.agent,
    )  # fmt: skip
    assert (again.new_lines, again.duplicates) == (1, 5)
    run_outbox()
    assert Payment.objects.count() == 2  # nothing recorded twice
    assert BankStatement.objects.count() == 2
    assert LedgerEntry.objects.filter(kind="payment", account="bank").count() == 2


def test_reconciliation_accounts_for_every_credit(alpha_scope, cases):
    w = alpha_scope
    result = services.bank_statement_import(
        agency=w.agency, filename="r.xml", content=_statement(w, cases), actor=w.agent
    )
    run_outbox()
    rec = statement_reconciliation(statement=result.statement)
    assert rec.credits == Decimal("1517.70")
    assert rec.recorded == Decimal("1140.00")
    assert rec.waiting == Decimal("377.70")
    assert rec.debits == Decimal("-50.00")
    assert rec.balanced


def test_an_agent_resolves_the_queue(alpha_scope, cases):
    w = alpha_scope
    result = services.bank_statement_import(
        agency=w.agency, filename="r.xml", content=_statement(w, cases), actor=w.agent
    )
    ambiguous = result.statement.lines.get(status=BankLine.Status.AMBIGUOUS)
    line = services.bank_line_resolve(line=ambiguous, actor=w.agent, case=cases["twin_b"])
    assert line.status == BankLine.Status.MATCHED
    assert line.matched_by == BankLine.MatchedBy.AGENT
    assert line.payment.case == cases["twin_b"]
    assert line.payment.source == Payment.Source.BANK
    unknown = result.statement.lines.get(status=BankLine.Status.UNMATCHED)
    with pytest.raises(ValidationError):
        services.bank_line_resolve(line=unknown, actor=w.agent, case=None, note=" ")
    line = services.bank_line_resolve(
        line=unknown, actor=w.agent, case=None, note="Remboursement d'assurance"
    )
    assert line.status == BankLine.Status.IGNORED
    with pytest.raises(ValidationError, match="already dealt with"):
        services.bank_line_resolve(line=line, actor=w.agent, case=cases["by_ref"])


def test_a_refused_match_goes_to_the_queue_with_the_reason(alpha_scope, cases):
    """More than the case owes: the bank's money is not guessed into a refund."""
    w = alpha_scope
    ref = cases["by_name"].reference
    content = camt053(
        [Entry(Decimal("9000.00"), "GARAGE LEFEVRE", ref, BOOKED, "BIG-1")],
        account_iban=w.agency.collection_iban, on=BOOKED,
    )  # fmt: skip
    services.bank_statement_import(agency=w.agency, filename="r.xml", content=content, actor=None)
    run_outbox()
    line = BankLine.objects.get()
    assert line.status == BankLine.Status.UNMATCHED
    assert "more than what is owed" in line.note
    assert not Payment.objects.exists()


def test_csv_statement_french_columns(alpha_scope, cases):
    w = alpha_scope
    ref = cases["by_ref"].reference
    content = (
        "Date;Montant;Nom;Libellé;Référence banque\n"
        f"19/05/2026;1 200,00;DUPONT BATIMENT;Règlement {ref};CSV-1\n"
        "19/05/2026;12,50;X;Divers;CSV-2\n"
    ).encode()
    result = services.bank_statement_import(
        agency=w.agency, filename="releve.csv", content=content, actor=w.agent
    )
    assert result.statement.format == BankStatement.Format.CSV
    assert (result.matched, result.queued) == (1, 1)
    run_outbox()
    assert Payment.objects.get().amount == Decimal("1200.00")


@pytest.mark.parametrize(
    "content, message",
    [
        (b"<Document xmlns='urn:iso:std:iso:20022:tech:xsd:camt.053.001.02'><Nope/></Document>",
         "does not follow the camt.053.001.02 schema"),
        (b"<Document xmlns='urn:iso:std:iso:20022:tech:xsd:pain.001.001.09'/>",
         "not a CAMT.053 statement"),
        (b"<?xml version='1.0'?><!DOCTYPE x [<!ENTITY a 'b'>]><x>&a;", "not valid XML"),
        (b"date;amount\n2026-05-19;10\n", "lacks the column"),
        (b"date;montant;libelle\n2026-05-19;dix euros;x\n", "Line 2"),
    ],
)  # fmt: skip
def test_bad_files_are_refused_in_words_and_nothing_written(alpha_scope, content, message):
    with pytest.raises(ValidationError, match=message):
        services.bank_statement_import(
            agency=alpha_scope.agency, filename="f", content=content, actor=None
        )
    assert not BankStatement.objects.exists()


def test_a_statement_of_another_account_is_refused(alpha_scope, cases):
    content = camt053([], account_iban="FR7630001007941234567890185", on=BOOKED)
    with pytest.raises(ValidationError, match="not your dedicated collection account"):
        services.bank_statement_import(
            agency=alpha_scope.agency, filename="f.xml", content=content, actor=None
        )


def test_a_letter_reference_finds_its_case(alpha_scope, cases):
    from notices.models import Channel, LetterKind, Notice

    w = alpha_scope
    Notice.objects.create(
        agency=w.agency, creditor=w.creditor, case=cases["by_name"], kind=LetterKind.FORMAL_NOTICE,
        channel=Channel.LETTER, reference="L-2026-000042", statement_on=TODAY,
    )  # fmt: skip
    content = camt053(
        [Entry(Decimal("20.00"), "QUELQU'UN", "VOTRE COURRIER L 2026 000042", BOOKED, "L-REF")],
        account_iban=w.agency.collection_iban, on=BOOKED,
    )  # fmt: skip
    result = services.bank_statement_import(
        agency=w.agency, filename="f.xml", content=content, actor=None
    )
    line = result.statement.lines.get()
    assert (line.case_id, line.confidence) == (cases["by_name"].pk, 90)
