"""Who may see money rows: the access layer's functions for this app."""

from __future__ import annotations

from collectio.access import Principal, access
from payments.models import BankLine, BankStatement, Refund, Remittance


def access_refund(principal: Principal | None, pk: object, *, staff_only: bool = False) -> Refund:
    """The overpayment if the principal may see it; 404 for another agency's or creditor's."""
    return access(
        Refund.objects.select_related("case", "payment"), principal, pk, staff_only=staff_only
    )


def access_statement(principal: Principal | None, pk: object) -> BankStatement:
    """A statement of the agency's dedicated account: agency staff only."""
    return access(BankStatement.objects.all(), principal, pk, staff_only=True)


def access_bank_line(principal: Principal | None, pk: object) -> BankLine:
    return access(BankLine.objects.select_related("statement"), principal, pk, staff_only=True)


def access_remittance(principal: Principal | None, pk: object) -> Remittance:
    """A remittance run; its creditor's users may see their own (the portal shows them)."""
    return access(Remittance.objects.select_related("creditor"), principal, pk)
