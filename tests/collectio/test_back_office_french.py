"""The back-office and the error pages speak French: labels, titles, constraint and form
errors, and no 500 or blank page where a person made a mistake."""

from __future__ import annotations

import re

import pytest
from django.apps import apps
from django.db import models
from django.urls import reverse
from django.utils import translation
from django.utils.functional import Promise
from django_scopes import scopes_disabled

from cases.models import Case, CaseState
from collectio.models import Role, User
from notices.models import LetterKind, LetterTemplate
from tests import factories

FR = {"accept-language": "fr"}
PROJECT_APPS = ("collectio", "cases", "debtors", "dunning", "notices")
# Labels that French writes exactly as English does.
SAME_IN_FRENCH = {
    "SIREN", "SIRET", "BIC", "IBAN", "PDF", "SHA-256", "pages", "position", "action",
    "transition", "source", "e-mail", "principal",
    "invitation", "invitations", "document", "version",
}  # fmt: skip
# A French title with "de" before a vowel or a mute h misses its elision ("Ajout de utilisateur").
NO_ELISION = re.compile(r"\b(?:Ajout|Modification|Affichage) de [aeiouyhàâéèêëîïôûAEIOUYHÉ]")


@pytest.fixture
def french(settings):
    settings.LANGUAGE_CODE = "fr"
    with translation.override("fr"):
        yield


def _models() -> list[type[models.Model]]:
    return [m for label in PROJECT_APPS for m in apps.get_app_config(label).get_models()]


def _untranslated(label: object) -> bool:
    with translation.override("en"):
        english = str(label)
    with translation.override("fr"):
        french = str(label)
    return not isinstance(label, Promise) or (english == french and english not in SAME_IN_FRENCH)


def test_every_model_and_field_label_is_translated():
    missing = []
    for model in _models():
        for label in (model._meta.verbose_name, model._meta.verbose_name_plural):
            if _untranslated(label):
                missing.append(f"{model.__name__}: {label}")
        for field in model._meta.get_fields():
            if field.auto_created or not hasattr(field, "verbose_name"):
                continue
            if _untranslated(field.verbose_name):
                missing.append(f"{model.__name__}.{field.name}: {field.verbose_name}")
    assert missing == []


def test_every_constraint_explains_itself_in_words():
    """Django shows a constraint without a message by its name (membership_creditor_iff_…)."""
    silent = [
        constraint.name
        for model in _models()
        for constraint in model._meta.constraints
        if constraint.violation_error_message == constraint.default_violation_error_message
    ]
    assert silent == []


def _admin_url(model: type[models.Model], action: str, *args: object) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{action}", args=args)


def test_admin_titles_and_column_heads_read_well_in_french(client, world, french):
    ops = User.objects.create_superuser(email="ops@example.fr", password="x-secret-pass")
    client.force_login(ops)
    pages = {
        model: client.get(_admin_url(model, "add"), headers=FR).content.decode()
        for model in (User, apps.get_model("collectio.Agency"), apps.get_model("cases.Creditor"))
    }
    assert "Ajout : utilisateur" in pages[User]
    assert "Ajout : agence" in pages[apps.get_model("collectio.Agency")]
    for html in pages.values():
        assert not NO_ELISION.search(html)
    listing = client.get(
        _admin_url(apps.get_model("collectio.Membership"), "changelist"), headers=FR
    ).content.decode()
    for english in (">User<", ">Creditor<", ">Agency<"):
        assert english not in listing
    assert "Utilisateur" in listing and "Créancier" in listing


def test_membership_constraint_is_told_in_french_not_by_its_name(client, world, french):
    ops = User.objects.create_superuser(email="ops@example.fr", password="x-secret-pass")
    person = User.objects.create_user(email="new.agent@alpha.fr", password="x-secret-pass")
    client.force_login(ops)
    response = client.post(
        _admin_url(apps.get_model("collectio.Membership"), "add"),
        {"user": person.pk, "agency": world.agency.pk, "role": Role.CREDITOR_USER},
        headers=FR,
    )
    html = response.content.decode()
    assert "membership_creditor_iff_creditor_user" not in html
    assert "Un utilisateur créancier doit être rattaché à un créancier" in html


def test_a_second_wording_of_the_same_kind_is_a_form_error_not_a_500(client, world, french):
    client.force_login(world.admin)
    url = _admin_url(LetterTemplate, "add")
    body = {"kind": LetterKind.FIRST_REMINDER, "body": "Madame, Monsieur, merci de régler."}
    assert client.post(url, body, headers=FR).status_code == 302
    response = client.post(url, body, headers=FR)
    assert response.status_code == 200
    assert "Votre agence a déjà un texte pour ce type de courrier" in response.content.decode()
    with scopes_disabled():
        assert LetterTemplate.objects.filter(agency=world.agency).count() == 1


def test_wrong_login_says_une_adresse_e_mail(client, world, french):
    response = client.post(
        reverse("login"), {"username": world.agent.email, "password": "wrong"}, headers=FR
    )
    html = response.content.decode()
    assert "Saisissez un adresse" not in html
    assert "Adresse e-mail ou mot de passe incorrect" in html


# --- error pages (the suite runs with DEBUG=False) --------------------------------------------
def _is_french_layout_page(html: str, text: str) -> None:
    assert '<html lang="fr">' in html and "navbar-brand brand" in html  # the shared layout
    assert text in html


def test_404_403_405_in_french_in_the_layout(client, world, french):
    client.force_login(world.creditor_user)
    case = factories.new_case(world.creditor)
    missing = client.get(reverse("workspace:detail", args=[case.pk + 10_000]), headers=FR)
    assert missing.status_code == 404
    _is_french_layout_page(missing.content.decode(), "Page introuvable")
    refused = client.post(
        reverse("workspace:transition", args=[case.pk, "accept"]), factories.once(), headers=FR
    )
    assert refused.status_code == 403
    _is_french_layout_page(refused.content.decode(), "Accès refusé")
    browsing = client.get(reverse("workspace:transition", args=[case.pk, "withdraw"]), headers=FR)
    assert browsing.status_code == 405 and browsing["Allow"] == "POST"
    _is_french_layout_page(browsing.content.decode(), "Cette adresse ne se consulte pas")
    with scopes_disabled():
        assert Case.objects.get(pk=case.pk).state == CaseState.NEW


def test_500_and_400_in_french_in_the_layout(client, settings, french):
    settings.ROOT_URLCONF = "tests.collectio.error_urls"
    client.raise_request_exception = False
    crashed = client.get("/boom/", headers=FR)
    assert crashed.status_code == 500
    _is_french_layout_page(crashed.content.decode(), "Erreur du serveur")
    bad = client.get("/suspicious/", headers=FR)
    assert bad.status_code == 400
    _is_french_layout_page(bad.content.decode(), "Requête incorrecte")


def test_expired_form_is_explained_in_french(world, french):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    response = strict.post(
        reverse("login"), {"username": world.agent.email, "password": "x"}, headers=FR
    )
    assert response.status_code == 403
    _is_french_layout_page(response.content.decode(), "Formulaire expiré")
