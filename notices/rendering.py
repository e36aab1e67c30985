"""HTML to PDF with WeasyPrint, safely and fast.

* HTML-to-PDF is an SSRF vector: :class:`BundledFilesFetcher` serves only the files bundled under
  ``static/letters`` (stylesheet, fonts) and refuses every other URL, local or remote.
* One ``FontConfiguration`` per process: building it loads every system font, which costs more
  than laying out a one-page letter. It is created lazily after a worker forks.
* Formal notices are rendered as PDF/A-3b, the archival profile, since they are evidence.
* A letter is read back from its PDF before it may be stored: every mandatory mention must be
  in its text (``notices.linter.missing_mentions``), whatever its HTML said.
"""

from __future__ import annotations

import hashlib
import io
import mimetypes
import os
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pypdfium2
from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation
from pypdf import PdfReader, PdfWriter
from weasyprint import HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

from notices.linter import MissingMandatoryBlock, missing_blocks, missing_mentions
from notices.models import LetterKind
from notices.templatetags.letters import typographic_apostrophes

LETTERS_ROOT = (Path(settings.BASE_DIR) / "static" / "letters").resolve()
BASE_URL = LETTERS_ROOT.as_uri() + "/"
ARCHIVAL_VARIANT = "pdf/a-3b"
ARCHIVAL_KINDS = frozenset({LetterKind.FORMAL_NOTICE})


class FetchRefused(ValueError):
    """A letter asked for a resource that is not bundled with the product."""


class BundledFilesFetcher(URLFetcher):
    """Serve ``file:`` URLs inside ``static/letters`` and nothing else."""

    def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
        path = self.bundled_path(url)
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(
            url, body=_read_bundled(path), headers={"Content-Type": content_type}
        )

    @staticmethod
    def bundled_path(url: str) -> Path:
        parts = urlsplit(url)
        if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
            raise FetchRefused(f"only bundled letter files may be fetched, not {url!r}")
        path = Path(unquote(parts.path)).resolve()
        if not path.is_relative_to(LETTERS_ROOT) or not path.is_file():
            raise FetchRefused(f"{url!r} is not a bundled letter file")
        return path


@cache
def _read_bundled(path: Path) -> bytes:
    return path.read_bytes()


@cache
def _font_config_of_process(pid: int) -> FontConfiguration:
    return FontConfiguration()


def font_config() -> FontConfiguration:
    """The process's one font configuration (keyed by pid: never shared across a fork)."""
    return _font_config_of_process(os.getpid())


FETCHER = BundledFilesFetcher()


@dataclass(frozen=True)
class Pdf:
    content: bytes
    sha256: str
    page_count: int

    @classmethod
    def of(cls, content: bytes, page_count: int) -> Pdf:
        return cls(content, hashlib.sha256(content).hexdigest(), page_count)


def _render_html(template: str, context: dict[str, Any]) -> str:
    with translation.override("fr"):
        html = render_to_string(template, context)
    return typographic_apostrophes(html, html=True)


def letter_html(kind: str, context: dict[str, Any]) -> str:
    """The letter's HTML, refused if a mandatory block is missing from the output."""
    html = _render_html(f"letters/{kind}.html", context)
    if missing := missing_blocks(kind, html):
        raise MissingMandatoryBlock(kind, missing)
    return html


def html_to_pdf(html: str, *, archival: bool = False) -> Pdf:
    """Lay out once, then write: the laid-out document knows its page count."""
    variant = ARCHIVAL_VARIANT if archival else None
    document = HTML(string=html, base_url=BASE_URL, url_fetcher=FETCHER).render(
        font_config=font_config(), pdf_variant=variant
    )
    return Pdf.of(document.write_pdf(pdf_variant=variant), len(document.pages))


def pdf_text(content: bytes) -> str:
    """The text a reader of the PDF gets, page after page, within each page's bounds.

    PDFium (Chromium's PDF engine) reads a two-page letter in about 10 ms, where pypdf takes
    20 times as long: as much as a fifth of the letter's whole rendering.
    """
    document = pypdfium2.PdfDocument(content)
    try:
        return "\n".join(page.get_textpage().get_text_bounded() for page in document)
    finally:
        document.close()


def render_letter(kind: str, context: dict[str, Any]) -> Pdf:
    """The letter's PDF, refused unless its text carries every mandatory mention."""
    pdf = html_to_pdf(letter_html(kind, context), archival=kind in ARCHIVAL_KINDS)
    if missing := missing_mentions(kind, context, pdf_text(pdf.content)):
        raise MissingMandatoryBlock(kind, missing, where="PDF text")
    return pdf


def render_page(template: str, context: dict[str, Any], *, archival: bool = False) -> Pdf:
    """Any other bundled document (print batch cover, judicial dossier)."""
    return html_to_pdf(_render_html(template, context), archival=archival)


def merge_pdfs(parts: Iterable[bytes]) -> Pdf:
    """One PDF of several, their pages copied unchanged (print batch, dossier)."""
    writer = PdfWriter()
    for part in parts:
        # Pages only: letters have no outlines or forms, and append() costs 3x more for them.
        for page in PdfReader(io.BytesIO(part)).pages:
            writer.add_page(page)
    out = io.BytesIO()
    writer.write(out)
    return Pdf.of(out.getvalue(), len(writer.pages))
