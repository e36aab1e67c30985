"""Stored documents open only through access-checked views: never a /media/ link."""

from __future__ import annotations

import hashlib
from datetime import date

import pytest
from django.contrib import admin
from django.core.files.base import ContentFile
from django.db import models
from django.urls import reverse

from collectio.admin_site import DocumentAdmin
from collectio.models import User
from notices import services
from notices.models import Channel, JudicialDossier, LetterKind, Notice, PrintBatch
from tests.notices.conftest import b1_case

pytestmark = pytest.mark.time_machine(date(2026, 3, 2))


@pytest.fixture
def documents(scoped):
    """A letter printed in a batch, and a judicial dossier, each with its stored PDF."""
    case = b1_case(scoped.creditor)
    notice = services.notice_render(
        notice=services.notice_create(
            case=case, kind=LetterKind.FIRST_REMINDER, channel=Channel.LETTER, actor=None
        )
    )
    services.print_batch_run(agency_id=case.agency_id)
    notice.refresh_from_db()
    with notice.pdf.open("rb") as pdf:
        content = pdf.read()
    dossier = JudicialDossier(
        agency=case.agency, case=case, statement_on=date(2026, 3, 2), sha256="x", page_count=1,
        request_data={},
    )  # fmt: skip
    dossier.pdf.save("dossier.pdf", ContentFile(content), save=False)
    dossier.sha256 = hashlib.sha256(content).hexdigest()
    dossier.save()
    return {
        Notice: notice,
        PrintBatch: notice.print_batch,
        JudicialDossier: dossier,
    }


def _url(model: type[models.Model], action: str, pk: int) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{action}", args=[pk])


def test_every_admin_of_a_model_with_a_file_is_a_document_admin():
    for model, model_admin in admin.site._registry.items():
        files = [f for f in model._meta.get_fields() if isinstance(f, models.FileField)]
        if files:
            assert isinstance(model_admin, DocumentAdmin), model


@pytest.mark.parametrize("who", ["admin", "superuser"])
@pytest.mark.parametrize("model", [Notice, PrintBatch, JudicialDossier], ids=lambda m: m.__name__)
def test_admin_pages_link_the_checked_download_never_media(client, world, documents, who, model):
    user = (
        User.objects.create_superuser(email="ops@example.fr", password="x-secret-pass")
        if who == "superuser"
        else world.admin
    )
    client.force_login(user)
    row = documents[model]
    page = client.get(_url(model, "change", row.pk))
    assert page.status_code == 200
    html = page.content.decode()
    assert "/media/" not in html and row.pdf.name not in html
    assert _url(model, "document", row.pk) in html
    response = client.get(_url(model, "document", row.pk))
    assert response.status_code == 200
    body = b"".join(response.streaming_content)
    assert hashlib.sha256(body).hexdigest() == row.sha256
    assert body.startswith(b"%PDF")


@pytest.mark.parametrize("model", [Notice, PrintBatch, JudicialDossier], ids=lambda m: m.__name__)
def test_another_agencys_admin_gets_404_as_for_a_missing_document(client, world, documents, model):
    client.force_login(world.charlie)
    row = documents[model]
    for pk in (row.pk, row.pk + 10_000):
        assert client.get(_url(model, "document", pk)).status_code == 404


def test_agents_and_creditor_users_do_not_get_through_the_admin(client, world, documents):
    for user in (world.agent, world.creditor_user):
        client.force_login(user)
        response = client.get(_url(Notice, "document", documents[Notice].pk))
        assert response.status_code == 302 and "/login/" in response.url
