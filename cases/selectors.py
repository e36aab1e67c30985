"""Reads on cases, always given the member whose view they serve."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db.models import Count, Q, QuerySet

from cases.models import (
    TERMINAL_STATES,
    Case,
    CaseDocument,
    CaseEvent,
    CaseImport,
    CaseState,
    Claim,
    Creditor,
    IntakeDraft,
)
from collectio.access import visible
from collectio.models import Membership
from collectio.outbox import OutboxMessage, kind_label


def creditor_list(*, membership: Membership | None) -> QuerySet[Creditor]:
    return visible(Creditor.objects.all(), membership)


def case_list(*, membership: Membership | None) -> QuerySet[Case]:
    return visible(Case.objects.select_related("creditor", "debtor", "assigned_agent"), membership)


def case_claims(*, case: Case) -> QuerySet[Claim]:
    return Claim.objects.filter(case=case, agency_id=case.agency_id)


def case_timeline(*, case: Case) -> QuerySet[CaseEvent]:
    return CaseEvent.objects.filter(case=case, agency_id=case.agency_id).select_related("actor")


def case_failed_effects(*, case: Case) -> list[dict[str, object]]:
    """Side effects of this case that failed for good, for an agent to act on."""
    failed = OutboxMessage.objects.filter(
        agency_id=case.agency_id, case_id=case.pk, status=OutboxMessage.Status.FAILED
    ).order_by("created_at")
    return [
        {"label": kind_label(m.kind), "error": m.last_error, "at": m.available_at} for m in failed
    ]


SORTS = {
    "-opened": ("-opened_at", "-pk"),
    "opened": ("opened_at", "pk"),
    "-due": ("-principal_due", "-pk"),
    "due": ("principal_due", "pk"),
    "debtor": ("debtor__name", "pk"),
    "reference": ("reference",),
}


def case_search(
    *,
    membership: Membership | None,
    q: str = "",
    state: str = "",
    opened_from: date | None = None,
    opened_to: date | None = None,
    amount_min: Decimal | None = None,
    amount_max: Decimal | None = None,
    sort: str = "-opened",
) -> QuerySet[Case]:
    """The cases a member sees, filtered and sorted as the creditor's list asks.

    ``q`` finds a reference, a debtor's name, a SIREN or an invoice number; ``state`` is a state
    or ``open`` (not ended); amounts filter the principal still due.
    """
    cases = case_list(membership=membership)
    if q := q.strip():
        compact = "".join(q.split())
        cases = cases.filter(
            Q(reference__icontains=q)
            | Q(debtor__name__icontains=q)
            | Q(debtor__first_name__icontains=q)
            | Q(debtor__siren=compact)
            | Q(pk__in=Claim.objects.filter(invoice_number__iexact=q).values("case_id"))
        )
    if state == "open":
        cases = cases.exclude(state__in=TERMINAL_STATES)
    elif state in CaseState.values:
        cases = cases.filter(state=state)
    if opened_from:
        cases = cases.filter(opened_at__date__gte=opened_from)
    if opened_to:
        cases = cases.filter(opened_at__date__lte=opened_to)
    if amount_min is not None:
        cases = cases.filter(principal_due__gte=amount_min)
    if amount_max is not None:
        cases = cases.filter(principal_due__lte=amount_max)
    return cases.order_by(*SORTS.get(sort, SORTS["-opened"]))


def case_state_counts(*, membership: Membership | None) -> dict[str, int]:
    """How many of the member's cases are in each state (the list's tabs)."""
    rows = case_list(membership=membership).order_by().values_list("state").annotate(n=Count("pk"))
    return dict(rows)


def case_documents(*, case: Case) -> QuerySet[CaseDocument]:
    return CaseDocument.objects.filter(case=case, agency_id=case.agency_id).select_related(
        "claim", "uploaded_by"
    )


def intake_drafts(*, membership: Membership) -> QuerySet[IntakeDraft]:
    return visible(IntakeDraft.objects.all(), membership).filter(created_by_id=membership.user_id)


def case_imports(*, membership: Membership) -> QuerySet[CaseImport]:
    return visible(CaseImport.objects.select_related("uploaded_by"), membership)
