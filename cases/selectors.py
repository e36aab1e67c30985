"""Reads on cases, always given the member whose view they serve."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Count, F, Q, QuerySet
from django.utils import formats
from django.utils.translation import gettext_lazy as _

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
    claim_past_due,
    transition_blockers,
)
from collectio.access import visible
from collectio.models import Membership, Role, User
from collectio.money import ZERO, euros
from collectio.outbox import OutboxMessage, kind_label
from debtors.models import CallTask, ContactPoint


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


def case_contact_points(*, case: Case) -> QuerySet[ContactPoint]:
    """The debtor's contact points, personal before professional (REQ-F2), wrong ones last."""
    return ContactPoint.objects.filter(debtor_id=case.debtor_id, agency_id=case.agency_id).order_by(
        F("marked_wrong_at").asc(nulls_first=True), "is_professional", "pk"
    )


def case_open_calls(*, case: Case) -> QuerySet[CallTask]:
    return CallTask.objects.filter(
        case=case, agency_id=case.agency_id, status=CallTask.Status.OPEN
    ).order_by("due_at", "pk")


# The manual transitions grouped as an agent thinks of them (issue 10).
TRANSITION_GROUPS = (
    (_("Collection"), ("accept", "send_reminder", "escalate", "hand_off")),
    (
        _("Pause or resume"),
        ("agree_plan", "break_plan", "hold", "resume", "open_dispute", "reject_dispute"),
    ),
    (
        _("End the case"),
        ("mark_paid", "mark_settled", "close", "withdraw", "reject", "uphold_dispute"),
    ),
)


@dataclass(frozen=True)
class Action:
    transition: Any
    blockers: list[str]

    @property
    def available(self) -> bool:
        return not self.blockers


def case_actions(*, case: Case, user: User) -> list[tuple[str, list[Action]]]:
    """The transitions from the case's state this user may fire (``has_transition_perm``),
    grouped; each with the reasons it cannot go ahead now (``can_proceed``), if any."""
    field = Case._meta.get_field("state")
    by_name = {}
    for t in field.get_all_transitions(Case):  # type: ignore[attr-defined]
        if t.source in (case.state, "*") and t.has_perm(case, user):
            by_name.setdefault(t.name, t)
    groups = []
    for label, names in TRANSITION_GROUPS:
        actions = [
            Action(transition=by_name[name], blockers=transition_blockers(case, name))
            for name in names
            if name in by_name
        ]
        if actions:
            groups.append((str(label), actions))
    return groups


def case_review_checklist(*, case: Case) -> list[dict[str, Any]]:
    """What an agent checks before accepting a new case; ``ok`` is None for what only a
    person can judge."""
    claims = list(case_claims(case=case))
    debtor = case.debtor
    total = sum((c.principal for c in claims), ZERO)
    dates_ok = all(c.due_date >= c.invoice_date for c in claims)
    address = all([debtor.address_line1, debtor.postcode, debtor.city])
    contacts = ContactPoint.objects.filter(
        debtor_id=debtor.pk, agency_id=case.agency_id, marked_wrong_at__isnull=True
    ).exists()
    missing = case.creditor.missing_mandate_clauses()
    return [
        {
            "label": _("Invoices"),
            "ok": bool(claims),
            "detail": _("%(count)s invoice(s) with number, date and amount.")
            % {"count": len(claims)},
        },
        {
            "label": _("Copies of the invoices"),
            "ok": None,
            "detail": _("Check that the creditor sent a copy (PDF) of each invoice."),
        },
        {
            "label": _("Amounts consistent"),
            "ok": total == case.principal_total and dates_ok and total > ZERO,
            "detail": _("Invoices total %(total)s for a principal of %(principal)s.")
            % {"total": euros(total), "principal": euros(case.principal_total)},
        },
        {
            "label": _("An invoice is past due"),
            "ok": claim_past_due(case),
            "detail": str(claim_past_due.message) if not claim_past_due(case) else "",
        },
        {
            "label": _("Debtor's address"),
            "ok": address,
            "detail": ", ".join(
                p for p in (debtor.address_line1, debtor.postcode, debtor.city) if p
            )
            or _("No postal address: no letter can be sent."),
        },
        {
            "label": _("A way to reach the debtor"),
            "ok": contacts,
            "detail": "" if contacts else _("No phone number or e-mail address."),
        },
        {
            "label": _("Valid written mandate (R124-3)"),
            "ok": not missing,
            "detail": _("Missing: %(clauses)s.") % {"clauses": ", ".join(missing)}
            if missing
            else case.creditor.mandate_reference,
        },
        {
            "label": _("Not time-barred"),
            "ok": not case.is_time_barred,
            "detail": _("Earliest limitation date: %(day)s.")
            % {"day": formats.date_format(case.limitation_date, "SHORT_DATE_FORMAT")}
            if case.limitation_date
            else "",
        },
    ]


def agency_agents(*, membership: Membership) -> QuerySet[User]:
    """The people of the agency who work cases (admins and agents)."""
    return User.objects.filter(
        membership__agency_id=membership.agency_id,
        membership__role__in=(Role.ADMIN, Role.AGENT),
    ).order_by("first_name", "last_name", "email")
