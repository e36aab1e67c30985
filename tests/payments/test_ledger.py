"""The client-funds ledger stays balanced whatever happens: a random sequence of payments
(through the account, or to the creditor directly), overpayments, refunds and remittances,
after which every posting adds up to zero and the funds held for each creditor on every date
are collected − remitted − refunded − commission, computed from the rows themselves."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cases.models import CaseState
from collectio.money import ZERO
from dunning.statement import case_statement
from payments import services
from payments.models import LedgerEntry, Payment, Refund, Remittance
from payments.selectors import funds_held, money_figures
from tests import factories

TODAY = date(2026, 5, 20)
START = date(2026, 4, 1)

operation = st.one_of(
    st.tuples(
        st.just("pay"), st.integers(0, 2), st.integers(1, 90_000),
        st.sampled_from(list(Payment.Source)),
    ),
    st.tuples(st.just("overpay"), st.integers(0, 2), st.integers(1, 5_000)),
    st.tuples(st.just("refund")),
    st.tuples(st.just("remit"), st.integers(0, 1)),
)  # fmt: skip


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(datetime(2026, 5, 20, 12, tzinfo=ZoneInfo("Europe/Paris"))):
        yield


def _expected_held(creditor, on: date) -> Decimal:
    through_account = Payment.objects.filter(case__creditor=creditor, received_on__lte=on).exclude(
        source=Payment.Source.CREDITOR
    )
    collected = through_account.aggregate(t=Sum("amount"))["t"] or ZERO
    refunded = (
        Refund.objects.filter(
            case__creditor=creditor, status=Refund.Status.REFUNDED, refunded_on__lte=on
        )
        .exclude(payment__source=Payment.Source.CREDITOR)
        .aggregate(t=Sum("amount"))["t"]
        or ZERO
    )
    remitted = commission = ZERO
    for r in Remittance.objects.filter(creditor=creditor, executed_on__lte=on):
        remitted += max(r.net, ZERO)
        commission += min(r.commission + r.vat, r.collected)
    return collected - remitted - refunded - commission


def _apply(op, day, cases, creditors, world):
    kind = op[0]
    if kind == "pay":
        _, index, cents, source = op
        services.payment_record(
            case=cases[index], amount=Decimal(cents) / 100, received_on=day,
            method=Payment.Method.TRANSFER, actor=None, source=source,
        )  # fmt: skip
    elif kind == "overpay":
        _, index, cents = op
        owed = case_statement(cases[index], on=TODAY).outstanding
        services.payment_record(
            case=cases[index], amount=owed + Decimal(cents) / 100, received_on=day,
            method=Payment.Method.TRANSFER, actor=None, excess_owed_to_debtor=True,
        )  # fmt: skip
    elif kind == "refund":
        owed = Refund.objects.filter(status=Refund.Status.OWED).order_by("pk").first()
        if owed is not None and owed.payment.received_on <= day:
            services.refund_mark_refunded(
                refund=owed, refunded_on=day, bank_reference="VIR", actor=None
            )
    else:
        remittance = services.remittance_prepare(creditor=creditors[op[1]], on=day, actor=None)
        if remittance is not None:
            services.remittance_mark_executed(remittance=remittance, executed_on=day, actor=None)


def test_the_ledger_stays_balanced(alpha_scope):
    w = alpha_scope
    creditors = [w.creditor, w.other_creditor]

    @settings(
        max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow],
        derandomize=False,
    )  # fmt: skip
    @given(ops=st.lists(operation, min_size=1, max_size=12))
    def check(ops):
        savepoint = transaction.savepoint()
        try:
            cases = [
                factories.new_case(w.creditor, principal=Decimal("900.00"), state="reminder"),
                factories.new_case(w.creditor, principal=Decimal("250.00"), state="reminder"),
                factories.new_case(w.other_creditor, principal=Decimal("400.00"),
                                   state=CaseState.FORMAL_NOTICE),
            ]  # fmt: skip
            days = [START + timedelta(days=4 * i) for i in range(len(ops))]
            for op, day in zip(ops, days, strict=True):
                try:
                    with transaction.atomic():
                        _apply(op, day, cases, creditors, w)
                except ValidationError:
                    pass  # a closed case, more than owed unconfirmed: refused, nothing written
            unbalanced = (
                LedgerEntry.objects.values("posting").annotate(t=Sum("amount")).exclude(t=0)
            )
            assert not unbalanced.exists()
            for creditor in creditors:
                for day in [START - timedelta(days=1), *days]:
                    held = funds_held(creditor=creditor, on=day)
                    assert held == _expected_held(creditor, day), (ops, day)
                    assert held >= ZERO
            figures = {f.creditor_id: f for f in money_figures(
                principal=w.admin.membership, start=START, end=TODAY)}  # fmt: skip
            for creditor in creditors:
                f = figures[creditor.pk]
                assert f.funds_held == f.collected - f.remitted - f.refunded - f.commission
        finally:
            transaction.savepoint_rollback(savepoint)

    check()
