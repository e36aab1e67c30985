"""The judicial dossier: one PDF for the judicial partner, and the injonction-de-payer data.

The agency cannot go to court itself (REQ-E3); it hands an avocat or a commissaire de justice a
complete file: who, how much and why (the statement, with its interest calculation), what was
done (timeline, every letter sent with its proof of sending and receipt) and which documents
support it (bordereau), plus the data of the requête (REQ-E4) as JSON.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone, translation

from cases import events
from cases.models import Case, CaseEvent, Claim
from collectio.models import User
from debtors.models import Debtor
from dunning.statement import Statement, case_statement
from law.eligibility import SMALL_CLAIMS_CEILING, small_claims_eligible
from notices import content, selectors
from notices.models import JudicialDossier, LetterKind, Notice
from notices.rendering import merge_pdfs, render_page
from notices.templatetags.letters import elide

SCHEMA = "collectio.injonction-de-payer/1"
CERFA = {
    "tribunal_de_commerce": {
        "number": "12946*02",
        "title": "Requête en injonction de payer devant le tribunal de commerce",
    },
    "tribunal_judiciaire": {
        "number": "12948*06",
        "title": "Requête en injonction de payer devant le tribunal judiciaire",
    },
}
# Pilot tribunaux des activités économiques since 2025-01-01 (REQ-E4, list to [VERIFY]).
TAE_PILOT_CITIES = frozenset(
    {
        "AVIGNON",
        "AUXERRE",
        "LE HAVRE",
        "LE MANS",
        "LIMOGES",
        "LYON",
        "MARSEILLE",
        "NANCY",
        "NANTERRE",
        "PARIS",
        "SAINT-BRIEUC",
        "VERSAILLES",
    }
)
KIND_LABELS = {
    LetterKind.FIRST_REMINDER: "Premier courrier de relance",
    LetterKind.SECOND_REMINDER: "Second courrier de relance",
    LetterKind.FORMAL_NOTICE: "Mise en demeure",
    LetterKind.JUDICIAL_HANDOFF: "Avis de fin de phase amiable",
    LetterKind.PAYMENT_RECEIPT: "Quittance",
    LetterKind.PAYMENT_PLAN: "Échéancier",
    LetterKind.REMITTANCE_STATEMENT: "Relevé de reversement",
}
CHANNEL_LABELS = {
    "letter": "lettre simple",
    "registered_letter": "lettre recommandée AR",
    "email": "courrier électronique",
    "sms": "SMS",
    "electronic_registered_letter": "lettre recommandée électronique",
}


def competent_court(case: Case) -> dict[str, Any]:
    """Which judge an injonction de payer goes to (CPC 1405-1407, REQ-E4).

    Territorial competence is the debtor's domicile or seat (public policy). A company owing a
    commercial debt goes to the tribunal de commerce, anyone else to the tribunal judiciaire.
    The court is named after the debtor's city: the real ressort of small towns is [VERIFY].
    """
    debtor = case.debtor
    commercial = debtor.kind == Debtor.Kind.COMPANY and all(
        claim.debt_kind == Claim.DebtKind.B2B for claim in case.claims.all()
    )
    kind = "tribunal_de_commerce" if commercial else "tribunal_judiciaire"
    label = "Tribunal de commerce" if commercial else "Tribunal judiciaire"
    city = debtor.city.strip().upper()
    warnings = ["Ressort territorial à vérifier : juridiction nommée d’après la ville du débiteur."]
    if commercial and city in TAE_PILOT_CITIES:
        warnings.append(
            "Tribunal des activités économiques (expérimentation depuis le 1er janvier 2025) "
            "à la place du tribunal de commerce [à vérifier]."
        )
    if debtor.kind == Debtor.Kind.PUBLIC:
        warnings.append("Débiteur public : juridiction administrative possible [à vérifier].")
    if not commercial:
        warnings.append(
            "Crédit à la consommation ou bail d’habitation : juge des contentieux de la "
            "protection, Cerfa 16040*01."
        )
    return {
        "kind": kind,
        "name": f"{label} {elide(debtor.city.strip().title(), 'de', autoescape=False)}",
        "city": debtor.city,
        "postcode": debtor.postcode,
        "cerfa": CERFA[kind],
        "warnings": warnings,
    }


def _money(value: Decimal) -> str:
    return f"{value:.2f}"


def _party(obj: Any, **extra: Any) -> dict[str, Any]:
    return {"address": obj.address_lines, "postcode": obj.postcode, "city": obj.city, **extra}


def injonction_data(
    *, case: Case, statement: Statement, letters: list[Notice], court: dict[str, Any]
) -> dict[str, Any]:
    """The data of the requête, JSON-ready (amounts as strings: exact decimals)."""
    # Only invoices past due are claimed; one not yet due cannot be.
    principal = sum((c.balance_principal for c in statement.due_claims), Decimal(0))
    interest = statement.interest_balance
    eligible = small_claims_eligible(principal, interest)
    creditor, debtor, agency = case.creditor, case.debtor, case.agency
    formal = next((n for n in letters if n.kind == LetterKind.FORMAL_NOTICE), None)
    return {
        "schema": SCHEMA,
        "case_reference": case.reference,
        "statement_on": statement.on.isoformat(),
        "court": {k: court[k] for k in ("kind", "name", "city", "postcode", "warnings")},
        "cerfa": court["cerfa"],
        "creditor": _party(creditor, name=creditor.legal_name, siren=creditor.siren),
        "represented_by": _party(
            agency,
            name=agency.legal_name,
            siren=agency.siren,
            mandate_reference=creditor.mandate_reference,
            mandate_signed_on=creditor.mandate_signed_on.isoformat()
            if creditor.mandate_signed_on
            else None,
        ),
        "debtor": _party(
            debtor,
            kind=debtor.kind,
            name=debtor.name,
            first_name=debtor.first_name,
            siren=debtor.siren,
        ),
        "claims": [
            {
                "invoice_number": c.invoice_number,
                "invoice_date": c.invoice_date.isoformat(),
                "due_date": c.due_date.isoformat(),
                "principal": _money(c.principal),
                "interest": _money(c.interest),
                "interest_detail": [
                    {
                        "from": line.from_date.isoformat(),
                        "to": line.to_date.isoformat(),
                        "days": line.days,
                        "rate": str(line.rate),
                        "base": _money(line.base),
                        "amount": _money(line.amount),
                    }
                    for line in row.interest_lines
                ],
                "indemnity": _money(c.indemnity),
                "paid": _money(c.paid),
                "balance": _money(c.balance),
            }
            for c, row in zip(statement.due_claims, content.claim_rows(statement), strict=True)
        ],
        "amounts": {
            "principal": _money(principal),
            "interest": _money(interest),
            "indemnity": _money(
                sum((c.balance_indemnity for c in statement.due_claims), Decimal(0))
            ),
            "paid": _money(statement.paid),
            "total": _money(statement.balance),
        },
        "basis": content.debt_basis(statement, creditor.legal_name, creditor.mandate_sums_basis),
        "formal_notice": {
            "reference": formal.reference,
            "sent_on": timezone.localdate(formal.sent_at).isoformat(),
            "tracking_number": formal.tracking_number,
            "acknowledged_on": formal.acknowledged_on.isoformat()
            if formal.acknowledged_on
            else None,
            "deadline": case.formal_notice_deadline.isoformat()
            if case.formal_notice_deadline
            else None,
        }
        if formal
        else None,
        "small_claims": {
            "eligible": eligible,
            "principal_plus_interest": _money(principal + interest),
            "ceiling": _money(SMALL_CLAIMS_CEILING),
            "note": "Indemnité forfaitaire de 40 € exclue du plafond [à vérifier].",
        },
        # CPC 750-1 (REQ-E7): before the TJ a claim up to €5,000 needs a prior amicable attempt.
        "prior_amicable_attempt_required": court["kind"] == "tribunal_judiciaire"
        and principal + interest <= SMALL_CLAIMS_CEILING,
        "documents": [item["title"] for item in _bordereau(case, letters)],
    }


def _bordereau(case: Case, letters: list[Notice]) -> list[dict[str, Any]]:
    """The numbered list of documents supporting the request."""
    creditor = case.creditor
    items = [
        {
            "title": f"Convention de recouvrement réf. {creditor.mandate_reference} du "
            f"{creditor.mandate_signed_on:%d/%m/%Y}"
            if creditor.mandate_signed_on
            else "Convention de recouvrement",
            "note": "à joindre par le créancier",
        }
    ]
    items += [
        {
            "title": f"Facture n° {claim.invoice_number} du {claim.invoice_date:%d/%m/%Y}",
            "note": "à joindre par le créancier",
        }
        for claim in case.claims.all()
    ]
    items.append(
        {"title": "Conditions générales de vente ou contrat", "note": "à joindre par le créancier"}
    )
    items += [
        {
            "title": f"{KIND_LABELS[LetterKind(n.kind)]} réf. {n.reference} du "
            f"{timezone.localdate(n.sent_at):%d/%m/%Y} ({CHANNEL_LABELS[n.channel]})"
            + (f", AR du {n.acknowledged_on:%d/%m/%Y}" if n.acknowledged_on else ""),
            "note": "annexé au présent dossier",
        }
        for n in letters
        if n.pdf
    ]
    if case.debtor.kind == Debtor.Kind.COMPANY:
        items.append(
            {
                "title": "Extrait Kbis du créancier de moins de trois mois",
                "note": "à joindre par le créancier",
            }
        )
    items.append(
        {"title": "Pouvoir spécial du mandataire", "note": "si la requête est déposée par lui"}
    )
    return items


def _timeline(case: Case) -> list[dict[str, Any]]:
    """The case's events as the creditor reads them, in French whatever the user's language."""
    with translation.override("fr"):
        return [
            {"at": event.at, "label": event.get_kind_display(), "detail": events.describe(event)}
            for event in CaseEvent.objects.filter(case=case, agency_id=case.agency_id)
        ]


def sent_letters(case: Case) -> list[Notice]:
    return list(
        selectors.case_notices(case=case)
        .filter(status=Notice.Status.SENT)
        .order_by("sent_at", "pk")
    )


@transaction.atomic
def dossier_build(*, case: Case, actor: User | None, on: date | None = None) -> JudicialDossier:
    """Assemble, store and record the dossier of a case at the date ``on`` (today)."""
    case = Case.objects.select_related("agency", "creditor", "debtor").get(pk=case.pk)
    on = on or timezone.localdate()
    statement = case_statement(case, on=on)
    letters = sent_letters(case)
    court = competent_court(case)
    data = injonction_data(case=case, statement=statement, letters=letters, court=court)
    summary = render_page(
        "letters/dossier/dossier.html",
        {
            "case": case,
            "agency": case.agency,
            "creditor": case.creditor,
            "debtor": case.debtor,
            "statement": statement,
            "rows": content.claim_rows(statement),
            "court": court,
            "data": data,
            "letters": [
                {
                    "notice": n,
                    "kind": KIND_LABELS[LetterKind(n.kind)],
                    "channel": CHANNEL_LABELS[n.channel],
                }
                for n in letters
            ],
            "timeline": _timeline(case),
            "bordereau": _bordereau(case, letters),
            "on": on,
        },
    )
    parts = [summary.content]
    for notice in letters:
        if notice.pdf:
            with notice.pdf.open("rb") as pdf:
                parts.append(pdf.read())
    bundle = merge_pdfs(parts)
    dossier = JudicialDossier(
        agency_id=case.agency_id,
        case=case,
        statement_on=on,
        sha256=bundle.sha256,
        page_count=bundle.page_count,
        request_data=data,
        created_by=actor,
    )
    dossier.pdf.save(
        f"{case.agency_id}/{case.reference}-{on:%Y%m%d}.pdf",
        ContentFile(bundle.content),
        save=False,
    )
    dossier.save()
    events.dossier_built(case=case, actor=actor, dossier_id=dossier.pk, sha256=bundle.sha256)
    return dossier
