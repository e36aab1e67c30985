"""Contractual due dates between professionals (C. com. L441-10 I, legal-fr.md REQ-B1).

These are dates agreed in a contract, not procedural deadlines: they are never moved off
weekends or holidays. Sector caps of L441-11 (e.g. road transport, 30 days) are not modelled
here **[VERIFY list]**.
"""

from calendar import monthrange
from datetime import date, timedelta
from enum import StrEnum

DEFAULT_TERM_DAYS = 30
MAX_TERM_DAYS = 60
END_OF_MONTH_TERM_DAYS = 45
PERIODIC_INVOICE_TERM_DAYS = 45


class EndOfMonthMethod(StrEnum):
    """The two DGCCRF-accepted readings of "45 jours fin de mois"."""

    INVOICE_PLUS_45_THEN_END_OF_MONTH = "a"
    END_OF_MONTH_PLUS_45 = "b"


def due_date_default(performed_on: date) -> date:
    """No agreed term: 30 days after receipt of the goods or performance of the service."""
    return performed_on + timedelta(days=DEFAULT_TERM_DAYS)


def due_date_60_days(invoice_date: date) -> date:
    """Longest agreed term: 60 days from the invoice date."""
    return invoice_date + timedelta(days=MAX_TERM_DAYS)


def due_date_periodic(invoice_date: date) -> date:
    """Periodic (récapitulative) invoice: 45 days from its issue."""
    return invoice_date + timedelta(days=PERIODIC_INVOICE_TERM_DAYS)


def due_date_45_eom(invoice_date: date, *, method: EndOfMonthMethod | str) -> date:
    """45 days end of month, only if expressly stipulated, computed by the tenant's method:
    (a) invoice + 45 days then end of that month, or (b) end of the invoice month + 45 days."""
    term = timedelta(days=END_OF_MONTH_TERM_DAYS)
    if EndOfMonthMethod(method) is EndOfMonthMethod.INVOICE_PLUS_45_THEN_END_OF_MONTH:
        return _end_of_month(invoice_date + term)
    return _end_of_month(invoice_date) + term


class PaymentTerm(StrEnum):
    """The terms an invoice may carry, when its due date is not printed on it."""

    DEFAULT_30 = "default_30"
    DAYS_60 = "days_60"
    EOM_45_A = "eom_45_a"
    EOM_45_B = "eom_45_b"
    PERIODIC_45 = "periodic_45"


def due_date_for(term: PaymentTerm | str, invoice_date: date) -> date:
    """The due date that ``term`` gives an invoice (the invoice date stands in for delivery)."""
    match PaymentTerm(term):
        case PaymentTerm.DEFAULT_30:
            return due_date_default(invoice_date)
        case PaymentTerm.DAYS_60:
            return due_date_60_days(invoice_date)
        case PaymentTerm.EOM_45_A:
            return due_date_45_eom(
                invoice_date, method=EndOfMonthMethod.INVOICE_PLUS_45_THEN_END_OF_MONTH
            )
        case PaymentTerm.EOM_45_B:
            return due_date_45_eom(invoice_date, method=EndOfMonthMethod.END_OF_MONTH_PLUS_45)
        case PaymentTerm.PERIODIC_45:
            return due_date_periodic(invoice_date)


def _end_of_month(d: date) -> date:
    return d.replace(day=monthrange(d.year, d.month)[1])
