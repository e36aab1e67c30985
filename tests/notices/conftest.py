"""Letters are tested on real PDFs: rendered by WeasyPrint, read back with pypdf."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from datetime import date, datetime, time
from decimal import Decimal

import pytest
from django.utils import timezone
from pypdf import PdfReader

from cases import services as case_services
from cases.models import Case
from collectio.celery import app
from collectio.scoping import tenant_scope
from notices.models import Channel, LetterKind, Notice
from tests import factories

FILE_BACKENDS = {
    "NOTICES_POST_BACKEND": "notices.channels.post.FilePostBackend",
    "NOTICES_EMAIL_BACKEND": "notices.channels.email.FileEmailBackend",
    "NOTICES_SMS_BACKEND": "notices.channels.sms.FileSmsBackend",
    "NOTICES_LRE_BACKEND": "notices.channels.lre.FileLreBackend",
}


def pdf_text(content: bytes) -> str:
    """The PDF's text with every kind of space folded to one, so assertions read naturally."""
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)
    return re.sub(r"\s+", " ", text.replace("\u00a0", " ").replace("\u202f", " "))


def notice_text(notice: Notice) -> str:
    with notice.pdf.open("rb") as pdf:
        return pdf_text(pdf.read())


@pytest.fixture(autouse=True)
def _letters_sandbox(settings, tmp_path):
    """Stored PDFs and channel outboxes go to a temporary folder; channels use file backends."""
    settings.MEDIA_ROOT = tmp_path
    for name, backend in FILE_BACKENDS.items():
        setattr(settings, name, backend)


@pytest.fixture
def eager_tasks() -> Iterator[None]:
    """Run Celery tasks in-process when enqueued (on commit), as a worker would."""
    app.conf.task_always_eager = True
    try:
        yield
    finally:
        app.conf.task_always_eager = False


@pytest.fixture
def scoped(world):
    with tenant_scope(world.agency.pk):
        yield world


def b1_case(creditor, debtor=None, **claim: object) -> Case:
    """legal-fr.md REQ-B3 B1: €1,200.00 incl. VAT due 2025-03-01, between professionals."""
    values = dict(
        invoice_number="FA-2025-0042",
        invoice_date=date(2025, 1, 30),
        due_date=date(2025, 3, 1),
        principal=Decimal("1200.00"),
        debt_kind="b2b",
    )
    values.update(claim)
    return case_services.case_open(
        agency=creditor.agency,
        creditor=creditor,
        debtor=debtor or factories.new_debtor(creditor.agency),
        claims=[case_services.ClaimInput(**values)],
        actor=None,
    )


def sent_first_letter(case: Case, on: date) -> Notice:
    """A first letter already sent on ``on`` (as the print batch would leave it)."""
    at = timezone.make_aware(datetime.combine(on, time(17)))
    return Notice.objects.create(
        agency_id=case.agency_id,
        creditor=case.creditor,
        case=case,
        kind=LetterKind.FIRST_REMINDER,
        channel=Channel.LETTER,
        reference=f"L-{on.year}-9{case.pk:05d}",
        statement_on=on,
        status=Notice.Status.SENT,
        body="(lettre de test)",
        rendered_at=at,
        sent_at=at,
    )
