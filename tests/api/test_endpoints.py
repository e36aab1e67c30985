"""Every endpoint of /api/v1/ with real keys, real PostgreSQL and the real statement of account."""

from __future__ import annotations

import base64
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from api.models import ApiKey
from cases.models import Case, CaseDocument, CaseEvent, CaseState
from cases.services import ClaimInput, case_open
from payments.models import Payment
from tests import factories
from tests.api.conftest import client_for, new_key

pytestmark = pytest.mark.time_machine(datetime(2026, 3, 2, 10, tzinfo=UTC))

# A one-page PDF, as a partner's ERP sends an invoice.
PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[3 0 R]"
    b"/Count 1>>endobj 3 0 obj<</Type/Page/MediaBox[0 0 595 842]/Parent 2 0 R>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


def b1_case(creditor, **fields) -> Case:
    """legal-fr.md REQ-B3 B1: €1,200.00 incl. VAT due 2025-03-01, between professionals."""
    with scopes_disabled():
        case = case_open(
            agency=creditor.agency,
            creditor=creditor,
            debtor=factories.new_debtor(creditor.agency),
            claims=[
                ClaimInput(
                    invoice_number="FA-2025-0042",
                    invoice_date=date(2025, 1, 30),
                    due_date=date(2025, 3, 1),
                    principal=Decimal("1200.00"),
                    debt_kind="b2b",
                )
            ],
            actor=None,
        )
        if fields:
            Case.objects.filter(pk=case.pk).update(**fields)
        return Case.objects.get(pk=case.pk)


def new_case_body(creditor_id: int | None = None, **changes) -> dict:
    body = {
        "debtor": {
            "kind": "company",
            "name": "Garage Dupont SARL",
            "siren": factories.siren(),
            "address_line1": "4 rue des Lilas",
            "postcode": "69003",
            "city": "Lyon",
            "email": "compta@garage-dupont.fr",
        },
        "claims": [
            {
                "invoice_number": f"F-{factories.siren()}",
                "invoice_date": "2026-01-05",
                "due_date": "2026-02-04",
                "principal": "1200.00",
                "debt_kind": "b2b",
            }
        ],
    }
    if creditor_id is not None:
        body["creditor"] = creditor_id
    body.update(changes)
    return body


def pointers(response) -> dict[str, str]:
    assert response["Content-Type"] == "application/problem+json", response.content
    return {e["pointer"]: e["code"] for e in response.json()["errors"]}


# --- authentication ----------------------------------------------------------------------------
def test_a_request_without_a_key_or_with_a_bad_one_is_401_problem(world, keys):
    for client in (client_for("nope.nope"), client_for(keys.agency + "x")):
        response = client.get(reverse("api:case_list"))
        assert response.status_code == 401
        assert response.json()["type"] == "/api/problems/unauthenticated/"
        assert response["WWW-Authenticate"] == "Api-Key"
    from rest_framework.test import APIClient

    assert APIClient().get(reverse("api:case_list")).status_code == 401


def test_revoked_and_expired_keys_stop_working_and_the_last_use_is_recorded(world, keys):
    client = client_for(keys.agency)
    assert client.get(reverse("api:case_list")).status_code == 200
    prefix = keys.agency.partition(".")[0]
    with scopes_disabled():
        key = ApiKey.objects.get(prefix=prefix)
        assert timezone.now() - timedelta(seconds=5) < key.last_used_at <= timezone.now()
        ApiKey.objects.filter(pk=key.pk).update(expiry_date=timezone.now())
    assert client.get(reverse("api:case_list")).status_code == 401
    with scopes_disabled():
        ApiKey.objects.filter(pk=key.pk).update(expiry_date=None, revoked=True)
    assert client.get(reverse("api:case_list")).status_code == 401


def test_keys_are_stored_hashed(world, keys):
    with scopes_disabled():
        key = ApiKey.objects.get(prefix=keys.agency.partition(".")[0])
    assert keys.agency.partition(".")[2] not in key.hashed_key
    assert key.hashed_key.startswith("sha512$$")


# --- creditors and debtors ---------------------------------------------------------------------
def test_creditors_for_agency_keys_only(world, keys):
    response = client_for(keys.agency).get(reverse("api:creditor_list"))
    assert response.status_code == 200
    assert {c["id"] for c in response.json()["results"]} == {
        world.creditor.pk,
        world.other_creditor.pk,
    }
    detail = client_for(keys.agency).get(reverse("api:creditor_detail", args=[world.creditor.pk]))
    assert detail.json()["siren"] == world.creditor.siren
    refused = client_for(keys.creditor).get(reverse("api:creditor_list"))
    assert refused.status_code == 403
    assert refused.json()["type"] == "/api/problems/forbidden/"


def test_debtors_are_those_of_the_cases_the_key_sees(world, keys):
    mine = factories.new_case(world.creditor)
    theirs = factories.new_case(world.other_creditor)
    listed = client_for(keys.creditor).get(reverse("api:debtor_list")).json()["results"]
    assert [d["id"] for d in listed] == [mine.debtor_id]
    agency = client_for(keys.agency).get(reverse("api:debtor_list")).json()["results"]
    assert {d["id"] for d in agency} == {mine.debtor_id, theirs.debtor_id}
    detail = client_for(keys.creditor).get(reverse("api:debtor_detail", args=[mine.debtor_id]))
    assert detail.status_code == 200 and detail.json()["siren"]


# --- cases: list -------------------------------------------------------------------------------
def test_case_list_filters_and_cursor_pages(world, keys, django_assert_max_num_queries):
    new = [factories.new_case(world.creditor) for _ in range(3)]
    reminder = factories.new_case(world.creditor, state=CaseState.REMINDER)
    other = factories.new_case(world.other_creditor)
    api = client_for(keys.agency)

    def ids(**query) -> set[int]:
        response = api.get(reverse("api:case_list"), query)
        assert response.status_code == 200, response.content
        return {c["id"] for c in response.json()["results"]}

    assert ids() == {c.pk for c in [*new, reminder, other]}
    assert ids(state="reminder") == {reminder.pk}
    assert ids(state=["reminder", "new"]) == {c.pk for c in [*new, reminder, other]}
    assert ids(creditor=world.other_creditor.pk) == {other.pk}
    assert ids(reference=reminder.reference) == {reminder.pk}
    with time_machine.travel(datetime(2026, 3, 3, 10, tzinfo=UTC)):
        with scopes_disabled():
            from cases import events

            events.note_added(case=new[1], actor=None, text="Rappeler")
        assert ids(updated_since="2026-03-03T00:00:00Z") == {new[1].pk}
    # Cursor pages: two by two, newest first, every case once.
    seen, url = [], reverse("api:case_list") + "?page_size=2"
    while url:
        with django_assert_max_num_queries(6):
            page = api.get(url).json()
        seen += [c["id"] for c in page["results"]]
        url = page["next"]
    assert seen == sorted(seen, reverse=True) and len(seen) == 5


def test_case_list_rejects_a_bad_filter_as_problem(world, keys):
    response = client_for(keys.agency).get(
        reverse("api:case_list"), {"state": "nope", "updated_since": "yesterday"}
    )
    assert response.status_code == 422
    assert set(pointers(response)) == {"#/state", "#/updated_since"}


def test_a_creditor_key_lists_its_creditors_cases_only(world, keys):
    mine = factories.new_case(world.creditor)
    factories.new_case(world.other_creditor)
    response = client_for(keys.creditor).get(reverse("api:case_list"))
    assert [c["id"] for c in response.json()["results"]] == [mine.pk]


def test_case_list_queries_do_not_grow_with_the_page(world, keys, django_assert_max_num_queries):
    for _ in range(25):
        factories.new_case(world.creditor)
    with django_assert_max_num_queries(6):
        response = client_for(keys.creditor).get(reverse("api:case_list"))
    assert len(response.json()["results"]) == 25


# --- cases: retrieve and balance ---------------------------------------------------------------
def test_case_retrieve_gives_the_amounts_due_today_and_next_step(
    world, keys, django_assert_max_num_queries
):
    case = b1_case(world.creditor, state=CaseState.REMINDER)
    with (
        time_machine.travel(datetime(2025, 6, 15, 10, tzinfo=UTC)),
        django_assert_max_num_queries(14),
    ):
        response = client_for(keys.creditor).get(reverse("api:case_detail", args=[case.pk]))
    assert response.status_code == 200
    body = response.json()
    assert body["amounts_due_today"]["amount_due"] == "1285.83"
    assert body["amounts_due_today"]["interest_accrued"] == "45.83"
    assert body["amounts_due_today"]["indemnity"] == "40.00"
    assert body["principal_due"] == "1200.00"
    assert body["claims"][0]["invoice_number"] == "FA-2025-0042"
    assert set(body["next_step"]) >= {"action", "planned_at"}
    # A creditor's key may dispute or withdraw, not escalate.
    # What the creditor may ask of its own case (the key is the creditor's).
    assert {a["name"] for a in body["actions"]} == {"hold", "open_dispute", "withdraw"}


def test_balance_at_any_date_per_claim_with_periods_and_payments(world, keys):
    case = b1_case(world.creditor, state=CaseState.REMINDER)
    with scopes_disabled():
        Payment.objects.create(
            agency_id=case.agency_id, case=case, amount=Decimal("600.00"),
            received_on=date(2025, 6, 15), method="transfer",
        )  # fmt: skip
    api = client_for(keys.creditor)
    before = api.get(reverse("api:case_balance", args=[case.pk]), {"at": "2025-06-14"}).json()
    after = api.get(reverse("api:case_balance", args=[case.pk]), {"at": "2025-07-15"}).json()
    assert before["payments"] == []
    (line,) = after["claims"]
    assert line["principal_due"] == "645.83"
    assert line["interest_due"] == "6.71"
    assert line["interest_paid"] == "45.83"
    assert line["outstanding"] == "692.54"
    assert [p["rate"] for p in line["periods"]][:1] == ["13.150"]
    assert after["payments"][0]["imputed"] == "600.00"
    assert after["total"]["outstanding"] == "692.54"
    assert after["at"] == "2025-07-15"


def test_balance_with_a_bad_date_is_a_validation_problem(world, keys):
    case = factories.new_case(world.creditor)
    response = client_for(keys.agency).get(
        reverse("api:case_balance", args=[case.pk]), {"at": "15/07/2025"}
    )
    assert response.status_code == 422
    assert pointers(response) == {"#/at": "invalid"}


# --- timeline and transitions ------------------------------------------------------------------
def test_transition_by_key_is_recorded_with_the_key_as_actor(world, keys):
    case = factories.new_case(world.creditor)
    response = client_for(keys.agency).post(
        reverse("api:case_transition", args=[case.pk]), {"name": "accept"}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["state"] == "reminder"
    timeline = client_for(keys.creditor).get(reverse("api:case_events", args=[case.pk])).json()
    last = timeline["results"][-1]
    assert (last["type"], last["actor_kind"], last["to_state"]) == (
        "case.state_changed",
        "api_key",
        "reminder",
    )
    assert last["actor"] == "API key Alpha ERP"
    assert timeline["results"][0]["type"] == "case.created"
    assert last["description"]


def test_a_refused_transition_is_409_with_the_reasons(world, keys):
    case = factories.new_case(world.creditor, state=CaseState.REMINDER)
    api = client_for(keys.creditor)
    response = api.post(
        reverse("api:case_transition", args=[case.pk]), {"name": "withdraw"}, format="json"
    )
    assert response.status_code == 409
    body = response.json()
    assert body["type"] == "/api/problems/transition-refused/"
    assert body["reasons"] == ["Give the reason for this action."]
    hand_off = client_for(keys.agency).post(
        reverse("api:case_transition", args=[case.pk]), {"name": "hand_off"}, format="json"
    )
    assert hand_off.status_code == 409 and hand_off.json()["reasons"]
    # A creditor's key holds a creditor's permissions: it cannot escalate.
    escalate = api.post(
        reverse("api:case_transition", args=[case.pk]), {"name": "escalate"}, format="json"
    )
    assert escalate.status_code == 403
    withdrawn = api.post(
        reverse("api:case_transition", args=[case.pk]),
        {"name": "withdraw", "reason": "Paid us directly."},
        format="json",
    )
    assert withdrawn.status_code == 200 and withdrawn.json()["closure_code"] == "withdrawn"


def test_an_unknown_transition_or_stale_state_is_refused(world, keys):
    case = factories.new_case(world.creditor, state=CaseState.REMINDER)
    api = client_for(keys.agency)
    url = reverse("api:case_transition", args=[case.pk])
    assert pointers(api.post(url, {"name": "fly"}, format="json")) == {"#/name": "invalid_choice"}
    stale = api.post(url, {"name": "hold", "expected_state": "new"}, format="json")
    assert stale.status_code == 409 and stale.json()["type"] == "/api/problems/conflict/"


# --- payments ----------------------------------------------------------------------------------
def test_payments_recorded_through_the_api_say_so(world, keys):
    case = factories.new_case(world.creditor, state=CaseState.REMINDER)
    api = client_for(keys.creditor)
    url = reverse("api:case_payments", args=[case.pk])
    response = api.post(
        url, {"amount": "200.00", "received_on": "2026-03-01", "method": "transfer"}, format="json"
    )
    assert response.status_code == 201, response.content
    assert response.json()["source"] == "api"
    listed = api.get(url).json()["results"]
    assert [p["amount"] for p in listed] == ["200.00"]
    with scopes_disabled():
        event = CaseEvent.objects.filter(case=case, kind="payment").get()
    assert event.actor_kind == "api_key"


def test_a_payment_in_the_future_is_refused_on_its_field(world, keys):
    case = factories.new_case(world.creditor, state=CaseState.REMINDER)
    response = client_for(keys.agency).post(
        reverse("api:case_payments", args=[case.pk]),
        {"amount": "-5", "received_on": "2027-01-01", "method": "bitcoin"},
        format="json",
    )
    assert response.status_code == 422
    assert set(pointers(response)) == {"#/amount", "#/method"}
    future = client_for(keys.agency).post(
        reverse("api:case_payments", args=[case.pk]),
        {"amount": "5", "received_on": "2027-01-01", "method": "cheque"},
        format="json",
    )
    assert pointers(future) == {"#/received_on": "invalid"}
    with scopes_disabled():
        assert not Payment.objects.filter(case=case).exists()


# --- creation ----------------------------------------------------------------------------------
def test_an_agency_key_creates_a_case_with_its_invoice_pdf(world, keys):
    body = new_case_body(world.creditor.pk)
    body["documents"] = [
        {
            "kind": "invoice",
            "invoice_number": body["claims"][0]["invoice_number"],
            "filename": "facture.pdf",
            "content": base64.b64encode(PDF).decode(),
        }
    ]
    api = client_for(keys.agency)
    response = api.post(reverse("api:case_list"), body, format="json")
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["state"] == "new" and created["creditor"] == world.creditor.pk
    assert response["Location"] == reverse("api:case_detail", args=[created["id"]])
    documents = api.get(reverse("api:case_documents", args=[created["id"]])).json()
    assert [(d["kind"], d["name"]) for d in documents] == [("invoice", "facture.pdf")]
    download = api.get(documents[0]["download"])
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF
    with scopes_disabled():
        document = CaseDocument.objects.get(case_id=created["id"])
        assert document.claim.invoice_number == body["claims"][0]["invoice_number"]
        kinds = list(
            CaseEvent.objects.filter(case_id=created["id"]).values_list("kind", "actor_kind")
        )
    assert ("opened", "api_key") in kinds and ("submitted", "api_key") in kinds


def test_a_creditor_key_creates_for_its_creditor_only(world, keys):
    api = client_for(keys.creditor)
    response = api.post(reverse("api:case_list"), new_case_body(), format="json")
    assert response.status_code == 201 and response.json()["creditor"] == world.creditor.pk
    other = api.post(
        reverse("api:case_list"), new_case_body(world.other_creditor.pk), format="json"
    )
    assert pointers(other) == {"#/creditor": "invalid"}


def test_an_agency_key_cannot_name_another_agencys_creditor(world, keys):
    with scopes_disabled():
        theirs = factories.new_creditor(world.other_agency, "Bravo Client")
    response = client_for(keys.agency).post(
        reverse("api:case_list"), new_case_body(theirs.pk), format="json"
    )
    assert pointers(response) == {"#/creditor": "invalid"}
    with scopes_disabled():
        assert not Case.objects.filter(creditor=theirs).exists()


def test_invalid_case_fields_are_reported_each_with_its_pointer(world, keys):
    body = new_case_body(world.creditor.pk)
    body["debtor"]["siren"] = "123456789"
    body["claims"].append({**body["claims"][0], "invoice_number": "F-2", "due_date": "2025-12-01"})
    body["claims"][0]["principal"] = "0"
    body["documents"] = [{"filename": "x.pdf", "content": "not base64!"}]
    response = client_for(keys.agency).post(reverse("api:case_list"), body, format="json")
    assert response.status_code == 422
    found = pointers(response)
    assert "#/debtor/siren" in found
    assert "#/claims/0/principal" in found
    assert "#/claims/1/due_date" in found
    assert found["#/documents/0/content"] == "base64"
    not_pdf = new_case_body(world.creditor.pk)
    not_pdf["documents"] = [{"filename": "x.pdf", "content": base64.b64encode(b"hello").decode()}]
    refused = client_for(keys.agency).post(reverse("api:case_list"), not_pdf, format="json")
    assert pointers(refused) == {"#/documents/0/content": "file_type"}
    with scopes_disabled():
        assert not Case.objects.exists()


def test_a_duplicate_invoice_is_refused_unless_confirmed(world, keys):
    api = client_for(keys.creditor)
    body = new_case_body()
    assert api.post(reverse("api:case_list"), body, format="json").status_code == 201
    again = api.post(reverse("api:case_list"), body, format="json")
    assert again.status_code == 422 and pointers(again) == {"#/": "duplicate"}
    confirmed = api.post(
        reverse("api:case_list"), {**body, "allow_duplicates": True}, format="json"
    )
    assert confirmed.status_code == 201


def test_a_document_added_later(world, keys):
    case = factories.new_case(world.creditor)
    url = reverse("api:case_documents", args=[case.pk])
    api = client_for(keys.creditor)
    body = {"kind": "contract", "filename": "cgv.pdf", "content": base64.b64encode(PDF).decode()}
    response = api.post(url, body, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["kind"] == "contract"
    wrong = api.post(url, {**body, "invoice_number": "NOPE"}, format="json")
    assert pointers(wrong) == {"#/invoice_number": "invalid"}


# --- bulk --------------------------------------------------------------------------------------
def test_bulk_creates_all_the_cases(world, keys):
    items = [new_case_body() for _ in range(3)]
    response = client_for(keys.creditor).post(
        reverse("api:case_bulk"), {"cases": items}, format="json"
    )
    assert response.status_code == 201, response.content
    assert len(response.json()["cases"]) == 3
    with scopes_disabled():
        assert Case.objects.filter(creditor=world.creditor).count() == 3


def test_bulk_is_all_or_nothing_with_the_errors_of_every_item(world, keys):
    items = [new_case_body() for _ in range(4)]
    items[1]["claims"][0]["principal"] = "-1"
    items[3]["debtor"]["siren"] = "123456789"
    response = client_for(keys.creditor).post(
        reverse("api:case_bulk"), {"cases": items}, format="json"
    )
    assert response.status_code == 422
    found = pointers(response)
    assert "#/cases/1/claims/0/principal" in found
    assert "#/cases/3/debtor/siren" in found
    assert not any(p.startswith(("#/cases/0", "#/cases/2")) for p in found)
    with scopes_disabled():
        assert not Case.objects.exists()


def test_bulk_service_refusals_are_reported_per_item_and_nothing_is_created(world, keys):
    items = [new_case_body() for _ in range(3)]
    items[2] = {**items[0]}  # the same invoice twice: the intake refuses the duplicate
    response = client_for(keys.creditor).post(
        reverse("api:case_bulk"), {"cases": items}, format="json"
    )
    assert response.status_code == 422
    assert pointers(response) == {"#/cases/2": "duplicate"}
    with scopes_disabled():
        assert not Case.objects.exists()


def test_bulk_takes_up_to_a_thousand(world, keys):
    response = client_for(keys.creditor).post(
        reverse("api:case_bulk"), {"cases": [new_case_body()] * 1001}, format="json"
    )
    assert pointers(response) == {"#/cases": "max_length"}


# --- documents ---------------------------------------------------------------------------------
def test_letters_are_listed_and_downloaded(world, keys, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    case = factories.new_case(world.creditor, state=CaseState.REMINDER)
    (tmp_path / "notices").mkdir()
    (tmp_path / "notices" / "l1.pdf").write_bytes(PDF)
    with scopes_disabled():
        from notices.models import Channel, LetterKind, Notice

        notice = Notice.objects.create(
            agency=world.agency, creditor=world.creditor, case=case,
            kind=LetterKind.FIRST_REMINDER, channel=Channel.LETTER, reference="L-2026-000001",
            statement_on=date(2026, 3, 1), status=Notice.Status.SENT, pdf="notices/l1.pdf",
            sha256="abc", rendered_at=timezone.now() - timedelta(days=1), sent_at=timezone.now(),
        )  # fmt: skip
    api = client_for(keys.creditor)
    (document,) = api.get(reverse("api:case_documents", args=[case.pk])).json()
    assert document["id"] == f"letter-{notice.pk}"
    assert document["kind"] == "letter:first_reminder"
    response = api.get(document["download"])
    assert b"".join(response.streaming_content) == PDF
    missing = api.get(reverse("api:case_document", args=[case.pk, "letter-999999"]))
    assert missing.status_code == 404


# --- throttling --------------------------------------------------------------------------------
def test_throttled_per_key_with_ratelimit_headers(world, settings):
    settings.API_RATE_LIMIT = 3
    raw = new_key(world.agency, name="Throttled")
    other = client_for(new_key(world.agency, name="Other"))
    api = client_for(raw)
    answers = [api.get(reverse("api:case_list")) for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert [a["RateLimit-Remaining"] for a in answers] == ["2", "1", "0", "0"]
    assert answers[0]["RateLimit-Limit"] == "3"
    assert int(answers[3]["Retry-After"]) >= 1
    assert answers[3].json()["type"] == "/api/problems/rate-limited/"
    assert other.get(reverse("api:case_list")).status_code == 200  # each key its own budget
