"""A complete letter context on unsaved, realistic sample objects: no database needed.

The linter renders every letter template on it (``manage.py check``), and
``manage.py sample_letters`` renders it to the pictures under ``docs/letters/``.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from cases.models import Case, Creditor
from collectio.models import Agency
from collectio.money import euros
from debtors.models import Debtor
from dunning.reference_rates import shipped_rate_source
from dunning.statement import ClaimTerms, PaymentTerms, Statement, compute_statement
from law.interest import InterestRegime
from notices import content
from notices.linter import default_wording, render_wording
from notices.models import Channel, LetterKind
from notices.templatetags.letters import longdate

ON = date(2026, 3, 2)


def _claim(pk: int, number: str, issued: date, due: date, principal: str) -> ClaimTerms:
    return ClaimTerms(
        claim_id=pk,
        invoice_number=number,
        invoice_date=issued,
        due_date=due,
        principal=Decimal(principal),
        regime=InterestRegime.B2B_DEFAULT,
        interest_from=due,
        contract_rate=None,
        indemnity=Decimal("40.00"),
    )


def _statement(on: date, payments: list[PaymentTerms]) -> Statement:
    return compute_statement(
        on=on,
        claims=[
            _claim(1, "F-2025-1187", date(2025, 10, 15), date(2025, 11, 14), "1200.00"),
            _claim(2, "F-2025-1243", date(2025, 11, 5), date(2025, 12, 5), "486.50"),
        ],
        payments=payments,
        rates=shipped_rate_source(),
    )


def sample_context(
    kind: str, *, preview: bool = False, wording: str | None = None, agency: Agency | None = None
) -> dict[str, Any]:
    """``wording``: the agency's draft instead of the shipped wording; ``agency``: its own
    letterhead instead of the sample's (the back-office's preview of a template)."""
    agency = agency or Agency(
        legal_name="Alpha Recouvrement SAS",
        siren="732829320",
        address_line1="12 rue de la Paix",
        postcode="75002",
        city="Paris",
        phone="01 42 60 18 18",
        email="contact@alpha-recouvrement.fr",
        dpo_contact="dpo@alpha-recouvrement.fr",
        rc_insurer="Hiscox",
        rc_policy_number="RCP-2026-001",
        collection_iban="FR7630006000011234567890189",
        collection_bic="AGRIFRPPXXX",
    )
    creditor = Creditor(
        legal_name="Boulangerie Martin SAS",
        siren="552100554",
        address_line1="3 place Bellecour",
        postcode="69002",
        city="Lyon",
        iban="FR7610107001011234567890129",
        commission_rate=Decimal("15.00"),
        mandate_sums_basis="conditions générales de vente du 1er janvier 2025",
    )
    debtor = Debtor(
        kind=Debtor.Kind.COMPANY,
        name="Garage Dupont SARL",
        siren="542065479",
        address_line1="8 avenue Jean Jaurès",
        postcode="44000",
        city="Nantes",
    )
    to_creditor = kind == LetterKind.REMITTANCE_STATEMENT  # about no single case
    case = None if to_creditor else Case(reference="C-2026-000123")
    paid_on = date(2026, 1, 20)
    payment = PaymentTerms(1, paid_on, Decimal("300.00"), "transfer")
    statement = None if to_creditor else _statement(ON, [payment])
    first = None
    if kind not in (LetterKind.FIRST_REMINDER, LetterKind.REMITTANCE_STATEMENT):
        first = content.FirstLetter("L-2026-000041", date(2026, 1, 12))
    deadline = date(2026, 3, 10)
    values = content.wording_values(
        debtor_name=debtor.display_name,
        creditor_name=creditor.legal_name,
        agency_name=agency.legal_name,
        case_reference=case.reference if case else "",
        total_due=euros(statement.balance) if statement else "",
        deadline=longdate(deadline),
        letter_date=longdate(ON),
        first_letter=first,
        first_letter_date=longdate(first.sent_on) if first else "",
    )
    return content.letter_context(
        kind=kind,
        agency=agency,
        creditor=creditor,
        debtor=None if to_creditor else debtor,
        case=case,
        reference="L-2026-000187",
        letter_date=ON,
        channel=Channel.REGISTERED_LETTER if kind == LetterKind.FORMAL_NOTICE else Channel.LETTER,
        wording=render_wording(default_wording(kind) if wording is None else wording, values),
        preview=preview,
        statement=statement,
        first_letter=first,
        deadline=deadline,
        deadline_days=8,
        receipt=content.receipt(
            amount=payment.amount,
            received_on=paid_on,
            method=payment.method,
            before=_statement(paid_on, []),
            after=_statement(paid_on, [payment]),
        ),
        plan=content.Plan(
            agreed_on=ON,
            total=Decimal("1520.00"),
            interest=agency.plan_interest,
            instalments=(
                content.Instalment(date(2026, 3, 15), Decimal("500.00")),
                content.Instalment(date(2026, 4, 15), Decimal("500.00")),
                content.Instalment(date(2026, 5, 15), Decimal("520.00")),
            ),
        ),
        remittance=content.Remittance(
            period_start=date(2026, 2, 1),
            period_end=date(2026, 2, 28),
            commission_rate=creditor.commission_rate,
            rows=(
                content.remittance_row(
                    case_reference="C-2026-000123",
                    debtor_name="Garage Dupont SARL",
                    amounts=[Decimal("300.00")],
                    rate=creditor.commission_rate,
                ),
                content.remittance_row(
                    case_reference="C-2026-000131",
                    debtor_name="Transports Leroy SA",
                    amounts=[Decimal("1250.00"), Decimal("845.20")],
                    rate=creditor.commission_rate,
                ),
            ),
        ),
    )
