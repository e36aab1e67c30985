"""The intake core: uploads checked by content, debtors never duplicated, one case_submit."""

from __future__ import annotations

import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile

from cases.intake import (
    CASE_SUBMITTED,
    DUPLICATE,
    DocumentInput,
    case_document_add,
    case_duplicates,
    case_submit,
)
from cases.models import Case, CaseDocument, CaseEvent, CaseState
from cases.services import ClaimInput
from collectio.outbox import OutboxMessage
from collectio.uploads import MAX_UPLOAD_BYTES, upload_check
from debtors.models import ContactPoint, Debtor
from debtors.services import DebtorInput, debtor_match
from tests import factories
from tests.outbox import run_outbox

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 32
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 32


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def pdf(name="facture.pdf", content=PDF):
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def company(siren: str, **fields) -> DebtorInput:
    values = dict(
        kind="company",
        name="Garage Dupont SARL",
        siren=siren,
        address_line1="8 avenue Foch",
        postcode="44000",
        city="Nantes",
        email="compta@dupont.fr",
        phone="02 40 00 00 00",
    )
    values.update(fields)
    return DebtorInput(**values)


def claim(number="F-1", amount="1200.00", days_ago=60) -> ClaimInput:
    invoiced = date.today() - timedelta(days=days_ago)
    return ClaimInput(
        invoice_number=number,
        invoice_date=invoiced,
        due_date=invoiced + timedelta(days=30),
        principal=Decimal(amount),
        debt_kind="b2b",
    )


# --- uploads --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("content", "mime"), [(PDF, "application/pdf"), (PNG, "image/png"), (JPEG, "image/jpeg")]
)
def test_a_document_is_known_by_its_content(content, mime):
    checked = upload_check(io.BytesIO(content))
    assert checked.content_type == mime
    assert checked.size == len(content)
    assert len(checked.sha256) == 64


def test_a_file_named_pdf_that_is_not_one_is_refused_in_french():
    with pytest.raises(ValidationError) as refused:
        upload_check(SimpleUploadedFile("facture.pdf", b"PK\x03\x04" + b"\x00" * 64))
    assert refused.value.code == "file_type"
    assert "is not a PDF, JPEG or PNG" in refused.value.messages[0]
    assert "facture.pdf" in refused.value.messages[0]


def test_a_file_over_ten_megabytes_is_refused():
    big = SimpleUploadedFile("gros.pdf", PDF + b"0" * MAX_UPLOAD_BYTES)
    with pytest.raises(ValidationError) as refused:
        upload_check(big)
    assert refused.value.code == "too_large"
    assert "10.0" in refused.value.messages[0] or "10,0" in refused.value.messages[0]


def test_an_empty_file_is_refused():
    with pytest.raises(ValidationError) as refused:
        upload_check(SimpleUploadedFile("vide.pdf", b""))
    assert refused.value.code == "empty"


# --- debtors ---------------------------------------------------------------------------------
def test_a_company_is_reused_by_siren_for_any_creditor(alpha_scope):
    world = alpha_scope
    existing = factories.new_debtor(world.agency, name="Garage Dupont")
    found, created = debtor_match(
        agency=world.agency, debtor=company(existing.siren[:3] + " " + existing.siren[3:])
    )
    assert (found.pk, created) == (existing.pk, False)
    assert found.name == "Garage Dupont"  # an existing debtor keeps its name
    assert set(ContactPoint.objects.filter(debtor=found).values_list("value", flat=True)) == {
        "compta@dupont.fr",
        "0240000000",
    }
    assert Debtor.objects.filter(agency=world.agency, siren=existing.siren).count() == 1


def test_a_person_is_the_same_only_with_name_address_and_postcode(alpha_scope):
    world = alpha_scope
    person = dict(
        kind="person",
        name="Durand",
        first_name="Alice",
        address_line1="3 rue Vitale",
        postcode="97400",
        city="Saint-Denis",
    )
    first, created = debtor_match(agency=world.agency, debtor=DebtorInput(**person))
    again, again_created = debtor_match(
        agency=world.agency, debtor=DebtorInput(**{**person, "name": "DURAND"})
    )
    other, other_created = debtor_match(
        agency=world.agency, debtor=DebtorInput(**{**person, "postcode": "97410"})
    )
    assert created and not again_created and other_created
    assert again.pk == first.pk != other.pk


def test_bad_debtor_details_are_refused_field_by_field(alpha_scope):
    with pytest.raises(ValidationError) as refused:
        debtor_match(
            agency=alpha_scope.agency,
            debtor=DebtorInput(
                kind="company",
                name="",
                siren="123456789",
                address_line1="",
                postcode="98000",
                city="",
            ),
        )
    assert set(refused.value.message_dict) == {"name", "siren", "address_line1", "postcode", "city"}
    assert not Debtor.objects.filter(agency=alpha_scope.agency, name="").exists()


# --- case_submit ----------------------------------------------------------------------------
def test_submit_opens_the_case_with_its_documents_events_and_the_agencys_email(
    alpha_scope, mailoutbox
):
    world = alpha_scope
    siren = factories.siren()
    case = case_submit(
        agency=world.agency,
        creditor=world.creditor,
        debtor=company(siren),
        claims=[claim("F-1"), claim("F-2", "800.00")],
        actor=world.creditor_user,
        documents=[
            DocumentInput(file=pdf(), kind="invoice", invoice_number="F-1"),
            DocumentInput(file=pdf("cgv.pdf"), kind="contract"),
        ],
        notes="Client relancé deux fois par téléphone.",
        basis="CGV signées le 3 mars 2025",
    )
    assert case.state == CaseState.NEW
    assert case.principal_total == Decimal("2000.00")
    assert case.debtor.siren == siren
    documents = list(CaseDocument.objects.filter(case=case).order_by("pk"))
    assert [d.original_name for d in documents] == ["facture.pdf", "cgv.pdf"]
    assert documents[0].claim.invoice_number == "F-1" and documents[1].claim is None
    assert "facture" not in documents[0].file.name and documents[0].file.name.endswith(".pdf")
    assert default_storage.open(documents[0].file.name).read() == PDF
    kinds = list(CaseEvent.objects.filter(case=case).values_list("kind", flat=True))
    assert kinds == [CaseEvent.Kind.OPENED, CaseEvent.Kind.SUBMITTED, CaseEvent.Kind.NOTE]
    message = OutboxMessage.objects.get(kind=CASE_SUBMITTED, case_id=case.pk)
    assert message.payload == {"case_ids": [case.pk]}
    run_outbox()
    assert len(mailoutbox) == 1
    assert case.reference in mailoutbox[0].body
    assert mailoutbox[0].to == [world.agency.email or world.admin.email]


def test_a_bad_document_writes_nothing(alpha_scope):
    world = alpha_scope
    before = Case.objects.count(), Debtor.objects.count()
    with pytest.raises(ValidationError) as refused:
        case_submit(
            agency=world.agency,
            creditor=world.creditor,
            debtor=company(factories.siren()),
            claims=[claim()],
            actor=world.creditor_user,
            documents=[DocumentInput(file=pdf("facture.pdf", b"not a pdf at all"))],
        )
    assert "documents" in refused.value.message_dict
    assert (Case.objects.count(), Debtor.objects.count()) == before


def test_a_failed_write_deletes_the_files_it_stored(alpha_scope, tmp_path):
    world = alpha_scope
    bad_claim = ClaimInput(
        invoice_number="F-9",
        invoice_date=date(2026, 1, 10),
        due_date=date(2026, 1, 1),
        principal=Decimal("10"),
        debt_kind="b2b",
    )
    with pytest.raises(ValidationError):
        case_submit(
            agency=world.agency,
            creditor=world.creditor,
            debtor=company(factories.siren()),
            claims=[bad_claim],
            actor=world.creditor_user,
            documents=[DocumentInput(file=pdf())],
        )
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]
    assert not CaseDocument.objects.exists()


def test_an_invoice_already_in_an_open_case_is_reported_then_allowed_on_confirmation(alpha_scope):
    world = alpha_scope
    debtor = company(factories.siren())
    first = case_submit(
        agency=world.agency,
        creditor=world.creditor,
        debtor=debtor,
        claims=[claim("F-7")],
        actor=world.creditor_user,
    )
    found = case_duplicates(
        agency=world.agency, creditor=world.creditor, debtor=debtor, invoice_numbers=["F-7", "X"]
    )
    assert [(d.invoice_number, d.case_reference) for d in found] == [("F-7", first.reference)]
    # Another creditor's invoice of the same number is not this creditor's duplicate.
    assert not case_duplicates(
        agency=world.agency, creditor=world.other_creditor, debtor=debtor, invoice_numbers=["F-7"]
    )
    with pytest.raises(ValidationError) as refused:
        case_submit(
            agency=world.agency,
            creditor=world.creditor,
            debtor=debtor,
            claims=[claim("F-7")],
            actor=world.creditor_user,
        )
    assert refused.value.code == DUPLICATE
    assert first.reference in refused.value.messages[0]
    second = case_submit(
        agency=world.agency,
        creditor=world.creditor,
        debtor=debtor,
        claims=[claim("F-7")],
        actor=world.creditor_user,
        allow_duplicates=True,
    )
    assert second.debtor_id == first.debtor_id


def test_a_document_added_later_has_its_event(alpha_scope):
    world = alpha_scope
    case = factories.new_case(world.creditor)
    document = case_document_add(
        case=case,
        file=SimpleUploadedFile("photo.png", PNG),
        kind="delivery",
        actor=world.creditor_user,
    )
    assert document.content_type == "image/png"
    event = CaseEvent.objects.get(case=case, kind=CaseEvent.Kind.DOCUMENT_ADDED)
    assert event.payload["document_id"] == document.pk
