"""The creditor portal in a real browser: a case handed over with two invoices and a PDF, found
in the list and followed on its page; a 50-row import with two bad rows, fixed and imported; a
user of another creditor finds none of it."""

from __future__ import annotations

import os
from datetime import date, timedelta

import pytest
from django_scopes import scopes_disabled

from cases.imports import COLUMNS
from cases.models import Case, CaseDocument, CaseImport
from collectio.celery import app
from tests import factories
from tests.browser.conftest import log_in
from tests.portal.conftest import PDF

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = os.environ.get("COLLECTIO_SCREENSHOTS", "")


def _shot(page, name: str) -> None:
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, f"{name}.png"), full_page=True)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def eager_tasks():
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


def test_a_creditor_hands_over_a_case_with_two_invoices_and_follows_it(
    world, live_server, page, tmp_path
):
    invoice = tmp_path / "facture-F-501.pdf"
    invoice.write_bytes(PDF)
    siren = factories.siren()
    log_in(page, live_server.url, world.creditor_user.email)
    page.wait_for_url("**/portal/")
    page.click("a[href='/portal/cases/new/'] >> nth=0")
    page.wait_for_url("**/portal/cases/new/")

    page.fill("#id_debtor-siren", siren)
    page.fill("#id_debtor-name", "Garage Dupont SARL")
    page.fill("#id_debtor-address_line1", "8 avenue Foch")
    page.fill("#id_debtor-postcode", "97400")  # La Réunion
    page.fill("#id_debtor-city", "Saint-Denis")
    page.fill("#id_debtor-email", "compta@dupont.fr")
    invoiced = date.today() - timedelta(days=75)
    page.fill("#id_claims-0-invoice_number", "F-501")
    page.fill("#id_claims-0-invoice_date", invoiced.isoformat())
    page.fill("#id_claims-0-due_date", (invoiced + timedelta(days=30)).isoformat())
    page.fill("#id_claims-0-principal", "1 250,50")
    page.set_input_files("#id_claims-0-document", str(invoice))
    page.click("[data-add-claim]")
    page.wait_for_selector("#id_claims-1-invoice_number")
    assert page.input_value("#id_claims-TOTAL_FORMS") == "2"
    page.fill("#id_claims-1-invoice_number", "F-502")
    page.fill("#id_claims-1-invoice_date", (invoiced + timedelta(days=10)).isoformat())
    page.fill("#id_claims-1-principal", "480")
    _shot(page, "portal-intake-filled")
    page.click("[data-action=submit-case]")
    page.wait_for_selector("[data-next-step]")

    with scopes_disabled():
        case = Case.objects.get(debtor__siren=siren)
        assert case.claims.count() == 2
        assert CaseDocument.objects.get(case=case).original_name == "facture-F-501.pdf"
    assert "L’agence examine le dossier" in page.inner_text("[data-next-step]")
    assert "facture-F-501.pdf" in page.inner_text("#documents")
    timeline = page.inner_text("#timeline")
    assert "Dossier confié par le créancier via le portail, avec 1 document(s)." in timeline
    assert "1\xa0730,50\xa0€" in timeline  # "Dossier ouvert : 2 facture(s) pour un total de …"

    page.goto(f"{live_server.url}/portal/cases/")
    page.fill("#id_q", "F-502")
    page.click("form[role=search] button[type=submit]")
    page.wait_for_selector(f"tr[data-case='{case.reference}']")
    assert page.locator("#cases tbody tr").count() == 1
    page.click(f"tr[data-case='{case.reference}'] a")
    page.wait_for_selector("#timeline")
    assert case.reference in page.inner_text("main")


def test_the_intake_form_keeps_what_was_typed_and_says_what_is_wrong(world, live_server, page):
    log_in(page, live_server.url, world.creditor_user.email)
    page.wait_for_url("**/portal/")
    page.goto(f"{live_server.url}/portal/cases/new/")
    page.fill("#id_debtor-siren", "123456789")
    page.fill("#id_debtor-name", "Garage Dupont SARL")
    page.fill("#id_debtor-postcode", "98000")
    page.click("[data-action=submit-case]")
    page.wait_for_selector("[data-form-errors]")
    assert "n'est pas un numéro SIREN valide" in page.inner_text("#id_debtor-siren_error")
    assert "n’est pas un code postal français" in page.inner_text(
        "#id_debtor-postcode_error"
    ) or "code postal" in page.inner_text("#id_debtor-postcode_error")
    assert page.input_value("#id_debtor-name") == "Garage Dupont SARL"
    _shot(page, "portal-intake-errors")


def _import_rows(count: int, bad: set[int]) -> str:
    invoiced = (date.today() - timedelta(days=60)).strftime("%d/%m/%Y")
    lines = [";".join(str(c.header) for c in COLUMNS)]
    for n in range(count):
        values = {
            "debtor_kind": "entreprise", "siren": factories.siren(), "name": f"Client {n} SARL",
            "first_name": "", "address_line1": f"{n + 1} rue de la Gare", "address_line2": "",
            "postcode": "69003", "city": "Lyon", "email": "", "phone": "",
            "invoice_number": f"IMP-{n}", "invoice_date": invoiced, "due_date": "",
            "principal": f"{100 + n},00", "debt_kind": "B2B", "contract_rate": "",
        }  # fmt: skip
        if n in bad:
            values["principal"] = "cent euros"
        lines.append(";".join(values[c.key] for c in COLUMNS))
    return "\n".join(lines) + "\n"


def test_a_creditor_imports_fifty_rows_fixing_two_bad_ones(
    world, live_server, page, tmp_path, eager_tasks
):
    wrong = _import_rows(50, bad={7, 31})
    path = tmp_path / "impayes.csv"
    path.write_text(wrong, encoding="utf-8")
    log_in(page, live_server.url, world.creditor_user.email)
    page.wait_for_url("**/portal/")
    page.goto(f"{live_server.url}/portal/imports/")
    page.set_input_files("#id_file", str(path))
    page.click("[data-action=check-file]")
    page.wait_for_selector("#import-errors")
    rows = page.locator("#import-errors tbody tr")
    assert rows.count() == 2
    assert [rows.nth(i).get_attribute("data-error-row") for i in range(2)] == ["9", "33"]
    assert "« cent euros » n’est pas un montant" in page.inner_text("#import-errors")
    assert page.locator("[data-action=run-import]").count() == 0
    _shot(page, "portal-import-errors")

    fixed = wrong.replace("cent euros", "100,00")
    path.write_text(fixed, encoding="utf-8")
    page.goto(f"{live_server.url}/portal/imports/")
    page.set_input_files("#id_file", str(path))
    page.click("[data-action=check-file]")
    page.wait_for_selector("[data-action=run-import]")
    page.click("[data-action=run-import]")
    page.wait_for_selector("[data-import-done]", timeout=30_000)
    with scopes_disabled():
        assert Case.objects.filter(creditor=world.creditor).count() == 50
        assert CaseImport.objects.filter(status=CaseImport.Status.DONE).count() == 1
    page.click("[data-import-done] a")
    page.wait_for_selector("#cases")
    assert "50 dossiers" in page.inner_text("#cases caption")


def test_another_creditors_user_finds_none_of_it(world, live_server, page, tmp_path):
    with scopes_disabled():
        case = factories.new_case(world.creditor)
        document = CaseDocument.objects.create(
            agency=world.agency, case=case, kind="invoice", file="case-documents/x.pdf",
            original_name="f.pdf", content_type="application/pdf", size=1, sha256="0" * 64,
        )  # fmt: skip
        record = CaseImport.objects.create(
            agency=world.agency, creditor=world.creditor, uploaded_by=world.creditor_user,
            file="case-imports/x.csv", original_name="x.csv", sha256="0" * 64,
        )  # fmt: skip
    log_in(page, live_server.url, world.other_creditor_user.email)
    page.wait_for_url("**/portal/")
    for url in (
        f"/portal/cases/{case.pk}/",
        f"/portal/documents/{document.pk}/",
        f"/portal/imports/{record.pk}/",
    ):
        response = page.goto(f"{live_server.url}{url}")
        assert response.status == 404, url
    page.goto(f"{live_server.url}/portal/cases/")
    assert case.reference not in page.inner_text("main")
