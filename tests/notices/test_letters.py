"""Mandatory mentions, amounts and deadlines, asserted on real PDFs (legal-fr.md A, E, F)."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import time_machine
from pypdf import PdfReader

from cases.models import Case, CaseState, Creditor
from debtors.models import Debtor
from dunning.statement import case_statement
from notices import services
from notices.models import Channel, LetterKind, Notice
from payments.models import Payment
from payments.services import payment_plan_agree
from tests import factories
from tests.notices.conftest import b1_case, notice_text, pdf_text, sent_first_letter

# legal-fr.md REQ-A4, set with the one apostrophe letters use (’).
L111_8 = (
    "« Les frais de recouvrement entrepris sans titre exécutoire restent à la charge du "
    "créancier, sauf s’ils concernent un acte dont l’accomplissement est prescrit par la loi au "
    "créancier. Toute stipulation contraire est réputée non écrite, sauf disposition législative "
    "contraire. » « Cependant, le créancier qui justifie du caractère nécessaire des démarches "
    "entreprises pour recouvrer sa créance peut demander au juge de l’exécution de laisser tout "
    "ou partie des frais ainsi exposés à la charge du débiteur de mauvaise foi. »"
)


def render(**fields) -> Notice:
    notice = services.notice_create(actor=None, **fields)
    return services.notice_render(notice=notice)


def test_formal_notice_b1_amounts_mentions_and_pdfa(scoped):
    """REQ-B3 B1 at 2025-06-15: 106 days at 13.15 % = 45.83, + 40.00 = 1,285.83 (REQ-E1)."""
    creditor = factories.new_creditor(
        scoped.agency, "Boulangerie Martin SAS", mandate_allows_litigation=False
    )
    case = b1_case(creditor)
    first = sent_first_letter(case, date(2025, 5, 2))
    notice = render(
        case=case,
        kind=LetterKind.FORMAL_NOTICE,
        channel=Channel.REGISTERED_LETTER,
        on=date(2025, 6, 15),
        deadline_days=8,
    )
    assert notice.status == Notice.Status.RENDERED
    text = notice_text(notice)
    agency, creditor, debtor = case.agency, case.creditor, case.debtor
    # REQ-E1: the words, the debtor's SIREN, the breakdown per invoice, the basis, the deadline.
    assert "La présente lettre vaut mise en demeure (art. 1344 C. civ.)." in text
    assert "MISE EN DEMEURE" in text
    assert f"SIREN {debtor.siren[:3]} {debtor.siren[3:6]} {debtor.siren[6:]}" in text
    assert "FA-2025-0042 30/01/2025 01/03/2025 1 200,00 45,83 40,00" in text
    assert "1 285,83" in text
    assert (
        "Du 02/03/2025 au 15/06/2025 : 106 jours au taux annuel de 13,15 % sur 1 200,00 € = "
        "45,83 €" in text
    )
    assert "FONDEMENT DE LA CRÉANCE" in text
    assert "art. L441-10 II et D441-5 C. com." in text
    assert "au plus tard le lundi 23 juin 2025" in text  # 15 June + 8 days
    # REQ-A3: agency identity and activity, creditor, payment with the dedicated account.
    assert f"{agency.legal_name} exerce une activité de recouvrement amiable." in text
    assert f"{creditor.legal_name}, 3 place Bellecour, 69002 LYON" in text
    iban = " ".join(agency.collection_iban[i : i + 4] for i in range(0, 34, 4)).strip()
    assert iban in text
    assert f"Libellé obligatoire : {case.reference}" in text
    assert "Paris, le 15 juin 2025" in text
    # REQ-A4 verbatim, REQ-A6 first letter recalled, REQ-A9 no court threat without mandate.
    assert L111_8 in text
    assert f"notre lettre réf. {first.reference} du 2 mai 2025" in text
    assert "procédure judiciaire" not in text
    assert "LETTRE RECOMMANDÉE AVEC AVIS DE RÉCEPTION" in text
    # Evidence: PDF/A-3b, A4, hashed.
    with notice.pdf.open("rb") as pdf:
        reader = PdfReader(io.BytesIO(pdf.read()))
    xmp = reader.xmp_metadata
    assert xmp is not None and xmp.pdfaid_part == "3" and xmp.pdfaid_conformance == "B"
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)
    assert len(notice.sha256) == 64 and notice.page_count == len(reader.pages)


def test_court_statement_only_when_the_mandate_allows_litigation(scoped):
    """REQ-A9: "procédure judiciaire" renders only if the mandate allows litigation."""
    Creditor.objects.filter(pk=scoped.creditor.pk).update(mandate_allows_litigation=True)
    case = b1_case(Creditor.objects.get(pk=scoped.creditor.pk))
    sent_first_letter(case, date(2025, 5, 2))
    text = pdf_text(
        services.notice_preview(case=case, kind=LetterKind.FORMAL_NOTICE, on=date(2025, 6, 15))
    )
    assert "le créancier pourra engager une procédure judiciaire" in text


def test_first_reminder_carries_the_gdpr_notice_and_every_r124_4_mention(scoped):
    case = b1_case(scoped.creditor)
    notice = render(
        case=case, kind=LetterKind.FIRST_REMINDER, channel=Channel.LETTER, on=date(2025, 3, 20)
    )
    text = notice_text(notice)
    agency = case.agency
    # REQ-F3: controller and DPO, purposes and basis, categories and source, recipients,
    # retention, rights including objection (art. 21), complaint to the CNIL.
    for mention in (
        f"Responsable du traitement : {agency.legal_name}",
        f"Délégué à la protection des données : {agency.dpo_contact}",
        "Finalités et base légale",
        "Catégories de données",
        f"Source : ces données nous ont été transmises par le créancier, {case.creditor}",
        "Destinataires",
        "Durées de conservation",
        "opposition",
        "art. 15 à 21 du RGPD",
        "CNIL",
    ):
        assert mention in text, mention
    assert "exerce une activité de recouvrement amiable" in text
    assert L111_8 in text
    # 19 days late at 13.15 %: 1,200 x 0.1315 x 19 / 365 = 8.21.
    assert "FA-2025-0042 30/01/2025 01/03/2025 1 200,00 8,21 40,00 0,00 1 248,21" in text
    assert "MODALITÉS DE RÈGLEMENT" in text and "Par chèque" in text
    assert "au plus tard le vendredi 28 mars 2025" in text
    assert "Premier courrier" not in text  # this one is the first letter


def test_consumer_letters_carry_no_indemnity_and_legal_interest_from_the_notice(scoped):
    """REQ-A5 and REQ-C1: no €40, no fees; legal interest only from the formal notice."""
    debtor = factories.new_debtor(
        scoped.agency, kind=Debtor.Kind.PERSON, name="Durand", first_name="Marie", siren=""
    )
    case = b1_case(scoped.creditor, debtor, debt_kind="consumer")
    text = pdf_text(
        services.notice_preview(case=case, kind=LetterKind.FIRST_REMINDER, on=date(2025, 6, 15))
    )
    assert "APERÇU" in text
    assert "Indemnité forfaitaire" not in text and "40,00" not in text
    assert "dus à compter de la réception d’une mise en demeure" in text
    assert "Marie Durand" in text
    assert "1 200,00 0,00 0,00 1 200,00" in text


def test_payment_receipt_shows_the_imputation_and_the_balance(scoped):
    """REQ-A8 with REQ-C4 (i): €600 on 2025-06-15 → 45.83 interest, 554.17 principal."""
    case = b1_case(scoped.creditor)
    sent_first_letter(case, date(2025, 4, 1))
    payment = Payment.objects.create(
        agency=case.agency,
        case=case,
        amount=Decimal("600.00"),
        received_on=date(2025, 6, 15),
        method=Payment.Method.TRANSFER,
    )
    notice = services.notice_render(
        notice=services.payment_receipt_create(payment=payment, actor=None)
    )
    text = notice_text(notice)
    assert "la somme de 600,00 €, le 15 juin 2025, par virement." in text
    assert "FA-2025-0042 45,83 554,17 0,00 600,00" in text
    # 645.83 principal + 40.00 indemnity left on the day of the payment.
    assert "Solde restant dû après ce règlement : 685,83 €" in text
    assert "QUITTANCE" in text and "exerce une activité de recouvrement amiable" in text


def test_remittance_statement_commission_and_net(scoped):
    creditor = scoped.creditor
    case = b1_case(creditor)
    for amount, day in (("300.00", 10), ("133.33", 20)):
        Payment.objects.create(
            agency=case.agency,
            case=case,
            amount=Decimal(amount),
            received_on=date(2025, 6, day),
            method=Payment.Method.TRANSFER,
        )
    notice = services.notice_render(
        notice=services.remittance_statement_create(
            creditor=creditor,
            period_start=date(2025, 6, 1),
            period_end=date(2025, 6, 30),
            actor=None,
        )
    )
    text = notice_text(notice)
    # 433.33 collected, 15 % = 65.00 (to the cent, half-up), 368.33 to remit.
    assert f"{case.reference} {case.debtor} 2 433,33 65,00 368,33" in text
    assert "Net à reverser : 368,33 €" in text
    assert creditor.legal_name in text


@time_machine.travel(date(2026, 3, 2))
def test_payment_plan_agreement(scoped):
    case = b1_case(scoped.creditor)
    Case.objects.filter(pk=case.pk).update(state=CaseState.REMINDER)
    sent_first_letter(case, date(2026, 2, 2))
    owed = case_statement(case, on=date(2026, 3, 2)).outstanding
    half = (owed / 2).quantize(Decimal("0.01"))
    plan = payment_plan_agree(
        case=case,
        actor=scoped.agent,
        instalments=[(date(2099, 1, 5), half), (date(2099, 2, 5), owed - half)],
        approved_by=scoped.creditor_user,  # beyond the convention's 12 months (REQ-C5)
    )
    notice = services.notice_render(notice=services.payment_plan_create(plan=plan, actor=None))
    text = notice_text(notice)
    assert "ÉCHÉANCIER" in text and "« Bon pour accord », date et signature" in text
    assert "lundi 5 janvier 2099" in text
    assert "Intérêts de retard : ils cessent de courir à compter du 02/03/2026" in text
