"""Eligibility for the procédure simplifiée des petites créances (CPCE L125-1, R125-1;
legal-fr.md REQ-E6)."""

from decimal import Decimal

SMALL_CLAIMS_CEILING = Decimal("5000.00")


def small_claims_eligible(principal: Decimal, interest: Decimal) -> bool:
    """Principal plus interest at most €5,000.

    Whether the €40 indemnity counts is **[VERIFY]**; following the spec's suggestion it is
    left out, which is why this takes no indemnity argument.
    """
    return principal + interest <= SMALL_CLAIMS_CEILING
