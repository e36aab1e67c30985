"""The one way to queue a side effect: after the transaction commits, never inside it.

The row that records the side effect (the outbox) is written in the same transaction as the state
change; if Redis is down or the process dies before the enqueue, the relay
(``collectio.tasks.outbox_relay``) finds the row still pending and enqueues it again. Tasks are
idempotent and claim their row with a compare-and-swap update, so a double enqueue is harmless.
"""

from __future__ import annotations

import logging
from typing import Any

from celery import Task
from django.db import transaction

logger = logging.getLogger(__name__)


def enqueue_on_commit(task: Task, **kwargs: Any) -> None:
    def send() -> None:
        try:
            task.apply_async(kwargs=kwargs, retry=False)
        except Exception:  # the broker is down: the outbox relay will retry from PostgreSQL
            logger.warning("could not enqueue %s %s; left to the outbox relay", task.name, kwargs)

    transaction.on_commit(send)
