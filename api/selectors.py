"""Reads of the API, always given the principal (a key or a member) whose request they serve."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db.models import Exists, FileField, OuterRef, QuerySet
from django.urls import reverse

from cases.models import Case, CaseDocument, CaseEvent, Creditor
from collectio.access import Principal, visible
from debtors.models import Debtor
from dunning.statement import Statement, case_statement
from notices.models import JudicialDossier
from notices.selectors import case_notices
from payments.models import Payment


def creditor_list(*, principal: Principal | None) -> QuerySet[Creditor]:
    return visible(Creditor.objects.order_by("pk"), principal)


def debtor_list(*, principal: Principal | None) -> QuerySet[Debtor]:
    return visible(Debtor.objects.prefetch_related("contact_points"), principal)


def case_list(
    *,
    principal: Principal | None,
    states: list[str] | None = None,
    creditor_id: int | None = None,
    reference: str | None = None,
    updated_since: datetime | None = None,
) -> QuerySet[Case]:
    """The cases a principal sees, filtered. A case is *updated* when something happened to
    it: every change writes an event, so the timeline says when."""
    cases = visible(Case.objects.select_related("debtor"), principal)
    if states:
        cases = cases.filter(state__in=states)
    if creditor_id is not None:
        cases = cases.filter(creditor_id=creditor_id)
    if reference:
        cases = cases.filter(reference=reference)
    if updated_since is not None:
        cases = cases.filter(
            Exists(CaseEvent.objects.filter(case_id=OuterRef("pk"), at__gte=updated_since))
        )
    return cases


def case_detail_queryset(*, principal: Principal | None) -> QuerySet[Case]:
    return visible(
        Case.objects.select_related(
            "agency", "creditor", "debtor", "next_step", "scenario"
        ).prefetch_related("claims"),
        principal,
    )


def case_events(*, case: Case) -> QuerySet[CaseEvent]:
    return CaseEvent.objects.filter(case=case, agency_id=case.agency_id).select_related("actor")


def case_payments(*, case: Case) -> QuerySet[Payment]:
    return Payment.objects.filter(case=case, agency_id=case.agency_id)


def statement_totals(statement: Statement) -> dict[str, Any]:
    return {
        "on": statement.on,
        "principal": statement.principal,
        "principal_due": statement.principal_balance,
        "interest_accrued": statement.interest,
        "interest_due": statement.interest_balance,
        "indemnity": statement.indemnity,
        "paid": statement.paid,
        "amount_due": statement.balance,
        "not_yet_due": statement.not_yet_due,
        "outstanding": statement.outstanding,
        "overpayment": statement.overpayment,
    }


def case_balance(*, case: Case, on: date) -> dict[str, Any]:
    """The statement of account on ``on``, per claim and in total (``dunning.statement``)."""
    statement = case_statement(case, on=on)
    return {
        "case": case.pk,
        "reference": case.reference,
        "at": on,
        "claims": [
            {
                "claim": c.claim_id,
                "invoice_number": c.invoice_number,
                "invoice_date": c.invoice_date,
                "due_date": c.due_date,
                "not_yet_due": c.not_yet_due,
                "regime": str(c.regime),
                "interest_from": c.interest_from,
                "principal": c.principal,
                "principal_paid": c.paid_principal,
                "principal_due": c.balance_principal,
                "interest_accrued": c.interest,
                "interest_paid": c.paid_interest,
                "interest_due": c.balance_interest,
                "indemnity": c.indemnity,
                "indemnity_paid": c.paid_indemnity,
                "indemnity_due": c.balance_indemnity,
                "outstanding": c.balance,
                "periods": [
                    {
                        "from_date": a.segment.from_date,
                        "to_date": a.segment.to_date,
                        "days": a.segment.days,
                        "rate": a.segment.rate,
                        "base": a.base,
                        "interest": a.segment.amount,
                    }
                    for a in c.accruals
                ],
            }
            for c in statement.claims
        ],
        "payments": [
            {
                "payment": p.payment_id,
                "received_on": p.received_on,
                "amount": p.amount,
                "method": p.method,
                "imputed": p.amount - p.unallocated,
                "unallocated": p.unallocated,
            }
            for p in statement.payments
        ],
        "total": statement_totals(statement),
        "warnings": list(statement.warnings),
    }


def case_next_step(case: Case) -> dict[str, Any]:
    step = case.next_step
    return {
        "action": step.action if step else None,
        "label": str(step.get_action_display()) if step else None,
        "position": step.position if step else None,
        "planned_at": case.next_action_at,
        "requires_confirmation": bool(step and step.requires_confirmation),
    }


def case_actions(case: Case, principal: Principal) -> list[dict[str, Any]]:
    """The transitions this principal may fire now (conditions and permission both hold)."""
    seen: dict[str, dict[str, Any]] = {}
    for found in case.get_available_user_state_transitions(principal):  # type: ignore[attr-defined]
        seen.setdefault(
            found.name,
            {
                "name": found.name,
                "label": str(found.custom.get("label", found.name)),
                "reason_required": bool(found.custom.get("reason_required")),
            },
        )
    return list(seen.values())


@dataclass(frozen=True)
class Document:
    """A file of a case, whichever app keeps it: ``letter-<n>``, ``dossier-<n>``."""

    id: str
    kind: str
    name: str
    content_type: str
    sha256: str
    created_at: datetime
    file: FileField | Any

    def as_dict(self, case: Case) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "name": self.name,
            "content_type": self.content_type,
            "sha256": self.sha256,
            "created_at": self.created_at,
            "download": reverse("api:case_document", args=[case.pk, self.id]),
        }


def case_document(document: CaseDocument) -> Document:
    return Document(
        id=f"document-{document.pk}",
        kind=document.kind,
        name=document.original_name,
        content_type=document.content_type,
        sha256=document.sha256,
        created_at=document.created_at,
        file=document.file,
    )


def case_documents(*, case: Case, principal: Principal | None) -> list[Document]:
    """The documents handed over, the letters with their PDF and the judicial dossiers the
    principal may see."""
    handed_over = visible(
        CaseDocument.objects.filter(case=case, agency_id=case.agency_id), principal
    )
    letters = visible(case_notices(case=case).exclude(pdf=""), principal)
    dossiers = visible(
        JudicialDossier.objects.filter(case=case, agency_id=case.agency_id), principal
    )
    documents = (
        [case_document(d) for d in handed_over]
        + [
            Document(
                id=f"letter-{n.pk}",
                kind=f"letter:{n.kind}",
                name=f"{n.reference}.pdf",
                content_type="application/pdf",
                sha256=n.sha256,
                created_at=n.rendered_at or n.created_at,
                file=n.pdf,
            )
            for n in letters
        ]
        + [
            Document(
                id=f"dossier-{d.pk}",
                kind="judicial_dossier",
                name=f"dossier-{case.reference}-{d.pk}.pdf",
                content_type="application/pdf",
                sha256=d.sha256,
                created_at=d.created_at,
                file=d.pdf,
            )
            for d in dossiers
        ]
    )
    return sorted(documents, key=lambda d: (d.created_at, d.id))
