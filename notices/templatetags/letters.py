"""French typography for letters: amounts, rates, dates and identifiers as a reader expects them."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django import template
from django.utils import formats, translation

from collectio.money import NBSP, amount, euros

register = template.Library()

register.filter("amount", amount)
register.filter("euros", euros)


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
