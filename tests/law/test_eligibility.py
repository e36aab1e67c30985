"""legal-fr.md REQ-E6: procédure simplifiée des petites créances (CPCE L125-1)."""

from decimal import Decimal

import pytest

from law.eligibility import small_claims_eligible


@pytest.mark.parametrize(
    ("principal", "interest", "eligible"),
    [
        ("4800.00", "150.00", True),  # 4,950
        ("4800.00", "220.00", False),  # 5,020
        ("4800.00", "200.00", True),  # exactly 5,000
    ],
)
def test_ceiling_of_5000_on_principal_and_interest(principal, interest, eligible):
    assert small_claims_eligible(Decimal(principal), Decimal(interest)) is eligible
