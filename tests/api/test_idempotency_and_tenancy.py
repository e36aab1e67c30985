"""Retries are safe (Idempotency-Key), and a key never sees another agency's or creditor's rows:
they answer 404 exactly as an id that does not exist, and nothing is written."""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse
from django_scopes import scopes_disabled

from api.models import IdempotentRequest
from cases.models import Case, CaseDocument, CaseEvent, CaseState
from payments.models import Payment
from tests import factories
from tests.api.conftest import client_for
from tests.api.test_endpoints import PDF, new_case_body

pytestmark = pytest.mark.time_machine(datetime(2026, 3, 2, 10, tzinfo=UTC))


def _count_cases() -> int:
    with scopes_disabled():
        return Case.objects.count()


def test_the_same_key_and_body_get_the_first_response(world, keys):
    api = client_for(keys.creditor)
    body = new_case_body()
    first = api.post(reverse("api:case_list"), body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    again = api.post(reverse("api:case_list"), body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert _count_cases() == 1


def test_the_same_key_with_another_body_is_422(world, keys):
    api = client_for(keys.creditor)
    api.post(reverse("api:case_list"), new_case_body(), format="json", HTTP_IDEMPOTENCY_KEY="k-2")
    other = api.post(
        reverse("api:case_list"), new_case_body(), format="json", HTTP_IDEMPOTENCY_KEY="k-2"
    )
    assert other.status_code == 422
    assert other.json()["type"] == "/api/problems/idempotency-key-reused/"
    assert _count_cases() == 1


def test_a_refusal_is_replayed_too_and_keys_are_per_api_key(world, keys):
    case = factories.new_case(world.creditor, state=CaseState.REMINDER)
    url = reverse("api:case_transition", args=[case.pk])
    body = {"name": "withdraw"}
    mine = client_for(keys.creditor)
    first = mine.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="t-1")
    assert first.status_code == 409
    assert mine.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="t-1").json() == first.json()
    # The agency's key picked the same string: it is another request.
    agency = client_for(keys.agency).post(
        url, {"name": "hold"}, format="json", HTTP_IDEMPOTENCY_KEY="t-1"
    )
    assert agency.status_code == 200


def test_payments_are_not_recorded_twice_and_keys_expire_after_24_hours(world, keys):
    case = factories.new_case(world.creditor, state=CaseState.REMINDER)
    url = reverse("api:case_payments", args=[case.pk])
    body = {"amount": "10.00", "received_on": "2026-03-01", "method": "transfer"}
    api = client_for(keys.agency)
    for _ in range(3):
        assert api.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="p-1").status_code == 201
    with scopes_disabled():
        assert Payment.objects.filter(case=case).count() == 1
    with time_machine.travel(datetime(2026, 3, 3, 10, 1, tzinfo=UTC)):
        assert api.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="p-1").status_code == 201
    with scopes_disabled():
        assert Payment.objects.filter(case=case).count() == 2


def test_a_request_still_in_flight_is_409_and_an_abandoned_claim_is_taken_over(world, keys):
    api = client_for(keys.creditor)
    body = new_case_body()
    first = api.post(reverse("api:case_list"), body, format="json", HTTP_IDEMPOTENCY_KEY="f-1")
    with scopes_disabled():
        record = IdempotentRequest.objects.get(key="f-1")
        # As if the first request were still running.
        IdempotentRequest.objects.filter(pk=record.pk).update(status_code=None, response=None)
    busy = api.post(reverse("api:case_list"), body, format="json", HTTP_IDEMPOTENCY_KEY="f-1")
    assert busy.status_code == 409
    assert busy.json()["type"] == "/api/problems/idempotency-key-in-flight/"
    assert record.body_sha256 == hashlib.sha256(first.wsgi_request.body).hexdigest()
    with time_machine.travel(datetime(2026, 3, 2, 10, 5, tzinfo=UTC)):
        taken = api.post(reverse("api:case_list"), body, format="json", HTTP_IDEMPOTENCY_KEY="f-1")
    # The abandoned claim is run again: here the intake sees the duplicate invoice.
    assert taken.status_code == 422


# --- another agency, another creditor: 404 as for a missing id ---------------------------------
def _alpha_objects(world):
    case = factories.new_case(world.creditor, state=CaseState.REMINDER)
    with scopes_disabled():
        document = CaseDocument.objects.create(
            agency=world.agency, case=case, kind="invoice", file="case-documents/x.pdf",
            original_name="x.pdf", content_type="application/pdf", size=3, sha256="0",
        )  # fmt: skip
    return case, document


GET_ROUTES = [
    ("api:case_detail", ()),
    ("api:case_balance", ()),
    ("api:case_events", ()),
    ("api:case_payments", ()),
    ("api:case_documents", ()),
    ("api:case_document", ("document",)),
]
POST_ROUTES = {
    "api:case_transition": {"name": "withdraw", "reason": "x"},
    "api:case_payments": {"amount": "10.00", "received_on": "2026-03-01", "method": "transfer"},
    "api:case_documents": {
        "kind": "contract",
        "filename": "c.pdf",
        "content": base64.b64encode(PDF).decode(),
    },
}


def _written(case) -> tuple:
    with scopes_disabled():
        return (
            Case.objects.get(pk=case.pk).state,
            CaseEvent.objects.filter(case=case).count(),
            Payment.objects.filter(case=case).count(),
            CaseDocument.objects.filter(case=case).count(),
        )


@pytest.mark.parametrize("outsider", ["other_agency", "other_creditor"])
def test_outsider_keys_get_404_on_every_case_route(world, keys, outsider):
    case, document = _alpha_objects(world)
    api = client_for(getattr(keys, outsider))
    before = _written(case)
    for pk in (case.pk, case.pk + 10_000):
        for route, extra in GET_ROUTES:
            args = [pk] + [f"document-{document.pk}" for _ in extra]
            response = api.get(reverse(route, args=args))
            assert response.status_code == 404, (route, pk)
            assert response.json() == {
                "type": "/api/problems/not-found/",
                "title": "Not found.",
                "status": 404,
                "detail": "Not found.",
            }
        for route, body in POST_ROUTES.items():
            response = api.post(reverse(route, args=[pk]), body, format="json")
            assert response.status_code == 404, (route, pk)
    assert _written(case) == before


def test_outsider_keys_get_404_on_creditors_and_debtors(world, keys):
    case, _document = _alpha_objects(world)
    bravo = client_for(keys.other_agency)
    assert bravo.get(reverse("api:creditor_detail", args=[world.creditor.pk])).status_code == 404
    assert bravo.get(reverse("api:debtor_detail", args=[case.debtor_id])).status_code == 404
    leroy = client_for(keys.other_creditor)
    assert leroy.get(reverse("api:debtor_detail", args=[case.debtor_id])).status_code == 404
    assert bravo.get(reverse("api:case_list")).json()["results"] == []
    assert leroy.get(reverse("api:case_list")).json()["results"] == []
    assert bravo.get(reverse("api:debtor_list")).json()["results"] == []


def test_a_creditor_key_sees_its_own_case(world, keys):
    case, document = _alpha_objects(world)
    api = client_for(keys.creditor)
    for route, _extra in GET_ROUTES[:-1]:
        assert api.get(reverse(route, args=[case.pk])).status_code == 200, route
    listed = api.get(reverse("api:case_documents", args=[case.pk])).json()
    assert [d["id"] for d in listed] == [f"document-{document.pk}"]


def test_the_idempotency_record_of_one_key_is_not_another_agencys(world, keys):
    api = client_for(keys.other_agency)
    response = api.post(
        reverse("api:case_list"), new_case_body(world.creditor.pk), format="json",
        HTTP_IDEMPOTENCY_KEY="same",
    )  # fmt: skip
    assert response.status_code == 422  # Alpha's creditor is not Bravo's
    with scopes_disabled():
        (record,) = IdempotentRequest.objects.filter(key="same")
    assert record.agency_id == world.other_agency.pk
    assert record.created_at > datetime(2026, 3, 2, tzinfo=UTC) - timedelta(minutes=1)


def test_keys_older_than_24_hours_are_purged(world, keys):
    from api.tasks import purge_idempotency_keys

    api = client_for(keys.creditor)
    api.post(reverse("api:case_list"), new_case_body(), format="json", HTTP_IDEMPOTENCY_KEY="old")
    with time_machine.travel(datetime(2026, 3, 3, 9, tzinfo=UTC)):
        assert purge_idempotency_keys() == 0
    with time_machine.travel(datetime(2026, 3, 3, 11, tzinfo=UTC)):
        assert purge_idempotency_keys() == 1
