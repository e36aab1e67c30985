"""French typography for letters: amounts, rates, dates and identifiers as a reader expects them."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django import template
from django.utils import formats, translation

from collectio.money import to_money

register = template.Library()

NBSP = "\u00a0"


@register.filter
def amount(value: Decimal | str | None) -> str:
    """``1285.83`` (or ``"1285.83"``) -> ``1 285,83`` (non-breaking thousands separator)."""
    if value is None:
        return ""
    value = to_money(value)
    sign = "-" if value < 0 else ""
    whole, cents = f"{abs(value):.2f}".split(".")
    groups = []
    while whole:
        whole, groups = whole[:-3], [whole[-3:], *groups]
    return f"{sign}{NBSP.join(groups)},{cents}"


@register.filter
def euros(value: Decimal | str | None) -> str:
    """``1285.83`` -> ``1 285,83 €``."""
    return f"{amount(value)}{NBSP}€" if value is not None else ""


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


@register.filter
def shortdate(value: date | None) -> str:
    return value.strftime("%d/%m/%Y") if value else ""


@register.filter
def grouped(value: str, size: int = 4) -> str:
    """IBAN in groups of four; SIREN in groups of three with ``|grouped:3``."""
    compact = "".join((value or "").split())
    return " ".join(compact[i : i + size] for i in range(0, len(compact), size))


APOSTROPHE = "’"
# What Django's escaping makes of a straight apostrophe typed in a name or an address.
_ESCAPED_APOSTROPHES = ("&#x27;", "&#39;")


def typographic_apostrophes(text: str, *, html: bool = False) -> str:
    """One apostrophe in everything a reader gets: the typographic ’, also where a name or an
    address was typed with a straight one. In HTML only escaped ones are replaced (a straight
    one there may delimit an attribute); templates are written with ’ already."""
    for straight in _ESCAPED_APOSTROPHES if html else ("'",):
        text = text.replace(straight, APOSTROPHE)
    return text
