"""What a letter says, as plain data for the fixed templates: no query, no I/O.

``notices.selectors`` loads the objects and the statement; ``notices.samples`` builds the same
context from unsaved sample objects, for the linter and the pictures. Every amount comes from
``dunning.statement`` (the one source of amounts) and is rounded by ``collectio.money.to_money``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from collectio.money import ZERO, to_money
from dunning.statement import ClaimStatement, Statement
from law.interest import InterestRegime
from notices.kinds import Channel, LetterKind

SUBJECTS = {
    LetterKind.FIRST_REMINDER: "Demande de règlement",
    LetterKind.SECOND_REMINDER: "Second rappel avant mise en demeure",
    LetterKind.FORMAL_NOTICE: "Mise en demeure de payer",
    LetterKind.JUDICIAL_HANDOFF: "Fin de la phase amiable",
    LetterKind.PAYMENT_RECEIPT: "Quittance de règlement",
    LetterKind.PAYMENT_PLAN: "Échéancier de paiement",
    LetterKind.REMITTANCE_STATEMENT: "Relevé de reversement des fonds encaissés",
}

# REQ-A4: article L111-8 CPCE, paragraphs 2 and 3, reproduced word for word in every letter to
# the debtor (R124-4 5°) and looked for, word for word, in each letter's PDF.
L111_8 = (
    "Les frais de recouvrement entrepris sans titre exécutoire restent à la charge du créancier, "
    "sauf s’ils concernent un acte dont l’accomplissement est prescrit par la loi au créancier. "
    "Toute stipulation contraire est réputée non écrite, sauf disposition législative contraire.",
    "Cependant, le créancier qui justifie du caractère nécessaire des démarches entreprises pour "
    "recouvrer sa créance peut demander au juge de l’exécution de laisser tout ou partie des "
    "frais ainsi exposés à la charge du débiteur de mauvaise foi.",
)

# Letters are French whatever the interface language: labels written here, not translated.
PAYMENT_METHODS = {
    "transfer": "virement",
    "card": "carte bancaire",
    "direct_debit": "prélèvement",
    "cheque": "chèque",
}

REGIME_BASIS = {
    InterestRegime.B2B_DEFAULT: (
        "pénalités de retard au taux de la BCE majoré de 10 points (art. L441-10 II C. com.)"
    ),
    InterestRegime.B2B_CONTRACT: (
        "pénalités de retard au taux prévu au contrat (art. L441-10 II C. com.)"
    ),
    InterestRegime.LEGAL: "intérêts au taux légal (art. 1231-6 et 1344-1 C. civ.)",
    InterestRegime.NONE: "intérêts de retard non calculés",
}


@dataclass(frozen=True)
class FirstLetter:
    """The case's first letter, which every later contact recalls (REQ-A6, R124-4)."""

    reference: str
    sent_on: date


@dataclass(frozen=True)
class InterestLine:
    from_date: date
    to_date: date
    days: int
    rate: Decimal
    base: Decimal
    amount: Decimal


@dataclass(frozen=True)
class ClaimRow:
    number: str
    invoice_date: date
    due_date: date
    principal: Decimal
    interest: Decimal
    interest_lines: tuple[InterestLine, ...]
    interest_note: str
    indemnity: Decimal
    paid: Decimal
    balance: Decimal


@dataclass(frozen=True)
class ImputationRow:
    number: str
    interest: Decimal
    principal: Decimal
    indemnity: Decimal

    @property
    def total(self) -> Decimal:
        return self.interest + self.principal + self.indemnity


@dataclass(frozen=True)
class Receipt:
    """What a quittance must show (REQ-A8): amount, date, method, imputation, balance."""

    amount: Decimal
    received_on: date
    method: str
    rows: tuple[ImputationRow, ...]
    unallocated: Decimal
    balance_after: Decimal
    not_yet_due_after: Decimal = ZERO


@dataclass(frozen=True)
class Instalment:
    due_on: date
    amount: Decimal


# What happens to late interest while a plan is kept (``Agency.plan_interest``), and after.
PLAN_INTEREST_RULES = {
    "frozen": (
        "Intérêts de retard : ils cessent de courir à compter du {agreed_on} tant que chaque "
        "échéance est réglée à sa date. Le total de l’échéancier est alors tout ce que vous "
        "aurez à payer : la dernière échéance réglée, votre dossier sera soldé. À défaut de "
        "paiement d’une échéance à sa date, le solde restant dû redeviendra immédiatement "
        "exigible, les intérêts de retard courront de nouveau sur ce solde et le recouvrement "
        "amiable reprendra."
    ),
    "accrues": (
        "Intérêts de retard : ils continuent de courir pendant l’échéancier sur le montant "
        "restant dû, au taux indiqué dans le décompte ci-dessus. Les échéances les incluent, "
        "calculés comme si chacune était réglée à sa date : la dernière échéance réglée à sa "
        "date, votre dossier sera soldé ; un règlement tardif en ajoute. À défaut de paiement "
        "d’une échéance à sa date, le solde restant dû redeviendra immédiatement exigible et "
        "le recouvrement amiable reprendra."
    ),
}


@dataclass(frozen=True)
class Plan:
    """A payment plan as its letter states it: the schedule, its total, the interest rule."""

    agreed_on: date
    total: Decimal
    interest: str
    instalments: tuple[Instalment, ...]

    @property
    def interest_rule(self) -> str:
        return PLAN_INTEREST_RULES[self.interest].format(agreed_on=f"{self.agreed_on:%d/%m/%Y}")


@dataclass(frozen=True)
class RemittanceRow:
    case_reference: str
    debtor_name: str
    payments: int
    collected: Decimal
    commission: Decimal
    direct: Decimal = ZERO  # part of ``collected`` the creditor received itself

    @property
    def net(self) -> Decimal:
        return self.collected - self.direct - self.commission


@dataclass(frozen=True)
class Remittance:
    period_start: date
    period_end: date
    commission_rate: Decimal
    rows: tuple[RemittanceRow, ...]
    vat_rate: Decimal = ZERO
    vat: Decimal = ZERO  # on the commission, as the remittance run computed it
    reference: str = ""

    @property
    def collected(self) -> Decimal:
        return sum((r.collected for r in self.rows), ZERO)

    @property
    def direct(self) -> Decimal:
        return sum((r.direct for r in self.rows), ZERO)

    @property
    def commission(self) -> Decimal:
        return sum((r.commission for r in self.rows), ZERO)

    @property
    def commission_incl_vat(self) -> Decimal:
        return self.commission + self.vat

    @property
    def net_before_vat(self) -> Decimal:
        return sum((r.net for r in self.rows), ZERO)

    @property
    def net(self) -> Decimal:
        return self.net_before_vat - self.vat


def receipt(
    *, amount: Decimal, received_on: date, method: str, before: Statement, after: Statement
) -> Receipt:
    """A payment's imputation: the statement on its date without it, then with it (REQ-A8)."""
    rows = (
        ImputationRow(
            number=a.invoice_number,
            interest=a.paid_interest - b.paid_interest,
            principal=a.paid_principal - b.paid_principal,
            indemnity=a.paid_indemnity - b.paid_indemnity,
        )
        for b, a in zip(before.claims, after.claims, strict=True)
    )
    return Receipt(
        amount=amount,
        received_on=received_on,
        method=PAYMENT_METHODS[method],
        rows=tuple(r for r in rows if r.total),
        unallocated=after.payments[-1].unallocated,
        balance_after=after.balance,
        not_yet_due_after=after.not_yet_due,
    )


def remittance_row(
    *, case_reference: str, debtor_name: str, amounts: Sequence[Decimal], rate: Decimal
) -> RemittanceRow:
    collected = sum(amounts, ZERO)
    return RemittanceRow(
        case_reference=case_reference,
        debtor_name=debtor_name,
        payments=len(amounts),
        collected=collected,
        commission=to_money(collected * rate / 100),
    )


def claim_rows(statement: Statement) -> list[ClaimRow]:
    """The invoices past due on the statement date: the only ones a letter demands."""
    return [_claim_row(claim) for claim in statement.due_claims]


def pending_rows(statement: Statement) -> list[ClaimRow]:
    """The invoices not yet due: shown for information, never demanded (L441-10 II)."""
    return [_claim_row(claim) for claim in statement.pending_claims]


def _claim_row(claim: ClaimStatement) -> ClaimRow:
    lines = tuple(
        InterestLine(
            from_date=a.segment.from_date,
            to_date=a.segment.to_date,
            days=a.segment.days,
            rate=a.segment.rate,
            base=a.base,
            amount=to_money(a.segment.amount),
        )
        for a in claim.accruals
        if a.segment.days
    )
    if claim.not_yet_due:
        note = (
            f"Facture non échue : payable au plus tard le {claim.due_date:%d/%m/%Y}, "
            "elle ne vous est pas réclamée dans le présent courrier."
        )
    elif claim.regime is InterestRegime.LEGAL and claim.interest_from is None:
        note = (
            "Intérêts au taux légal dus à compter de la réception d’une mise en demeure "
            "(art. 1344-1 C. civ.) : néant à ce jour."
        )
    elif claim.regime is InterestRegime.NONE:
        note = "Intérêts de retard non calculés."
    else:
        note = _sentence(REGIME_BASIS[claim.regime])
    return ClaimRow(
        number=claim.invoice_number,
        invoice_date=claim.invoice_date,
        due_date=claim.due_date,
        principal=claim.principal,
        interest=claim.interest,
        interest_lines=lines,
        interest_note=note,
        indemnity=claim.indemnity,
        paid=claim.paid,
        balance=claim.balance,
    )


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] + "."


def debt_basis(statement: Statement, creditor_name: str, mandate_basis: str) -> list[str]:
    """The basis of the debt (REQ-A3 3°, REQ-E1): the invoices, then each accessory's text."""
    basis = [
        f"Factures émises par {creditor_name} et demeurées impayées à leur échéance"
        + (f" ({mandate_basis.rstrip('.')})" if mandate_basis else "")
        + "."
    ]
    regimes = {c.regime for c in statement.due_claims} - {InterestRegime.NONE}
    basis.extend(_sentence(REGIME_BASIS[r]) for r in sorted(regimes))
    if statement.indemnity:
        basis.append(
            "Indemnité forfaitaire pour frais de recouvrement de 40 € par facture payée en retard "
            "(art. L441-10 II et D441-5 C. com.)."
        )
    return basis


def wording_values(
    *,
    debtor_name: str,
    creditor_name: str,
    agency_name: str,
    case_reference: str,
    total_due: str,
    deadline: str,
    letter_date: str,
    first_letter: FirstLetter | None,
    first_letter_date: str,
) -> dict[str, str]:
    """The only values agency wording can use: strings, never model instances."""
    return {
        "debtor_name": debtor_name,
        "creditor_name": creditor_name,
        "agency_name": agency_name,
        "case_reference": case_reference,
        "total_due": total_due,
        "deadline": deadline,
        "letter_date": letter_date,
        "first_letter_reference": first_letter.reference if first_letter else "",
        "first_letter_date": first_letter_date,
    }


def letter_context(
    *,
    kind: str,
    agency: Any,
    creditor: Any,
    reference: str,
    letter_date: date,
    channel: str,
    wording: str,
    preview: bool = False,
    case: Any = None,
    debtor: Any = None,
    statement: Statement | None = None,
    first_letter: FirstLetter | None = None,
    deadline: date | None = None,
    deadline_days: int | None = None,
    deadline_from_acknowledgement: bool = False,
    receipt: Receipt | None = None,
    plan: Plan | None = None,
    remittance: Remittance | None = None,
) -> dict[str, Any]:
    """Everything the fixed templates read; ``wording`` is the agency's text, already rendered."""
    to_creditor = kind == LetterKind.REMITTANCE_STATEMENT
    recipient = creditor if to_creditor else debtor
    return {
        "kind": kind,
        "subject": SUBJECTS[LetterKind(kind)],
        "preview": preview,
        "reference": reference,
        "letter_date": letter_date,
        "channel": channel,
        "registered": channel in (Channel.REGISTERED_LETTER, Channel.ELECTRONIC_REGISTERED_LETTER),
        "agency": agency,
        "creditor": creditor,
        "debtor": debtor,
        "case": case,
        "recipient_name": recipient.legal_name if to_creditor else recipient.display_name,
        "recipient_lines": recipient.address_lines,
        "statement": statement,
        "rows": claim_rows(statement) if statement else [],
        "pending_rows": pending_rows(statement) if statement else [],
        "basis": debt_basis(statement, creditor.legal_name, creditor.mandate_sums_basis)
        if statement
        else [],
        "first_letter": first_letter,
        "deadline": deadline,
        "deadline_days": deadline_days,
        "deadline_from_acknowledgement": deadline_from_acknowledgement,
        "litigation_allowed": creditor.mandate_allows_litigation,
        "wording": wording,
        "l111_8": L111_8,
        "receipt": receipt,
        "plan": plan,
        "remittance": remittance,
    }
