"""Computed deadlines are tracked (issue 8, item 5): the remittance month (REQ-A8, R124-6) and the
injunction order's deadlines (REQ-E5) become dated tasks, alerted at D-7 and D-1, missed when
the agency let them pass, listed for agents."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse
from django_scopes import scopes_disabled

from cases.models import Case, CaseEvent, CaseState
from collectio.celery import app
from collectio.scoping import tenant_scope
from dunning import services, tasks
from dunning.models import Deadline
from payments.services import payment_record
from tests import factories

K, S = Deadline.Kind, Deadline.Status


def judicial_case(creditor) -> Case:
    return factories.new_case(creditor, state=CaseState.JUDICIAL, invoiced_on=date(2025, 6, 1))


@time_machine.travel(date(2026, 2, 2))
def test_a_payment_starts_its_remittance_month_moved_earlier(alpha_scope):
    """REQ-A8: credited Fri 2026-01-30 → 2026-02-28 is a Saturday → remitted by Fri 2026-02-27."""
    case = factories.new_case(alpha_scope.creditor, state=CaseState.REMINDER)
    payment = payment_record(
        case=case,
        amount=Decimal("250.00"),
        received_on=date(2026, 1, 30),
        method="transfer",
        actor=alpha_scope.agent,
    )
    deadline = Deadline.objects.get(case=case)
    assert (deadline.kind, deadline.status, deadline.starts_on) == (
        K.REMITTANCE,
        S.OPEN,
        date(2026, 1, 30),
    )
    assert (deadline.due_on, deadline.amount, deadline.payment_id) == (
        date(2026, 2, 27), Decimal("250.00"), payment.pk,
    )  # fmt: skip


@time_machine.travel(date(2026, 2, 20))
def test_an_order_must_be_served_within_six_months(alpha_scope):
    """REQ-E5: ordonnance 2026-02-10 → serve by 2026-08-10 (CPC 1411)."""
    case = judicial_case(alpha_scope.creditor)
    deadline = services.judicial_step_record(
        case=case, step="ordonnance", on=date(2026, 2, 10), actor=alpha_scope.agent
    )
    assert (deadline.kind, deadline.due_on) == (K.SERVICE, date(2026, 8, 10))
    event = CaseEvent.objects.get(case=case, kind=CaseEvent.Kind.JUDICIAL_STEP)
    assert event.payload == {"step": "ordonnance", "on": "2026-02-10", "deadline": "2026-08-10"}


@time_machine.travel(date(2026, 2, 5))
def test_service_closes_the_serve_by_task_and_opens_the_opposition_month_moved_later(
    alpha_scope,
):
    """REQ-E5: served Fri 2026-01-30 → 2026-02-28 (Sat) → Mon 2026-03-02 (CPC 1416, 642). The
    order of 2026-01-14 was to be served by 2026-07-14, a holiday: moved earlier, to Monday 13."""
    case = judicial_case(alpha_scope.creditor)
    order = services.judicial_step_record(
        case=case, step="ordonnance", on=date(2026, 1, 14), actor=alpha_scope.agent
    )
    assert order.due_on == date(2026, 7, 13)
    opposition = services.judicial_step_record(
        case=case, step="service", on=date(2026, 1, 30), actor=alpha_scope.agent
    )
    assert (opposition.kind, opposition.due_on) == (K.OPPOSITION, date(2026, 3, 2))
    order.refresh_from_db()
    assert (order.status, order.done_by) == (S.DONE, alpha_scope.agent)


@pytest.mark.parametrize(
    ("state", "steps", "message"),
    [
        (CaseState.FORMAL_NOTICE, [("ordonnance", date(2026, 2, 10))], "with the judicial partner"),
        (CaseState.JUDICIAL, [("service", date(2026, 2, 10))], "order before its service"),
        (CaseState.JUDICIAL, [("ordonnance", date(2026, 3, 10))], "in the future"),
        (
            CaseState.JUDICIAL,
            [("ordonnance", date(2026, 2, 10)), ("service", date(2026, 2, 9))],
            "before the day it was issued",
        ),
        (
            CaseState.JUDICIAL,
            [("ordonnance", date(2026, 2, 10)), ("ordonnance", date(2026, 2, 11))],
            "already recorded",
        ),
    ],
)  # fmt: skip
@time_machine.travel(date(2026, 2, 20))
def test_judicial_steps_that_cannot_be_are_refused(alpha_scope, state, steps, message):
    case = factories.new_case(alpha_scope.creditor, state=state)
    *before, (step, on) = steps
    for earlier, day in before:
        services.judicial_step_record(case=case, step=earlier, on=day, actor=None)
    count = Deadline.objects.count()
    with pytest.raises(ValidationError, match=message):
        services.judicial_step_record(case=case, step=step, on=on, actor=None)
    assert Deadline.objects.count() == count


def _deadline(case, kind, due_on, **fields) -> Deadline:
    return Deadline.objects.create(
        agency=case.agency, case=case, kind=kind, starts_on=date(2026, 1, 1), due_on=due_on,
        **fields,
    )  # fmt: skip


def _events(case, kind):
    return list(
        CaseEvent.objects.filter(case=case, kind=kind)
        .order_by("pk")
        .values_list("payload__deadline", "payload__days_left")
    )


def test_alerts_at_d7_and_d1_once_each_then_missed_once(alpha_scope):
    case = factories.new_case(alpha_scope.creditor)
    remit = _deadline(case, K.REMITTANCE, date(2026, 2, 27), amount=Decimal("250.00"))
    raise_on = lambda day: services.deadline_alerts_raise(agency_id=case.agency_id, today=day)  # noqa: E731
    assert raise_on(date(2026, 2, 19)) == 0  # D-8
    assert raise_on(date(2026, 2, 20)) == 1  # D-7
    assert raise_on(date(2026, 2, 20)) == 0  # twice the same day: nothing more
    assert raise_on(date(2026, 2, 23)) == 0  # D-4: the D-7 alert was given
    assert raise_on(date(2026, 2, 26)) == 1  # D-1
    assert raise_on(date(2026, 2, 27)) == 0  # the day itself: still open, already alerted
    assert raise_on(date(2026, 2, 28)) == 1  # past: missed
    assert raise_on(date(2026, 3, 1)) == 0
    assert _events(case, "deadline_alert") == [("remittance", 7), ("remittance", 1)]
    remit.refresh_from_db()
    assert remit.status == S.MISSED
    passed = CaseEvent.objects.get(case=case, kind="deadline_passed")
    assert passed.payload["missed"] is True and passed.payload["amount"] == "250.00"


def test_a_late_start_gets_the_most_urgent_alert_only(alpha_scope):
    case = factories.new_case(alpha_scope.creditor)
    _deadline(case, K.SERVICE, date(2026, 3, 2))
    services.deadline_alerts_raise(agency_id=case.agency_id, today=date(2026, 3, 1))
    services.deadline_alerts_raise(agency_id=case.agency_id, today=date(2026, 3, 2))
    assert _events(case, "deadline_alert") == [("service", 1)]


def test_the_debtors_period_ends_by_itself_it_is_not_missed(alpha_scope):
    case = factories.new_case(alpha_scope.creditor)
    opposition = _deadline(case, K.OPPOSITION, date(2026, 3, 2))
    services.deadline_alerts_raise(agency_id=case.agency_id, today=date(2026, 3, 3))
    opposition.refresh_from_db()
    assert opposition.status == S.DONE
    assert CaseEvent.objects.get(case=case, kind="deadline_passed").payload["missed"] is False


def test_done_deadlines_are_not_alerted(alpha_scope):
    case = factories.new_case(alpha_scope.creditor)
    _deadline(case, K.REMITTANCE, date(2026, 2, 27), status=S.DONE)
    assert services.deadline_alerts_raise(agency_id=case.agency_id, today=date(2026, 2, 26)) == 0


def test_the_daily_task_covers_every_agency_and_is_on_the_beat(world):
    with scopes_disabled():
        alpha = factories.new_case(world.creditor)
        bravo = factories.new_case(factories.new_creditor(world.other_agency, "Bravo Client"))
        for case in (alpha, bravo):
            _deadline(case, K.REMITTANCE, date(2026, 2, 27))
    with time_machine.travel(date(2026, 2, 20)):
        assert tasks.deadline_alerts() == 2
    app.finalize()
    schedule = {entry["task"] for entry in app.conf.beat_schedule.values()}
    assert "dunning.tasks.deadline_alerts" in schedule


# --- pages ------------------------------------------------------------------------------------
@pytest.fixture
def deadlines(world):
    """Two Alpha deadlines (the later one first) and one of Bravo."""
    with scopes_disabled():
        late = _deadline(factories.new_case(world.creditor), K.SERVICE, date(2026, 8, 10))
        soon = _deadline(
            factories.new_case(world.other_creditor), K.REMITTANCE, date(2026, 2, 27),
            amount=Decimal("250.00"),
        )  # fmt: skip
        done = _deadline(late.case, K.REMITTANCE, date(2026, 1, 5), status=S.DONE)
        bravo_case = factories.new_case(factories.new_creditor(world.other_agency, "Bravo SA"))
        bravo = _deadline(bravo_case, K.REMITTANCE, date(2026, 2, 1))
    return {"late": late, "soon": soon, "done": done, "bravo": bravo}


def _case_link(deadline: Deadline) -> str:
    return f'href="{reverse("workspace:detail", args=[deadline.case_id])}"'


def test_agents_see_their_agencys_deadlines_soonest_first_linked_to_the_case(
    world, deadlines, client
):
    client.force_login(world.agent)
    page = client.get(reverse("workspace:deadlines")).content.decode()
    soon, late = deadlines["soon"], deadlines["late"]
    assert page.index(_case_link(soon)) < page.index(_case_link(late))
    assert "250,00" in page
    assert page.count("<tr data-deadline=") == 2  # the done one and Bravo's are not listed
    assert _case_link(deadlines["bravo"]) not in page


def test_the_deadlines_page_is_for_agency_staff_only(world, deadlines, client):
    client.force_login(world.creditor_user)
    assert client.get(reverse("workspace:deadlines")).status_code == 404
    client.force_login(world.charlie)
    page = client.get(reverse("workspace:deadlines")).content.decode()
    assert _case_link(deadlines["soon"]) not in page
    assert _case_link(deadlines["bravo"]) in page


def test_an_agent_marks_a_remittance_done(world, deadlines, client):
    client.force_login(world.agent)
    soon = deadlines["soon"]
    response = client.post(reverse("workspace:deadline_done", args=[soon.pk]))
    assert response.status_code == 302
    with scopes_disabled():
        soon.refresh_from_db()
    assert (soon.status, soon.done_by_id) == (S.DONE, world.agent.pk)
    again = client.post(reverse("workspace:deadline_done", args=[soon.pk]), follow=True)
    assert "already done" in again.content.decode()


@time_machine.travel(date(2026, 2, 20))
def test_an_agent_records_the_order_on_the_case_page(world, client):
    with scopes_disabled():
        case = judicial_case(world.creditor)
    client.force_login(world.agent)
    page = client.get(reverse("workspace:detail", args=[case.pk])).content.decode()
    assert reverse("workspace:judicial_step", args=[case.pk]) in page
    url = reverse("workspace:judicial_step", args=[case.pk])
    response = client.post(url, {"step": "ordonnance", "on": "2026-02-10"})
    assert response.status_code == 302
    page = client.get(reverse("workspace:detail", args=[case.pk])).content.decode()
    assert 'data-deadline="service"' in page
    refused = client.post(url, {"step": "ordonnance", "on": "2026-02-11"})
    assert refused.status_code == 400
    assert "already recorded" in refused.content.decode()
    with tenant_scope(world.agency.pk):
        assert Deadline.objects.get(case=case).due_on == date(2026, 8, 10)
