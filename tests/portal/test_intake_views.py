"""The intake page: a case handed over in one form, every bad field refused in French with
nothing written, the duplicate warning, drafts saved and resumed."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from html import unescape
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation
from django_scopes import scopes_disabled

from cases.models import Case, CaseDocument, CaseEvent, CaseState, IntakeDraft
from collectio.outbox import OutboxMessage
from debtors.models import Debtor
from tests import factories
from tests.portal.conftest import PDF

TODAY = date.today()


def post_data(siren: str, **changes: str) -> dict[str, str]:
    data = {
        "debtor-kind": "company", "debtor-siren": siren, "debtor-name": "Garage Dupont SARL",
        "debtor-address_line1": "8 avenue Foch", "debtor-postcode": "44000",
        "debtor-city": "Nantes", "debtor-email": "compta@dupont.fr",
        "debtor-phone": "02 40 00 00 00",
        "claims-TOTAL_FORMS": "2", "claims-INITIAL_FORMS": "0", "claims-MIN_NUM_FORMS": "1",
        "claims-MAX_NUM_FORMS": "50",
        "claims-0-invoice_number": "F-101",
        "claims-0-invoice_date": str(TODAY - timedelta(days=70)),
        "claims-0-due_date": str(TODAY - timedelta(days=40)), "claims-0-principal": "1 250,50",
        "claims-1-invoice_number": "F-102",
        "claims-1-invoice_date": str(TODAY - timedelta(days=50)),
        "claims-1-due_date": "", "claims-1-principal": "300",
        "case-debt_kind": "b2b", "case-contract_rate": "", "case-basis": "CGV du 3 mars 2025",
        "case-notes": "", **factories.once(),
    }  # fmt: skip
    data.update(changes)
    return data


@pytest.fixture
def creditor_client(client, world):
    client.force_login(world.creditor_user)
    return client


def counts() -> tuple[int, ...]:
    with scopes_disabled():
        return (
            Case.objects.count(),
            Debtor.objects.count(),
            CaseDocument.objects.count(),
            CaseEvent.objects.count(),
            OutboxMessage.objects.count(),
        )


def test_a_creditor_hands_a_case_over(creditor_client, world):
    siren = factories.siren()
    data = post_data(siren, **{"claims-0-document": SimpleUploadedFile("f101.pdf", PDF)})
    response = creditor_client.post(reverse("portal:case_new"), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    with scopes_disabled():
        case = Case.objects.get(debtor__siren=siren)
        assert case.creditor == world.creditor and case.state == CaseState.NEW
        assert [str(c.principal) for c in case.claims.order_by("invoice_number")] == [
            "1250.50",
            "300.00",
        ]
        assert case.claims.get(invoice_number="F-102").due_date == TODAY - timedelta(days=20)
        assert case.documents.get().claim.invoice_number == "F-101"
    assert response.url == reverse("portal:case_detail", args=[case.pk])
    page = creditor_client.get(response.url).content.decode()
    assert "What happens next" in page and "The agency checks the case" in page
    assert "f101.pdf" in page


FIELD_ERRORS = {
    "debtor-kind": ("robot", "Select a valid choice"),
    "debtor-siren": ("123456789", "is not a valid SIREN"),
    "debtor-name": ("", "This field is required"),
    "debtor-address_line1": ("", "This field is required"),
    "debtor-postcode": ("98000", "is not a French postcode"),
    "debtor-city": ("", "This field is required"),
    "debtor-email": ("pas-un-email", "Enter a valid email address"),
    "debtor-phone": ("12", "Enter a phone number of 10 digits"),
    "claims-0-invoice_number": ("", "This field is required"),
    "claims-0-invoice_date": (str(TODAY + timedelta(days=3)), "cannot be in the future"),
    "claims-0-due_date": (str(TODAY - timedelta(days=400)), "cannot come before the invoice"),
    "claims-0-principal": ("-5", "greater than or equal to 0.01"),
    "case-debt_kind": ("other", "Select a valid choice"),
    "case-contract_rate": ("abc", "Enter a number"),
    "case-basis": ("x" * 501, "at most 500 characters"),
    "case-notes": ("x" * 2001, "at most 2000 characters"),
}


@pytest.mark.parametrize("field", sorted(FIELD_ERRORS))
def test_each_bad_field_is_refused_on_the_field_and_nothing_is_written(
    creditor_client, world, field
):
    value, message = FIELD_ERRORS[field]
    before = counts()
    response = creditor_client.post(
        reverse("portal:case_new"), post_data(factories.siren(), **{field: value})
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html
    assert f'name="{field}"' in html and "is-invalid" in html
    assert 'value="Garage Dupont SARL"' in html or field == "debtor-name"  # input kept
    assert counts() == before


def test_a_contract_rate_below_the_floor_is_refused_with_the_floor(creditor_client):
    with time_machine.travel(datetime(2026, 5, 20, 12, tzinfo=ZoneInfo("Europe/Paris"))):
        before = counts()
        data = post_data(
            factories.siren(),
            **{
                "case-contract_rate": "1,5",
                "claims-0-invoice_date": "2026-03-01",
                "claims-0-due_date": "2026-03-31",
                "claims-1-invoice_date": "2026-04-01",
            },
        )
        response = creditor_client.post(reverse("portal:case_new"), data)
    assert response.status_code == 400
    html = response.content.decode()
    assert "RATE_BELOW_FLOOR: a contract rate of 1.50 % is below the legal floor" in html
    assert counts() == before


def test_the_errors_read_in_french(creditor_client):
    with translation.override("fr"):
        response = creditor_client.post(
            reverse("portal:case_new"),
            post_data("123456789", **{"debtor-postcode": "98000"}),
            HTTP_ACCEPT_LANGUAGE="fr",
        )
    html = unescape(response.content.decode())
    assert "123456789 n'est pas un numéro SIREN valide." in html
    assert "Nothing was saved" not in html and "Rien n’a été enregistré" in html


def test_a_file_that_is_not_a_pdf_despite_its_name_is_refused(creditor_client):
    before = counts()
    fake = SimpleUploadedFile("facture.pdf", b"MZ\x90\x00 this is an executable", "application/pdf")
    response = creditor_client.post(
        reverse("portal:case_new"), post_data(factories.siren(), **{"claims-0-document": fake})
    )
    assert response.status_code == 400
    assert "is not a PDF, JPEG or PNG document" in response.content.decode()
    assert counts() == before


def test_a_file_over_ten_megabytes_is_refused(creditor_client):
    before = counts()
    big = SimpleUploadedFile("facture.pdf", PDF + b"0" * (10 * 1024 * 1024))
    response = creditor_client.post(
        reverse("portal:case_new"), post_data(factories.siren(), **{"case-contract_document": big})
    )
    assert response.status_code == 400
    assert "is larger than 10.0" in response.content.decode()
    assert counts() == before


def test_an_invoice_already_in_an_open_case_is_reported_before_submission(creditor_client, world):
    debtor = factories.new_debtor(world.agency)
    existing = factories.new_case(world.creditor, debtor)
    with scopes_disabled():
        number = existing.claims.get().invoice_number
    data = post_data(debtor.siren, **{"claims-0-invoice_number": number})
    before = counts()
    response = creditor_client.post(reverse("portal:case_new"), data)
    assert response.status_code == 409
    html = response.content.decode()
    assert f"Invoice {number} is already in the open case {existing.reference}" in html
    assert 'name="case-confirm_duplicates"' in html and 'type="checkbox"' in html
    assert counts() == before
    confirmed = {**data, **factories.once(), "case-confirm_duplicates": "on"}
    assert creditor_client.post(reverse("portal:case_new"), confirmed).status_code == 302
    assert counts()[0] == before[0] + 1


def test_a_draft_is_saved_and_resumed(creditor_client, world):
    before = counts()
    data = post_data("", **{"debtor-name": "Brouillon SARL", "save_draft": "1"})
    response = creditor_client.post(reverse("portal:case_new"), data)
    with scopes_disabled():
        draft = IntakeDraft.objects.get(created_by=world.creditor_user)
    assert response.status_code == 302
    assert response.url == reverse("portal:draft_resume", args=[draft.pk])
    assert counts() == before  # a draft opens no case
    page = creditor_client.get(response.url).content.decode()
    assert 'value="Brouillon SARL"' in page and 'value="F-102"' in page
    assert 'value="1 250,50"' in page
    assert (
        "Brouillon SARL · F-101" in creditor_client.get(reverse("portal:case_new")).content.decode()
    )
    # Finished and handed over: the draft is gone.
    finished = post_data(factories.siren(), **{"debtor-name": "Brouillon SARL"})
    assert creditor_client.post(response.url, finished).status_code == 302
    with scopes_disabled():
        assert not IntakeDraft.objects.filter(pk=draft.pk).exists()


def test_another_user_cannot_resume_my_draft(client, world):
    with scopes_disabled():
        draft = IntakeDraft.objects.create(
            agency=world.agency, creditor=world.creditor, created_by=world.creditor_user, data={}
        )
        colleague = factories.new_user(world.agency, "creditor_user", creditor=world.creditor)
    client.force_login(colleague)
    assert client.get(reverse("portal:draft_resume", args=[draft.pk])).status_code == 404


def test_agency_staff_have_no_portal(client, world):
    client.force_login(world.agent)
    assert client.get(reverse("portal:case_new")).status_code == 404
    assert client.get(reverse("portal:dashboard")).status_code == 404


def test_the_creditor_starts_on_its_dashboard(client, world):
    client.force_login(world.creditor_user)
    assert client.get(reverse("home")).url == reverse("portal:dashboard")


def test_the_siren_check_names_only_the_creditors_own_debtors(creditor_client, world):
    mine = factories.new_case(world.creditor).debtor
    theirs = factories.new_case(world.other_creditor).debtor
    url = reverse("portal:debtor_lookup")
    assert mine.name in creditor_client.get(url, {"debtor-siren": mine.siren}).content.decode()
    other = creditor_client.get(url, {"debtor-siren": theirs.siren}).content.decode()
    assert theirs.name not in other and "Valid SIREN" in other
    assert (
        "is not a valid SIREN" in creditor_client.get(url, {"debtor-siren": "123"}).content.decode()
    )


def test_one_more_invoice_row(creditor_client):
    html = creditor_client.get(reverse("portal:claim_row"), {"index": "3"}).content.decode()
    assert 'name="claims-3-invoice_number"' in html and "Invoice 4" in html
