"""Reads of the dunning engine, given the member whose view they serve."""

from django.db.models import QuerySet

from collectio.access import visible
from collectio.models import Membership
from dunning.models import StepExecution


def steps_awaiting_confirmation(*, membership: Membership | None) -> QuerySet[StepExecution]:
    return visible(
        StepExecution.objects.filter(status=StepExecution.Status.AWAITING_CONFIRMATION)
        .select_related("case__debtor", "case__creditor", "step")
        .order_by("planned_for"),
        membership,
    )
