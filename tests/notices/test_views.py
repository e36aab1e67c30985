"""Agents preview and download letters; nobody else sees them (404, as for a missing id)."""

from __future__ import annotations

import hashlib
from datetime import date

import pytest
from django.urls import reverse

from notices.models import Channel, LetterKind, Notice
from tests.notices.conftest import b1_case, pdf_text, sent_first_letter

pytestmark = pytest.mark.time_machine(date(2026, 3, 2))


@pytest.fixture
def case(scoped):
    return b1_case(scoped.creditor)


@pytest.fixture
def rendered(case):
    from notices import services

    return services.notice_render(
        notice=services.notice_create(
            case=case, kind=LetterKind.FIRST_REMINDER, channel=Channel.LETTER, actor=None
        )
    )


def test_agent_previews_the_next_letter(client, world, case):
    client.force_login(world.agent)
    response = client.get(reverse("notices:case_preview", args=[case.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content)
    assert "APERÇU" in text and "Demande de règlement" in text
    assert not Notice.objects.exists()  # a preview stores nothing


@pytest.mark.parametrize("who", ["charlie", "creditor_user", "other_creditor_user"])
def test_preview_is_404_for_anyone_but_the_agencys_staff(client, world, case, who):
    client.force_login(getattr(world, who))
    assert client.get(reverse("notices:case_preview", args=[case.pk])).status_code == 404


def test_preview_of_a_receipt_shows_the_last_payment(client, world, case):
    from payments.models import Payment

    client.force_login(world.agent)
    url = reverse("notices:case_preview", args=[case.pk])
    assert client.get(url, {"kind": "payment_receipt"}).status_code == 404  # no payment yet
    Payment.objects.create(
        agency=case.agency,
        case=case,
        amount="250.00",
        received_on=date(2026, 2, 20),
        method=Payment.Method.CHEQUE,
    )
    text = pdf_text(client.get(url, {"kind": "payment_receipt"}).content)
    assert "la somme de 250,00 €, le 20 février 2026, par chèque." in text


def test_preview_of_an_unknown_case_or_kind_is_404(client, world, case):
    client.force_login(world.agent)
    assert client.get(reverse("notices:case_preview", args=[999_999])).status_code == 404
    url = reverse("notices:case_preview", args=[case.pk])
    assert client.get(url, {"kind": "sommation"}).status_code == 404


def test_preview_of_a_blocked_letter_says_why_in_the_page(client, world, case):
    """Issue 8 item 9: a second reminder before the first letter left is LETTER_BLOCKED
    (REQ-A6): the page says so, with a 409, never a 500."""
    client.force_login(world.agent)
    url = reverse("notices:case_preview", args=[case.pk])
    response = client.get(url, {"kind": "second_reminder"})
    assert response.status_code == 409
    assert response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    assert "This letter cannot be produced" in page and case.reference in page
    assert "The first letter has not been sent yet (R124-4)." in page
    assert not Notice.objects.exists()


def test_preview_of_a_blocked_letter_in_french(client, world, case, settings):
    settings.LANGUAGE_CODE = "fr"
    client.force_login(world.agent)
    url = reverse("notices:case_preview", args=[case.pk])
    response = client.get(url, {"kind": "formal_notice"}, headers={"accept-language": "fr"})
    page = response.content.decode()
    assert response.status_code == 409
    assert "Ce courrier ne peut pas être produit" in page
    assert "pas encore été envoyé (R124-4)." in page


def test_preview_without_the_reference_rate_says_so(client, world, case, time_machine):
    time_machine.move_to(date(2029, 9, 15))  # a semester nobody has loaded, not time-barred
    client.force_login(world.agent)
    response = client.get(reverse("notices:case_preview", args=[case.pk]))
    assert response.status_code == 409
    page = response.content.decode()
    # The first semester missing on the way, and what to do about it (dunning.selectors).
    assert "RATE_MISSING(2026-S2)" in page and "cannot be computed" in page
    assert "manage.py import_reference_rates" in page


def test_preview_of_a_letter_missing_a_mention_says_which(client, world, case, settings, tmp_path):
    """A template that hides a block: MissingMandatoryBlock, shown with its reason."""
    folder = tmp_path / "letters"
    folder.mkdir()
    (folder / "first_reminder.html").write_text(
        '{% extends "letters/first_reminder.html" %}'
        '{% block legal %}<div style="display: none">{{ block.super }}</div>{% endblock %}'
    )
    settings.TEMPLATES = [
        {**settings.TEMPLATES[0], "DIRS": [tmp_path, *settings.TEMPLATES[0]["DIRS"]]}
    ]
    client.force_login(world.agent)
    response = client.get(reverse("notices:case_preview", args=[case.pk]))
    page = response.content.decode()
    assert response.status_code == 409
    assert "The letter lacks mandatory mentions:" in page
    assert "article L111-8 CPCE, verbatim" in page and "the GDPR article 14 notice" in page


@pytest.mark.parametrize("who", ["agent", "creditor_user"])
def test_download_for_the_agency_and_the_cases_creditor(client, world, rendered, who):
    client.force_login(getattr(world, who))
    response = client.get(reverse("notices:download", args=[rendered.pk]))
    assert response.status_code == 200
    body = b"".join(response.streaming_content)
    assert hashlib.sha256(body).hexdigest() == rendered.sha256


@pytest.mark.parametrize("who", ["charlie", "other_creditor_user"])
def test_download_is_404_across_tenants_and_creditors(client, world, rendered, who):
    client.force_login(getattr(world, who))
    assert client.get(reverse("notices:download", args=[rendered.pk])).status_code == 404


def test_agent_types_the_acknowledgement_date(client, world, case):
    from notices import services

    sent_first_letter(case, date(2026, 2, 2))
    notice = services.notice_render(
        notice=services.notice_create(
            case=case,
            kind=LetterKind.SECOND_REMINDER,
            channel=Channel.REGISTERED_LETTER,
            actor=None,
        )
    )
    services.print_batch_run(agency_id=case.agency_id)
    url = reverse("notices:acknowledge", args=[notice.pk])
    client.force_login(world.charlie)
    assert client.post(url, {"received_on": "2026-03-02"}).status_code == 404
    client.force_login(world.creditor_user)
    assert client.post(url, {"received_on": "2026-03-02"}).status_code == 404
    client.force_login(world.agent)
    assert client.post(url, {"received_on": "tomorrow"}).status_code == 400
    assert client.post(url, {"received_on": "2026-03-02"}).status_code == 302
    notice.refresh_from_db()
    assert notice.acknowledged_on == date(2026, 3, 2)
