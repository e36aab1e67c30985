"""The letter linter: what a letter must always say, and what it must never say.

Two rules, both from legal-fr.md:

* REQ-A9: no wording that makes a letter look like a judicial or administrative act, and no
  threat of a measure that needs an enforceable title. Agency wording is checked word by word,
  case- and accent-insensitively, on whole words, when a template is saved.
* REQ-A3, A4, A6, E1, F3, A8: every mandatory block is present. Blocks mark themselves with a
  ``data-block`` attribute; a letter template is rendered on sample data and its output must
  carry every block of its kind. The shipped templates are checked by ``manage.py check``.
  Markup can be hidden (a stylesheet, a colour, a position), so every real letter is checked
  again on the text read back from its PDF: each block's mentions must be there, word for word.

Values inserted into a letter are escaped, and the agency's own wording is reduced to a small
allow-list of tags (nh3, the binding of the Ammonia sanitiser): no markup reaches the letter
that its fixed templates did not put there.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from typing import Any

import nh3
from django.core.exceptions import ValidationError
from django.template import Context, Engine, TemplateSyntaxError
from django.template.base import Lexer, TokenType
from django.utils.html import linebreaks
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from notices.content import L111_8
from notices.kinds import LetterKind
from notices.templatetags.letters import (
    amount,
    euros,
    grouped,
    longdate,
    typographic_apostrophes,
)

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
WORDING_FILTERS = frozenset({"upper", "lower", "capfirst", "default", "elide"})
# No loaders, no {% load %}; the letters' typography built in (``{{ creditor_name|elide:"de" }}``
# for "d’Imprimerie Moreau"); every value is escaped as it is inserted.
WORDING_ENGINE = Engine(
    dirs=[],
    app_dirs=False,
    libraries={},
    builtins=["notices.templatetags.letters"],
    autoescape=True,
)
# What the agency's own wording may keep of HTML: emphasis and lists, no attribute at all (so
# no style, class or data-block), no link, no heading, no image.
WORDING_TAGS_ALLOWED = frozenset({"p", "br", "strong", "em", "b", "i", "ul", "ol", "li"})


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


def render_wording(source: str, values: Mapping[str, str]) -> SafeString:
    """The agency's wording as HTML paragraphs: values escaped, blank lines as paragraphs, then
    sanitised to :data:`WORDING_TAGS_ALLOWED` (nh3 parses it as a browser would)."""
    text = WORDING_ENGINE.from_string(source).render(Context(dict(values)))
    html = nh3.clean(
        linebreaks(text),
        tags=set(WORDING_TAGS_ALLOWED),
        attributes={},
        clean_content_tags={"script", "style"},
        link_rel=None,
    )
    # No attribute survives, so every straight apostrophe left is text.
    return mark_safe(typographic_apostrophes(html))  # noqa: S308 (sanitised above)


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


BLOCK_LABELS = {
    "letterhead": gettext_lazy("the agency and its activity (R124-4 1°)"),
    "recipient": gettext_lazy("the recipient"),
    "creditor": gettext_lazy("the creditor (R124-4 2°)"),
    "statement": gettext_lazy("the statement of the sums due (R124-4 3°)"),
    "basis": gettext_lazy("the basis of the debt (R124-4 3°)"),
    "payment": gettext_lazy("the payment methods (R124-4 4°)"),
    "l111-8": gettext_lazy("article L111-8 CPCE, verbatim (R124-4 5°)"),
    "gdpr": gettext_lazy("the GDPR article 14 notice"),
    "first-letter": gettext_lazy("the first letter's reference and date (R124-4)"),
    "formal-notice": gettext_lazy("the formal notice (art. 1344 C. civ.)"),
    "receipt": gettext_lazy("the receipt (R124-6)"),
    "plan": gettext_lazy("the instalments"),
    "plan-interest": gettext_lazy("what happens to interest during the plan"),
    "remittance": gettext_lazy("the remittance"),
}


def missing_blocks(kind: str, html: str) -> list[str]:
    return sorted(b for b in MANDATORY_BLOCKS[kind] if f'data-block="{b}"' not in html)


class MissingMandatoryBlock(Exception):
    """A rendered letter lacks a block the law requires; it must never leave."""

    def __init__(self, kind: str, missing: list[str], *, where: str = "HTML") -> None:
        self.kind, self.missing = kind, missing
        super().__init__(
            f"{kind} letter without mandatory block(s) in its {where}: {', '.join(missing)}"
        )

    @property
    def reason(self) -> str:
        """What an agent reads: which mentions the letter would have lacked."""
        return _("The letter lacks mandatory mentions: %(blocks)s.") % {
            "blocks": ", ".join(str(BLOCK_LABELS[b]) for b in self.missing)
        }


# REQ-F3: what the GDPR notice of a first letter must tell, under these headings.
GDPR_MENTIONS = (
    "Protection de vos données personnelles (art. 14 du RGPD)",
    "Responsable du traitement :",
    "Délégué à la protection des données :",
    "Finalités et base légale :",
    "Catégories de données :",
    "Source : ces données nous ont été transmises par le créancier",
    "Destinataires :",
    "Durées de conservation :",
    "opposition au traitement",
    "Vous pouvez introduire une réclamation auprès de la CNIL",
)


def block_mentions(block: str, context: Mapping[str, Any]) -> tuple[str, ...]:
    """The words a reader must find in the PDF for ``block`` of this letter."""
    agency, creditor = context["agency"], context["creditor"]
    statement, first = context.get("statement"), context.get("first_letter")
    receipt, remittance = context.get("receipt"), context.get("remittance")
    mentions: dict[str, tuple[str, ...]] = {
        "letterhead": (f"{agency.legal_name} exerce une activité de recouvrement amiable.",),
        "recipient": (context["recipient_name"],),
        "creditor": (f"Créancier {creditor.legal_name}",),
        "statement": (f"Décompte au {longdate(statement.on)}", amount(statement.balance))
        if statement
        else ("Décompte au",),
        "basis": ("Fondement de la créance", *context.get("basis", ())),
        "payment": ("Modalités de règlement", f"IBAN {grouped(agency.collection_iban)}"),
        "l111-8": tuple(f"« {paragraph} »" for paragraph in L111_8),
        "gdpr": GDPR_MENTIONS,
        "first-letter": (
            f"Premier courrier notre lettre réf. {first.reference} du {longdate(first.sent_on)}",
        )
        if first
        else ("Premier courrier",),
        "formal-notice": ("La présente lettre vaut mise en demeure (art. 1344 C. civ.).",),
        "receipt": (f"la somme de {euros(receipt.amount)}",) if receipt else ("Quittance",),
        "plan": ("Échéancier", *(euros(i.amount) for i in context.get("instalments", ()))),
        "plan-interest": ("Intérêts de retard :",),
        "remittance": (f"Net à reverser : {euros(remittance.net)}",)
        if remittance
        else ("Net à reverser",),
    }
    return mentions[block]


def plain_text(text: str) -> str:
    """Text as compared: compatibility forms (ligatures) resolved, one apostrophe, every run of
    spaces one space, no case (headings are set in capitals by the stylesheet)."""
    text = typographic_apostrophes(unicodedata.normalize("NFKC", text))
    return " ".join(text.split()).casefold()


def missing_mentions(kind: str, context: Mapping[str, Any], text: str) -> list[str]:
    """The mandatory blocks of ``kind`` whose words the letter's text (read from its PDF)
    lacks: a block hidden, cut or moved off the page is missing whatever the HTML says."""
    found = plain_text(text)
    return sorted(
        block
        for block in MANDATORY_BLOCKS[kind]
        if not all(plain_text(m) in found for m in block_mentions(block, context))
    )


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
