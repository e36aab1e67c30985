"""legal-fr.md REQ-B1: agreed payment terms (C. com. L441-10 I)."""

from datetime import date

import pytest

from law.payment_terms import (
    EndOfMonthMethod,
    due_date_45_eom,
    due_date_60_days,
    due_date_default,
    due_date_periodic,
)


@pytest.mark.parametrize(
    ("invoice_date", "sixty_days", "method_a", "method_b"),
    [
        (date(2025, 1, 15), date(2025, 3, 16), date(2025, 3, 31), date(2025, 3, 17)),
        (date(2025, 11, 20), date(2026, 1, 19), date(2026, 1, 31), date(2026, 1, 14)),
    ],
)
def test_spec_examples(invoice_date, sixty_days, method_a, method_b):
    assert due_date_60_days(invoice_date) == sixty_days
    assert due_date_45_eom(invoice_date, method="a") == method_a
    assert due_date_45_eom(invoice_date, method="b") == method_b


def test_methods_accept_the_enum():
    invoice_date = date(2025, 1, 15)
    assert due_date_45_eom(
        invoice_date, method=EndOfMonthMethod.INVOICE_PLUS_45_THEN_END_OF_MONTH
    ) == date(2025, 3, 31)
    assert due_date_45_eom(invoice_date, method=EndOfMonthMethod.END_OF_MONTH_PLUS_45) == date(
        2025, 3, 17
    )


def test_unknown_method_is_refused():
    with pytest.raises(ValueError, match="'c'"):
        due_date_45_eom(date(2025, 1, 15), method="c")


def test_default_term_is_30_days_after_performance():
    assert due_date_default(date(2025, 1, 15)) == date(2025, 2, 14)


def test_periodic_invoice_is_45_days():
    assert due_date_periodic(date(2025, 1, 15)) == date(2025, 3, 1)


def test_contract_due_dates_are_not_moved_off_weekends():
    # 2025-03-16 is a Sunday: a contractual date is not a procedural deadline.
    assert due_date_60_days(date(2025, 1, 15)).weekday() == 6
