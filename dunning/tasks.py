"""Celery entry points of the dunning engine: thin, loading by id inside the tenant scope."""

from __future__ import annotations

import logging
import math
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Count, F
from django.utils import timezone
from django_scopes import scopes_disabled

from cases.models import ACTIVE_STATES, Case
from collectio.celery import app
from collectio.models import Agency
from collectio.outbox import enqueue_on_commit
from collectio.scoping import TenantTask, tenant_scope
from dunning.models import StepExecution
from dunning.sweep import BATCH_SIZE, sweep_agency

logger = logging.getLogger(__name__)
MAX_EFFECT_ATTEMPTS = 5
STUCK_AFTER = timedelta(minutes=15)
PENDING_GRACE = timedelta(minutes=2)


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


@app.task(base=TenantTask, name="dunning.tasks.run_step_effects")
def run_step_effects(*, agency_id: int, execution_ids: list[int]) -> int:
    """Produce the letters, e-mails, SMS and call tasks of executed steps, each claimed once."""
    from notices.services import produce_step_effects

    done = 0
    for execution_id in execution_ids:
        claimed = StepExecution.objects.filter(
            pk=execution_id, effects=StepExecution.Effects.PENDING
        ).update(
            effects=StepExecution.Effects.CLAIMED,
            effects_attempts=F("effects_attempts") + 1,
            effects_updated_at=timezone.now(),
        )
        if not claimed:
            continue  # another worker has it, or it is done: idempotent
        execution = StepExecution.objects.select_related("case", "step").get(pk=execution_id)
        try:
            with transaction.atomic():
                produce_step_effects(execution=execution)
                StepExecution.objects.filter(pk=execution_id).update(
                    effects=StepExecution.Effects.DONE, effects_updated_at=timezone.now()
                )
            done += 1
        except Exception:
            logger.exception("side effects of step execution %s failed", execution_id)
            failed = execution.effects_attempts >= MAX_EFFECT_ATTEMPTS
            StepExecution.objects.filter(pk=execution_id).update(
                effects=StepExecution.Effects.FAILED if failed else StepExecution.Effects.PENDING,
                effects_updated_at=timezone.now(),
            )
    return done


@app.task(name="dunning.tasks.relay_step_effects")
def relay_step_effects() -> int:
    """Re-enqueue side effects left pending (Redis was down) or claimed by a dead worker."""
    now = timezone.now()
    with scopes_disabled():
        stuck = StepExecution.objects.filter(
            effects=StepExecution.Effects.CLAIMED, effects_updated_at__lte=now - STUCK_AFTER
        )
        stuck.update(effects=StepExecution.Effects.PENDING)
        pending: dict[int, list[int]] = {}
        for agency_id, pk in StepExecution.objects.filter(
            effects=StepExecution.Effects.PENDING, effects_updated_at__lte=now - PENDING_GRACE
        ).values_list("agency_id", "pk")[:10_000]:
            pending.setdefault(agency_id, []).append(pk)
    with transaction.atomic():
        for agency_id, ids in pending.items():
            enqueue_on_commit(run_step_effects, agency_id=agency_id, execution_ids=ids)
    return sum(len(ids) for ids in pending.values())


@app.task(name="dunning.tasks.prescription_alerts")
def prescription_alerts() -> int:
    """Daily: raise the D-90 and D-30 limitation alerts of every agency."""
    from dunning.services import prescription_alerts_raise

    with scopes_disabled():
        agency_ids = list(Agency.objects.values_list("pk", flat=True))
    raised = 0
    for agency_id in agency_ids:
        with tenant_scope(agency_id):
            raised += prescription_alerts_raise(agency_id=agency_id, today=timezone.localdate())
    return raised


@app.task(name="dunning.tasks.reference_rates_alert")
def reference_rates_alert() -> int:
    """Daily: e-mail the platform operators while a semester's reference rates are missing."""
    from dunning.services import reference_rates_alert as alert

    return len(alert(today=timezone.localdate()))


@app.task(base=TenantTask, name="dunning.tasks.notify_creditor_of_payment")
def notify_creditor_of_payment(*, agency_id: int, payment_id: int) -> bool:
    from cases.models import Payment
    from dunning.notifications import payment_notice_to_creditor

    payment = Payment.objects.select_related("case__creditor", "case__debtor").get(pk=payment_id)
    return payment_notice_to_creditor(payment=payment)
