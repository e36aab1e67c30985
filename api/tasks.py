"""Celery entry points of the API."""

from __future__ import annotations

from api.idempotency import idempotency_purge
from collectio.celery import app


@app.task(name="api.tasks.purge_idempotency_keys")
def purge_idempotency_keys() -> int:
    """Daily (beat): forget the POSTs older than 24 hours."""
    return idempotency_purge()
