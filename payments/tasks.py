"""Celery entry points of the money rules: thin, each agency in its own scope."""

from __future__ import annotations

import logging

from django.core.exceptions import ValidationError
from django.utils import timezone
from django_scopes import scopes_disabled

from cases.models import Creditor
from collectio.celery import app
from collectio.models import Agency
from collectio.scoping import tenant_scope
from payments import services

log = logging.getLogger(__name__)


def _agency_ids() -> list[int]:
    with scopes_disabled():  # the agency list is a cross-tenant read, said so
        return list(Agency.objects.values_list("pk", flat=True))


@app.task(name="payments.tasks.remittances")
def remittances() -> int:
    """Weekly (beat): prepare each creditor's remittance of what was collected since the last,
    well inside the month R124-6 allows. A creditor that cannot be paid (no IBAN on the agency)
    is logged and skipped, the others go ahead. Returns the number of remittances prepared."""
    prepared = 0
    today = timezone.localdate()
    for agency_id in _agency_ids():
        with tenant_scope(agency_id):
            for creditor in Creditor.objects.filter(agency_id=agency_id).order_by("pk"):
                try:
                    prepared += (
                        services.remittance_prepare(creditor=creditor, on=today, actor=None)
                        is not None
                    )
                except ValidationError as refused:
                    log.warning("remittance of creditor %s not prepared: %s", creditor.pk, refused)
    return prepared


@app.task(name="payments.tasks.payment_plans")
def payment_plans() -> int:
    """Daily (beat): break the plans whose instalment stayed short past the grace period."""
    broken = 0
    for agency_id in _agency_ids():
        with tenant_scope(agency_id):
            broken += services.payment_plans_check(agency_id=agency_id, today=timezone.localdate())
    return broken
