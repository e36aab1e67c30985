"""French typography for letters: amounts, rates, dates and identifiers as a reader expects them,
elision before a vowel, one apostrophe (’) throughout."""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from decimal import Decimal

from django import template
from django.utils import formats, translation
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe

from collectio.money import NBSP, amount, euros

register = template.Library()
register.filter("amount", amount)
register.filter("euros", euros)

APOSTROPHE = "’"
# What Django's escaping makes of a straight apostrophe typed in a name or an address.
_ESCAPED_APOSTROPHES = ("&#x27;", "&#39;")


@register.filter
def percent(value: Decimal | None) -> str:
    """``Decimal("13.150")`` -> ``13,15 %``: at least two decimals, no trailing noise."""
    if value is None:
        return ""
    text = f"{value.normalize():f}"
    whole, _, decimals = text.partition(".")
    return f"{whole},{decimals.ljust(2, '0')}{NBSP}%"


@register.filter
def longdate(value: date | None, with_weekday: bool = False) -> str:
    """``2025-03-01`` -> ``1er mars 2025`` (``samedi 1er mars 2025`` with the weekday), held
    together by non-breaking spaces."""
    if value is None:
        return ""
    with translation.override("fr"):
        text = formats.date_format(value, "l j F Y" if with_weekday else "j F Y")
    parts = text.split(" ")
    day = 1 if with_weekday else 0
    if parts[day] == "1":
        parts[day] = "1er"
    return NBSP.join(parts)


@register.filter(needs_autoescape=True)
def ordinals(value: str, autoescape: bool = True) -> SafeString:
    """``1er`` stays ``1er`` in a heading set in capitals (CSS ``text-transform``), not ``1ER``:
    the ordinal suffix is marked so the stylesheet leaves its case alone."""
    text = conditional_escape(value) if autoescape else value
    return mark_safe(re.sub(r"\b1er\b", '1<span class="ordinal">er</span>', str(text)))  # noqa: S308 (escaped above)


@register.filter
def shortdate(value: date | None) -> str:
    return value.strftime("%d/%m/%Y") if value else ""


@register.filter
def grouped(value: str, size: int = 4) -> str:
    """IBAN in groups of four; SIREN in groups of three with ``|grouped:3``."""
    compact = "".join((value or "").split())
    return " ".join(compact[i : i + size] for i in range(0, len(compact), size))


# --- elision --------------------------------------------------------------------------------
ELIDED = {"de": "d", "le": "l", "la": "l", "que": "qu"}
# Words whose h is aspirated ("de Hachette", "le hangar"): no elision before them. Any other
# h is taken as mute ("d’Hôtel", "l’Horlogerie"), the usual case for French trade names.
ASPIRATED_H = (
    "hach",
    "haie",
    "hall",
    "hamac",
    "hamea",
    "hanche",
    "handicap",
    "hangar",
    "hanneton",
    "hareng",
    "haricot",
    "harpe",
    "hasard",
    "hate",
    "haut",
    "havre",
    "heros",
    "herisson",
    "hetre",
    "hibou",
    "hierarch",
    "hockey",
    "holland",
    "homard",
    "hongr",
    "honte",
    "hors",
    "hotte",
    "houblon",
    "houille",
    "housse",
    "houx",
    "hublot",
    "huit",
    "hutte",
)
_VOWELS = frozenset("aeiouæœ")


def _bare(word: str) -> str:
    decomposed = unicodedata.normalize("NFKD", word)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def elides(word: str) -> bool:
    """Whether French elides "de", "le", "la" or "que" before ``word``: a vowel (not the y of
    "Yannick"), or a mute h."""
    bare = _bare(word.lstrip())
    if not bare:
        return False
    first, following = bare[0], bare[1:2]
    if first == "y":
        return bool(following) and following not in _VOWELS
    if first == "h":
        return not bare.startswith(ASPIRATED_H)
    return first in _VOWELS


@register.filter(needs_autoescape=True)
def elide(value: str, word: str = "de", autoescape: bool = True) -> SafeString:
    """``{{ name|elide:"de" }}``: "de Boulangerie Martin", "d’Imprimerie Moreau", "d’Élodie
    Martin", "de Hachette"; likewise for "le", "la" and "que"."""
    name = conditional_escape(value) if autoescape else str(value)
    if word in ELIDED and elides(str(value)):
        return mark_safe(f"{ELIDED[word]}{APOSTROPHE}{name}")  # noqa: S308 (escaped above)
    return mark_safe(f"{word} {name}")  # noqa: S308 (escaped above)


def typographic_apostrophes(text: str, *, html: bool = False) -> str:
    """One apostrophe in everything a reader gets: the typographic ’, also where a name or an
    address was typed with a straight one. In HTML only escaped ones are replaced (a straight
    one there may delimit an attribute); templates are written with ’ already."""
    for straight in _ESCAPED_APOSTROPHES if html else ("'",):
        text = text.replace(straight, APOSTROPHE)
    return text
