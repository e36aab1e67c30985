"""Who may see a case: the access layer's functions for this app."""

from __future__ import annotations

from cases.models import Case, CaseDocument, CaseImport, IntakeDraft
from collectio.access import Principal, access


def access_case(
    principal: Principal | None, pk: object, *, for_write: bool = False, staff_only: bool = False
) -> Case:
    """The case if the principal may see it; 404 for another agency's or creditor's case."""
    return access(
        Case.objects.select_related("agency", "creditor", "debtor", "assigned_agent"),
        principal,
        pk,
        for_write=for_write,
        staff_only=staff_only,
    )


def access_case_document(principal: Principal | None, pk: object) -> CaseDocument:
    """A document of a case the principal may see; 404 otherwise, downloads included."""
    return access(CaseDocument.objects.select_related("case"), principal, pk)


def access_intake_draft(principal: Principal | None, pk: object) -> IntakeDraft:
    return access(IntakeDraft.objects.select_related("creditor"), principal, pk)


def access_case_import(principal: Principal | None, pk: object) -> CaseImport:
    return access(CaseImport.objects.select_related("creditor"), principal, pk)
