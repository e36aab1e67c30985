"""legal-fr.md REQ-C4: imputation of payments (C. civ. 1342-10, 1343-1)."""

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import pytest

from dunning.reference_rates import shipped_rate_source
from law.imputation import DebtLine, Payment, impute
from law.interest import (
    InterestRegime,
    interest_amount,
    interest_segments,
    recovery_indemnity,
)

RATES = shipped_rate_source()


def b2b_interest(principal: Decimal, start: date, end: date) -> Decimal:
    return interest_amount(
        principal=principal, start=start, end=end, regime=InterestRegime.B2B_DEFAULT, rates=RATES
    )


def remaining(lines: list[DebtLine], payment: Payment, **options) -> dict[str, Decimal]:
    imputation = impute(payment, lines, **options)
    return {
        line.claim_id: line.after(allocation).outstanding
        for line, allocation in zip(lines, imputation.allocations, strict=True)
    }


def test_case_b1_partial_payment_then_balance():
    # (i) Case B1: €1,200 due 2025-03-01, €600 paid 2025-06-15.
    due, paid_on, balance_on = date(2025, 3, 1), date(2025, 6, 15), date(2025, 7, 15)
    invoice = DebtLine(
        claim_id="B1",
        due_date=due,
        principal=Decimal("1200.00"),
        interest=b2b_interest(Decimal("1200.00"), due, paid_on),
        indemnity=recovery_indemnity(late_invoices=1, debtor_is_professional=True),
        rate=Decimal("13.15"),
    )
    imputation = impute(Payment(Decimal("600.00"), paid_on), [invoice])
    (allocation,) = imputation.allocations
    # Interest first (1343-1): 45.83 to interest, 554.17 to principal, nothing to the €40.
    assert (allocation.interest, allocation.principal, allocation.indemnity) == (
        Decimal("45.83"),
        Decimal("554.17"),
        Decimal("0.00"),
    )
    assert imputation.unallocated == Decimal("0.00")
    after = invoice.after(allocation)
    assert (after.principal, after.interest, after.indemnity) == (
        Decimal("645.83"),
        Decimal("0.00"),
        Decimal("40.00"),
    )

    # Balance paid 2025-07-15: 645.83 x 13.15 % x 15/365 = 3.4901 + 645.83 x 12.15 % x 15/365
    # = 3.2247 -> 6.71; total due 645.83 + 6.71 + 40 = 692.54.
    segments = interest_segments(
        principal=after.principal,
        start=paid_on,
        end=balance_on,
        regime=InterestRegime.B2B_DEFAULT,
        rates=RATES,
    )
    assert [
        (s.days, s.rate, s.amount.quantize(Decimal("0.0001"), ROUND_HALF_UP)) for s in segments
    ] == [(15, Decimal("13.15"), Decimal("3.4901")), (15, Decimal("12.15"), Decimal("3.2247"))]
    balance_interest = b2b_interest(after.principal, paid_on, balance_on)
    assert balance_interest == Decimal("6.71")
    assert after.principal + balance_interest + after.indemnity == Decimal("692.54")


ABC = [
    DebtLine(claim_id="A", due_date=date(2025, 1, 31), principal=Decimal("300.00")),
    DebtLine(claim_id="B", due_date=date(2025, 3, 31), principal=Decimal("500.00")),
    DebtLine(claim_id="C", due_date=date(2025, 12, 31), principal=Decimal("200.00")),
]


def test_case_ii_due_debts_first_then_oldest():
    # (ii) €600 on 2025-06-30, no designation. The spec's "A 0, B 200, C 200" are the balances
    # LEFT after the payment: A and B are due, C is not; with equal rates the oldest goes first,
    # so A gets 300 (paid off) and B the other 300 (500 -> 200); C, not yet due, is untouched.
    payment = Payment(Decimal("600.00"), date(2025, 6, 30))
    assert [a.total for a in impute(payment, ABC).allocations] == [
        Decimal("300.00"),
        Decimal("300.00"),
        Decimal("0.00"),
    ]
    assert remaining(ABC, payment) == {
        "A": Decimal("0.00"),
        "B": Decimal("200.00"),
        "C": Decimal("200.00"),
    }


def test_designation_overrides_the_legal_order():
    # The debtor chose to pay C, although it is not due, then the legal order resumes.
    payment = Payment(Decimal("600.00"), date(2025, 6, 30), designated=("C",))
    assert remaining(ABC, payment) == {
        "A": Decimal("0.00"),
        "B": Decimal("400.00"),
        "C": Decimal("0.00"),
    }


def test_not_yet_due_debts_come_last():
    payment = Payment(Decimal("900.00"), date(2025, 6, 30))
    assert remaining(ABC, payment) == {
        "A": Decimal("0.00"),
        "B": Decimal("0.00"),
        "C": Decimal("100.00"),
    }


def test_highest_rate_before_oldest():
    # Among due debts, the one the debtor "avait le plus d'intérêt d'acquitter" goes first.
    lines = [
        DebtLine(claim_id="old", due_date=date(2025, 1, 31), principal=Decimal("300.00")),
        DebtLine(
            claim_id="costly",
            due_date=date(2025, 3, 31),
            principal=Decimal("300.00"),
            rate=Decimal("12.15"),
        ),
    ]
    payment = Payment(Decimal("400.00"), date(2025, 6, 30))
    assert remaining(lines, payment) == {"old": Decimal("200.00"), "costly": Decimal("0.00")}


def test_full_tie_is_pro_rata():
    due = date(2025, 1, 31)
    lines = [
        DebtLine(claim_id="x", due_date=due, principal=Decimal("100.00")),
        DebtLine(claim_id="y", due_date=due, principal=Decimal("300.00")),
    ]
    allocations = impute(Payment(Decimal("200.00"), date(2025, 6, 30)), lines).allocations
    assert [a.principal for a in allocations] == [Decimal("50.00"), Decimal("150.00")]


def test_pro_rata_cents_add_up_to_the_payment():
    due = date(2025, 1, 31)
    lines = [
        DebtLine(claim_id=claim_id, due_date=due, principal=Decimal("100.00")) for claim_id in "xyz"
    ]
    allocations = impute(Payment(Decimal("100.00"), date(2025, 6, 30)), lines).allocations
    # 100/3 each, the rounding cents falling where the running remainder puts them.
    assert [a.total for a in allocations] == [
        Decimal("33.33"),
        Decimal("33.34"),
        Decimal("33.33"),
    ]


def test_within_debt_order_is_a_tenant_setting():
    line = DebtLine(
        claim_id="B1",
        due_date=date(2025, 3, 1),
        principal=Decimal("1200.00"),
        interest=Decimal("45.83"),
        indemnity=Decimal("40.00"),
    )
    payment = Payment(Decimal("600.00"), date(2025, 6, 15))
    (allocation,) = impute(
        payment, [line], order=("indemnity", "interest", "principal")
    ).allocations
    assert (allocation.indemnity, allocation.interest, allocation.principal) == (
        Decimal("40.00"),
        Decimal("45.83"),
        Decimal("514.17"),
    )


@pytest.mark.parametrize(
    "order",
    [("interest", "principal"), ("interest", "interest", "principal"), ("fees", "principal")],
)
def test_order_must_list_each_component_once(order):
    with pytest.raises(ValueError, match="interest"):
        impute(Payment(Decimal("1.00"), date(2025, 6, 30)), ABC, order=order)


def test_overpayment_is_left_unallocated():
    imputation = impute(Payment(Decimal("1100.00"), date(2025, 6, 30)), ABC)
    assert sum(a.total for a in imputation.allocations) == Decimal("1000.00")
    assert imputation.unallocated == Decimal("100.00")


@pytest.mark.parametrize(
    ("payment", "message"),
    [
        (Payment(Decimal("0.00"), date(2025, 6, 30)), "positive"),
        (Payment(Decimal("10.00"), date(2025, 6, 30), designated=("Z",)), "designated"),
    ],
)
def test_rejects_bad_payments(payment, message):
    with pytest.raises(ValueError, match=message):
        impute(payment, ABC)


def test_rejects_duplicate_claims():
    with pytest.raises(ValueError, match="unique"):
        impute(Payment(Decimal("10.00"), date(2025, 6, 30)), [ABC[0], ABC[0]])
