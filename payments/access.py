"""Who may see money rows: the access layer's functions for this app."""

from __future__ import annotations

from collectio.access import Principal, access
from payments.models import Refund


def access_refund(principal: Principal | None, pk: object, *, staff_only: bool = False) -> Refund:
    """The overpayment if the principal may see it; 404 for another agency's or creditor's."""
    return access(
        Refund.objects.select_related("case", "payment"), principal, pk, staff_only=staff_only
    )
