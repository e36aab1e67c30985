"""The letter linter: what a letter must always say, and what it must never say.

Two rules, both from legal-fr.md:

* REQ-A9: no wording that makes a letter look like a judicial or administrative act, and no
  threat of a measure that needs an enforceable title. Agency wording is checked word by word,
  case- and accent-insensitively, on whole words, when a template is saved.
* REQ-A3, A4, A6, E1, F3, A8: every mandatory block is present. Blocks mark themselves with a
  ``data-block`` attribute; a letter template is rendered on sample data and its output must
  carry every block of its kind. The shipped templates are checked by ``manage.py check`` and
  every real letter is checked again right after rendering.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from typing import Any

from django.core import checks
from django.core.exceptions import ValidationError
from django.template import Context, Engine, TemplateSyntaxError, engines
from django.template.base import Lexer, TokenType
from django.utils.translation import gettext as _

from notices.models import LetterKind

# --- REQ-A9: forbidden wording --------------------------------------------------------------
FORBIDDEN_TERMS = (
    "République française",
    "Marianne",
    "Tribunal",
    "Tribunaux",
    "Greffe",
    "Huissier",
    "Commissaire de justice",
    "Acte",
    "Sommation",
    "Commandement",
    "Signification",
    "Ordonnance",
    "Avis avant saisie",
    "Saisie",
    "Saisir",
    "Exécution forcée",
    "Expulsion",
    # Rendered by the fixed templates only when the mandate allows litigation (REQ-A9).
    "Procédure judiciaire",
    "Poursuites judiciaires",
)


def _fold(text: str) -> str:
    """Lower case, no accents, words separated by single spaces: "Saisie," -> "saisie"."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return " ".join(re.split(r"[^a-z0-9]+", bare)).strip()


_FORBIDDEN = [
    (term, re.compile(rf"(?<![a-z0-9]){re.escape(_fold(term))}s?(?![a-z0-9])"))
    for term in FORBIDDEN_TERMS
]


def forbidden_wording(text: str) -> list[str]:
    """The forbidden terms ``text`` uses, as listed in :data:`FORBIDDEN_TERMS`."""
    folded = f" {_fold(text)} "
    return [term for term, pattern in _FORBIDDEN if pattern.search(folded)]


# --- agency wording: a tiny, safe template language -----------------------------------------
WORDING_VARIABLES = frozenset(
    {
        "debtor_name",
        "creditor_name",
        "agency_name",
        "case_reference",
        "total_due",
        "deadline",
        "letter_date",
        "first_letter_reference",
        "first_letter_date",
    }
)
WORDING_TAGS = frozenset({"if", "elif", "else", "endif"})
WORDING_FILTERS = frozenset({"upper", "lower", "capfirst", "default"})
# The wording is plain text: no loaders, no libraries, and the fixed template escapes it.
WORDING_ENGINE = Engine(dirs=[], app_dirs=False, libraries={}, autoescape=False)


def wording_errors(source: str) -> list[str]:
    """Why ``source`` cannot be an agency's letter wording (empty if it can)."""
    errors = []
    if found := forbidden_wording(source):
        errors.append(
            _("Forbidden wording (REQ-A9, art. 433-13 C. pén.): %(terms)s.")
            % {"terms": ", ".join(f"« {t} »" for t in found)}
        )
    for token in Lexer(source).tokenize():
        if token.token_type == TokenType.BLOCK:
            tag = token.contents.split()[0] if token.contents.split() else ""
            if tag not in WORDING_TAGS:
                errors.append(_("The tag {%% %(tag)s %%} is not allowed.") % {"tag": tag})
        elif token.token_type == TokenType.VAR:
            errors.extend(_variable_errors(token.contents))
    try:
        WORDING_ENGINE.from_string(source)
    except TemplateSyntaxError as exc:
        errors.append(_("Template syntax error: %(error)s") % {"error": exc})
    return errors


def _variable_errors(contents: str) -> Iterable[str]:
    name, *filters = (part.strip() for part in contents.split("|"))
    if name not in WORDING_VARIABLES:
        yield _("Unknown variable {{ %(name)s }}.") % {"name": name}
    for expression in filters:
        name = expression.split(":")[0].strip()
        if name not in WORDING_FILTERS:
            yield _("The filter |%(name)s is not allowed.") % {"name": name}


def validate_wording(source: str) -> None:
    if errors := wording_errors(source):
        raise ValidationError({"body": errors}, code="letter_wording")


def default_wording(kind: str) -> str:
    """The shipped wording of a kind, used until the agency writes its own."""
    from django.template.loader import get_template

    return get_template(f"letters/wording/{kind}.txt").template.source


def render_wording(source: str, values: dict[str, str]) -> str:
    return WORDING_ENGINE.from_string(source).render(Context(values, autoescape=False))


# --- mandatory blocks -----------------------------------------------------------------------
_DEBTOR_LETTER = frozenset({"letterhead", "recipient", "creditor", "l111-8"})
_DUNNING = _DEBTOR_LETTER | {"statement", "basis", "payment"}
MANDATORY_BLOCKS: dict[str, frozenset[str]] = {
    LetterKind.FIRST_REMINDER: _DUNNING | {"gdpr"},
    LetterKind.SECOND_REMINDER: _DUNNING | {"first-letter"},
    LetterKind.FORMAL_NOTICE: _DUNNING | {"first-letter", "formal-notice"},
    LetterKind.JUDICIAL_HANDOFF: _DUNNING | {"first-letter"},
    LetterKind.PAYMENT_RECEIPT: _DEBTOR_LETTER | {"receipt"},
    LetterKind.PAYMENT_PLAN: _DUNNING | {"first-letter", "plan", "plan-interest"},
    LetterKind.REMITTANCE_STATEMENT: frozenset({"letterhead", "recipient", "remittance"}),
}


def missing_blocks(kind: str, html: str) -> list[str]:
    return sorted(b for b in MANDATORY_BLOCKS[kind] if f'data-block="{b}"' not in html)


class MissingMandatoryBlock(Exception):
    """A rendered letter lacks a block the law requires; it must never leave."""

    def __init__(self, kind: str, missing: list[str]) -> None:
        self.kind, self.missing = kind, missing
        super().__init__(f"{kind} letter without mandatory block(s): {', '.join(missing)}")


def lint_letter_template(kind: str, source: str) -> list[str]:
    """Mandatory blocks missing when the letter template ``source`` renders on sample data."""
    from notices.samples import sample_context

    html = engines["django"].from_string(source).render(sample_context(kind))
    return missing_blocks(kind, html)


def check_shipped_letter_templates(**_: Any) -> list[checks.CheckMessage]:
    """``manage.py check``: every shipped letter template carries its mandatory blocks."""
    from django.template.loader import get_template

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


# --- REQ-F2: nothing on a lock screen tells a third party about a debt ----------------------
PREVIEW_LENGTH = 40
DEBT_STEMS = (
    "dette",
    "impaye",
    "recouvr",
    "creanc",
    "factur",
    "relanc",
    "demeure",
    "paiement",
    "payer",
    "regle",
    "contentieux",
    "huissier",
    "saisi",
    "retard",
    "somme",
    "debiteur",
)


def debt_wording_in_preview(text: str) -> list[str]:
    """Debt words (even truncated) within what a phone shows before the message is opened."""
    preview = _fold(text[:PREVIEW_LENGTH])
    return [stem for stem in DEBT_STEMS if stem in preview]
