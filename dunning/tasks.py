"""Celery entry points of the dunning engine: thin, loading by id inside the tenant scope."""

from __future__ import annotations

import math
from collections.abc import Callable

from django.conf import settings
from django.db.models import Count
from django.utils import timezone
from django_scopes import scopes_disabled

from cases.models import ACTIVE_STATES, Case
from collectio.celery import app
from collectio.models import Agency
from collectio.scoping import TenantTask, tenant_scope
from dunning import services
from dunning.sweep import BATCH_SIZE, sweep_agency


def sweepers_for(due: int) -> int:
    """How many sweeps to run at once on one agency: SKIP LOCKED lets them share its batches, so
    a large backlog uses every worker process instead of one (bench/README.md, "Sweep")."""
    return max(1, min(settings.DUNNING_SWEEP_PARALLELISM, math.ceil(due / BATCH_SIZE)))


@app.task(name="dunning.tasks.sweep")
def sweep() -> int:
    """Beat's only job: fan out sweeps per agency with due cases (a cross-tenant read)."""
    with scopes_disabled():
        due = (
            Case.objects.filter(state__in=ACTIVE_STATES, next_action_at__lte=timezone.now())
            .order_by()
            .values("agency_id")
            .annotate(due=Count("pk"))
        )
        backlog = [(row["agency_id"], row["due"]) for row in due]
    for agency_id, count in backlog:
        for _ in range(sweepers_for(count)):
            sweep_agency_task.delay(agency_id=agency_id)
    return len(backlog)


@app.task(base=TenantTask, name="dunning.tasks.sweep_agency")
def sweep_agency_task(*, agency_id: int) -> dict[str, int]:
    return vars(sweep_agency(agency_id=agency_id))


def in_every_agency(service: Callable[..., int]) -> int:
    """Run a daily service in each agency's scope (the agency list is a cross-tenant read, said
    so) with ``agency_id`` and ``today``; the sum of what each run counted. Every beat task of
    the apps above goes through here."""
    with scopes_disabled():
        agency_ids = list(Agency.objects.values_list("pk", flat=True))
    written = 0
    for agency_id in agency_ids:
        with tenant_scope(agency_id):
            written += service(agency_id=agency_id, today=timezone.localdate())
    return written


@app.task(name="dunning.tasks.prescription_alerts")
def prescription_alerts() -> int:
    """Daily: raise the D-90 and D-30 limitation alerts of every agency."""
    return in_every_agency(services.prescription_alerts_raise)


@app.task(name="dunning.tasks.deadline_alerts")
def deadline_alerts() -> int:
    """Daily: the D-7 and D-1 alerts of every agency's tracked deadlines, and the missed ones."""
    return in_every_agency(services.deadline_alerts_raise)


@app.task(name="dunning.tasks.reference_rates_alert")
def reference_rates_alert() -> int:
    """Daily: e-mail the platform operators while a semester's reference rates are missing."""
    return len(services.reference_rates_alert(today=timezone.localdate()))
