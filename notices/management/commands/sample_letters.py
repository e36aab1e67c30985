"""Render every letter kind on sample data, as PDFs and first-page pictures (docs/letters)."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from notices.models import LetterKind
from notices.rendering import render_letter
from notices.samples import sample_context


class Command(BaseCommand):
    help = "Render each letter kind on sample data to OUT/<kind>.png (and .pdf with --pdf)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--out", default="docs/letters", type=Path)
        parser.add_argument("--resolution", default=60, type=int, help="pixels per inch")
        parser.add_argument("--pdf", action="store_true", help="keep the PDFs too")

    def handle(self, *args: Any, out: Path, resolution: int, pdf: bool, **options: Any) -> None:
        pdftoppm = shutil.which("pdftoppm")
        if pdftoppm is None:
            raise CommandError("pdftoppm (poppler-utils) is needed to draw the pictures")
        out.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory() as scratch:
            for kind in LetterKind:
                source = Path(scratch) / f"{kind}.pdf"
                source.write_bytes(render_letter(kind, sample_context(kind)).content)
                page = ["-f", "1", "-l", "1", "-singlefile"]
                subprocess.run(  # noqa: S603 (a fixed program on our own files)
                    [pdftoppm, "-png", "-r", str(resolution), *page, str(source), str(out / kind)],
                    check=True,
                )
                if pdf:
                    shutil.copy(source, out / f"{kind}.pdf")
                self.stdout.write(f"{out / kind}.png")
