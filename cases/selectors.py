"""Reads on cases, always given the member whose view they serve."""

from __future__ import annotations

from django.db.models import QuerySet

from cases.models import Case, CaseEvent, Claim, Creditor
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
