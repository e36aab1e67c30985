"""Reads on cases, always given the member whose view they serve."""

from __future__ import annotations

from django.db.models import QuerySet

from cases.models import Case, CaseEvent, Claim, Creditor
from collectio.access import visible
from collectio.models import Membership


def creditor_list(*, membership: Membership | None) -> QuerySet[Creditor]:
    return visible(Creditor.objects.all(), membership)


def case_list(*, membership: Membership | None) -> QuerySet[Case]:
    return visible(Case.objects.select_related("creditor", "debtor", "assigned_agent"), membership)


def case_claims(*, case: Case) -> QuerySet[Claim]:
    return Claim.objects.filter(case=case, agency_id=case.agency_id)


def case_timeline(*, case: Case) -> QuerySet[CaseEvent]:
    return CaseEvent.objects.filter(case=case, agency_id=case.agency_id).select_related("actor")
