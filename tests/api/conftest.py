"""API keys of both agencies and both creditors, and a client that sends one."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django_scopes import scopes_disabled
from rest_framework.test import APIClient

from api.models import ApiKey
from tests.conftest import World


@dataclass
class Keys:
    agency: str  # Alpha, whole agency
    creditor: str  # Alpha, world.creditor only
    other_creditor: str  # Alpha, world.other_creditor only
    other_agency: str  # Bravo, whole agency


def new_key(agency, creditor=None, name: str = "ERP") -> str:
    with scopes_disabled():
        key, raw = ApiKey.new(agency=agency, creditor=creditor, name=name)
        key.save()
    return raw


@pytest.fixture(autouse=True)
def _api_settings(settings):
    settings.API_RATE_LIMIT = 10_000
    settings.API_WEBHOOKS_ALLOW_PRIVATE = True


@pytest.fixture
def keys(world: World) -> Keys:
    return Keys(
        agency=new_key(world.agency, name="Alpha ERP"),
        creditor=new_key(world.agency, world.creditor, name="Martin ERP"),
        other_creditor=new_key(world.agency, world.other_creditor, name="Leroy ERP"),
        other_agency=new_key(world.other_agency, name="Bravo ERP"),
    )


def client_for(raw: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw}")
    return client


@pytest.fixture
def api(keys: Keys) -> APIClient:
    """Alpha's agency key."""
    return client_for(keys.agency)
