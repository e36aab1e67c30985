"""The agency's money pages: import a statement and decide the queue (agents and admins), run
remittances and download their files, read the client funds (admins only). Bad input is a
French error on its field with nothing written, never a 500."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from lxml import etree

from cases.models import CaseState
from payments import bankfiles, services
from payments.models import BankLine, BankStatement, Payment, Remittance
from tests import factories
from tests.outbox import run_outbox
from tests.payments.camt import Entry, camt053

TODAY = date(2026, 5, 20)


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(datetime(2026, 5, 20, 12, tzinfo=ZoneInfo("Europe/Paris"))):
        yield


@pytest.fixture
def case(scoped):
    return factories.new_case(
        scoped.creditor, factories.new_debtor(scoped.agency, name="Dupont Bâtiment"),
        principal=Decimal("1200.00"), state=CaseState.REMINDER,
    )  # fmt: skip


def _file(world, case, *entries):
    entries = entries or (
        Entry(Decimal("300.00"), "DUPONT", f"REGLT {case.reference}", TODAY, "B-1"),
        Entry(Decimal("45.00"), "INCONNU", "VIR", TODAY, "B-2"),
    )
    content = camt053(entries, account_iban=world.agency.collection_iban, on=TODAY)
    return SimpleUploadedFile("releve.xml", content, content_type="application/xml")


def test_an_agent_imports_a_statement_and_decides_the_queue(client, scoped, case):
    client.force_login(scoped.agent)
    url = reverse("backoffice:money:statements")
    assert client.get(url).status_code == 200
    response = client.post(url, {"file": _file(scoped, case), **factories.once()})
    statement = BankStatement.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("backoffice:money:statement", args=[statement.pk])
    page = client.get(response.url)
    assert page.status_code == 200
    assert b'data-status="to_record"' in page.content
    run_outbox()
    assert Payment.objects.get().amount == Decimal("300.00")
    # the same file again: an error on the field, nothing written
    again = client.post(url, {"file": _file(scoped, case), **factories.once()})
    assert again.status_code == 400
    assert "already imported" in again.context["form"].errors["file"][0]
    assert BankStatement.objects.count() == 1

    queue = client.get(reverse("backoffice:money:queue"))
    assert queue.status_code == 200
    ((line, _form),) = queue.context["rows"]
    resolve = reverse("backoffice:money:line_resolve", args=[line.pk])
    prefix = f"line-{line.pk}"
    bad = client.post(resolve, {f"{prefix}-action": "record", f"{prefix}-case_reference": "C-1",
                                **factories.once()})  # fmt: skip
    assert bad.status_code == 400
    assert "No case with this reference." in str(bad.context["rows"][0][1].errors)
    token = factories.once()
    data = {f"{prefix}-action": "record", f"{prefix}-case_reference": case.reference.lower(),
            **token}  # fmt: skip
    assert client.post(resolve, data).status_code == 302
    assert client.post(resolve, data).status_code == 302  # the same form again: applied once
    line.refresh_from_db()
    assert line.status == BankLine.Status.MATCHED
    assert Payment.objects.filter(case=case).count() == 2


@pytest.mark.parametrize(
    "content, message",
    [(b"not a statement", "lacks the column"), (b"<x>", "not valid XML")],
)
def test_a_bad_file_is_a_french_error_on_its_field(client, scoped, content, message):
    client.force_login(scoped.agent)
    response = client.post(
        reverse("backoffice:money:statements"),
        {"file": SimpleUploadedFile("f.csv", content), **factories.once()},
    )
    assert response.status_code == 400
    assert message in response.context["form"].errors["file"][0]
    assert b"is-invalid" in response.content
    assert not BankStatement.objects.exists()


def test_setting_a_line_aside_needs_a_note(client, scoped, case):
    client.force_login(scoped.agent)
    services.bank_statement_import(
        agency=scoped.agency, filename="f.xml", content=_file(scoped, case).read(), actor=None
    )
    line = BankLine.objects.get(status=BankLine.Status.UNMATCHED)
    url = reverse("backoffice:money:line_resolve", args=[line.pk])
    prefix = f"line-{line.pk}"
    response = client.post(url, {f"{prefix}-action": "ignore", **factories.once()})
    assert response.status_code == 400
    response = client.post(
        url, {f"{prefix}-action": "ignore", f"{prefix}-note": "Intérêts", **factories.once()}
    )
    assert response.status_code == 302
    line.refresh_from_db()
    assert (line.status, line.note) == (BankLine.Status.IGNORED, "Intérêts")


def test_remittances_are_for_admins(client, scoped, case, eager_tasks):
    services.payment_record(
        case=case, amount=Decimal("400.00"), received_on=TODAY, method="transfer", actor=None
    )
    client.force_login(scoped.agent)
    for name in ("remittances", "ledger"):
        assert client.get(reverse(f"backoffice:money:{name}")).status_code == 404
    client.force_login(scoped.admin)
    response = client.post(reverse("backoffice:money:remittance_run"), factories.once())
    assert response.status_code == 302
    remittance = Remittance.objects.get()
    assert remittance.net == Decimal("328.00")  # 400 − 60 commission − 12 VAT
    detail = client.get(reverse("backoffice:money:remittance", args=[remittance.pk]))
    assert detail.status_code == 200
    xml = client.get(reverse("backoffice:money:remittance_pain001", args=[remittance.pk]))
    assert xml["Content-Type"] == "application/xml"
    bankfiles.validate_pain001(xml.content)
    assert etree.fromstring(xml.content).findtext(".//{*}InstdAmt") == "328.00"
    run_outbox()
    pdf = client.get(reverse("backoffice:money:remittance_statement", args=[remittance.pk]))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    executed = reverse("backoffice:money:remittance_executed", args=[remittance.pk])
    future = client.post(executed, {"executed_on": "2026-06-01", **factories.once()})
    assert future.status_code == 400
    assert "in the future" in str(future.context["form"].errors)
    assert (
        client.post(executed, {"executed_on": TODAY.isoformat(), **factories.once()}).status_code
        == 302
    )
    remittance.refresh_from_db()
    assert remittance.status == Remittance.Status.SENT
    ledger = client.get(reverse("backoffice:money:ledger"))
    assert ledger.status_code == 200
    (mine,) = [f for f in ledger.context["figures"] if f.creditor_id == scoped.creditor.pk]
    assert (mine.collected, mine.remitted, mine.commission, mine.funds_held) == (
        Decimal("400.00"), Decimal("328.00"), Decimal("72.00"), Decimal("0.00"),
    )  # fmt: skip
    bad_period = client.get(reverse("backoffice:money:ledger"), {"start": "2026-05-01", "end": "x"})
    assert bad_period.status_code == 400


def test_a_creditor_user_sees_none_of_these_pages(client, scoped):
    client.force_login(scoped.creditor_user)
    for name in ("statements", "queue", "remittances", "ledger"):
        assert client.get(reverse(f"backoffice:money:{name}")).status_code == 404
