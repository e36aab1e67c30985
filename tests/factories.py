"""Builders for test data: valid identifiers, agencies, creditors, debtors and cases."""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from decimal import Decimal

from django_scopes import scopes_disabled
from schwifty import IBAN
from stdnum import luhn

from cases import services
from cases.models import Case, Creditor
from collectio.models import Agency, Membership, User
from collectio.submissions import FIELD as FORM_TOKEN
from collectio.submissions import new_form_token
from debtors.models import Debtor

_serial = itertools.count(100_000)


def siren() -> str:
    """A fresh SIREN with a valid Luhn key."""
    body = f"{next(_serial):08d}"
    return body + luhn.calc_check_digit(body)


def iban() -> str:
    return str(IBAN.generate("FR", bank_code="30006", account_code=f"{next(_serial):011d}"))


def new_agency(name: str = "Alpha Recouvrement", **fields: object) -> Agency:
    defaults = dict(
        legal_name=name,
        slug=f"{name.lower().split()[0]}-{next(_serial)}",
        siren=siren(),
        address_line1="12 rue de la Paix",
        postcode="75002",
        city="Paris",
        rc_insurer="Hiscox",
        rc_policy_number="RCP-2026-001",
        rc_policy_expires_on=date(2099, 12, 31),
        collection_iban=iban(),
        prosecutor_declaration_on=date(2024, 1, 15),
        dpo_contact="dpo@example.fr",
    )
    defaults.update(fields)
    return Agency.objects.create(**defaults)


@scopes_disabled()
def new_creditor(
    agency: Agency, name: str = "Boulangerie Martin SAS", **fields: object
) -> Creditor:
    defaults = dict(
        agency=agency,
        legal_name=name,
        siren=siren(),
        address_line1="3 place Bellecour",
        postcode="69002",
        city="Lyon",
        iban=iban(),
        mandate_reference=f"MAND-{next(_serial)}",
        mandate_signed_on=date(2025, 1, 10),
        mandate_sums_basis="Factures impayées transmises par le créancier",
        mandate_insurance_terms="RC Pro Hiscox n° RCP-2026-001",
        mandate_fee_terms="15 % des sommes encaissées",
        mandate_remittance_terms="Reversement sous 30 jours",
        mandate_allows_litigation=True,
    )
    defaults.update(fields)
    return Creditor.objects.create(**defaults)


@scopes_disabled()
def new_debtor(agency: Agency, **fields: object) -> Debtor:
    defaults = dict(
        agency=agency,
        kind=Debtor.Kind.COMPANY,
        name="Garage Dupont SARL",
        siren=siren(),
        address_line1="8 avenue Jean Jaurès",
        postcode="44000",
        city="Nantes",
    )
    defaults.update(fields)
    return Debtor.objects.create(**defaults)


@scopes_disabled()
def new_user(agency: Agency, role: str, creditor: Creditor | None = None, **fields: object) -> User:
    email = fields.pop("email", f"{role}-{next(_serial)}@example.fr")
    person = User.objects.create_user(email=email, password="secret-pass-123", **fields)
    Membership.objects.create(user=person, agency=agency, role=role, creditor=creditor)
    return person


@scopes_disabled()
def new_case(
    creditor: Creditor,
    debtor: Debtor | None = None,
    *,
    principal: Decimal = Decimal("1200.00"),
    state: str | None = None,
    invoiced_on: date | None = None,
    **fields: object,
) -> Case:
    """A case with one claim, optionally forced into a state (as a row loaded from the database).

    The invoice is dated ``invoiced_on`` (default: 90 days ago) and was due 30 days later.
    """
    invoiced_on = invoiced_on or date.today() - timedelta(days=90)
    opened = services.case_open(
        agency=creditor.agency,
        creditor=creditor,
        debtor=debtor or new_debtor(creditor.agency),
        claims=[
            services.ClaimInput(
                invoice_number=f"F-{next(_serial)}",
                invoice_date=invoiced_on,
                due_date=invoiced_on + timedelta(days=30),
                principal=principal,
                debt_kind="b2b",
            )
        ],
        actor=None,
    )
    if state or fields:
        updates = dict(fields)
        if state:
            updates["state"] = state
        Case.objects.filter(pk=opened.pk).update(**updates)
    return Case.objects.select_related("creditor").get(pk=opened.pk)


def once() -> dict[str, str]:
    """The one-time token a rendered form carries (collectio.submissions), for a POST."""
    return {FORM_TOKEN: new_form_token()}
