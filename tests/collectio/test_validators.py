"""Identifier validators (python-stdnum, schwifty), alone and as model field errors."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from cases.models import Creditor
from collectio.models import Agency
from collectio.validators import (
    validate_french_postcode,
    validate_iban,
    validate_siren,
    validate_siret,
    validate_vat_number,
)
from debtors.models import Debtor

CASES = [
    # (validator, good values, bad values)
    (
        validate_siren,
        ["732829320", "552100554"],
        ["732829321", "73282932", "7328293200", "73282932A", ""],
    ),
    (
        validate_siret,
        # La Poste's establishments follow their own checksum rule instead of Luhn.
        ["73282932000074", "35600000049837"],
        ["73282932000075", "7328293200007", "732829320"],
    ),
    (
        validate_vat_number,
        ["FR44732829320", "DE136695976", "BE0403170701"],
        ["FR45732829320", "DE136695977", "XX123456789", "732829320"],
    ),
    (
        validate_iban,
        ["FR7630006000011234567890189", "DE89370400440532013000", "GB82WEST12345698765432"],
        ["FR7630006000011234567890188", "FR76300060000112345678901", "NOTANIBAN"],
    ),
    (
        validate_french_postcode,
        # Paris, Ain, Val-d'Oise, Ajaccio and Bastia (Corsica: 20xxx), the five overseas
        # departments and Saint-Pierre-et-Miquelon, Saint-Barthélemy (971), TAAF, Wallis,
        # Polynésie, Nouvelle-Calédonie.
        [
            "75002",
            "01000",
            "95000",
            "20000",
            "20200",
            "97100",
            "97200",
            "97300",
            "97400",
            "97500",
            "97600",
            "97133",
            "98404",
            "98600",
            "98714",
            "98800",
        ],
        # Too short or long, department 00 or 96, no 977/978 (they use 971), Monaco (980),
        # 985 and 989, "2A" is a department code not a postcode, spaces, empty.
        [
            "7500",
            "750021",
            "00100",
            "96000",
            "97700",
            "97800",
            "98000",
            "98500",
            "98900",
            "99000",
            "2A000",
            "75 002",
            "ABCDE",
            "",
        ],
    ),
]


@pytest.mark.parametrize(
    ("validator", "value"),
    [(v, good) for v, goods, _ in CASES for good in goods],
    ids=lambda x: getattr(x, "__name__", x),
)
def test_accepts_valid_identifier(validator, value):
    validator(value)


@pytest.mark.parametrize(
    ("validator", "value"),
    [(v, bad) for v, _, bads in CASES for bad in bads],
    ids=lambda x: getattr(x, "__name__", x),
)
def test_rejects_invalid_identifier(validator, value):
    with pytest.raises(ValidationError) as caught:
        validator(value)
    assert value in caught.value.messages[0]


def _field_errors(instance) -> dict[str, list[str]]:
    """full_clean() runs the unique checks too, so call it inside the agency scope."""
    with pytest.raises(ValidationError) as caught:
        instance.full_clean()
    return caught.value.message_dict


def test_creditor_reports_each_bad_identifier_on_its_field(alpha_scope):
    world = alpha_scope
    creditor = Creditor(
        agency=world.agency,
        legal_name="Erreurs SARL",
        siren="732829321",
        siret="73282932000075",
        vat_number="FR45732829320",
        iban="FR7630006000011234567890188",
        address_line1="1 rue de la Paix",
        postcode="75002",
        city="Paris",
    )
    errors = _field_errors(creditor)
    for name, value in [
        ("siren", "732829321"),
        ("siret", "73282932000075"),
        ("vat_number", "FR45732829320"),
        ("iban", "FR7630006000011234567890188"),
    ]:
        assert any(value in message for message in errors[name]), name
    assert "legal_name" not in errors


def test_creditor_with_valid_identifiers_is_clean(alpha_scope):
    world = alpha_scope
    Creditor(
        agency=world.agency,
        legal_name="Correcte SARL",
        siren="732829320",
        siret="73282932000074",
        vat_number="FR44732829320",
        iban="FR7630006000011234567890189",
        address_line1="1 rue de la Paix",
        postcode="75002",
        city="Paris",
    ).full_clean()


def test_agency_and_debtor_report_bad_identifiers(alpha_scope):
    world = alpha_scope
    agency = Agency(
        legal_name="Mauvaise Agence",
        slug="mauvaise",
        siren="123456789",
        collection_iban="FR0000000000000000000000000",
        address_line1="1 rue de la Paix",
        postcode="75002",
        city="Paris",
        rc_policy_expires_on=date(2099, 1, 1),
    )
    assert {"siren", "collection_iban"} <= set(_field_errors(agency))
    debtor = Debtor(
        agency=world.agency,
        kind=Debtor.Kind.COMPANY,
        name="Débiteur SA",
        siren="732829321",
        address_line1="1 rue de la Paix",
        postcode="75002",
        city="Paris",
    )
    assert set(_field_errors(debtor)) == {"siren"}


def test_a_french_address_needs_a_french_postcode_a_foreign_one_does_not(alpha_scope):
    world = alpha_scope
    debtor = Debtor(
        agency=world.agency,
        kind=Debtor.Kind.PERSON,
        name="Durand",
        first_name="Léa",
        address_line1="1 rue de la Paix",
        postcode="7502",
        city="Paris",
    )
    assert set(_field_errors(debtor)) == {"postcode"}
    debtor.country, debtor.postcode, debtor.city = "BE", "1000", "Bruxelles"
    debtor.full_clean()
