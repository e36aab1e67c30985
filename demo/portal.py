"""What the creditor portal shows under ``make run``: money on the cases that ended paid, a few
invoices attached, a draft left half-typed. Idempotent like the rest of the demo."""

from __future__ import annotations

from decimal import Decimal

from django.core.files.base import ContentFile
from django.utils import timezone

from cases.intake import case_document_add, intake_draft_save
from cases.models import Case, CaseDocument, CaseState, IntakeDraft
from collectio.models import Agency, Role, User
from collectio.money import to_money
from payments.models import Payment

# Paid cases brought in their principal; settled ones the share the creditor agreed to.
SETTLED_SHARE = Decimal("0.70")
ATTACHED = 5
# A one-page PDF: enough for the demo's "invoice" attachments to download as PDFs.
DEMO_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


def seed_portal(agency: Agency) -> None:
    _payments_of_ended_cases(agency)
    creditor_user = (
        User.objects.filter(membership__agency=agency, membership__role=Role.CREDITOR_USER)
        .select_related("membership__creditor")
        .order_by("email")
        .first()
    )
    if creditor_user is not None:
        _invoices_attached(creditor_user)
        _a_draft(creditor_user)


def _payments_of_ended_cases(agency: Agency) -> None:
    """The money behind the paid and settled cases (the demo closes them without it)."""
    ended = Case.objects.filter(
        agency=agency, state__in=(CaseState.PAID, CaseState.SETTLED), payments__isnull=True
    )
    Payment.objects.bulk_create(
        Payment(
            agency=agency,
            case=case,
            amount=case.principal_total
            if case.state == CaseState.PAID
            else to_money(case.principal_total * SETTLED_SHARE),
            received_on=timezone.localdate(case.closed_at or timezone.now()),
            method=Payment.Method.TRANSFER,
            source=Payment.Source.AGENT,
        )
        for case in ended
    )


def _invoices_attached(user: User) -> None:
    creditor = user.membership.creditor
    cases = Case.objects.filter(creditor=creditor).order_by("-opened_at")[:ATTACHED]
    for case in cases:
        claim = case.claims.order_by("pk").first()
        if claim is None or CaseDocument.objects.filter(case=case).exists():
            continue
        file = ContentFile(DEMO_PDF, name=f"facture-{claim.invoice_number}.pdf")
        case_document_add(case=case, file=file, kind="invoice", actor=user, claim=claim)


def _a_draft(user: User) -> None:
    creditor = user.membership.creditor
    if IntakeDraft.objects.filter(creditor=creditor, created_by=user).exists():
        return
    intake_draft_save(
        creditor=creditor,
        actor=user,
        label="Atelier Bernard SARL · F-2026-0311",
        data={
            "debtor-kind": "company",
            "debtor-name": "Atelier Bernard SARL",
            "debtor-address_line1": "14 rue des Tanneurs",
            "debtor-postcode": "67000",
            "debtor-city": "Strasbourg",
            "claims-TOTAL_FORMS": "1",
            "claims-0-invoice_number": "F-2026-0311",
            "claims-0-principal": "2 480,00",
            "case-debt_kind": "b2b",
        },
    )
