"""The bulk import: a template, per-row errors, all or nothing, the same file not twice."""

from __future__ import annotations

import io
from datetime import date, timedelta

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django_scopes import scopes_disabled

from cases.imports import COLUMNS, _header_key, import_template
from cases.intake import case_submit
from cases.models import Case, CaseEvent, CaseImport, Claim
from cases.services import ClaimInput
from collectio.outbox import OutboxMessage
from debtors.models import Debtor
from debtors.services import DebtorInput
from tests import factories

INVOICED = (date.today() - timedelta(days=60)).strftime("%d/%m/%Y")
HEADER = ";".join(str(c.header) for c in COLUMNS)


def row(siren: str, number: str, amount: str = "1 250,50", **cells: str) -> str:
    values = {
        "debtor_kind": "entreprise", "siren": siren, "name": f"Client {siren}", "first_name": "",
        "address_line1": "8 avenue Foch", "address_line2": "", "postcode": "44000",
        "city": "Nantes", "email": "", "phone": "", "invoice_number": number,
        "invoice_date": INVOICED, "due_date": "", "principal": amount, "debt_kind": "B2B",
        "contract_rate": "",
    }  # fmt: skip
    values.update(cells)
    return ";".join(values[c.key] for c in COLUMNS)


def csv_file(lines: list[str], name: str = "impayes.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, ("\n".join([HEADER, *lines]) + "\n").encode("utf-8"))


@pytest.fixture
def creditor_client(client, world):
    client.force_login(world.creditor_user)
    return client


def written() -> tuple[int, int, int]:
    with scopes_disabled():
        return Case.objects.count(), Debtor.objects.count(), CaseEvent.objects.count()


def upload(client, file) -> CaseImport:
    response = client.post(reverse("portal:import_new"), {"file": file})
    assert response.status_code == 302, response.content.decode()[:2000]
    with scopes_disabled():
        return CaseImport.objects.get(pk=response.url.rstrip("/").split("/")[-1])


def test_the_french_templates(creditor_client):
    csv = creditor_client.get(reverse("portal:import_template", args=["csv"]))
    assert csv.content.decode("utf-8-sig").splitlines()[0].startswith("Type de débiteur;SIREN;")
    xlsx = creditor_client.get(reverse("portal:import_template", args=["xlsx"]))
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
    assert [c.value for c in sheet[1]][:3] == ["Type de débiteur", "SIREN", "Raison sociale ou nom"]


def test_the_template_headers_are_french_and_read_back():
    text = import_template("csv").decode("utf-8-sig")
    assert text.startswith("Type de débiteur;SIREN;Raison sociale ou nom;Prénom;Adresse")
    assert [_header_key(h) for h in text.splitlines()[0].split(";")] == [c.key for c in COLUMNS]


def test_rows_in_error_are_listed_by_row_and_column_and_nothing_is_written(creditor_client):
    a, b = factories.siren(), factories.siren()
    lines = [
        row(a, "F-1"),
        row(a, "F-2", amount="abc"),
        row(b, "F-3", postcode="98000"),
        row(b, "F-4", invoice_date="31/02/2026"),
        row(b, "F-1"),
    ]
    before = written()
    record = upload(creditor_client, csv_file(lines))
    assert record.status == CaseImport.Status.CHECKED and record.rows == 5
    assert [(e["row"], e["column"]) for e in record.errors] == [
        (3, "Amount incl. VAT"),
        (4, "Postcode"),
        (5, "Invoice date"),
    ]
    page = creditor_client.get(reverse("portal:import_detail", args=[record.pk])).content.decode()
    assert "“abc” is not an amount" in page and "is not a French postcode" in page
    assert 'data-action="run-import"' not in page
    refused = creditor_client.post(reverse("portal:import_run", args=[record.pk]), factories.once())
    assert refused.status_code == 409
    assert written() == before


def test_a_clean_file_is_imported_whole_one_case_per_debtor(
    creditor_client, world, eager_tasks, django_capture_on_commit_callbacks, mailoutbox
):
    a, b = factories.siren(), factories.siren()
    lines = [row(a, "F-1"), row(a, "F-2", amount="99,90"), row(b, "F-3", email="x@b.fr")]
    record = upload(creditor_client, csv_file(lines))
    assert record.errors == []
    with django_capture_on_commit_callbacks(execute=True):
        response = creditor_client.post(
            reverse("portal:import_run", args=[record.pk]), factories.once()
        )
    assert response.status_code == 302
    with scopes_disabled():
        record.refresh_from_db()
        assert (record.status, record.cases_created) == (CaseImport.Status.DONE, 2)
        case = Case.objects.get(debtor__siren=a)
        assert case.creditor == world.creditor and str(case.principal_total) == "1350.40"
        assert sorted(case.claims.values_list("invoice_number", flat=True)) == ["F-1", "F-2"]
        assert case.limitation_date is not None
        kinds = sorted(CaseEvent.objects.filter(case=case).values_list("kind", flat=True))
        assert kinds == [CaseEvent.Kind.OPENED, CaseEvent.Kind.SUBMITTED]
        assert OutboxMessage.objects.filter(key=f"case-import:{record.pk}").exists()
    page = creditor_client.get(reverse("portal:import_detail", args=[record.pk])).content.decode()
    assert "2 cases handed over to the agency" in page


def test_the_same_file_again_is_detected(
    creditor_client, eager_tasks, django_capture_on_commit_callbacks
):
    lines = [row(factories.siren(), "F-9")]
    first = upload(creditor_client, csv_file(lines))
    with django_capture_on_commit_callbacks(execute=True):
        creditor_client.post(reverse("portal:import_run", args=[first.pk]), factories.once())
    before = written()
    again = upload(creditor_client, csv_file(lines, name="renamed.csv"))
    page = creditor_client.get(reverse("portal:import_detail", args=[again.pk])).content.decode()
    # The rows themselves are now duplicates, and the file is the one imported already.
    assert "is already in the open case" in page
    again.errors = []
    with scopes_disabled():
        CaseImport.objects.filter(pk=again.pk).update(errors=[])
    page = creditor_client.get(reverse("portal:import_detail", args=[again.pk])).content.decode()
    assert "This very file was already imported on" in page
    response = creditor_client.post(reverse("portal:import_run", args=[again.pk]), factories.once())
    assert response.status_code == 409
    assert "it is not imported twice" in response.content.decode()
    assert written() == before


def test_a_row_that_became_a_duplicate_rolls_the_whole_file_back(
    creditor_client, world, eager_tasks, django_capture_on_commit_callbacks
):
    a, b = factories.siren(), factories.siren()
    record = upload(creditor_client, csv_file([row(a, "F-1"), row(a, "F-2"), row(b, "F-3")]))
    assert record.errors == []
    # Meanwhile, F-3 is handed over through the form.
    with scopes_disabled():
        case_submit(
            agency=world.agency, creditor=world.creditor,
            debtor=DebtorInput(kind="company", name="B", siren=b, address_line1="1 rue A",
                               postcode="44000", city="Nantes"),
            claims=[ClaimInput(invoice_number="F-3", invoice_date=date.today() - timedelta(days=60),
                               principal=10, debt_kind="b2b")],
            actor=world.creditor_user,
        )  # fmt: skip
    before = written()
    with django_capture_on_commit_callbacks(execute=True):
        creditor_client.post(reverse("portal:import_run", args=[record.pk]), factories.once())
    with scopes_disabled():
        record.refresh_from_db()
        assert record.status == CaseImport.Status.FAILED
        assert not Claim.objects.filter(invoice_number__in=["F-1", "F-2"]).exists()
        assert [e["row"] for e in record.errors] == [4]
    assert written() == before


def test_an_xlsx_file_is_read(creditor_client):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append([str(c.header) for c in COLUMNS])
    cells = row(factories.siren(), "X-1", amount="12.5").split(";")
    cells[COLUMNS.index(next(c for c in COLUMNS if c.key == "invoice_date"))] = (
        date.today() - timedelta(days=40)
    )
    sheet.append(cells)
    out = io.BytesIO()
    book.save(out)
    record = upload(creditor_client, SimpleUploadedFile("impayes.xlsx", out.getvalue()))
    assert record.rows == 1 and record.errors == []


def test_a_file_that_is_neither_csv_nor_xlsx_is_refused(creditor_client):
    response = creditor_client.post(
        reverse("portal:import_new"),
        {"file": SimpleUploadedFile("impayes.csv", b"%PDF-1.4\x00\x00binary")},
    )
    assert response.status_code == 400
    assert "This is not a CSV or XLSX file" in response.content.decode()
    with scopes_disabled():
        assert not CaseImport.objects.exists()
