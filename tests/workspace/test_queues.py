"""Queues, the priority score and "next case": two agents never get the same case."""

from __future__ import annotations

import threading
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django_scopes import scopes_disabled

from cases import queues
from cases.models import Case, CaseLease, CaseState
from collectio.models import Role
from collectio.scoping import tenant_scope
from debtors.models import CallTask
from payments.models import PaymentPlan, PlanInstalment
from tests import factories
from tests.workspace.conftest import PARIS, TUESDAY_10AM, case_to_call


def test_the_score_is_the_sum_of_its_readable_parts(calling):
    Case.objects.filter(pk=calling.case.pk).update(
        principal_due=Decimal("2600.00"),  # 10 points
        first_due_date=date(2026, 2, 18),  # 90 days: 3 points
        promises_broken=1,  # 15 points
        last_contact_at=datetime(2026, 5, 13, 10, tzinfo=PARIS),  # 6 days: 3 points
        limitation_date=date(2026, 6, 18),  # 30 days left: 20 points
    )
    membership = calling.agent.membership
    assert queues.queue_priorities_refresh(membership=membership, key="calls") == 1
    row = queues.queue_page(membership=membership, key="calls", filters=queues.QueueFilters())[0]
    parts = {str(p["label"]): p["points"] for p in queues.priority_parts(row)}
    assert parts == {
        "Amount": 10, "Age": 3, "Broken promises": 15, "No contact": 3, "Limitation": 20,
    }  # fmt: skip
    assert row.priority == 51


def test_the_queue_is_ordered_by_priority_and_filtered(calling):
    small = calling.case
    big = case_to_call(calling.creditor, principal=Decimal("9000.00"), name="Gros Client SA")
    other = case_to_call(calling.other_creditor, principal=Decimal("5000.00"))
    membership = calling.agent.membership
    queues.queue_priorities_refresh(membership=membership, key="calls")

    def page(**filters):
        rows = queues.queue_page(
            membership=membership, key="calls", filters=queues.QueueFilters(**filters)
        )
        return [c.pk for c in rows]

    assert page() == [big.pk, other.pk, small.pk]
    assert page(creditor_id=calling.creditor.pk) == [big.pk, small.pk]
    assert page(min_amount=Decimal("5000")) == [big.pk, other.pk]
    assert page(search="gros client") == [big.pk]
    assert page(search=big.reference.lower()) == [big.pk]
    assert page(search=big.claims.get().invoice_number) == [big.pk]
    assert page(search=big.debtor.siren) == [big.pk]
    assert set(page(search="+33 6 12 34 56 78")) == {big.pk, other.pk, small.pk}
    assert page(search="nobody") == []


def test_counts_per_queue(calling):
    with scopes_disabled():
        factories.new_case(calling.creditor)  # new: to review
        factories.new_case(calling.creditor, state=CaseState.DISPUTED, resume_state="reminder")
    counts = {q.key: n for q, n in queues.queue_counts(membership=calling.agent.membership)}
    assert counts["calls"] == 1 and counts["review"] == 1 and counts["disputes"] == 1
    assert counts["promises"] == counts["instalments"] == counts["confirmations"] == 0


def test_a_plan_behind_its_schedule_is_in_the_instalments_queue(calling):
    with scopes_disabled():
        case = factories.new_case(
            calling.creditor, state=CaseState.PAYMENT_PLAN, resume_state=CaseState.REMINDER
        )
    plan = PaymentPlan.objects.create(
        agency=calling.agency, case=case, agreed_on=date(2026, 4, 1), total=Decimal("300"),
        interest="frozen",
    )  # fmt: skip
    for position, due_on in enumerate((date(2026, 4, 15), date(2026, 5, 15), date(2026, 6, 15))):
        PlanInstalment.objects.create(
            agency=calling.agency, plan=plan, position=position + 1, due_on=due_on,
            amount=Decimal("100"),
        )  # fmt: skip
    membership = calling.agent.membership
    assert list(queues.queue_cases(membership=membership, key="instalments")) == [case]
    case.payments.create(
        agency=calling.agency, amount=Decimal("200"), received_on=date(2026, 5, 15),
        method="transfer",
    )  # fmt: skip
    assert not queues.queue_cases(membership=membership, key="instalments").exists()


def test_next_case_hands_each_agent_a_different_case_and_the_claim_expires(calling, tuesday):
    second = case_to_call(calling.creditor, principal=Decimal("100.00"))
    colleague = factories.new_user(calling.agency, Role.AGENT)
    mine = queues.case_claim_next(membership=calling.agent.membership, key="calls")
    theirs = queues.case_claim_next(membership=colleague.membership, key="calls")
    assert {mine.pk, theirs.pk} == {calling.case.pk, second.pk}
    third = factories.new_user(calling.agency, Role.AGENT)
    assert queues.case_claim_next(membership=third.membership, key="calls") is None
    tuesday.shift(queues.LEASE_DURATION + timedelta(seconds=1))
    assert queues.case_claim_next(membership=third.membership, key="calls") is not None


def test_taking_the_next_case_releases_the_previous_one(calling):
    second = case_to_call(calling.creditor, principal=Decimal("100.00"))
    first = queues.case_claim_next(membership=calling.agent.membership, key="calls")
    CallTask.objects.filter(case=first).update(status=CallTask.Status.DONE)
    assert queues.case_claim_next(membership=calling.agent.membership, key="calls") == second
    assert list(CaseLease.objects.values_list("case_id", flat=True)) == [second.pk]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("cases", [30, 5])
def test_twenty_concurrent_claims_never_hand_one_case_to_two_agents(world, cases):
    """Real PostgreSQL, one connection per thread, all released at once by a barrier."""
    with time_machine.travel(TUESDAY_10AM, tick=True), tenant_scope(world.agency.pk):
        for _ in range(cases):
            case_to_call(world.creditor)
        agents = [factories.new_user(world.agency, Role.AGENT) for _ in range(20)]
        memberships = [a.membership for a in agents]
        barrier = threading.Barrier(len(agents))
        taken: list[int | None] = []
        errors: list[BaseException] = []

        def claim(membership):
            try:
                with tenant_scope(world.agency.pk):
                    barrier.wait()
                    case = queues.case_claim_next(membership=membership, key="calls")
                    taken.append(case.pk if case else None)
            except BaseException as error:
                errors.append(error)
            finally:
                connection.close()

        threads = [threading.Thread(target=claim, args=(m,)) for m in memberships]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert errors == []
    claimed = [pk for pk in taken if pk is not None]
    assert len(claimed) == min(cases, 20)
    assert len(set(claimed)) == len(claimed)
    with scopes_disabled():
        leases = list(CaseLease.objects.values_list("case_id", "agent_id"))
    assert sorted(c for c, _ in leases) == sorted(claimed)
    assert len({a for _, a in leases}) == len(claimed)
