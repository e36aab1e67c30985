"""Outbound webhooks: the case events, signed as the Standard Webhooks specification says.

Every event written (``cases.events``) reaches :func:`events_written` in its own transaction;
if the agency has a subscription, one outbox message fans the events out after commit, one
:class:`WebhookDelivery` per subscription that may see them (a creditor key's subscription only
its creditor's cases). Each attempt is an outbox message of its own: a failed attempt schedules
the next one, 1 minute later, doubling up to 12 hours, for three days; then the delivery is
failed and can be replayed from the back-office. The body is ``{"type", "timestamp", "data"}``;
the headers ``webhook-id`` (the same for every attempt), ``webhook-timestamp`` and
``webhook-signature`` are made by the ``standardwebhooks`` library, so a partner verifies them
with the same library in any language.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import socket
import urllib.error
import urllib.parse
import urllib.request
import uuid
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from standardwebhooks.webhooks import Webhook

from api.models import WebhookDelivery, WebhookSubscription
from cases.events import actor_name, describe, on_event
from cases.models import CaseEvent
from collectio.outbox import OutboxMessage, outbox_handler, outbox_put
from collectio.scoping import tenant_scope

logger = logging.getLogger(__name__)

FAN_OUT = "api.webhook_fan_out"
SEND = "api.webhook_send"
GIVE_UP_AFTER = timedelta(days=3)
FIRST_RETRY = timedelta(minutes=1)
LONGEST_WAIT = timedelta(hours=12)
TIMEOUT_SECONDS = 10
RESPONSE_KEPT = 1000  # characters of the receiver's answer kept in the log

# CaseEvent kinds whose webhook name is not ``case.<kind>``.
EVENT_TYPES = {
    CaseEvent.Kind.OPENED: "case.created",
    CaseEvent.Kind.TRANSITION: "case.state_changed",
    CaseEvent.Kind.NOTE: "case.note_added",
    CaseEvent.Kind.LETTER_CREATED: "letter.created",
    CaseEvent.Kind.LETTER_SENT: "letter.sent",
    CaseEvent.Kind.LETTER_FAILED: "letter.failed",
    CaseEvent.Kind.LETTER_RETRIED: "letter.retried",
    CaseEvent.Kind.LETTER_TRACKING: "letter.tracking_recorded",
    CaseEvent.Kind.LETTER_ACKNOWLEDGED: "letter.acknowledged",
    CaseEvent.Kind.LETTER_BOUNCED: "letter.bounced",
    CaseEvent.Kind.PAYMENT: "payment.recorded",
    CaseEvent.Kind.REFUND_OWED: "refund.owed",
    CaseEvent.Kind.REFUND_PAID: "refund.paid",
    CaseEvent.Kind.DOSSIER_BUILT: "dossier.built",
    "document_added": "document.created",
}


def event_type(kind: str) -> str:
    return EVENT_TYPES.get(kind, f"case.{kind}")


def event_type_choices() -> list[str]:
    return sorted({event_type(kind) for kind in CaseEvent.Kind.values})


def next_attempt(attempts: int, *, since: datetime, now: datetime) -> datetime | None:
    """When to try again after ``attempts`` failures, or ``None`` once three days are over."""
    wait = min(FIRST_RETRY * 2 ** max(attempts - 1, 0), LONGEST_WAIT)
    at = now + wait
    return at if at <= since + GIVE_UP_AFTER else None


def validate_webhook_url(url: str) -> None:
    """A partner's server, not ours: no loopback, private or link-local address (SSRF), and
    HTTPS unless ``API_WEBHOOKS_ALLOW_PRIVATE`` (development and tests) says otherwise."""
    parts = urllib.parse.urlsplit(url)
    if settings.API_WEBHOOKS_ALLOW_PRIVATE:
        return
    if parts.scheme != "https":
        raise ValidationError(_("A webhook URL must use https."))
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(parts.hostname, parts.port or 443)}
    except (socket.gaierror, UnicodeError) as error:
        raise ValidationError(_("This host name cannot be resolved.")) from error
    for address in addresses:
        ip = ipaddress.ip_address(address)
        if not ip.is_global:
            raise ValidationError(_("A webhook URL must point to a public address."))


# --- publishing: in the transaction that wrote the events ---------------------------------------
@on_event
def events_written(*, agency_id: int, event_ids: list[int], **_: object) -> None:
    """Decide the fan-out of these events if anyone listens (one indexed read otherwise)."""
    if not event_ids:
        return
    with tenant_scope(agency_id):
        if not WebhookSubscription.objects.filter(agency_id=agency_id, is_active=True).exists():
            return
        outbox_put(
            agency_id=agency_id,
            kind=FAN_OUT,
            key=f"events:{event_ids[0]}:{len(event_ids)}",
            payload={"event_ids": event_ids},
        )


def event_data(event: CaseEvent) -> dict[str, Any]:
    """What a webhook and the timeline say of an event."""
    case = event.case
    return {
        "event": {
            "id": event.pk,
            "kind": event.kind,
            "at": event.at.isoformat(),
            "actor_kind": event.actor_kind,
            "actor": actor_name(event),
            "transition": event.transition,
            "from_state": event.from_state,
            "to_state": event.to_state,
            "payload": event.payload,
            "description": describe(event),
        },
        "case": {
            "id": case.pk,
            "reference": case.reference,
            "state": case.state,
            "creditor": case.creditor_id,
            "principal_due": str(case.principal_due),
        },
    }


@outbox_handler(FAN_OUT, label=gettext_lazy("webhooks to send"))
@transaction.atomic
def fan_out(message: OutboxMessage) -> None:
    """One delivery per (event, subscription that may see it and wants it)."""
    subscriptions = [
        s
        for s in WebhookSubscription.objects.filter(
            agency_id=message.agency_id, is_active=True
        ).select_related("api_key")
        if s.api_key.is_usable
    ]
    events = CaseEvent.objects.filter(
        agency_id=message.agency_id, pk__in=message.payload["event_ids"]
    ).select_related("case", "actor")
    for event in events:
        kind = event_type(event.kind)
        body = None
        for subscription in subscriptions:
            key = subscription.api_key
            if not subscription.wants(kind) or (
                key.creditor_id is not None and key.creditor_id != event.case.creditor_id
            ):
                continue
            body = body or {
                "type": kind,
                "timestamp": event.at.isoformat(),
                "data": event_data(event),
            }
            _delivery_start(subscription, body, event=event)


def _delivery_start(
    subscription: WebhookSubscription, body: dict[str, Any], *, event: CaseEvent | None
) -> WebhookDelivery | None:
    try:
        with transaction.atomic():
            delivery = WebhookDelivery.objects.create(
                agency_id=subscription.agency_id,
                subscription=subscription,
                message_id=f"msg_{uuid.uuid4().hex}",
                event_type=body["type"],
                event_id=event.pk if event else None,
                case_id=event.case_id if event else None,
                payload=body,
                next_attempt_at=timezone.now(),
            )
    except IntegrityError:  # this event already went to this subscription
        return None
    _schedule(delivery, attempt=1, at=None)
    return delivery


def _schedule(delivery: WebhookDelivery, *, attempt: int | str, at: datetime | None) -> None:
    outbox_put(
        agency_id=delivery.agency_id,
        kind=SEND,
        key=f"delivery:{delivery.pk}:{attempt}",
        payload={"delivery_id": delivery.pk},
        case_id=delivery.case_id,
        not_before=at,
    )


# --- sending: after commit, never inside a lock ------------------------------------------------
def signed_headers(
    subscription: WebhookSubscription, delivery: WebhookDelivery, body: str, at: datetime
) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "User-Agent": "Collectio-Webhooks/1",
        "webhook-id": delivery.message_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": Webhook(subscription.secret).sign(delivery.message_id, at, body),
    }


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer, not an instruction to post elsewhere."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def _post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int | None, str]:
    """POST once; ``(status, what the receiver said)``, status ``None`` if it never answered."""
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310
    try:
        with _opener.open(request, timeout=TIMEOUT_SECONDS) as answer:
            return answer.status, answer.read(RESPONSE_KEPT).decode(errors="replace")
    except urllib.error.HTTPError as refused:
        return refused.code, refused.read(RESPONSE_KEPT).decode(errors="replace")
    except (urllib.error.URLError, OSError, ValueError) as error:
        return None, f"{type(error).__name__}: {error}"[:RESPONSE_KEPT]


@outbox_handler(SEND, label=gettext_lazy("webhook delivery"), batch=20)
def send(message: OutboxMessage) -> None:
    """One attempt; its outcome is the delivery's log, and a failure schedules the next."""
    delivery = WebhookDelivery.objects.select_related("subscription").get(
        pk=message.payload["delivery_id"]
    )
    if delivery.status == WebhookDelivery.Status.DELIVERED:
        return
    subscription = delivery.subscription
    now = timezone.now()
    body = json.dumps(delivery.payload, separators=(",", ":"), sort_keys=True)
    if subscription.is_active:
        status, said = _post(
            subscription.url, body.encode(), signed_headers(subscription, delivery, body, now)
        )
    else:
        status, said = None, _("The subscription is disabled.")
    delivered = status is not None and 200 <= status < 300
    with transaction.atomic():
        attempts = delivery.attempts + 1
        retry_at = (
            None if delivered else next_attempt(attempts, since=delivery.retries_from, now=now)
        )
        if not subscription.is_active:
            retry_at = None
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            attempts=attempts,
            last_attempt_at=now,
            last_status_code=status,
            last_error="" if delivered else said,
            status=(
                WebhookDelivery.Status.DELIVERED
                if delivered
                else WebhookDelivery.Status.PENDING
                if retry_at
                else WebhookDelivery.Status.FAILED
            ),
            delivered_at=now if delivered else None,
            next_attempt_at=retry_at,
        )
        if retry_at is not None:
            _schedule(delivery, attempt=attempts + 1, at=retry_at)


@transaction.atomic
def webhook_delivery_replay(*, delivery: WebhookDelivery) -> WebhookDelivery:
    """Send a delivery again now (the same ``webhook-id``: the receiver may have it already),
    with three more days of retries."""
    now = timezone.now()
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status=WebhookDelivery.Status.PENDING, next_attempt_at=now, retries_from=now
    )
    delivery.refresh_from_db()
    _schedule(delivery, attempt=f"replay-{uuid.uuid4().hex[:12]}", at=None)
    return delivery


@transaction.atomic
def webhook_test_send(*, subscription: WebhookSubscription) -> WebhookDelivery | None:
    """A ``webhook.test`` message, to check an endpoint and its signature checking."""
    body = {
        "type": "webhook.test",
        "timestamp": timezone.now().isoformat(),
        "data": {"subscription": subscription.pk},
    }
    return _delivery_start(subscription, body, event=None)
