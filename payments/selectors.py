"""Reads on money rows, always given the case (already access-checked) whose page they serve."""

from __future__ import annotations

from django.db.models import QuerySet

from cases.models import Case
from payments.models import Refund


def case_refunds(*, case: Case) -> QuerySet[Refund]:
    """What the case received beyond the debt, owed back or refunded, oldest first."""
    return Refund.objects.filter(case=case, agency_id=case.agency_id).select_related("payment")
