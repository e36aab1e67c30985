"""French typography in letters (issue 8, item 6): elision, "1er" in capitals, one apostrophe,
tables that stay whole across pages, amounts written the French way."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pypdfium2
import pytest

from cases import services as case_services
from collectio.money import format_money
from debtors.models import Debtor
from notices import services
from notices.linter import render_wording
from notices.models import Channel, LetterKind
from notices.rendering import render_letter
from notices.samples import sample_context
from notices.templatetags.letters import elide
from payments.models import Payment
from tests import factories
from tests.notices.conftest import b1_case, notice_text, pdf_text, sent_first_letter


@pytest.mark.parametrize(
    ("word", "name", "expected"),
    [
        ("de", "Boulangerie Martin SAS", "de Boulangerie Martin SAS"),
        ("de", "Imprimerie Moreau SAS", "d’Imprimerie Moreau SAS"),
        ("de", "Élodie Martin", "d’Élodie Martin"),
        ("de", "Atelier Durand", "d’Atelier Durand"),
        ("de", "Œuvres sociales", "d’Œuvres sociales"),
        ("de", "EDF", "d’EDF"),
        ("de", "Hôtel du Lac SARL", "d’Hôtel du Lac SARL"),  # mute h
        ("de", "Hachette Livre", "de Hachette Livre"),  # aspirated h
        ("de", "Hautes-Alpes Transports", "de Hautes-Alpes Transports"),
        ("de", "Yves Rocher", "d’Yves Rocher"),
        ("de", "Yannick Noël", "de Yannick Noël"),  # a consonant y
        ("de", "3M France", "de 3M France"),
        ("le", "Hôtel de ville", "l’Hôtel de ville"),
        ("la", "Harpe d’or", "la Harpe d’or"),
        ("la", "Imprimerie", "l’Imprimerie"),
        ("que", "Élodie", "qu’Élodie"),
        ("que", "Martin", "que Martin"),
    ],
)
def test_elision(word, name, expected):
    assert elide(name, word) == expected


def test_elision_escapes_what_it_prints():
    assert elide("Atelier <b>", "de") == "d’Atelier &lt;b&gt;"


def test_receipt_elides_before_a_vowel(scoped):
    """ "pour le compte d’Imprimerie", "reçu d’Élodie": not "de Imprimerie", "de Élodie"."""
    creditor = factories.new_creditor(scoped.agency, "Imprimerie Moreau SAS")
    debtor = factories.new_debtor(
        scoped.agency, kind=Debtor.Kind.PERSON, name="Martin", first_name="Élodie", siren=""
    )
    case = b1_case(creditor, debtor, debt_kind="consumer")
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
    assert "agissant pour le compte d’Imprimerie Moreau SAS" in text
    assert "reconnaît avoir reçu d’Élodie Martin la somme de 600,00 €" in text
    assert "de Imprimerie" not in text and "de Élodie" not in text


def test_agency_wording_may_elide_too(scoped):
    from notices.models import LetterTemplate

    LetterTemplate.objects.create(
        agency=scoped.agency,
        kind=LetterKind.FIRST_REMINDER,
        body='Nous agissons pour le compte {{ creditor_name|elide:"de" }}.',
    )
    case = b1_case(factories.new_creditor(scoped.agency, "Imprimerie Moreau SAS"))
    text = pdf_text(
        services.notice_preview(case=case, kind=LetterKind.FIRST_REMINDER, on=date(2025, 6, 15))
    )
    assert "Nous agissons pour le compte d’Imprimerie Moreau SAS." in text


def test_the_court_is_named_with_elision(scoped):
    from notices.dossier import competent_court

    debtor = factories.new_debtor(
        scoped.agency, kind=Debtor.Kind.PERSON, name="Roy", siren="", postcode="91000", city="ÉVRY"
    )
    case = b1_case(scoped.creditor, debtor, debt_kind="consumer")
    assert competent_court(case)["name"] == "Tribunal judiciaire d’Évry"


def test_the_first_of_the_month_stays_1er_in_capitals(scoped):
    case = b1_case(scoped.creditor)
    text = pdf_text(
        services.notice_preview(case=case, kind=LetterKind.FIRST_REMINDER, on=date(2025, 4, 1))
    )
    assert "DÉCOMPTE AU 1er AVRIL 2025" in text
    assert "1ER" not in text


@pytest.mark.parametrize("kind", list(LetterKind))
def test_one_apostrophe_in_every_letter(kind):
    """The fixed text (L111-8, GDPR notice, wording, closing) uses ’ only."""
    text = pdf_text(render_letter(kind, sample_context(kind)).content)
    assert "’" in text and "'" not in text


def test_names_typed_with_a_straight_apostrophe_come_out_with_the_letters_one(scoped):
    creditor = factories.new_creditor(scoped.agency, "L'Atelier d'Hélène SARL")
    case = b1_case(creditor, factories.new_debtor(scoped.agency, name="Garage de l'Ouest"))
    text = pdf_text(
        services.notice_preview(case=case, kind=LetterKind.FIRST_REMINDER, on=date(2025, 6, 15))
    )
    assert "L’Atelier d’Hélène SARL nous a confié" in text  # in the agency's wording
    assert "Créancier L’Atelier d’Hélène SARL" in text  # in the fixed template
    assert "Garage de l’Ouest" in text
    assert "'" not in text


def test_the_letters_email_keeps_names_as_typed_not_as_html(scoped):
    agency = scoped.agency
    agency.legal_name = "Recouvrement & Fils d'Auvergne"
    agency.save()
    case = b1_case(scoped.creditor)
    case.debtor.contact_points.create(agency=agency, channel="email", value="a@b.fr")
    notice = services.notice_render(
        notice=services.notice_create(
            case=case,
            kind=LetterKind.FIRST_REMINDER,
            channel=Channel.EMAIL,
            actor=None,
            on=date(2025, 6, 15),
        )
    )
    assert "Recouvrement & Fils d’Auvergne exerce une activité de recouvrement amiable." in (
        notice.body
    )
    assert "&amp;" not in notice.body and "&#x27;" not in notice.body


def test_amounts_are_written_the_french_way():
    assert format_money(Decimal("2143.37")) == "2\u00a0143,37\u00a0€"
    assert format_money(Decimal("-1234567.8"), currency=False) == "-1\u00a0234\u00a0567,80"
    assert format_money(Decimal("0")) == "0,00\u00a0€"


# --- tables across pages -----------------------------------------------------------------
FILLER = (
    "Nous vous rappelons les termes de notre accord et vous remercions de votre confiance "
    "renouvelée dans la résolution amiable de ce dossier."
)


def _pages(content: bytes) -> list[str]:
    document = pypdfium2.PdfDocument(content)
    try:
        return [" ".join(page.get_textpage().get_text_bounded().split()) for page in document]
    finally:
        document.close()


def _first_page_of(pages: list[str], marker: str) -> int:
    return next(number for number, text in enumerate(pages) if marker in text)


def _layouts(kind: str, paragraphs: range, markers: tuple[str, ...]) -> list[list[int]]:
    """For more and more wording ahead of it, the page on which each marker shows."""
    layouts = []
    for count in paragraphs:
        context = sample_context(kind)
        context["wording"] = render_wording("\n\n".join([FILLER] * count), {})
        pages = _pages(render_letter(kind, context).content)
        assert len(pages) >= 2
        layouts.append([_first_page_of(pages, marker) for marker in markers])
    return layouts


def _whole_and_moved(layouts: list[list[int]]) -> None:
    assert all(len(set(pages)) == 1 for pages in layouts), layouts  # never split
    assert len({pages[0] for pages in layouts}) > 1, layouts  # pushed across a page break


def test_the_plans_instalments_stay_on_one_page():
    instalments = (
        "ÉCHÉANCIER",
        "1 dimanche 15 mars 2026",
        "2 mercredi 15 avril 2026",
        "3 vendredi 15 mai 2026",
        "Total 1 520,00 €",
    )
    _whole_and_moved(_layouts(LetterKind.PAYMENT_PLAN, range(0, 24, 3), instalments))


def test_the_first_reminders_statement_and_total_box_stay_whole():
    statement = ("DÉCOMPTE AU", "F-2025-1187", "F-2025-1243", "= 6,64 €", "Total 1 686,50")
    box = ("Montant restant dû : 1 520,00 €", "À régler au plus tard le mardi 10 mars 2026.")
    layouts = _layouts(LetterKind.FIRST_REMINDER, range(1, 13, 2), statement + box)
    _whole_and_moved([pages[: len(statement)] for pages in layouts])
    assert all(len(set(pages[len(statement) :])) == 1 for pages in layouts), layouts


def test_a_long_statement_breaks_between_invoices_never_before_its_total(scoped):
    """More invoices than a page holds: the table breaks, but between two invoices, never
    between an invoice and its interest detail, and never just before its total."""
    claims = [
        case_services.ClaimInput(
            invoice_number=f"FA-2025-{n:04d}",
            invoice_date=date(2025, 1, 30),
            due_date=date(2025, 3, 1),
            principal=Decimal("100.00"),
            debt_kind="b2b",
        )
        for n in range(1, 31)
    ]
    case = case_services.case_open(
        agency=scoped.agency,
        creditor=scoped.creditor,
        debtor=factories.new_debtor(scoped.agency),
        claims=claims,
        actor=None,
    )
    content = services.notice_preview(
        case=case, kind=LetterKind.FIRST_REMINDER, on=date(2025, 6, 15)
    )
    pages = _pages(content)
    detail = "Du 02/03/2025 au 15/06/2025 : 106 jours"
    rows = [
        re.findall(rf"FA-2025-\d{{4}} 30/01/2025 01/03/2025 .*? {detail}", page) for page in pages
    ]
    assert sum(len(found) for found in rows) == 30  # each invoice with its detail, whole
    assert len([found for found in rows if found]) >= 2  # the statement did break
    last = max(number for number, found in enumerate(rows) if found)
    assert "Total 3 000,00" in pages[last]
