"""``manage.py check`` for the shipped letter templates: each carries its mandatory blocks when
it renders on sample data (REQ-A3, A4, A6, E1, F3, A8)."""

from __future__ import annotations

from typing import Any

from django.core import checks
from django.template import engines
from django.template.loader import get_template

from notices.kinds import LetterKind
from notices.linter import missing_blocks
from notices.samples import sample_context


def lint_letter_template(kind: str, source: str) -> list[str]:
    """Mandatory blocks missing when the letter template ``source`` renders on sample data."""
    html = engines["django"].from_string(source).render(sample_context(kind))
    return missing_blocks(kind, html)


def check_shipped_letter_templates(**_: Any) -> list[checks.CheckMessage]:
    """``manage.py check``: every shipped letter template carries its mandatory blocks."""
    errors = []
    for kind in LetterKind:
        source = get_template(f"letters/{kind}.html").template.source
        if missing := lint_letter_template(kind, source):
            errors.append(
                checks.Error(
                    f"templates/letters/{kind}.html lacks mandatory block(s): "
                    + ", ".join(missing),
                    id="notices.E001",
                )
            )
    return errors
