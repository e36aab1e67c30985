"""Who may see a step execution or a deadline: agency staff only (a creditor never sees the
agency's work)."""

from __future__ import annotations

from collectio.access import Principal, access
from dunning.models import Deadline, StepExecution


def access_step_execution(principal: Principal | None, pk: object) -> StepExecution:
    return access(
        StepExecution.objects.select_related("case", "step"), principal, pk, staff_only=True
    )


def access_deadline(principal: Principal | None, pk: object) -> Deadline:
    return access(Deadline.objects.select_related("case"), principal, pk, staff_only=True)
