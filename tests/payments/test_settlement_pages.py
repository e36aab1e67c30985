"""Settlements on screen: the agent records the debtor's offer on the case screen; within the
convention's bounds it is agreed at once, below them the creditor answers in its portal."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse
from django_scopes import scopes_disabled

from cases.models import CaseEvent, CaseState
from payments.models import Settlement
from tests import factories


@pytest.fixture(autouse=True)
def _in_a_semester_with_published_rates():
    with time_machine.travel(datetime(2026, 5, 20, 12, tzinfo=ZoneInfo("Europe/Paris"))):
        yield


def _offer(client, case, amount, reason="Le débiteur solde tout de suite"):
    return client.post(
        reverse("workspace:settlement_propose", args=[case.pk]),
        {"amount": amount, "reason": reason, **factories.once()},
    )


def test_an_offer_within_the_convention_is_agreed_at_once(client, world):
    with scopes_disabled():
        world.creditor.settlement_min_percent = Decimal("50")
        world.creditor.save(update_fields=["settlement_min_percent"])
    case = factories.new_case(world.creditor, state=CaseState.REMINDER, principal=Decimal("1000"))
    client.force_login(world.agent)
    assert _offer(client, case, "900").status_code == 302
    with scopes_disabled():
        settlement = Settlement.objects.get(case=case)
        assert settlement.status == Settlement.Status.AGREED
        assert CaseEvent.objects.filter(case=case, kind="settlement_agreed").count() == 1
    page = client.get(reverse("workspace:detail", args=[case.pk])).content.decode()
    assert 'data-settlement="agreed"' in page


def test_a_bad_offer_is_refused_on_the_page_and_nothing_is_written(client, world):
    case = factories.new_case(world.creditor, state=CaseState.REMINDER, principal=Decimal("1000"))
    client.force_login(world.agent)
    page = client.get(reverse("workspace:detail", args=[case.pk])).content.decode()
    assert page.count('id="id_amount"') == 1  # the payment's; the offer has its own ids
    assert 'id="id_settlement_amount"' in page
    too_much = _offer(client, case, "5000")
    assert too_much.status_code == 400
    assert "below what is owed" in too_much.content.decode()
    no_reason = _offer(client, case, "500", reason="")
    assert no_reason.status_code == 400 and "This field is required." in no_reason.content.decode()
    with scopes_disabled():
        assert not Settlement.objects.filter(case=case).exists()


def test_below_the_convention_the_creditor_answers_in_its_portal(client, world):
    case = factories.new_case(world.creditor, state=CaseState.REMINDER, principal=Decimal("1000"))
    client.force_login(world.agent)
    assert _offer(client, case, "400").status_code == 302
    with scopes_disabled():
        settlement = Settlement.objects.get(case=case)
    assert settlement.status == Settlement.Status.AWAITING_APPROVAL

    client.force_login(world.creditor_user)
    page = client.get(reverse("portal:case_detail", args=[case.pk])).content.decode()
    assert "data-settlement-awaiting" in page and "400,00" in page
    url = reverse("portal:case_settlement", args=[case.pk])
    blank = client.post(url, {**factories.once()})
    assert blank.status_code == 400
    assert client.post(url, {"decision": "approve", **factories.once()}).status_code == 302
    with scopes_disabled():
        settlement.refresh_from_db()
        assert settlement.status == Settlement.Status.AGREED
        assert settlement.approved_by == world.creditor_user
    again = client.post(url, {"decision": "refuse", **factories.once()})
    assert again.status_code == 409
    assert "No settlement is waiting for your answer" in again.content.decode()


def test_the_creditor_may_refuse(client, world):
    case = factories.new_case(world.creditor, state=CaseState.REMINDER, principal=Decimal("1000"))
    client.force_login(world.agent)
    _offer(client, case, "300")
    client.force_login(world.creditor_user)
    url = reverse("portal:case_settlement", args=[case.pk])
    assert client.post(url, {"decision": "refuse", **factories.once()}).status_code == 302
    with scopes_disabled():
        assert Settlement.objects.get(case=case).status == Settlement.Status.REFUSED
        assert not CaseEvent.objects.filter(case=case, kind="settlement_agreed").exists()
