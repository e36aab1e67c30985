"""Creditors and their convention (R124-3): created and edited in sections, each bad input
refused with its French message and nothing written; every change is in the audit."""

from __future__ import annotations

from datetime import date, timedelta
from html import unescape

import pytest
from django.urls import reverse
from django_scopes import scopes_disabled

from cases.models import Creditor
from collectio.models import ConfigChange
from tests import factories


def _data(**changes: object) -> dict[str, object]:
    data = {
        "legal_name": "Garage Central SAS", "siren": factories.siren(), "siret": "",
        "vat_number": "", "address_line1": "4 rue Neuve", "postcode": "33000",
        "city": "Bordeaux", "country": "FR", "iban": factories.iban(), "contact_name": "",
        "contact_email": "compta@garage-central.fr", "contact_phone": "",
        "commission_rate": "12.5", "mandate_reference": "MAND-42",
        "mandate_signed_on": "2026-01-15", "mandate_sums_basis": "Factures impayées",
        "mandate_insurance_terms": "RC Pro Hiscox", "mandate_fee_terms": "12,5 % HT",
        "mandate_remittance_terms": "Sous un mois", "mandate_allows_receiving_funds": "on",
        "mandate_allows_payment_plans": "on",
        "plan_max_months": "6", "settlement_min_percent": "80",
    }  # fmt: skip
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def _page(response) -> str:
    return unescape(response.content.decode())


def _counts(world) -> tuple[int, int]:
    with scopes_disabled():
        return Creditor.objects.count(), ConfigChange.objects.count()


def test_create_a_creditor_with_its_convention(world, admin_client):
    response = admin_client.post(reverse("backoffice:creditor_create"), _data())
    with scopes_disabled():
        creditor = Creditor.objects.get(legal_name="Garage Central SAS")
        change = ConfigChange.objects.get(target_id=creditor.pk)
    assert response.status_code == 302
    assert creditor.agency == world.agency
    assert creditor.has_valid_mandate
    assert creditor.plan_max_months == 6 and creditor.mandate_allows_payment_plans
    assert change.actor == world.admin and change.summary == "Creditor created"
    assert {"field": "commission rate (%)", "old": "", "new": "12.5"} in change.changes


SIREN_TAKEN = object()


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"siren": "123456789"}, "siren", "123456789 n'est pas un numéro SIREN valide."),
        ({"siret": "12345678901234"}, "siret", "12345678901234 n'est pas un numéro SIRET valide."),
        ({"vat_number": "FR00123"}, "vat_number", "TVA intracommunautaire valide"),
        ({"iban": "FR7630006000011234567890100"}, "iban", "n'est pas un IBAN valide."),
        ({"commission_rate": "120"}, "commission_rate", "inférieure ou égale à 100"),
        ({"postcode": "7500"}, "postcode", "code postal"),
        ({"legal_name": ""}, "legal_name", "Ce champ est obligatoire."),
        ({"plan_max_months": "0"}, "plan_max_months", "supérieure ou égale à 1"),
        ({"settlement_min_percent": "0"}, "settlement_min_percent", "supérieure ou égale à 1"),
        ({"mandate_signed_on": "2099-01-01"}, "mandate_signed_on", "signé dans le futur"),
        ({"mandate_signed_on": "31/02/2026"}, "mandate_signed_on", "Saisissez une date valide."),
        ({"siren": SIREN_TAKEN}, "siren", "Votre agence a déjà un créancier avec ce SIREN."),
    ],
)  # fmt: skip
def test_bad_input_is_refused_in_french_and_nothing_is_written(
    world, french_client, changes, field, message
):
    if changes.get("siren") is SIREN_TAKEN:
        changes = {"siren": world.creditor.siren}
    before = _counts(world)
    response = french_client.post(reverse("backoffice:creditor_create"), _data(**changes))
    page = _page(response)
    assert response.status_code == 400
    assert message in page
    assert f'name="{field}"' in page and "is-invalid" in page
    assert "Rien n'a été enregistré" in page
    assert 'value="Garage Central SAS"' in page or field == "legal_name"  # the input is kept
    assert _counts(world) == before


def test_a_siren_of_another_agency_is_not_a_duplicate(world, admin_client):
    with scopes_disabled():
        bravo = factories.new_creditor(world.other_agency, "Bravo Client")
    response = admin_client.post(reverse("backoffice:creditor_create"), _data(siren=bravo.siren))
    assert response.status_code == 302


def test_edit_the_convention_records_each_field_changed(world, admin_client):
    url = reverse("backoffice:creditor_edit", args=[world.creditor.pk])
    with scopes_disabled():
        creditor = Creditor.objects.get(pk=world.creditor.pk)
    data = _data(
        legal_name=creditor.legal_name, siren=creditor.siren, iban=creditor.iban,
        mandate_reference="MAND-NEW", mandate_signed_on="2026-02-01",
        mandate_allows_litigation="on", handoff_requires_approval="on",
    )  # fmt: skip
    response = admin_client.post(url, data)
    assert response.status_code == 302
    with scopes_disabled():
        change = ConfigChange.objects.get(target_id=creditor.pk)
        assert Creditor.objects.get(pk=creditor.pk).mandate_reference == "MAND-NEW"
    assert change.summary == "Convention changed"
    fields = {c["field"]: (c["old"], c["new"]) for c in change.changes}
    assert fields["mandate reference"][1] == "MAND-NEW"
    assert fields["mandate signed on"] == ("2025-01-10", "2026-02-01")


def test_an_incomplete_convention_shows_what_it_blocks(world, french_client):
    with scopes_disabled():
        creditor = factories.new_creditor(world.agency, "Sans Mandat SARL", mandate_fee_terms="")
    page = _page(french_client.get(reverse("backoffice:creditor_edit", args=[creditor.pk])))
    assert 'data-mandate-status="invalid"' in page
    assert "aucun courrier ne part" in page
    assert "Conditions de détermination de la rémunération" in page  # the clause missing
    listing = _page(french_client.get(reverse("backoffice:creditors")))
    assert "data-mandate-invalid" in listing


def test_the_creditor_page_lists_its_users(world, admin_client):
    page = _page(admin_client.get(reverse("backoffice:creditor_edit", args=[world.creditor.pk])))
    users = page[page.index('id="creditor-users"') :]
    assert world.creditor_user.email in users
    assert world.other_creditor_user.email not in users


def test_the_signature_date_may_be_today(world, admin_client):
    today = date.today().isoformat()
    response = admin_client.post(
        reverse("backoffice:creditor_create"), _data(mandate_signed_on=today)
    )
    assert response.status_code == 302
    assert (date.today() + timedelta(days=1)).isoformat() != today


def test_without_the_authority_to_receive_funds_the_convention_blocks_letters(world, french_client):
    """R124-3: no step before a convention gives the power to receive funds for the creditor."""
    response = french_client.post(
        reverse("backoffice:creditor_create"), _data(mandate_allows_receiving_funds=None)
    )
    with scopes_disabled():
        creditor = Creditor.objects.get(legal_name="Garage Central SAS")
    assert not creditor.has_valid_mandate
    page = _page(french_client.get(response["Location"]))
    assert 'data-mandate-status="invalid"' in page
    assert "pouvoir de recevoir les fonds pour le créancier" in page
