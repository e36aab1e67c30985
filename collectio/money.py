"""The one place where money is rounded, and the one place where it is formatted.

Every amount a debtor, a creditor or a judge reads goes through :func:`to_money`, so two screens
can never disagree by a cent because they rounded differently, and through :func:`euros` (pages,
letters, e-mails, the timeline), so it reads ``2 143,37 €`` everywhere.
"""

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def to_money(value: Decimal | int | str) -> Decimal:
    """Round half-up to the cent (legal-fr.md REQ-R3); floats are refused, they lose cents."""
    if isinstance(value, float):
        raise TypeError("money must never be a float")
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


NBSP = "\u00a0"


def format_money(value: Decimal | int | str | None, *, currency: bool = True) -> str:
    """The one way an amount is written for a reader, the French way: ``1285.83`` ->
    ``1 285,83 €`` (non-breaking thousands separator and space before the sign)."""
    if value is None:
        return ""
    value = to_money(value)
    sign = "-" if value < 0 else ""
    whole, cents = f"{abs(value):.2f}".split(".")
    groups: list[str] = []
    while whole:
        whole, groups = whole[:-3], [whole[-3:], *groups]
    text = f"{sign}{NBSP.join(groups)},{cents}"
    return f"{text}{NBSP}€" if currency else text


def euros(value: Decimal | int | str | None) -> str:
    """``1285.83`` -> ``1 285,83 €``."""
    return format_money(value)


def amount(value: Decimal | int | str | None) -> str:
    """``1285.83`` -> ``1 285,83``, for tables whose column says the currency."""
    return format_money(value, currency=False)
