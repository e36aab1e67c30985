"""The queue of steps the sweep left for an agent to confirm (cases.queues)."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from cases.queues import Queue, QueueContext, register_queue
from dunning.models import StepExecution


def _awaiting(context: QueueContext) -> QuerySet[StepExecution]:
    return StepExecution.objects.filter(
        agency_id=context.agency_id, status=StepExecution.Status.AWAITING_CONFIRMATION
    )


register_queue(
    Queue(
        key="confirmations",
        label=_("Steps to confirm"),
        position=50,
        rows=_awaiting,
        help=_("Automatic steps the scenario asks an agent to confirm before they go ahead."),
    )
)
