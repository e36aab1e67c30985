"""Letter templates: the agency's wording, linted as it is typed (French messages in place),
previewed as a real WeasyPrint PDF on a sample case under the agency's letterhead with the
watermark, and versioned: saving again is a new version of the one active template."""

from __future__ import annotations

import base64
from html import unescape

import pytest
from django.urls import reverse
from django_scopes import scopes_disabled

from collectio.models import ConfigChange
from notices.linter import default_wording
from notices.models import LetterKind, LetterTemplate, LetterTemplateVersion
from notices.rendering import pdf_text

WORDING = (
    "Madame, Monsieur,\n\nNous vous rappelons que la somme de {{ total_due }} reste due à "
    "{{ creditor_name }}. Merci de régulariser avant le {{ deadline }}.\n\nLe service client."
)


def _url(name: str, kind: str = "first_reminder") -> str:
    return reverse(f"backoffice:{name}", args=[kind])


def _versions(world) -> list[tuple[int, str, object]]:
    with scopes_disabled():
        return list(
            LetterTemplateVersion.objects.filter(agency=world.agency)
            .order_by("number")
            .values_list("number", "body", "created_by")
        )


def test_saving_makes_a_new_version_of_the_one_active_template(world, admin_client):
    assert (
        admin_client.post(_url("template_edit"), {"body": WORDING, "note": "Ton"}).status_code
        == 302
    )
    second = WORDING.replace("Le service client.", "Cordialement.")
    assert admin_client.post(_url("template_edit"), {"body": second}).status_code == 302
    with scopes_disabled():
        (template,) = LetterTemplate.objects.filter(agency=world.agency, kind="first_reminder")
        changes = list(ConfigChange.objects.filter(target=ConfigChange.Target.LETTER_TEMPLATE))
    assert template.body == second
    assert _versions(world) == [(1, WORDING, world.admin.pk), (2, second, world.admin.pk)]
    assert [c.summary for c in changes] == [
        "Wording changed: version 2",
        "Wording changed: version 1",
    ]
    page = admin_client.get(_url("template_edit")).content.decode()
    assert 'data-version="2"' in page and 'data-version="1"' in page


def test_the_same_wording_again_is_no_new_version(world, admin_client):
    admin_client.post(_url("template_edit"), {"body": WORDING})
    response = admin_client.post(_url("template_edit"), {"body": WORDING}, follow=True)
    assert "The wording is unchanged" in response.content.decode()
    assert len(_versions(world)) == 1


def test_a_wording_written_before_versions_is_kept_as_the_first(world, admin_client):
    with scopes_disabled():
        LetterTemplate.objects.create(
            agency=world.agency, kind="first_reminder", body="Ancien texte."
        )
    admin_client.post(_url("template_edit"), {"body": WORDING})
    assert [(n, body) for n, body, _by in _versions(world)] == [(1, "Ancien texte."), (2, WORDING)]


def test_an_earlier_version_is_restored_as_a_new_one(world, admin_client):
    admin_client.post(_url("template_edit"), {"body": WORDING})
    admin_client.post(_url("template_edit"), {"body": "Deuxième texte."})
    with scopes_disabled():
        first = LetterTemplateVersion.objects.get(number=1)
    response = admin_client.post(reverse("backoffice:template_restore", args=[first.pk]))
    assert response["Location"] == _url("template_edit")
    assert [n for n, _b, _by in _versions(world)] == [1, 2, 3]
    with scopes_disabled():
        assert LetterTemplate.objects.get(agency=world.agency).body == WORDING


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("DERNIER AVIS AVANT SAISIE", "Formulation interdite"),
        ("Le Tribunal vous convoque.", "« Tribunal »"),
        ("Bonjour {{ password }}", "Variable inconnue {{ password }}"),
        ("{% load static %}", "La balise {% load %} n'est pas autorisée."),
        ("", "Ce champ est obligatoire."),
    ],
)
def test_forbidden_wording_is_refused_in_french_and_nothing_is_written(
    world, french_client, body, message
):
    response = french_client.post(_url("template_edit"), {"body": body})
    page = unescape(response.content.decode())
    assert response.status_code == 400
    assert message in page
    assert "is-invalid" in page
    with scopes_disabled():
        assert not LetterTemplate.objects.exists() and not ConfigChange.objects.exists()
    lint = unescape(french_client.post(_url("template_lint"), {"body": body}).content.decode())
    assert message in lint and 'data-lint="errors"' in lint


def test_the_linter_says_when_it_finds_nothing(world, admin_client):
    lint = admin_client.post(_url("template_lint"), {"body": WORDING}).content.decode()
    assert 'data-lint="ok"' in lint


def test_the_preview_is_the_real_letter_with_the_draft_wording_and_the_watermark(
    world, admin_client
):
    response = admin_client.post(_url("template_preview"), {"body": WORDING, "pdf": "1"})
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = " ".join(pdf_text(response.content).split())
    assert "APERÇU" in text
    assert "Nous vous rappelons que la somme de" in text and "Le service client." in text
    assert "Alpha Recouvrement" in text  # the agency's own letterhead
    assert "exerce une activité de recouvrement amiable" in text  # the fixed mentions stay
    assert "Les frais de recouvrement entrepris sans titre exécutoire" in text
    with scopes_disabled():
        assert not LetterTemplate.objects.exists()  # a preview writes nothing


def test_the_editor_shows_the_preview_pages_as_pictures(world, admin_client):
    response = admin_client.post(
        _url("template_preview", "formal_notice"), {"body": default_wording("formal_notice")}
    )
    page = response.content.decode()
    assert page.count("data-preview-page") >= 1
    image = page.split('src="data:image/png;base64,')[1].split('"')[0]
    assert base64.b64decode(image).startswith(b"\x89PNG")


def test_a_refused_wording_previews_nothing_and_says_why(world, french_client):
    response = french_client.post(_url("template_preview"), {"body": "Avis avant saisie"})
    page = unescape(response.content.decode())
    assert "data-preview-refused" in page and "Formulation interdite" in page


def test_every_kind_but_the_remittance_statement_has_its_editor(world, admin_client):
    for kind in LetterKind:
        status = admin_client.get(_url("template_edit", kind.value)).status_code
        assert status == (404 if kind == LetterKind.REMITTANCE_STATEMENT else 200), kind
