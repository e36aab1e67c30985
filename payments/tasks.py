"""Celery entry points of the money rules and the agents' morning: thin, each agency in its own
scope."""

from __future__ import annotations

import logging
from datetime import date

from django.core.exceptions import ValidationError

from cases.models import Creditor
from cases.queues import agency_priorities_refresh
from collectio.celery import app
from dunning.tasks import in_every_agency
from payments import services
from payments.promises import promises_check

log = logging.getLogger(__name__)


def _remittances_of(*, agency_id: int, today: date) -> int:
    prepared = 0
    for creditor in Creditor.objects.filter(agency_id=agency_id).order_by("pk"):
        try:
            prepared += (
                services.remittance_prepare(creditor=creditor, on=today, actor=None) is not None
            )
        except ValidationError as refused:
            log.warning("remittance of creditor %s not prepared: %s", creditor.pk, refused)
    return prepared


@app.task(name="payments.tasks.remittances")
def remittances() -> int:
    """Weekly (beat): prepare each creditor's remittance of what was collected since the last,
    well inside the month R124-6 allows. A creditor that cannot be paid (no IBAN on the agency)
    is logged and skipped, the others go ahead. Returns the number of remittances prepared."""
    return in_every_agency(_remittances_of)


@app.task(name="payments.tasks.payment_plans")
def payment_plans() -> int:
    """Daily (beat): break the plans whose instalment stayed short past the grace period."""
    return in_every_agency(services.payment_plans_check)


def _morning(*, agency_id: int, today: date) -> int:
    settled = promises_check(agency_id=agency_id, today=today)
    agency_priorities_refresh(agency_id=agency_id, today=today)
    return settled


@app.task(name="payments.tasks.promises_check")
def promises_check_task() -> int:
    """Daily, before the agents start: promises whose date went by are kept or broken (broken
    ones resume escalation), then every open case's priority is scored for the day."""
    return in_every_agency(_morning)
