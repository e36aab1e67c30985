"""Two agencies everywhere: Alpha, under test, and Bravo, whose user Charlie must see nothing."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.utils import translation
from django_scopes import scopes_disabled

from cases.models import Creditor
from collectio.models import Agency, Role, User
from collectio.scoping import tenant_scope
from dunning.models import ReferenceRate
from dunning.reference_rates import load_shipped
from tests import factories


@dataclass
class World:
    agency: Agency
    other_agency: Agency
    creditor: Creditor
    other_creditor: Creditor  # same agency, another client company
    admin: User
    agent: User
    creditor_user: User
    other_creditor_user: User
    charlie: User  # admin of the other agency


@pytest.fixture(autouse=True)
def _test_settings(settings):
    """Real hashing costs a third of a second per user; tests need users, not slow hashes.
    Pages are rendered without ``collectstatic``'s manifest, which only production builds."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def _english_messages(settings):
    """Assertions read the source (English) messages; tests/test_i18n.py checks the French UI."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def world(db) -> World:
    if not ReferenceRate.objects.exists():  # a transactional test flushed the data migration
        load_shipped(ReferenceRate)
    with scopes_disabled():
        alpha = factories.new_agency("Alpha Recouvrement")
        bravo = factories.new_agency("Bravo Contentieux")
        creditor = factories.new_creditor(alpha, "Boulangerie Martin SAS")
        other_creditor = factories.new_creditor(alpha, "Menuiserie Leroy")
        return World(
            agency=alpha,
            other_agency=bravo,
            creditor=creditor,
            other_creditor=other_creditor,
            admin=factories.new_user(alpha, Role.ADMIN, is_staff=True, email="admin@alpha.fr"),
            agent=factories.new_user(alpha, Role.AGENT, email="agent@alpha.fr"),
            creditor_user=factories.new_user(
                alpha, Role.CREDITOR_USER, creditor=creditor, email="client@martin.fr"
            ),
            other_creditor_user=factories.new_user(
                alpha, Role.CREDITOR_USER, creditor=other_creditor, email="client@leroy.fr"
            ),
            charlie=factories.new_user(bravo, Role.ADMIN, is_staff=True, email="charlie@bravo.fr"),
        )


@pytest.fixture
def alpha_scope(world: World):
    with tenant_scope(world.agency.pk):
        yield world
