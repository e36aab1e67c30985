"""The one outbox: every side effect (letters, e-mails, SMS, receipts, dossiers, webhooks).

A service decides an effect by writing an ``OutboxMessage`` in its own transaction
(``outbox_put``); the message is enqueued once that transaction commits, and runs after commit,
never inside the row locks of the decision. ``outbox_deliver`` claims it by compare-and-swap with
a short lease, runs the handler the upper app registered for its kind, and marks it done; a
failure is retried with exponential backoff, then marked failed for good and shown to agents.
``outbox_relay`` (beat, every minute) re-enqueues whatever is pending and due, or claimed past
its lease by a worker that died, so Redis being down or a killed worker loses nothing.

Handlers are registered by the apps above (``@outbox_handler("notices.process_notice")``), so a
lower app such as payments can decide a receipt without importing the letters app. A handler
must be idempotent: a message may run twice if a worker dies between the effect and ``done``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypeVar

from django.conf import settings
from django.db import IntegrityError, InterfaceError, OperationalError, models, transaction
from django.db import connection as db_connection
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_scopes import scopes_disabled

from collectio.celery import app
from collectio.scoping import TenantManager, tenant_scope

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 6
BACKOFF_MAX = timedelta(hours=2)
RELAY_BATCH = 5_000
DELIVER_BATCH = 200
RECONNECT_ATTEMPTS = 3
T = TypeVar("T")


def lease() -> timedelta:
    """How long a claim holds before the relay gives the message to another worker
    (``OUTBOX_LEASE_SECONDS``, 5 minutes): longer than any handler runs."""
    return timedelta(seconds=settings.OUTBOX_LEASE_SECONDS)


def backoff(attempts: int) -> timedelta:
    """The wait before attempt ``attempts + 1``: ``OUTBOX_RETRY_SECONDS`` (30), doubling."""
    base = timedelta(seconds=settings.OUTBOX_RETRY_SECONDS)
    return min(base * 2 ** max(attempts - 1, 0), BACKOFF_MAX)


class OutboxMessage(models.Model):
    """One side effect decided by a committed transaction, until it has happened."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        CLAIMED = "claimed", _("In progress")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    agency = models.ForeignKey(
        "collectio.Agency", on_delete=models.CASCADE, related_name="+", verbose_name=_("agency")
    )
    kind = models.CharField(_("kind"), max_length=60)
    key = models.CharField(
        _("idempotency key"),
        max_length=200,
        help_text=_("The same effect decided twice is written once."),
    )
    payload = models.JSONField(_("payload"), default=dict)
    # The case the effect belongs to, to show its failures on the case; not a key to the case
    # table, which lives in an app above this one.
    case_id = models.BigIntegerField(_("case"), null=True, blank=True, db_index=True)
    status = models.CharField(_("status"), max_length=10, choices=Status, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    available_at = models.DateTimeField(_("not before"), default=timezone.now)
    lease_until = models.DateTimeField(_("claimed until"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)

    objects = TenantManager()

    class Meta:
        app_label = "collectio"
        verbose_name = _("side effect")
        verbose_name_plural = _("side effects")
        constraints = [
            models.UniqueConstraint(
                fields=["agency", "kind", "key"],
                name="outbox_key_once",
                violation_error_message=_("This side effect was already decided."),
            )
        ]
        indexes = [
            models.Index(
                fields=["available_at"],
                name="outbox_pending_idx",
                condition=Q(status__in=["pending", "claimed"]),
            ),
            models.Index(
                fields=["agency", "created_at"],
                name="outbox_failed_idx",
                condition=Q(status="failed"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.key} ({self.status})"


class FinalError(Exception):
    """A refusal that a retry would repeat (a letter the law blocks): fail at once."""


@dataclass(frozen=True)
class Handler:
    func: Callable[[OutboxMessage], None]
    queue: str
    on_failure: Callable[[OutboxMessage, BaseException], None] | None
    label: Any  # what the effect is, for the agent who sees that it failed
    batch: int = DELIVER_BATCH


HANDLERS: dict[str, Handler] = {}


def outbox_handler(
    kind: str,
    *,
    label: Any,
    queue: str = "default",
    on_failure: Callable[[OutboxMessage, BaseException], None] | None = None,
    batch: int = DELIVER_BATCH,
) -> Callable[[Callable[[OutboxMessage], None]], Callable[[OutboxMessage], None]]:
    """Register the function that carries out messages of ``kind`` (one per kind).

    ``batch``: messages per task, so that a task of slow effects (a PDF merged, an e-mail
    over SMTP) ends well within the task time limit and several workers share them.
    """

    def register(func: Callable[[OutboxMessage], None]) -> Callable[[OutboxMessage], None]:
        if kind in HANDLERS and HANDLERS[kind].func is not func:
            raise ValueError(f"outbox kind {kind!r} already has a handler")
        HANDLERS[kind] = Handler(
            func=func, queue=queue, on_failure=on_failure, label=label, batch=batch
        )
        return func

    return register


def kind_label(kind: str) -> str:
    handler = HANDLERS.get(kind)
    return str(handler.label) if handler else kind


def outbox_put(
    *,
    agency_id: int,
    kind: str,
    key: str,
    payload: dict[str, Any] | None = None,
    case_id: int | None = None,
    not_before: Any = None,
) -> OutboxMessage | None:
    """Decide a side effect inside the caller's transaction; ``None`` if it was already decided."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("outbox_put belongs inside the transaction that decides the effect")
    message = OutboxMessage(
        agency_id=agency_id,
        kind=kind,
        key=key,
        payload=payload or {},
        case_id=case_id,
        available_at=not_before or timezone.now(),
    )
    try:
        with transaction.atomic():
            message.save()
    except IntegrityError:
        return None
    if not_before is None:
        enqueue_on_commit(kind, [message.pk])
    return message


def enqueue_on_commit(kind: str, message_ids: list[int]) -> None:
    """Enqueue messages once the deciding transaction commits (never before, never inside)."""
    transaction.on_commit(lambda: enqueue(kind, message_ids))


def enqueue(kind: str, message_ids: list[int]) -> bool:
    """Hand messages to the broker, a bounded batch per task; if the broker is down the relay
    will do it later, so a failed enqueue is only logged."""
    handler = HANDLERS.get(kind)
    size = handler.batch if handler else DELIVER_BATCH
    try:
        for start in range(0, len(message_ids), size):
            outbox_deliver.apply_async(
                kwargs={"message_ids": message_ids[start : start + size]},
                queue=handler.queue if handler else None,
                retry=False,
            )
    except Exception:
        logger.warning("could not enqueue %d %s; left to the relay", len(message_ids), kind)
        return False
    return True


def reconnecting(write: Callable[[], T], *, attempts: int = RECONNECT_ATTEMPTS) -> T:
    """Run a short database write of its own, again on a new connection if the connection
    dropped (a restarted or failed-over PostgreSQL, a terminated backend).

    For what must be recorded after an external effect (an e-mail handed over, a batch
    posted): ``write`` must be idempotent, since a commit whose answer was lost is tried again.
    Inside a transaction nothing can be retried, so the error propagates.
    """
    for attempt in range(1, attempts + 1):
        try:
            return write()
        except (OperationalError, InterfaceError):
            if db_connection.in_atomic_block or attempt == attempts:
                raise
            logger.warning("database connection lost; reconnecting (attempt %d)", attempt)
            db_connection.close()
    raise AssertionError("unreachable")


def claim(message_id: int) -> OutboxMessage | None:
    """Compare-and-swap: pending and due, or claimed past its lease; one worker wins."""
    now = timezone.now()
    won = (
        OutboxMessage.objects.filter(pk=message_id, available_at__lte=now)
        .filter(Q(status=OutboxMessage.Status.PENDING) | Q(status="claimed", lease_until__lt=now))
        .update(status="claimed", lease_until=now + lease(), attempts=F("attempts") + 1)
    )
    return OutboxMessage.objects.get(pk=message_id) if won else None


def deliver(message_id: int) -> str:
    """Run one message; returns its status afterwards (or ``skipped`` if another worker had it)."""
    with scopes_disabled():  # the message says which agency it belongs to
        message = reconnecting(lambda: claim(message_id))
    if message is None:
        return "skipped"
    handler = HANDLERS.get(message.kind)
    try:
        if handler is None:
            raise FinalError(f"no handler for outbox kind {message.kind!r}")
        with tenant_scope(message.agency_id):
            handler.func(message)
    except Exception as error:
        final = isinstance(error, FinalError) or message.attempts >= MAX_ATTEMPTS
        logger.warning("outbox %s %s failed (final=%s): %s", message.kind, message.pk, final, error)
        status = OutboxMessage.Status.FAILED if final else OutboxMessage.Status.PENDING
        _settle(
            message,
            status=status,
            available_at=timezone.now() + backoff(message.attempts),
            last_error=f"{type(error).__name__}: {error}"[:2000],
        )
        if final and handler is not None and handler.on_failure is not None:
            with tenant_scope(message.agency_id):
                handler.on_failure(message, error)
        return status
    _settle(message, status=OutboxMessage.Status.DONE, done_at=timezone.now(), last_error="")
    return OutboxMessage.Status.DONE


def _settle(message: OutboxMessage, **outcome: Any) -> None:
    """Record how a claimed message ended, on a new connection if the database dropped during
    the handler (its effect is done: losing the record would run it again after the lease)."""
    with tenant_scope(message.agency_id):
        reconnecting(
            lambda: OutboxMessage.objects.filter(pk=message.pk, status="claimed").update(
                lease_until=None, **outcome
            )
        )


def relay(*, now: Any = None) -> int:
    """Enqueue again what is due and pending, or claimed past its lease (cross-tenant, said so)."""
    now = now or timezone.now()
    due = (
        OutboxMessage.objects.filter(available_at__lte=now)
        .filter(Q(status=OutboxMessage.Status.PENDING) | Q(status="claimed", lease_until__lt=now))
        .order_by("available_at")
        .values_list("kind", "pk")[:RELAY_BATCH]
    )
    by_kind: dict[str, list[int]] = {}
    for kind, message_id in due:
        by_kind.setdefault(kind, []).append(message_id)
    sent = 0
    for kind, ids in by_kind.items():
        if not enqueue(kind, ids):
            break  # the broker is still down: the next relay tries again
        sent += len(ids)
    return sent


# --- Celery entry points -----------------------------------------------------------------------
@app.task(name="collectio.outbox.deliver", acks_late=True)
def outbox_deliver(*, message_ids: list[int]) -> dict[str, int]:
    """Run each message once; a message another worker holds is skipped (compare-and-swap)."""
    counts: dict[str, int] = {}
    for message_id in message_ids:
        status = deliver(message_id)
        counts[status] = counts.get(status, 0) + 1
    return counts


@app.task(name="collectio.outbox.relay")
def outbox_relay() -> int:
    """Every minute (beat): enqueue what Redis lost or a dead worker left past its lease."""
    with scopes_disabled():
        return relay()
