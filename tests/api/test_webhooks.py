"""Outbound webhooks to a real HTTP receiver that verifies every signature with the
``standardwebhooks`` library, as a partner would; retries through the outbox for three days;
replay."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import time_machine
from django.urls import reverse
from django_scopes import scopes_disabled
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from api.models import ApiKey, WebhookDelivery, WebhookSubscription
from api.webhooks import FAN_OUT, next_attempt, webhook_delivery_replay
from cases import events
from cases.events import Cases
from cases.models import CaseState
from collectio.outbox import OutboxMessage
from collectio.scoping import tenant_scope
from tests import factories
from tests.api.conftest import client_for
from tests.outbox import run_outbox

pytestmark = pytest.mark.time_machine(datetime(2026, 3, 2, 10, tzinfo=UTC), tick=False)


@dataclass
class Receiver:
    """A partner's endpoint: verifies the signature, answers ``status``."""

    secret: str = ""
    status: int = 204
    received: list[dict] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    url: str = ""

    def types(self) -> list[str]:
        return [m["type"] for m in self.received]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            try:
                message = Webhook(state.secret).verify(body, dict(self.headers))
            except WebhookVerificationError as bad:
                state.refused.append(str(bad))
                self.send_response(400)
            else:
                state.received.append({**message, "webhook-id": self.headers["webhook-id"]})
                self.send_response(state.status)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_port}/hooks"
    yield state
    server.shutdown()
    server.server_close()


def subscribe(key_raw: str, receiver: Receiver, event_types: list[str] | None = None):
    with scopes_disabled():
        key = ApiKey.objects.get(prefix=key_raw.partition(".")[0])
        subscription = WebhookSubscription.objects.create(
            agency_id=key.agency_id, api_key=key, url=receiver.url, event_types=event_types or []
        )
    receiver.secret = subscription.secret
    return subscription


def test_events_are_signed_and_a_partner_verifies_them(world, keys, receiver):
    subscribe(keys.agency, receiver)
    case = factories.new_case(world.creditor)
    response = client_for(keys.agency).post(
        reverse("api:case_transition", args=[case.pk]), {"name": "accept"}, format="json"
    )
    assert response.status_code == 200
    run_outbox()
    assert receiver.refused == []
    assert receiver.types() == ["case.created", "case.state_changed"]
    message = receiver.received[-1]
    assert message["data"]["case"]["reference"] == case.reference
    assert message["data"]["event"]["actor_kind"] == "api_key"
    assert message["data"]["event"]["to_state"] == "reminder"
    with scopes_disabled():
        delivery = WebhookDelivery.objects.get(event_type="case.state_changed")
    assert delivery.status == "delivered" and delivery.attempts == 1
    assert message["webhook-id"] == delivery.message_id


def test_a_wrong_secret_fails_verification(world, keys, receiver):
    subscribe(keys.agency, receiver)
    receiver.secret = "whsec_" + "A" * 43 + "="
    factories.new_case(world.creditor)
    run_outbox()
    assert receiver.received == [] and len(receiver.refused) == 1
    with scopes_disabled():
        delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.last_status_code) == ("pending", 400)


def test_a_creditor_keys_subscription_gets_its_creditors_events_only(world, keys, receiver):
    subscribe(keys.creditor, receiver)
    mine = factories.new_case(world.creditor)
    factories.new_case(world.other_creditor)
    with scopes_disabled(), tenant_scope(world.agency.pk):
        events.note_added(case=mine, actor=None, text="Rappel")
    run_outbox()
    assert receiver.types() == ["case.created", "case.note_added"]
    assert {m["data"]["case"]["id"] for m in receiver.received} == {mine.pk}


def test_event_types_filter_and_no_subscription_writes_nothing(world, keys, receiver):
    factories.new_case(world.creditor)
    with scopes_disabled():
        assert not OutboxMessage.objects.filter(kind=FAN_OUT).exists()
    subscribe(keys.agency, receiver, ["payment.recorded"])
    case = factories.new_case(world.creditor, state=CaseState.REMINDER)
    client_for(keys.agency).post(
        reverse("api:case_payments", args=[case.pk]),
        {"amount": "100.00", "received_on": "2026-03-01", "method": "transfer"},
        format="json",
    )
    run_outbox()
    assert receiver.types() == ["payment.recorded"]
    assert receiver.received[0]["data"]["event"]["payload"]["amount"] == "100.00"


def test_the_sweeps_batch_events_are_published_too(world, keys, receiver):
    subscribe(keys.agency, receiver, ["case.state_changed"])
    cases = [factories.new_case(world.creditor) for _ in range(3)]
    with scopes_disabled(), tenant_scope(world.agency.pk):
        events.state_changed(
            cases=Cases(agency_id=world.agency.pk, ids=[c.pk for c in cases]),
            transition="escalate", from_state="reminder", to_state="phone_followup", actor=None,
        )  # fmt: skip
    run_outbox()
    assert sorted(m["data"]["case"]["id"] for m in receiver.received) == [c.pk for c in cases]


def test_failures_are_retried_with_growing_waits_for_three_days_then_replayed(
    world, keys, receiver
):
    receiver.status = 503
    subscribe(keys.agency, receiver)
    factories.new_case(world.creditor)
    start = datetime(2026, 3, 2, 10, tzinfo=UTC)
    run_outbox()
    with scopes_disabled():
        delivery = WebhookDelivery.objects.get()
    assert (delivery.attempts, delivery.status, delivery.last_status_code) == (1, "pending", 503)
    assert delivery.next_attempt_at == start + timedelta(minutes=1)
    run_outbox()  # not due yet: nothing is sent
    assert len(receiver.received) == 1
    waits, now = [], start
    while delivery.status == "pending":
        waits.append(delivery.next_attempt_at - now)
        now = delivery.next_attempt_at
        with time_machine.travel(now, tick=False):
            run_outbox()
        with scopes_disabled():
            delivery.refresh_from_db()
    assert waits[:4] == [timedelta(minutes=m) for m in (1, 2, 4, 8)]
    assert max(waits) == timedelta(hours=12)
    assert delivery.status == "failed"
    assert timedelta(days=2) < now - start <= timedelta(days=3)
    assert len(receiver.received) == delivery.attempts
    receiver.status = 200
    with time_machine.travel(now + timedelta(days=1), tick=False):
        with scopes_disabled(), tenant_scope(world.agency.pk):
            webhook_delivery_replay(delivery=delivery)
        run_outbox()
    with scopes_disabled():
        delivery.refresh_from_db()
    assert delivery.status == "delivered"
    assert len({m["webhook-id"] for m in receiver.received}) == 1  # one message, many attempts


def test_the_retry_schedule_stops_after_three_days():
    since = datetime(2026, 3, 2, tzinfo=UTC)
    assert next_attempt(1, since=since, now=since) == since + timedelta(minutes=1)
    assert next_attempt(20, since=since, now=since + timedelta(days=2, hours=11)) is not None
    assert next_attempt(20, since=since, now=since + timedelta(days=2, hours=13)) is None


def test_a_revoked_keys_subscription_sends_nothing(world, keys, receiver):
    subscription = subscribe(keys.agency, receiver)
    with scopes_disabled():
        ApiKey.objects.filter(pk=subscription.api_key_id).update(revoked=True)
    factories.new_case(world.creditor)
    run_outbox()
    assert receiver.received == []
    with scopes_disabled():
        assert not WebhookDelivery.objects.exists()


def test_the_body_is_the_standard_webhooks_shape(world, keys, receiver):
    subscribe(keys.agency, receiver)
    factories.new_case(world.creditor)
    run_outbox()
    (message,) = receiver.received
    assert set(message) == {"type", "timestamp", "data", "webhook-id"}
    assert datetime.fromisoformat(message["timestamp"])
    assert json.dumps(message["data"])
