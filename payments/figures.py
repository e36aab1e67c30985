"""A creditor's figures: what it entrusted, what came back, what is still being collected."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Avg, Count, F, Q, Sum
from django.db.models.functions import TruncMonth

from cases.models import TERMINAL_STATES, Case, CaseState
from collectio.access import Principal, visible
from collectio.money import ZERO, to_money
from payments.models import Payment
from payments.selectors import money_figures

# The ledger's figures run from the beginning: no movement is older than the product.
SINCE_EVER = date(2000, 1, 1)


@dataclass(frozen=True)
class Month:
    start: date
    entrusted: Decimal
    recovered: Decimal


@dataclass(frozen=True)
class CreditorFigures:
    entrusted: Decimal
    recovered: Decimal  # collected by the agency
    received_directly: Decimal  # declared by the creditor
    remitted: Decimal  # transferred to the creditor (net of commission), from the ledger
    held: Decimal  # collected for the creditor and not yet remitted, from the ledger
    in_progress: Decimal  # principal still due on open cases
    cases: int
    open_cases: int
    per_state: list[tuple[str, str, int]]
    recovery_rate: Decimal | None  # percent of the principal entrusted
    average_days_to_recover: int | None
    months: list[Month]


def _months_back(today: date, count: int) -> list[date]:
    year, month = today.year, today.month
    starts = []
    for _i in range(count):
        starts.append(date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return starts[::-1]


def creditor_figures(*, principal: Principal, today: date) -> CreditorFigures:
    """Figures over the cases the principal sees, in a handful of aggregate queries."""
    cases = visible(Case.objects.all(), principal)
    totals = cases.aggregate(
        entrusted=Sum("principal_total"),
        in_progress=Sum("principal_due", filter=~Q(state__in=TERMINAL_STATES)),
        count=Count("pk"),
        open=Count("pk", filter=~Q(state__in=TERMINAL_STATES)),
        days=Avg(F("closed_at") - F("opened_at"), filter=Q(state=CaseState.PAID)),
    )
    payments = Payment.objects.filter(agency_id=principal.agency_id, case__in=cases.values("pk"))
    money = payments.aggregate(
        agency=Sum("amount", filter=~Q(source=Payment.Source.CREDITOR)),
        direct=Sum("amount", filter=Q(source=Payment.Source.CREDITOR)),
    )
    counted = dict(cases.order_by().values_list("state").annotate(n=Count("pk")))
    per_state = [(value, str(label), counted.get(value, 0)) for value, label in CaseState.choices]
    entrusted = to_money(totals["entrusted"] or ZERO)
    recovered = to_money(money["agency"] or ZERO)
    direct = to_money(money["direct"] or ZERO)
    starts = _months_back(today, 12)
    by_month_in = dict(
        cases.filter(opened_at__date__gte=starts[0])
        .annotate(month=TruncMonth("opened_at"))
        .order_by()
        .values_list("month")
        .annotate(total=Sum("principal_total"))
    )
    by_month_out = dict(
        payments.filter(received_on__gte=starts[0])
        .annotate(month=TruncMonth("received_on"))
        .order_by()
        .values_list("month")
        .annotate(total=Sum("amount"))
    )

    def month_total(table: dict, start: date) -> Decimal:
        return to_money(
            sum(
                (v for k, v in table.items() if (k.date() if hasattr(k, "date") else k) == start),
                ZERO,
            )
        )

    days = totals["days"]
    ledger = money_figures(principal=principal, start=SINCE_EVER, end=today)
    return CreditorFigures(
        entrusted=entrusted,
        recovered=recovered,
        received_directly=direct,
        remitted=to_money(sum((line.remitted for line in ledger), ZERO)),
        held=to_money(sum((line.funds_held for line in ledger), ZERO)),
        in_progress=to_money(totals["in_progress"] or ZERO),
        cases=totals["count"],
        open_cases=totals["open"],
        per_state=per_state,
        recovery_rate=(
            to_money((recovered + direct) * 100 / entrusted) if entrusted > ZERO else None
        ),
        average_days_to_recover=days.days if days is not None else None,
        months=[
            Month(start, month_total(by_month_in, start), month_total(by_month_out, start))
            for start in starts
        ],
    )
