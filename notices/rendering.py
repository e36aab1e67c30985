"""HTML to PDF with WeasyPrint, safely and fast.

* HTML-to-PDF is an SSRF vector: :class:`BundledFilesFetcher` serves only the files bundled under
  ``static/letters`` (stylesheet, fonts) and refuses every other URL, local or remote.
* One ``FontConfiguration`` per process: building it loads every system font, which costs more
  than laying out a one-page letter. It is created lazily after a worker forks.
* Every document is PDF/A-3b, the archival profile, since each may become evidence: letters,
  receipts, statements, print batches and judicial dossiers alike. The XMP carries the creation
  date. Merged documents (print batch, dossier) are assembled with pikepdf (qpdf), which keeps
  the first document's PDF/A catalogue (XMP, sRGB output intent) and writes a fresh /ID.
* A letter is read back from its PDF before it may be stored: every mandatory mention must be
  in its text (``notices.linter.missing_mentions``), whatever its HTML said.
"""

from __future__ import annotations

import hashlib
import io
import mimetypes
import os
from collections.abc import Iterable
from contextlib import ExitStack
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pikepdf
import pypdfium2
from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone, translation
from weasyprint import HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

from notices.linter import MissingMandatoryBlock, missing_blocks, missing_mentions
from notices.templatetags.letters import typographic_apostrophes

LETTERS_ROOT = (Path(settings.BASE_DIR) / "static" / "letters").resolve()
BASE_URL = LETTERS_ROOT.as_uri() + "/"
ARCHIVAL_VARIANT = "pdf/a-3b"


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


def _now() -> str:
    """The creation date written in the XMP and the document information (W3C format)."""
    return timezone.localtime().isoformat(timespec="seconds")


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


def html_to_pdf(html: str) -> Pdf:
    """Lay out once, then write PDF/A: the laid-out document knows its page count."""
    document = HTML(string=html, base_url=BASE_URL, url_fetcher=FETCHER).render(
        font_config=font_config(), pdf_variant=ARCHIVAL_VARIANT
    )
    document.metadata.created = document.metadata.modified = _now()
    return Pdf.of(document.write_pdf(pdf_variant=ARCHIVAL_VARIANT), len(document.pages))


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


def pdf_page_images(content: bytes, *, scale: float = 1.4, pages: int = 2) -> list[bytes]:
    """The first pages as PNG pictures (PDFium, as Chromium draws them): a preview any
    browser shows inline, without a PDF viewer or a frame."""
    document = pypdfium2.PdfDocument(content)
    try:
        images = []
        for index in range(min(pages, len(document))):
            out = io.BytesIO()
            document[index].render(scale=scale).to_pil().save(out, format="PNG", optimize=True)
            images.append(out.getvalue())
        return images
    finally:
        document.close()


def render_letter(kind: str, context: dict[str, Any]) -> Pdf:
    """The letter's PDF, refused unless its text carries every mandatory mention."""
    pdf = html_to_pdf(letter_html(kind, context))
    if missing := missing_mentions(kind, context, pdf_text(pdf.content)):
        raise MissingMandatoryBlock(kind, missing, where="PDF text")
    return pdf


def render_page(template: str, context: dict[str, Any]) -> Pdf:
    """Any other bundled document (print batch cover, judicial dossier)."""
    return html_to_pdf(_render_html(template, context))


def merge_pdfs(parts: Iterable[bytes]) -> Pdf:
    """One PDF/A of several PDF/A documents (print batch, dossier), their pages unchanged.

    The first document lends its catalogue: XMP with the PDF/A identification, the sRGB output
    intent. The XMP is then dated as the new document it is; qpdf writes a fresh /ID.
    """
    first, *rest = parts
    with ExitStack() as opened:
        merged = opened.enter_context(pikepdf.open(io.BytesIO(first)))
        for part in rest:
            merged.pages.extend(opened.enter_context(pikepdf.open(io.BytesIO(part))).pages)
        now = _now()
        with merged.open_metadata(set_pikepdf_as_editor=False) as xmp:
            for key in ("xmp:CreateDate", "xmp:ModifyDate", "xmp:MetadataDate"):
                xmp[key] = now
        out = io.BytesIO()
        merged.save(out)
        return Pdf.of(out.getvalue(), len(merged.pages))
