"""Run the outbox in the test process, as a worker would: deliver what is pending and due."""

from __future__ import annotations

from django_scopes import scopes_disabled

from collectio import outbox
from collectio.outbox import OutboxMessage


def run_outbox(*, kinds: set[str] | None = None, rounds: int = 5) -> dict[str, int]:
    """Deliver pending messages, and the messages their handlers decide, a few rounds deep."""
    counts: dict[str, int] = {}
    for _ in range(rounds):
        with scopes_disabled():
            pending = OutboxMessage.objects.filter(status=OutboxMessage.Status.PENDING)
            if kinds is not None:
                pending = pending.filter(kind__in=kinds)
            ids = list(pending.order_by("pk").values_list("pk", flat=True))
        if not ids:
            break
        for message_id in ids:
            status = outbox.deliver(message_id)
            counts[status] = counts.get(status, 0) + 1
    return counts
