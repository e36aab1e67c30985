"""Every document is PDF/A-3b (issue 8, item 4): each letter kind, the print batch, the dossier.

No full PDF/A validator can be installed here: veraPDF is Java, and neither PyPI, npm nor Debian
ships it runnable offline (the PyPI wrappers download it at run time). So the checks are the
structure a validator looks at first, read with pikepdf (qpdf): qpdf's syntax check, the XMP
with its PDF/A identification and creation date, the document information matching it, an
output intent with an ICC profile, a file identifier, and every font embedded.
"""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta

import pikepdf
import pytest
import time_machine
from django.utils import timezone

from cases.models import Case, CaseState
from notices import dossier, services
from notices.models import Channel, LetterKind
from notices.rendering import render_letter
from notices.samples import sample_context
from tests.notices.conftest import b1_case


def _fonts(resources: pikepdf.Dictionary) -> list[pikepdf.Dictionary]:
    """The fonts a page (or a form XObject it draws) uses, descendant CID fonts included."""
    found = []
    for font in (resources.get("/Font") or {}).values():
        found.extend(font.get("/DescendantFonts") or [font])
    for xobject in (resources.get("/XObject") or {}).values():
        if xobject.get("/Subtype") == "/Form" and "/Resources" in xobject:
            found.extend(_fonts(xobject.Resources))
    return found


def pdfa_problems(content: bytes) -> list[str]:
    """Why ``content`` is not the PDF/A-3b it must be (empty: no problem found)."""
    problems = []
    with pikepdf.open(io.BytesIO(content)) as pdf:
        problems += [f"qpdf: {p}" for p in pdf.check_pdf_syntax()]
        if "/Metadata" not in pdf.Root:
            return [*problems, "no XMP metadata"]
        if not pdf.Root.Metadata.read_bytes().startswith(b"<?xpacket begin="):
            problems.append("XMP without its packet wrapper")
        xmp = pdf.open_metadata()
        if (xmp.get("pdfaid:part"), xmp.get("pdfaid:conformance")) != ("3", "B"):
            problems.append(f"PDF/A identification {xmp.get('pdfaid:part')}")
        if not xmp.get("xmp:CreateDate"):
            problems.append("no xmp:CreateDate")
        elif "/CreationDate" not in pdf.docinfo:
            problems.append("no /CreationDate in the document information")
        intents = pdf.Root.get("/OutputIntents") or []
        if not intents:
            problems.append("no output intent")
        for intent in intents:
            profile = intent.get("/DestOutputProfile")
            if intent.get("/S") != "/GTS_PDFA1" or profile is None:
                problems.append("output intent without a PDF/A ICC profile")
            elif profile.read_bytes()[36:40] != b"acsp" or profile.get("/N") != 3:
                problems.append("output intent profile is not an RGB ICC profile")
        identifier = pdf.trailer.get("/ID")
        if identifier is None or len(identifier) != 2:
            problems.append("no /ID")
        for number, page in enumerate(pdf.pages, start=1):
            for font in _fonts(page.Resources):
                descriptor = font.get("/FontDescriptor")
                if descriptor is None or not any(
                    k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")
                ):
                    problems.append(f"page {number}: font {font.get('/BaseFont')} not embedded")
    return problems


def xmp_created(content: bytes) -> datetime:
    with pikepdf.open(io.BytesIO(content)) as pdf:
        return datetime.fromisoformat(pdf.open_metadata()["xmp:CreateDate"])


def test_the_structure_check_sees_what_a_plain_pdf_lacks():
    """The check can fail: a plain (non-PDF/A) WeasyPrint PDF has neither XMP nor intent."""
    from weasyprint import HTML

    assert pdfa_problems(HTML(string="<p>Lettre</p>").write_pdf()) == ["no XMP metadata"]


@pytest.mark.parametrize("kind", list(LetterKind))
def test_every_letter_kind_is_pdfa_and_dated(kind):
    before = timezone.now().replace(microsecond=0)
    pdf = render_letter(kind, sample_context(kind)).content
    assert pdfa_problems(pdf) == []
    assert before <= xmp_created(pdf) <= timezone.now() + timedelta(seconds=1)


@pytest.fixture
def sent_letters(scoped):
    """A first reminder posted in one print batch, then the formal notice in the next."""
    case = b1_case(scoped.creditor)
    letters, batches = [], []
    with time_machine.travel(datetime(2025, 6, 2, 10, tzinfo=timezone.get_current_timezone())):
        for kind, channel in (
            (LetterKind.FIRST_REMINDER, Channel.LETTER),
            (LetterKind.FORMAL_NOTICE, Channel.REGISTERED_LETTER),  # once the first one left
        ):
            notice = services.notice_create(case=case, kind=kind, channel=channel, actor=None)
            letters.append(services.notice_render(notice=notice))
            batches.append(services.print_batch_run(agency_id=case.agency_id))
    return case, letters, batches


def test_the_print_batch_is_pdfa(sent_letters):
    _case, letters, batches = sent_letters
    for batch in batches:
        content = batch.pdf.read()
        assert pdfa_problems(content) == []
        assert xmp_created(content).date() == date(2025, 6, 2)
    for letter in letters:
        assert pdfa_problems(letter.pdf.read()) == []


def test_the_judicial_dossier_is_pdfa(sent_letters, scoped):
    case, _letters, _batches = sent_letters
    Case.objects.filter(pk=case.pk).update(state=CaseState.JUDICIAL)
    with time_machine.travel(datetime(2025, 6, 20, 9, tzinfo=timezone.get_current_timezone())):
        built = dossier.dossier_build(case=case, actor=scoped.agent)
    content = built.pdf.read()
    assert pdfa_problems(content) == []
    assert xmp_created(content).date() == date(2025, 6, 20)
    with pikepdf.open(io.BytesIO(content)) as pdf:
        assert len(pdf.pages) == built.page_count
