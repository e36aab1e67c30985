"""Reads behind the back-office pages: the agency's figures, people and audit, for one agency.

Every function takes the agency explicitly (the administrator's membership gives it); the
tenant scope is active on every request, so nothing of another agency can be read here.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth

from cases.models import Case, CaseEvent, Creditor
from collectio.models import ConfigChange, Invitation, Membership, Role
from collectio.money import ZERO, to_money
from dunning.models import Scenario
from dunning.planning import PARIS
from law.calendar import add_months
from notices.models import Channel, LetterKind, LetterTemplate, Notice
from payments.models import Payment


def month_range(end: date, months: int) -> list[date]:
    """The first days of the ``months`` months ending with ``end``'s month."""
    last = end.replace(day=1)
    return [add_months(last, -n) for n in range(months - 1, -1, -1)]


@dataclass
class CreditorFigures:
    creditor: Creditor
    entrusted_cases: int = 0
    entrusted_principal: Decimal = ZERO
    recovered: Decimal = ZERO
    recovered_on_entrusted: Decimal = ZERO  # paid on the cases entrusted in the period
    by_month: dict[date, dict[str, Any]] = field(default_factory=dict)

    @property
    def recovery_rate(self) -> Decimal | None:
        """Recovered over principal entrusted, in % (cases entrusted in the period)."""
        if not self.entrusted_principal:
            return None
        return (self.recovered_on_entrusted * 100 / self.entrusted_principal).quantize(
            Decimal("0.1")
        )


@dataclass
class Figures:
    months: list[date]
    creditors: list[CreditorFigures]
    letters: list[dict[str, Any]]
    agents: list[dict[str, Any]]

    @property
    def totals(self) -> dict[str, Any]:
        entrusted = sum((c.entrusted_principal for c in self.creditors), ZERO)
        on_entrusted = sum((c.recovered_on_entrusted for c in self.creditors), ZERO)
        return {
            "cases": sum(c.entrusted_cases for c in self.creditors),
            "principal": entrusted,
            "recovered": sum((c.recovered for c in self.creditors), ZERO),
            "rate": (on_entrusted * 100 / entrusted).quantize(Decimal("0.1"))
            if entrusted
            else None,
            "letters": sum(row["sent"] for row in self.letters),
            "failed": sum(row["failed"] for row in self.letters),
        }


def agency_figures(*, agency_id: int, end: date, months: int = 12) -> Figures:
    """Cases entrusted and money recovered by creditor and month, the recovery rate, letters by
    channel with their failures, and what each person of the agency did, over ``months``."""
    month_list = month_range(end, months)
    start = month_list[0]
    creditors = {
        c.pk: CreditorFigures(creditor=c)
        for c in Creditor.objects.filter(agency_id=agency_id).order_by("legal_name")
    }
    cases = Case.objects.filter(
        agency_id=agency_id, opened_at__date__gte=start, opened_at__date__lte=end
    )
    for row in (
        cases.annotate(month=TruncMonth("opened_at", tzinfo=PARIS))
        .values("creditor_id", "month")
        .annotate(n=Count("pk"), principal=Sum("principal_total"))
    ):
        figures = creditors[row["creditor_id"]]
        month = row["month"].date() if hasattr(row["month"], "date") else row["month"]
        figures.entrusted_cases += row["n"]
        figures.entrusted_principal += row["principal"] or ZERO
        cell = figures.by_month.setdefault(
            month, {"cases": 0, "principal": ZERO, "recovered": ZERO}
        )
        cell["cases"] += row["n"]
        cell["principal"] += row["principal"] or ZERO
    payments = Payment.objects.filter(
        agency_id=agency_id, received_on__gte=start, received_on__lte=end
    )
    for row in (
        payments.annotate(month=TruncMonth("received_on"))
        .values("case__creditor_id", "month")
        .annotate(amount=Sum("amount"))
    ):
        figures = creditors[row["case__creditor_id"]]
        figures.recovered += row["amount"] or ZERO
        cell = figures.by_month.setdefault(
            row["month"], {"cases": 0, "principal": ZERO, "recovered": ZERO}
        )
        cell["recovered"] += row["amount"] or ZERO
    for row in (
        Payment.objects.filter(case__in=cases).values("case__creditor_id").annotate(s=Sum("amount"))
    ):
        creditors[row["case__creditor_id"]].recovered_on_entrusted = to_money(row["s"] or ZERO)
    return Figures(
        months=month_list,
        creditors=list(creditors.values()),
        letters=_letters(agency_id, start, end),
        agents=_agents(agency_id, start, end),
    )


def _letters(agency_id: int, start: date, end: date) -> list[dict[str, Any]]:
    counts: dict[str, dict[str, int]] = defaultdict(lambda: {"sent": 0, "failed": 0, "pending": 0})
    for row in (
        Notice.objects.filter(
            agency_id=agency_id, created_at__date__gte=start, created_at__date__lte=end
        )
        .values("channel", "status")
        .annotate(n=Count("pk"))
    ):
        bucket = {Notice.Status.SENT: "sent", Notice.Status.FAILED: "failed"}.get(
            row["status"], "pending"
        )
        counts[row["channel"]][bucket] += row["n"]
    return [
        {"channel": channel, "label": channel.label, **counts[channel.value]}
        for channel in Channel
        if channel.value in counts
    ]


# What counts as an agent's work on the timeline.
ACTIVITY = {
    "calls": (CaseEvent.Kind.CALL_LOGGED,),
    "payments": (CaseEvent.Kind.PAYMENT,),
    "transitions": (CaseEvent.Kind.TRANSITION, CaseEvent.Kind.PLAN_AGREED),
    "notes": (CaseEvent.Kind.NOTE,),
}


def _agents(agency_id: int, start: date, end: date) -> list[dict[str, Any]]:
    people = {
        m.user_id: m
        for m in Membership.objects.filter(
            agency_id=agency_id, role__in=[Role.AGENT, Role.ADMIN]
        ).select_related("user")
    }
    events = CaseEvent.objects.filter(
        agency_id=agency_id,
        actor_id__in=people,
        at__date__gte=start,
        at__date__lte=end,
    )
    rows = {
        user_id: {"user": m.user, "role": m.get_role_display(), "cases": 0, "total": 0}
        | {name: 0 for name in ACTIVITY}
        for user_id, m in people.items()
    }
    for row in events.values("actor_id", "kind").annotate(n=Count("pk")):
        person = rows[row["actor_id"]]
        person["total"] += row["n"]
        for name, kinds in ACTIVITY.items():
            if row["kind"] in kinds:
                person[name] += row["n"]
    for row in events.values("actor_id").annotate(n=Count("case_id", distinct=True)):
        rows[row["actor_id"]]["cases"] = row["n"]
    return sorted(rows.values(), key=lambda r: (-r["total"], r["user"].email))


# --- people -----------------------------------------------------------------------------------
def agency_people(*, agency_id: int) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(agency_id=agency_id)
        .select_related("user", "creditor")
        .order_by("role", "user__email")
    )


def agency_invitations(*, agency_id: int) -> QuerySet[Invitation]:
    return (
        Invitation.objects.filter(agency_id=agency_id, accepted_at__isnull=True)
        .select_related("creditor", "invited_by")
        .order_by("-created_at")
    )


# --- scenarios and templates ------------------------------------------------------------------
def scenarios_with_creditors(*, agency_id: int) -> list[dict[str, Any]]:
    """Each scenario and the creditors whose cases it runs: a creditor's own scenario, else
    the agency's default."""
    scenarios = list(
        Scenario.objects.filter(agency_id=agency_id)
        .select_related("creditor")
        .prefetch_related("steps")
        .order_by("-is_default", "name")
    )
    own = {s.creditor_id for s in scenarios if s.creditor_id}
    others = list(Creditor.objects.filter(agency_id=agency_id).exclude(pk__in=own))
    return [
        {
            "scenario": s,
            "creditors": [s.creditor] if s.creditor_id else (others if s.is_default else []),
        }
        for s in scenarios
    ]


EDITABLE_KINDS = [kind for kind in LetterKind if kind != LetterKind.REMITTANCE_STATEMENT]


def letter_templates(*, agency_id: int) -> list[dict[str, Any]]:
    found = {
        t.kind: t
        for t in LetterTemplate.objects.filter(agency_id=agency_id).annotate(n=Count("versions"))
    }
    return [{"kind": kind, "template": found.get(kind.value)} for kind in EDITABLE_KINDS]


# --- audit ------------------------------------------------------------------------------------
def config_changes(*, agency_id: int, query: str = "") -> QuerySet[ConfigChange]:
    changes = ConfigChange.objects.filter(agency_id=agency_id).select_related("actor")
    if query:
        changes = changes.filter(
            Q(target_label__icontains=query)
            | Q(summary__icontains=query)
            | Q(actor__email__icontains=query)
            | Q(changes__icontains=query)
        )
    return changes


def case_events(*, agency_id: int, query: str = "") -> QuerySet[CaseEvent]:
    events = (
        CaseEvent.objects.filter(agency_id=agency_id)
        .select_related("actor", "case")
        .order_by("-at", "-pk")
    )
    if query:
        kinds = [k.value for k in CaseEvent.Kind if query.casefold() in str(k.label).casefold()]
        events = events.filter(
            Q(case__reference__icontains=query)
            | Q(actor__email__icontains=query)
            | Q(actor_label__icontains=query)
            | Q(kind__in=kinds)
        )
    return events
