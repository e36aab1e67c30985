"""The agency's REQ-A1 prerequisites: insurance, dedicated account and declaration with their
documents and dates; the layout's banner tells administrators what is missing."""

from __future__ import annotations

from datetime import date
from html import unescape

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django_scopes import scopes_disabled

from collectio.models import Agency, AgencyDocument, ConfigChange
from tests import factories


def _data(world, **changes) -> dict[str, object]:
    agency = world.agency
    data = {
        "form": "prerequisites", "rc_insurer": agency.rc_insurer,
        "rc_policy_number": agency.rc_policy_number, "rc_policy_expires_on": "2099-12-31",
        "collection_iban": agency.collection_iban, "collection_bic": "AGRIFRPPXXX",
        "prosecutor_declaration_on": "2024-01-15",
    }  # fmt: skip
    data.update(changes)
    return data


def test_no_banner_when_everything_is_there(world, admin_client):
    page = admin_client.get(reverse("backoffice:creditors")).content.decode()
    assert "data-prerequisites-missing" not in page


def test_the_banner_names_what_is_missing_to_admins_only(world, french_client, client):
    Agency.objects.filter(pk=world.agency.pk).update(
        collection_iban="", rc_policy_expires_on=date(2020, 1, 1)
    )
    page = unescape(french_client.get(reverse("workspace:list")).content.decode())
    assert "data-prerequisites-missing" in page
    assert "Aucun courrier ne peut partir" in page
    assert "IBAN du compte affecté aux fonds encaissés" in page
    assert "assurance de responsabilité civile professionnelle expirée" in page
    client.force_login(world.agent)
    assert (
        "data-prerequisites-missing" not in client.get(reverse("workspace:list")).content.decode()
    )


def test_prerequisites_are_saved_and_logged(world, admin_client):
    iban = factories.iban()
    response = admin_client.post(reverse("backoffice:agency"), _data(world, collection_iban=iban))
    assert response.status_code == 302
    agency = Agency.objects.get(pk=world.agency.pk)
    assert agency.collection_iban == iban and agency.collection_bic == "AGRIFRPPXXX"
    with scopes_disabled():
        change = ConfigChange.objects.get()
    assert change.summary == "Legal prerequisites changed"
    assert {c["field"] for c in change.changes} >= {"dedicated collection account IBAN", "BIC"}


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"collection_iban": "FR7630006000011234567890100"}, "n'est pas un IBAN valide."),
        ({"rc_policy_expires_on": "2026-13-01"}, "Saisissez une date valide."),
        ({"prosecutor_declaration_on": "hier"}, "Saisissez une date valide."),
    ],
)
def test_bad_prerequisites_are_refused_in_french_and_nothing_is_written(
    world, french_client, changes, message
):
    before = Agency.objects.values().get(pk=world.agency.pk)
    response = french_client.post(reverse("backoffice:agency"), _data(world, **changes))
    assert response.status_code == 400
    assert message in unescape(response.content.decode())
    assert Agency.objects.values().get(pk=world.agency.pk) == before
    with scopes_disabled():
        assert not ConfigChange.objects.exists()


def test_a_document_is_filed_and_downloaded(world, admin_client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    upload = SimpleUploadedFile("attestation-rc.pdf", b"%PDF-1.7 attestation", "application/pdf")
    response = admin_client.post(
        reverse("backoffice:agency"),
        {"form": "document", "kind": "insurance", "dated": "2026-01-05", "file": upload},
    )
    assert response.status_code == 302
    with scopes_disabled():
        document = AgencyDocument.objects.get()
    assert (document.kind, document.dated, document.uploaded_by) == (
        "insurance",
        date(2026, 1, 5),
        world.admin,
    )
    download = admin_client.get(reverse("backoffice:agency_document", args=[document.pk]))
    assert b"".join(download.streaming_content) == b"%PDF-1.7 attestation"


@pytest.mark.parametrize(
    ("name", "dated", "message"),
    [
        ("virus.exe", "2026-01-05", "L'extension de fichier"),
        ("attestation.pdf", "2099-01-01", "Un document ne peut pas être daté dans le futur."),
    ],
)
def test_bad_documents_are_refused_in_french(
    world, french_client, settings, tmp_path, name, dated, message
):
    settings.MEDIA_ROOT = tmp_path
    upload = SimpleUploadedFile(name, b"data")
    response = french_client.post(
        reverse("backoffice:agency"),
        {"form": "document", "kind": "insurance", "dated": dated, "file": upload},
    )
    assert response.status_code == 400
    assert message in unescape(response.content.decode())
    with scopes_disabled():
        assert not AgencyDocument.objects.exists()
