"""The creditor's case page, its instructions, the list and its export, the dashboard and the
notification e-mails."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import openpyxl
import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from cases.intake import case_document_add
from cases.models import Case, CaseDocument, CaseEvent, CaseState, NotificationPreference
from cases.notifications import CREDITOR_NOTIFICATION
from cases.services import case_resume_due_holds
from collectio.money import euros
from collectio.outbox import OutboxMessage
from collectio.scoping import tenant_scope
from dunning.statement import case_statement
from payments.models import Payment
from payments.services import payment_record, remittance_mark_executed, remittance_prepare
from tests import factories
from tests.outbox import run_outbox
from tests.portal.conftest import PDF


@pytest.fixture(autouse=True)
def _in_a_semester_with_rates():
    with time_machine.travel(datetime(2026, 5, 20, 12, tzinfo=ZoneInfo("Europe/Paris"))):
        yield


@pytest.fixture
def creditor_client(client, world):
    client.force_login(world.creditor_user)
    return client


def events(case: Case) -> list[str]:
    with scopes_disabled():
        return list(CaseEvent.objects.filter(case=case).values_list("kind", flat=True))


def test_the_case_page_shows_amounts_per_invoice_next_step_timeline_and_documents(
    creditor_client, world
):
    case = factories.new_case(world.creditor, state=CaseState.REMINDER)
    with scopes_disabled():
        document = case_document_add(
            case=case, file=SimpleUploadedFile("facture.pdf", PDF), kind="invoice",
            actor=world.creditor_user,
        )  # fmt: skip
        statement = case_statement(case, on=timezone.localdate())
    html = creditor_client.get(reverse("portal:case_detail", args=[case.pk])).content.decode()
    line = statement.claims[0]
    for amount in (line.principal, line.interest, line.indemnity, line.balance):
        assert euros(amount) in html
    assert "rate 12.15 %" in html or "rate " in html
    assert "What happens next" in html
    assert "Case opened with 1 invoice(s)" in html  # the timeline in sentences
    assert "Document added: invoice “facture.pdf”." in html
    download = creditor_client.get(reverse("portal:document_download", args=[document.pk]))
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF
    assert 'filename="facture.pdf"' in download["Content-Disposition"]


def test_approval_is_offered_only_when_asked_and_recorded_with_its_reason(creditor_client, world):
    reminder = factories.new_case(world.creditor, state=CaseState.REMINDER)
    page = creditor_client.get(reverse("portal:case_detail", args=[reminder.pk])).content.decode()
    assert 'data-action="approve-handoff"' not in page
    case = factories.new_case(world.creditor, state=CaseState.FORMAL_NOTICE)
    page = creditor_client.get(reverse("portal:case_detail", args=[case.pk])).content.decode()
    assert 'data-action="approve-handoff"' in page
    response = creditor_client.post(
        reverse("portal:case_handoff", args=[case.pk]),
        {"reason": "Allez-y.", **factories.once()},
    )
    assert response.status_code == 302
    with scopes_disabled():
        case.refresh_from_db()
        event = CaseEvent.objects.get(case=case, kind=CaseEvent.Kind.HANDOFF_APPROVED)
    assert case.handoff_approved_at is not None and event.payload["reason"] == "Allez-y."


def test_a_hold_needs_a_future_date_and_a_reason_then_resumes_on_that_day(creditor_client, world):
    case = factories.new_case(world.creditor, state=CaseState.REMINDER)
    url = reverse("portal:case_hold", args=[case.pk])
    before = events(case)
    for data, message in (
        ({"until": "2026-05-19", "reason": "Litige"}, "Choose a day after today."),
        ({"until": "2026-06-30", "reason": ""}, "This field is required."),
        ({"until": "not a date", "reason": "x"}, "Enter a valid date."),
    ):
        response = creditor_client.post(url, {**data, **factories.once()})
        assert response.status_code == 400 and message in response.content.decode()
    assert events(case) == before
    response = creditor_client.post(
        url, {"until": "2026-06-30", "reason": "Négociation en cours", **factories.once()}
    )
    assert response.status_code == 302
    with scopes_disabled():
        case.refresh_from_db()
        assert (case.state, case.hold_until) == (CaseState.ON_HOLD, date(2026, 6, 30))
        page = creditor_client.get(reverse("portal:case_detail", args=[case.pk])).content.decode()
        assert "put on hold until 30 June 2026" in page
        assert case_resume_due_holds(on=date(2026, 6, 29)) == 0
        assert case_resume_due_holds(on=date(2026, 6, 30)) == 1
        case.refresh_from_db()
        assert (case.state, case.hold_until) == (CaseState.REMINDER, None)


def test_withdrawing_takes_a_reason(creditor_client, world):
    case = factories.new_case(world.creditor, state=CaseState.REMINDER)
    url = reverse("portal:case_withdraw", args=[case.pk])
    refused = creditor_client.post(url, {"reason": "", **factories.once()})
    assert refused.status_code == 400 and "This field is required." in refused.content.decode()
    assert creditor_client.post(url, {"reason": "Réglé", **factories.once()}).status_code == 302
    with scopes_disabled():
        case.refresh_from_db()
    assert case.state == CaseState.CLOSED and case.closure_code == "withdrawn"


def test_a_document_that_is_not_one_is_refused(creditor_client, world):
    case = factories.new_case(world.creditor, state=CaseState.REMINDER)
    response = creditor_client.post(
        reverse("portal:case_document", args=[case.pk]),
        {"kind": "contract", "file": SimpleUploadedFile("cgv.pdf", b"<html>x</html>"),
         **factories.once()},
    )  # fmt: skip
    assert response.status_code == 400
    assert "is not a PDF, JPEG or PNG document" in response.content.decode()
    with scopes_disabled():
        assert not CaseDocument.objects.filter(case=case).exists()


def test_a_payment_received_directly_is_declared_with_the_reminder(creditor_client, world):
    case = factories.new_case(world.creditor, state=CaseState.REMINDER)
    page = creditor_client.get(reverse("portal:case_detail", args=[case.pk])).content.decode()
    assert "rather than negotiating directly" in page
    url = reverse("portal:case_payment", args=[case.pk])
    future = creditor_client.post(
        url,
        {"amount": "100", "received_on": "2026-05-21", "method": "transfer", **factories.once()},
    )
    assert future.status_code == 400
    assert "A payment cannot be received in the future." in future.content.decode()
    response = creditor_client.post(
        url,
        {"amount": "100,50", "received_on": "2026-05-19", "method": "transfer",
         **factories.once()},
    )  # fmt: skip
    assert response.status_code == 302
    with scopes_disabled():
        payment = Payment.objects.get(case=case)
    assert (payment.amount, payment.source) == (Decimal("100.50"), Payment.Source.CREDITOR)


def test_the_list_filters_searches_counts_and_exports(creditor_client, world):
    mine = factories.new_case(world.creditor, state=CaseState.REMINDER, principal=Decimal("500"))
    big = factories.new_case(world.creditor, state=CaseState.NEW, principal=Decimal("9000"))
    theirs = factories.new_case(world.other_creditor)
    with scopes_disabled():
        number = mine.claims.get().invoice_number
    url = reverse("portal:case_list")
    html = creditor_client.get(url).content.decode()
    assert mine.reference in html and big.reference in html and theirs.reference not in html
    assert 'data-state-count="reminder"' in html
    found = creditor_client.get(url, {"q": number}).content.decode()
    assert mine.reference in found and big.reference not in found
    by_siren = creditor_client.get(url, {"q": big.debtor.siren}).content.decode()
    assert big.reference in by_siren and mine.reference not in by_siren
    rich = creditor_client.get(url, {"amount_min": "1 000"}).content.decode()
    assert big.reference in rich and mine.reference not in rich
    state = creditor_client.get(url, {"state": "new"}).content.decode()
    assert big.reference in state and mine.reference not in state
    export = creditor_client.get(reverse("portal:case_export", args=["csv"]), {"state": "new"})
    rows = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig")), delimiter=";"))
    assert [r[0] for r in rows[1:]] == [big.reference]
    assert rows[1][7] == "9000,00"
    xlsx = creditor_client.get(reverse("portal:case_export", args=["xlsx"]))
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
    assert sorted(r[0].value for r in list(sheet.rows)[1:]) == sorted(
        [mine.reference, big.reference]
    )


def test_the_dashboard_adds_up_the_creditors_figures(creditor_client, world):
    case = factories.new_case(world.creditor, state=CaseState.REMINDER, principal=Decimal("1000"))
    factories.new_case(world.other_creditor, principal=Decimal("777"))
    with scopes_disabled():
        payment_record(
            case=case, amount=Decimal("250"), received_on=date(2026, 5, 2), method="transfer",
            actor=world.agent,
        )  # fmt: skip
    html = creditor_client.get(reverse("portal:dashboard")).content.decode()
    assert euros(Decimal("1000")) in html and euros(Decimal("250")) in html
    assert euros(Decimal("777")) not in html
    assert "25.0 %" in html
    assert 'data-chart="chart-months"' in html and 'id="chart-months"' in html


def test_the_dashboard_says_what_was_remitted_and_what_is_held(creditor_client, world):
    """Read from the ledger: a remittance executed, then a payment not remitted yet."""
    case = factories.new_case(world.creditor, state=CaseState.REMINDER, principal=Decimal("1000"))
    with scopes_disabled(), tenant_scope(world.agency.pk):
        pay = dict(case=case, method="transfer", actor=world.agent)
        payment_record(amount=Decimal("250"), received_on=date(2026, 5, 2), **pay)
        remittance = remittance_prepare(creditor=world.creditor, on=date(2026, 5, 9), actor=None)
        remittance_mark_executed(
            remittance=remittance, executed_on=date(2026, 5, 9), actor=world.admin
        )
        payment_record(amount=Decimal("100"), received_on=date(2026, 5, 9), **pay)
    html = creditor_client.get(reverse("portal:dashboard")).content.decode()
    remitted = html.split('data-figure="remitted">')[1].split("</div>")[0]
    assert remittance.net > 0
    assert euros(remittance.net) in remitted and euros(Decimal("100")) in remitted


def test_payment_emails_go_to_the_users_who_subscribe(world, mailoutbox):
    colleague = factories.new_user(world.agency, "creditor_user", creditor=world.creditor)
    with scopes_disabled():
        NotificationPreference.objects.create(
            agency=world.agency, user=colleague, creditor=world.creditor, topics=["case_closed"]
        )
        case = factories.new_case(world.creditor, state=CaseState.REMINDER)
        payment_record(
            case=case, amount=Decimal("100"), received_on=date(2026, 5, 2), method="transfer",
            actor=world.agent,
        )  # fmt: skip
        assert OutboxMessage.objects.filter(kind=CREDITOR_NOTIFICATION, case_id=case.pk).exists()
    run_outbox(kinds={CREDITOR_NOTIFICATION})
    sent = [m for m in mailoutbox if "paiement reçu" in m.subject]  # e-mails are in French
    assert [m.to for m in sent] == [[world.creditor_user.email]]
    assert reverse("portal:case_detail", args=[case.pk]) in sent[0].body


def test_notification_preferences_are_saved(creditor_client, world):
    url = reverse("portal:notifications")
    assert 'value="payment_received" checked' in creditor_client.get(url).content.decode() or (
        "checked" in creditor_client.get(url).content.decode()
    )
    response = creditor_client.post(url, {"topics": ["case_closed", "formal_notice_sent"]})
    assert response.status_code == 302
    with scopes_disabled():
        saved = NotificationPreference.objects.get(user=world.creditor_user)
    assert sorted(saved.topics) == ["case_closed", "formal_notice_sent"]
    bad = creditor_client.post(url, {"topics": ["everything"]})
    assert bad.status_code == 200 and "Select a valid choice" in bad.content.decode()
