"""Celery entry points of the money rules: thin, one service each."""

from __future__ import annotations

from collectio.celery import app
from dunning.tasks import _in_every_agency
from payments.promises import promises_check


@app.task(name="payments.tasks.promises_check")
def promises_check_task() -> int:
    """Daily: promises whose date went by are kept or broken; broken ones resume escalation."""
    return _in_every_agency(
        lambda *, agency_id, today: promises_check(agency_id=agency_id, today=today)
    )
