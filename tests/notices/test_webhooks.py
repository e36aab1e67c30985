"""Provider webhooks (Standard Webhooks): signed per agency with a timestamp, each delivery
applied once, an AR date never moved, bad bodies answered 400 and never 500."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled
from standardwebhooks.webhooks import Webhook

from cases.models import CaseEvent
from notices import services
from notices.models import Channel, LetterKind, Notice, WebhookDelivery
from tests.notices.conftest import b1_case, sent_first_letter

pytestmark = pytest.mark.time_machine(datetime(2026, 3, 2, 10, tzinfo=UTC))

_ids = itertools.count(1)


def deliver(
    client,
    name: str,
    agency,
    payload,
    *,
    secret: str | None = None,
    delivery_id: str | None = None,
    sent_at: datetime | None = None,
    body: bytes | None = None,
):
    """POST as a provider does: body signed with the id and the timestamp."""
    raw = body if body is not None else json.dumps(payload).encode()
    delivery_id = delivery_id or f"msg_{next(_ids)}"
    sent_at = sent_at or datetime.now(UTC)
    signature = Webhook(secret or agency.webhook_secret).sign(
        delivery_id, sent_at, raw.decode(errors="replace")
    )
    return client.post(
        reverse(f"notices:{name}", args=[agency.slug]),
        raw,
        content_type="application/json",
        headers={
            "webhook-id": delivery_id,
            "webhook-timestamp": str(int(sent_at.timestamp())),
            "webhook-signature": signature,
        },
    )


@pytest.fixture
def registered(scoped, settings):
    """A second reminder sent by registered letter on 2026-02-20, no tracking number yet."""
    settings.NOTICES_POST_BACKEND = "notices.channels.post.PrintDropBackend"
    case = b1_case(scoped.creditor)
    sent_first_letter(case, date(2026, 2, 2))
    with time_machine.travel(datetime(2026, 2, 20, 10, tzinfo=UTC)):
        notice = services.notice_render(
            notice=services.notice_create(
                case=case,
                kind=LetterKind.SECOND_REMINDER,
                channel=Channel.REGISTERED_LETTER,
                actor=None,
            )
        )
        services.print_batch_run(agency_id=case.agency_id)
    notice.refresh_from_db()
    assert notice.status == Notice.Status.SENT and notice.tracking_number == ""
    return notice


def _ack_events(notice: Notice) -> int:
    return CaseEvent.objects.filter(
        case=notice.case, kind=CaseEvent.Kind.LETTER_ACKNOWLEDGED
    ).count()


def test_tracking_then_acknowledgement(client, world, registered):
    posted = {"notice_id": registered.pk, "tracking_number": "1A12345678901"}
    assert deliver(client, "post_webhook", world.agency, posted).status_code == 200
    ack = {"tracking_number": "1A12345678901", "acknowledged_on": "2026-02-27"}
    response = deliver(client, "post_webhook", world.agency, ack)
    assert response.json() == {"notice": registered.reference}
    registered.refresh_from_db()
    assert registered.tracking_number == "1A12345678901"
    assert registered.acknowledged_on == date(2026, 2, 27)
    unknown = {"tracking_number": "nope", "acknowledged_on": "2026-02-27"}
    assert deliver(client, "post_webhook", world.agency, unknown).status_code == 404


def test_the_same_delivery_is_applied_once(client, world, registered):
    registered.tracking_number = "1A1"
    registered.save(update_fields=["tracking_number"])
    ack = {"tracking_number": "1A1", "acknowledged_on": "2026-02-27"}
    answers = [
        deliver(client, "post_webhook", world.agency, ack, delivery_id="msg_same").status_code
        for _ in range(3)
    ]
    assert answers == [200, 409, 409]
    assert _ack_events(registered) == 1
    assert WebhookDelivery.objects.filter(delivery_id="msg_same").count() == 1


@pytest.mark.parametrize("age", [timedelta(minutes=6), timedelta(minutes=-6)])
def test_a_delivery_outside_the_five_minute_window_is_refused(client, world, registered, age):
    registered.tracking_number = "1A1"
    registered.save(update_fields=["tracking_number"])
    ack = {"tracking_number": "1A1", "acknowledged_on": "2026-02-27"}
    response = deliver(client, "post_webhook", world.agency, ack, sent_at=datetime.now(UTC) - age)
    assert response.status_code == 403
    assert response["Content-Type"] == "application/problem+json"
    registered.refresh_from_db()
    assert registered.acknowledged_on is None and _ack_events(registered) == 0


@pytest.mark.parametrize("later", ["2026-02-20", "2026-02-28"])
def test_an_acknowledgement_date_once_set_never_moves(client, world, registered, later):
    registered.tracking_number = "1A1"
    registered.save(update_fields=["tracking_number"])
    first = {"tracking_number": "1A1", "acknowledged_on": "2026-02-25"}
    assert deliver(client, "post_webhook", world.agency, first).status_code == 200
    again = {"tracking_number": "1A1", "acknowledged_on": later}
    response = deliver(client, "post_webhook", world.agency, again)
    assert response.status_code == 400
    assert "already recorded, dated 25/02/2026" in response.json()["detail"]
    # The same date told again (another delivery) changes nothing and writes nothing.
    assert deliver(client, "post_webhook", world.agency, first).status_code == 200
    registered.refresh_from_db()
    assert registered.acknowledged_on == date(2026, 2, 25)
    assert _ack_events(registered) == 1


def test_the_agent_cannot_move_it_either(client, world, registered):
    client.force_login(world.agent)
    url = reverse("notices:acknowledge", args=[registered.pk])
    assert client.post(url, {"received_on": "2026-02-25"}).status_code == 302
    response = client.post(url, {"received_on": "2026-02-20"})
    assert response.status_code == 400
    registered.refresh_from_db()
    assert registered.acknowledged_on == date(2026, 2, 25)


def test_each_agency_signs_with_its_own_secret(client, world, registered):
    posted = {"notice_id": registered.pk, "tracking_number": "1A1"}
    bravo = world.other_agency
    # Bravo's secret does not open Alpha's endpoint...
    response = deliver(client, "post_webhook", world.agency, posted, secret=bravo.webhook_secret)
    assert response.status_code == 403
    # ...and Bravo's endpoint, rightly signed, finds no Alpha notice: as for a missing one.
    assert deliver(client, "post_webhook", bravo, posted).status_code == 404
    missing = {"notice_id": registered.pk + 10_000, "tracking_number": "1A1"}
    assert deliver(client, "post_webhook", bravo, missing).status_code == 404
    # An unknown agency answers like a bad signature.
    world.agency.slug = "no-such-agency"
    assert deliver(client, "post_webhook", world.agency, posted).status_code == 403
    registered.refresh_from_db()
    assert registered.tracking_number == ""


def test_a_new_secret_replaces_the_old_one(client, world, registered):
    from collectio.services import agency_rotate_webhook_secret

    old = world.agency.webhook_secret
    agency_rotate_webhook_secret(agency=world.agency)
    posted = {"notice_id": registered.pk, "tracking_number": "1A1"}
    assert deliver(client, "post_webhook", world.agency, posted, secret=old).status_code == 403
    assert deliver(client, "post_webhook", world.agency, posted).status_code == 200


def test_agencies_have_distinct_secrets(world):
    assert world.agency.webhook_secret != world.other_agency.webhook_secret
    assert world.agency.webhook_secret.startswith("whsec_")


@pytest.mark.parametrize(
    "payload",
    [
        {"notice_id": "abc", "tracking_number": "1A1"},
        {"notice_id": [1], "tracking_number": "1A1"},
        {"notice_id": True, "tracking_number": "1A1"},
        {"notice_id": -3, "tracking_number": "1A1"},
        {"notice_id": 10**30, "tracking_number": "1A1"},
        {"tracking_number": {"a": 1}, "acknowledged_on": "2026-02-25"},
        {"tracking_number": "1A1", "acknowledged_on": "yesterday"},
        {"tracking_number": "1A1", "acknowledged_on": "2026-02-30"},
        {"acknowledged_on": "2026-02-25"},
        [1, 2],
        "text",
        None,
    ],
    ids=str,
)
def test_a_malformed_body_is_a_400(client, world, registered, payload):
    response = deliver(client, "post_webhook", world.agency, payload)
    assert response.status_code == 400, response.content
    assert response.json()["status"] == 400
    assert not WebhookDelivery.objects.exists()


def test_a_body_that_is_not_json_is_a_400_and_not_utf8_is_refused(client, world, registered):
    assert deliver(client, "post_webhook", world.agency, None, body=b"{not json").status_code == 400
    assert deliver(client, "post_webhook", world.agency, None, body=b"\xff\xfe").status_code == 403


def test_missing_or_garbled_signature_headers_are_refused(client, world, registered):
    url = reverse("notices:post_webhook", args=[world.agency.slug])
    body = json.dumps({"notice_id": registered.pk, "tracking_number": "1A1"})
    for headers in (
        {},
        {"webhook-id": "x", "webhook-timestamp": "soon", "webhook-signature": "v1,AAAA"},
        {"webhook-id": "x", "webhook-timestamp": "1", "webhook-signature": "garbage"},
        {
            "webhook-id": "x",
            "webhook-timestamp": str(int(timezone.now().timestamp())),
            "webhook-signature": "v1,@@@",
        },
    ):
        response = client.post(url, body, content_type="application/json", headers=headers)
        assert response.status_code == 403, headers


def test_email_bounce(client, world, scoped):
    case = b1_case(scoped.creditor)
    letter = sent_first_letter(case, date(2026, 2, 2))
    email = Notice.objects.create(
        agency_id=case.agency_id,
        creditor=case.creditor,
        case=case,
        kind=letter.kind,
        channel=Channel.EMAIL,
        reference="L-2026-900001",
        statement_on=letter.statement_on,
        status=Notice.Status.SENT,
        body="x",
        rendered_at=letter.sent_at,
        sent_at=letter.sent_at,
        provider_reference="<abc@collectio>",
    )
    bounce = {"message_id": "<abc@collectio>", "reason": "550 unknown user"}
    response = deliver(client, "email_bounce_webhook", world.agency, bounce, delivery_id="b1")
    assert response.status_code == 200
    email.refresh_from_db()
    assert email.bounce_reason == "550 unknown user"
    again = deliver(client, "email_bounce_webhook", world.agency, bounce, delivery_id="b1")
    assert again.status_code == 409
    assert (
        deliver(client, "email_bounce_webhook", world.agency, {"message_id": ""}).status_code == 400
    )
    with scopes_disabled():
        assert (
            deliver(client, "email_bounce_webhook", world.other_agency, bounce).status_code == 404
        )


def test_the_back_office_shows_an_agency_its_secret_and_addresses(client, world):
    from collectio.models import User

    ops = User.objects.create_superuser(email="ops@example.fr", password="x-secret-pass")
    client.force_login(ops)
    page = client.get(reverse("admin:collectio_agency_change", args=[world.agency.pk]))
    html = page.content.decode()
    assert world.agency.webhook_secret in html
    assert reverse("notices:post_webhook", args=[world.agency.slug]) in html
    assert world.other_agency.webhook_secret not in html
