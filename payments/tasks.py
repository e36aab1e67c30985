"""Celery entry points of the money rules and the agents' queues: thin, one service each."""

from __future__ import annotations

from datetime import date

from cases.queues import agency_priorities_refresh
from collectio.celery import app
from dunning.tasks import _in_every_agency
from payments.promises import promises_check


def _morning(*, agency_id: int, today: date) -> int:
    settled = promises_check(agency_id=agency_id, today=today)
    agency_priorities_refresh(agency_id=agency_id, today=today)
    return settled


@app.task(name="payments.tasks.promises_check")
def promises_check_task() -> int:
    """Daily, before the agents start: promises whose date went by are kept or broken (broken
    ones resume escalation), then every open case's priority is scored for the day."""
    return _in_every_agency(_morning)
