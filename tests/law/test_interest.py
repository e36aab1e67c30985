"""legal-fr.md section 0 (reference rates), section B (B2B penalties) and REQ-C2/C3."""

from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest

from dunning.reference_rates import shipped_rate_source
from law.interest import (
    DayBasis,
    DictRateSource,
    IndemnityForbidden,
    InterestRegime,
    RateBelowFloor,
    RateKind,
    RateMissing,
    b2b_default_rate,
    contract_rate_floor,
    interest_amount,
    interest_segments,
    recovery_indemnity,
    semester_bounds,
    semester_of,
    validate_contract_rate,
)

RATES = shipped_rate_source()


def four_places(amount: Decimal) -> Decimal:
    """The spec quotes unrounded segments to 4 decimals."""
    return amount.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)


def summary(segments) -> list[tuple[date, date, int, Decimal, Decimal]]:
    return [(s.from_date, s.to_date, s.days, s.rate, four_places(s.amount)) for s in segments]


@pytest.mark.parametrize(
    ("semester", "ecb", "b2b_default", "legal_private", "legal_other", "floor"),
    [
        ("2024-S1", "4.50", "14.50", "8.01", "5.07", "15.21"),
        ("2024-S2", "4.25", "14.25", "8.16", "4.92", "14.76"),
        ("2025-S1", "3.15", "13.15", "7.21", "3.71", "11.13"),
        ("2025-S2", "2.15", "12.15", "6.65", "2.76", "8.28"),
        ("2026-S1", "2.15", "12.15", "6.67", "2.62", "7.86"),
    ],
)
def test_reference_table_and_derived_columns(
    semester, ecb, b2b_default, legal_private, legal_other, floor
):
    assert RATES.rate(RateKind.ECB_MRO, semester) == Decimal(ecb)
    assert RATES.rate(RateKind.LEGAL_PRIVATE_CREDITOR, semester) == Decimal(legal_private)
    assert RATES.rate(RateKind.LEGAL_OTHER, semester) == Decimal(legal_other)
    assert b2b_default_rate(semester, RATES) == Decimal(b2b_default)
    assert contract_rate_floor(semester_bounds(semester)[0], RATES) == Decimal(floor)


@pytest.mark.parametrize(
    ("day", "semester", "bounds"),
    [
        (date(2026, 1, 1), "2026-S1", (date(2026, 1, 1), date(2026, 6, 30))),
        (date(2026, 6, 30), "2026-S1", (date(2026, 1, 1), date(2026, 6, 30))),
        (date(2026, 7, 1), "2026-S2", (date(2026, 7, 1), date(2026, 12, 31))),
        (date(2024, 12, 31), "2024-S2", (date(2024, 7, 1), date(2024, 12, 31))),
    ],
)
def test_semesters(day, semester, bounds):
    assert semester_of(day) == semester
    assert semester_bounds(semester) == bounds


@pytest.mark.parametrize("bad", ["2026-S3", "2026S1", "26-S1", "2026-s1"])
def test_semester_bounds_rejects_garbage(bad):
    with pytest.raises(ValueError, match="not a semester"):
        semester_bounds(bad)


@pytest.mark.parametrize(
    "regime", [InterestRegime.B2B_DEFAULT, InterestRegime.LEGAL], ids=lambda r: r.value
)
def test_missing_rate_is_an_error_never_a_fallback(regime):
    # REQ-R1: one day in 2026-S2 before its rates are loaded is enough to refuse.
    with pytest.raises(RateMissing, match=r"RATE_MISSING\(2026-S2\)") as raised:
        interest_amount(
            principal=Decimal("1000.00"),
            start=date(2026, 6, 1),
            end=date(2026, 7, 1),
            regime=regime,
            rates=RATES,
        )
    assert raised.value.semester == "2026-S2"


def test_legal_rate_follows_the_creditor_not_the_debtor():
    # REQ-R2: company creditor, consumer debtor, 2026-S1 -> 2.62 %, not 6.67 %.
    segments = interest_segments(
        principal=Decimal("1000.00"),
        start=date(2026, 1, 10),
        end=date(2026, 2, 10),
        regime=InterestRegime.LEGAL,
        rates=RATES,
        creditor_is_private=False,
    )
    assert [s.rate for s in segments] == [Decimal("2.62")]


def test_b1_single_semester():
    # REQ-B3 B1: 1,200 x 13.15 % x 106/365 = 45.8268 -> 45.83; + 40 -> claim 1,285.83.
    principal = Decimal("1200.00")
    segments = interest_segments(
        principal=principal,
        start=date(2025, 3, 1),
        end=date(2025, 6, 15),
        regime=InterestRegime.B2B_DEFAULT,
        rates=RATES,
    )
    assert summary(segments) == [
        (date(2025, 3, 2), date(2025, 6, 15), 106, Decimal("13.15"), Decimal("45.8268"))
    ]
    interest = interest_amount(
        principal=principal,
        start=date(2025, 3, 1),
        end=date(2025, 6, 15),
        regime=InterestRegime.B2B_DEFAULT,
        rates=RATES,
    )
    assert interest == Decimal("45.83")
    indemnity = recovery_indemnity(late_invoices=1, debtor_is_professional=True)
    assert principal + interest + indemnity == Decimal("1285.83")


def test_b2_split_at_the_semester():
    # REQ-B3 B2: June 30 d at 13.15 % = 54.0411, Jul-Sep 92 d at 12.15 % = 153.1233 -> 207.16.
    kwargs = {
        "principal": Decimal("5000.00"),
        "start": date(2025, 5, 31),
        "end": date(2025, 9, 30),
        "regime": InterestRegime.B2B_DEFAULT,
        "rates": RATES,
    }
    assert summary(interest_segments(**kwargs)) == [
        (date(2025, 6, 1), date(2025, 6, 30), 30, Decimal("13.15"), Decimal("54.0411")),
        (date(2025, 7, 1), date(2025, 9, 30), 92, Decimal("12.15"), Decimal("153.1233")),
    ]
    assert interest_amount(**kwargs) == Decimal("207.16")


@pytest.mark.parametrize(
    ("basis", "first_segment", "total"),
    [
        (DayBasis.ACT_365, Decimal("43.1014"), Decimal("82.01")),
        (DayBasis.ACT_ACT, Decimal("42.9836"), Decimal("81.89")),
    ],
    ids=["ACT_365", "ACT_ACT"],
)
def test_b3_leap_year_day_basis(basis, first_segment, total):
    # REQ-B3 B3: 46 d of 2024 at 14.25 % then 45 d of 2025 at 13.15 % (38.9096 either way).
    kwargs = {
        "principal": Decimal("2400.00"),
        "start": date(2024, 11, 15),
        "end": date(2025, 2, 14),
        "regime": InterestRegime.B2B_DEFAULT,
        "rates": RATES,
        "basis": basis,
    }
    assert summary(interest_segments(**kwargs)) == [
        (date(2024, 11, 16), date(2024, 12, 31), 46, Decimal("14.25"), first_segment),
        (date(2025, 1, 1), date(2025, 2, 14), 45, Decimal("13.15"), Decimal("38.9096")),
    ]
    assert interest_amount(**kwargs) == total


def test_act_act_uses_366_only_for_days_in_a_leap_year():
    # 2024-S1 is in a leap year, 2025-S1 is not: 1,000 x 10 % x 1/366 and x 1/365.
    for day, expected in ((date(2024, 3, 1), "0.2732"), (date(2025, 3, 1), "0.2740")):
        segments = interest_segments(
            principal=Decimal("1000.00"),
            start=day,
            end=day + timedelta(days=1),
            regime=InterestRegime.B2B_CONTRACT,
            rates=RATES,
            contract_rate=Decimal("10.00"),
            basis=DayBasis.ACT_ACT,
        )
        assert [four_places(s.amount) for s in segments] == [Decimal(expected)]


@pytest.mark.parametrize(
    ("creditor_is_private", "segments", "total"),
    [
        # REQ-C2: company creditor, 82 d at 2.76 % = 5.2705 and 20 d at 2.62 % = 1.2203.
        (False, [(82, "2.76", "5.2705"), (20, "2.62", "1.2203")], "6.49"),
        # Control: private creditor, 6.65 % / 6.67 % -> 12.6988 + 3.1066.
        (True, [(82, "6.65", "12.6988"), (20, "6.67", "3.1066")], "15.81"),
    ],
    ids=["company_creditor", "private_creditor"],
)
def test_c2_legal_interest_from_the_formal_notice(creditor_is_private, segments, total):
    kwargs = {
        "principal": Decimal("850.00"),
        "start": date(2025, 10, 10),  # MED received
        "end": date(2026, 1, 20),  # paid
        "regime": InterestRegime.LEGAL,
        "rates": RATES,
        "creditor_is_private": creditor_is_private,
    }
    assert [(s.days, s.rate, four_places(s.amount)) for s in interest_segments(**kwargs)] == [
        (days, Decimal(rate), Decimal(amount)) for days, rate, amount in segments
    ]
    assert interest_amount(**kwargs) == Decimal(total)


def test_rounding_happens_once_on_the_sum_not_per_segment():
    # REQ-R3: 1,000 at 10 % for one day in each semester -> 0.27397 + 0.27397 = 0.54795
    # -> 0.55, where rounding each segment would give 0.27 + 0.27 = 0.54.
    assert interest_amount(
        principal=Decimal("1000.00"),
        start=date(2025, 6, 29),
        end=date(2025, 7, 1),
        regime=InterestRegime.B2B_CONTRACT,
        rates=RATES,
        contract_rate=Decimal("10.00"),
    ) == Decimal("0.55")


def test_no_compounding():
    # REQ-C3: a year at 10 % on 1,000 is 100.00, whatever the length of the period; over two
    # years it is 200.00 simple interest, not 210.00.
    assert interest_amount(
        principal=Decimal("1000.00"),
        start=date(2025, 1, 1),
        end=date(2027, 1, 1),
        regime=InterestRegime.B2B_CONTRACT,
        rates=RATES,
        contract_rate=Decimal("10.00"),
    ) == Decimal("200.00")


@pytest.mark.parametrize(
    ("start", "end"),
    [(date(2026, 3, 1), date(2026, 3, 1)), (date(2026, 3, 1), date(2026, 2, 1))],
    ids=["paid_on_due_date", "paid_early"],
)
def test_no_interest_without_a_late_day(start, end):
    kwargs = {"principal": Decimal("1000.00"), "start": start, "end": end, "rates": RATES}
    assert interest_segments(regime=InterestRegime.B2B_DEFAULT, **kwargs) == []
    assert interest_amount(regime=InterestRegime.B2B_DEFAULT, **kwargs) == Decimal("0.00")


def test_regime_none_accrues_nothing_even_without_rates():
    assert interest_amount(
        principal=Decimal("1000.00"),
        start=date(2026, 7, 1),
        end=date(2026, 12, 31),
        regime=InterestRegime.NONE,
        rates=DictRateSource({}),
    ) == Decimal("0.00")


def test_contract_regime_keeps_its_fixed_rate_across_semesters():
    segments = interest_segments(
        principal=Decimal("1000.00"),
        start=date(2025, 12, 31),
        end=date(2026, 7, 31),
        regime=InterestRegime.B2B_CONTRACT,
        rates=DictRateSource({}),  # a fixed rate needs no published rate, even in 2026-S2
        contract_rate=Decimal("9.00"),
    )
    assert [(s.days, s.rate) for s in segments] == [(181, Decimal("9.00")), (31, Decimal("9.00"))]


@pytest.mark.parametrize(
    ("regime", "contract_rate"),
    [(InterestRegime.B2B_CONTRACT, None), (InterestRegime.B2B_DEFAULT, Decimal("9.00"))],
)
def test_contract_rate_goes_with_the_contract_regime_only(regime, contract_rate):
    with pytest.raises(ValueError, match="contract rate"):
        interest_segments(
            principal=Decimal("1000.00"),
            start=date(2026, 1, 1),
            end=date(2026, 2, 1),
            regime=regime,
            rates=RATES,
            contract_rate=contract_rate,
        )


@pytest.mark.parametrize("rate", ["8.00", "7.86"])
def test_contract_rate_at_or_above_the_floor_is_accepted(rate):
    # REQ-B2: 2026-S1 floor = 3 x 2.62 = 7.86 %.
    validate_contract_rate(Decimal(rate), date(2026, 3, 1), RATES)


@pytest.mark.parametrize(
    ("rate", "on", "floor"),
    [
        ("7.50", date(2026, 3, 1), "7.86"),
        # 2024-S1: the floor (15.21 %) exceeds even the statutory default (14.50 %).
        ("15.00", date(2024, 3, 1), "15.21"),
    ],
)
def test_contract_rate_below_the_floor_is_rejected(rate, on, floor):
    with pytest.raises(RateBelowFloor, match="RATE_BELOW_FLOOR") as raised:
        validate_contract_rate(Decimal(rate), on, RATES)
    assert raised.value.floor == Decimal(floor)


def test_statutory_default_stays_valid_below_the_2024_floor():
    # REQ-B2 edge case: the floor binds contract rates, not the ECB + 10 default.
    assert b2b_default_rate("2024-S1", RATES) == Decimal("14.50")
    segments = interest_segments(
        principal=Decimal("1000.00"),
        start=date(2024, 1, 31),
        end=date(2024, 2, 29),
        regime=InterestRegime.B2B_DEFAULT,
        rates=RATES,
    )
    assert [s.rate for s in segments] == [Decimal("14.50")]


def test_three_late_invoices_owe_120():
    # REQ-B4: €40 per invoice paid late.
    assert recovery_indemnity(late_invoices=3, debtor_is_professional=True) == Decimal("120.00")


def test_consumer_never_owes_the_indemnity():
    with pytest.raises(IndemnityForbidden, match="INDEMNITY_FORBIDDEN"):
        recovery_indemnity(late_invoices=1, debtor_is_professional=False)
