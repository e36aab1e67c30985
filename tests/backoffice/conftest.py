"""The back-office's tests: Alpha's admin logged in, French answers when asked for."""

from __future__ import annotations

import pytest
from django.test import Client


@pytest.fixture
def admin_client(world) -> Client:
    client = Client()
    client.force_login(world.admin)
    return client


@pytest.fixture
def french_client(world) -> Client:
    """The admin, reading the pages in French (their language)."""
    client = Client(headers={"accept-language": "fr"})
    client.force_login(world.admin)
    return client
