"""The renderer fetches nothing but bundled files (HTML-to-PDF is an SSRF vector)."""

from __future__ import annotations

import http.server
import io
import threading
from collections.abc import Iterator

import pytest

from notices.rendering import (
    FETCHER,
    LETTERS_ROOT,
    BundledFilesFetcher,
    FetchRefused,
    font_config,
    html_to_pdf,
)
from tests.notices.conftest import pdf_text


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/",
        "https://example.com/logo.png",
        "file:///etc/passwd",
        (LETTERS_ROOT / ".." / ".." / "collectio" / "settings.py").as_uri(),
        f"file://{LETTERS_ROOT}/../../collectio/settings.py",
        "file://evil.example/" + str(LETTERS_ROOT / "letter.css"),
        "data:text/css,body{display:none}",
        "ftp://example.com/x",
    ],
)
def test_everything_but_bundled_files_is_refused(url):
    with pytest.raises(FetchRefused):
        FETCHER.fetch(url)


def test_bundled_files_are_served():
    response = FETCHER.fetch((LETTERS_ROOT / "letter.css").as_uri())
    assert response.content_type == "text/css"
    assert b"@page" in response.read()
    font = FETCHER.fetch((LETTERS_ROOT / "fonts" / "LiberationSerif-Regular.ttf").as_uri())
    assert font.read(4) == b"\x00\x01\x00\x00"


@pytest.fixture
def listener() -> Iterator[tuple[str, list[str]]]:
    """A local HTTP server that records every request it gets."""
    hits: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            hits.append(self.path)
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", hits
    finally:
        server.shutdown()


def test_a_letter_pointing_outside_fetches_nothing(listener):
    base, hits = listener
    html = f"""<html><head><link rel="stylesheet" href="{base}/x.css">
      <style>@import url("{base}/y.css"); body {{ background: url("{base}/z.png") }}</style>
      </head><body><img src="{base}/tracker.png"><img src="file:///etc/hostname">
      <p>Lettre</p></body></html>"""
    pdf = html_to_pdf(html)
    assert hits == []
    assert "Lettre" in pdf_text(pdf.content) and pdf.page_count == 1


def test_one_font_configuration_per_process():
    assert font_config() is font_config()
    assert isinstance(FETCHER, BundledFilesFetcher)


def test_sample_letters_draws_one_picture_per_kind(tmp_path):
    """``manage.py sample_letters`` makes the pictures under docs/letters/."""
    from django.core.management import call_command

    from notices.models import LetterKind

    call_command("sample_letters", out=tmp_path, resolution=20, stdout=io.StringIO())
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(f"{k}.png" for k in LetterKind)
    assert all(p.read_bytes().startswith(b"\x89PNG") for p in tmp_path.iterdir())
