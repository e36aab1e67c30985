"""The one place where money is rounded.

Every amount a debtor, a creditor or a judge reads goes through :func:`to_money`, so two screens
can never disagree by a cent because they rounded differently.
"""

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def to_money(value: Decimal | int | str) -> Decimal:
    """Round half-up to the cent (legal-fr.md REQ-R3); floats are refused, they lose cents."""
    if isinstance(value, float):
        raise TypeError("money must never be a float")
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)
