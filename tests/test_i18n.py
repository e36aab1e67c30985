"""French first: pages render in French by default; English is available."""

import pytest
from django.urls import reverse
from django.utils import translation

from cases.models import CaseState


@pytest.mark.parametrize(("language", "expected"), [("fr", "Mot de passe"), ("en", "Password")])
def test_login_page_in_both_languages(client, settings, language, expected):
    settings.LANGUAGE_CODE = "fr"
    response = client.get(reverse("login"), headers={"accept-language": language})
    assert expected in response.content.decode()


def test_french_is_the_default_and_states_are_translated(client, settings):
    settings.LANGUAGE_CODE = "fr"
    assert "Mot de passe" in client.get(reverse("login")).content.decode()
    with translation.override("fr"):
        assert str(CaseState.PHONE_FOLLOWUP.label) == "Relance téléphonique"
        assert str(CaseState.FORMAL_NOTICE.label) == "Mise en demeure"
