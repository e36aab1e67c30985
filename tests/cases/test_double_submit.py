"""Issue 8 item 15: a form sent twice is applied once, even when both copies arrive together.

Two threads, each with its own database connection and its own logged-in client, post the same
rendered form at the same instant; the first write is held open a moment so the second really
arrives while it is in progress. Exactly one payment (one event) must come out of it.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from datetime import datetime
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.urls import reverse
from django_scopes import scopes_disabled

from cases import events
from cases.models import CaseEvent, CaseState
from collectio.outbox import OutboxMessage
from collectio.submissions import FIELD, FormSubmission
from payments.models import Payment
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _in_a_semester_with_rates():
    with time_machine.travel(datetime(2026, 5, 20, 12, tzinfo=ZoneInfo("Europe/Paris"))):
        yield


def _token(client: Client, url: str, action: str) -> str:
    """The token of the form posting to ``action`` on the page at ``url``."""
    html = client.get(url).content.decode()
    form = re.search(rf'action="{re.escape(action)}".*?</form>', html, re.S).group(0)
    return re.search(rf'name="{FIELD}" value="([^"]+)"', form).group(1)


def _slowly(func: Callable) -> Callable:
    """Hold the transaction open after the write, so the other copy arrives meanwhile."""

    def slow(*args, **kwargs):
        written = func(*args, **kwargs)
        time.sleep(0.5)
        return written

    return slow


def _at_once(agent, url: str, data: dict[str, str], copies: int = 2) -> list[int]:
    clients = [Client() for _ in range(copies)]
    for client in clients:
        client.force_login(agent)
    barrier = threading.Barrier(copies)
    statuses: list[int] = []

    def post(client: Client) -> None:
        try:
            barrier.wait()
            statuses.append(client.post(url, data).status_code)
        finally:
            connection.close()  # this thread's own connection

    threads = [threading.Thread(target=post, args=(c,)) for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return statuses


def test_two_identical_payment_posts_at_once_record_one_payment(world, client):
    with scopes_disabled():
        case = factories.new_case(world.creditor, state=CaseState.REMINDER)
    client.force_login(world.agent)
    action = reverse("workspace:payment_create", args=[case.pk])
    token = _token(client, reverse("workspace:detail", args=[case.pk]), action)
    data = {"amount": "100.00", "received_on": "2026-05-20", "method": "transfer", FIELD: token}
    with mock.patch.object(events, "payment_recorded", _slowly(events.payment_recorded)):
        statuses = _at_once(world.agent, action, data, copies=3)
    assert statuses == [302, 302, 302]  # the copies land on the case page, told it was once
    with scopes_disabled():
        assert Payment.objects.filter(case=case).count() == 1
        assert CaseEvent.objects.filter(case=case, kind=CaseEvent.Kind.PAYMENT).count() == 1
        # One receipt, one e-mail to the creditor's contact, one to its subscribed users.
        assert OutboxMessage.objects.filter(case_id=case.pk).count() == 3
        assert FormSubmission.objects.count() == 1


def test_two_identical_reminder_clicks_at_once_write_one_event(world, client):
    """``send_reminder`` loops on its state, so ``expected_state`` alone let both through."""
    with scopes_disabled():
        case = factories.new_case(world.creditor, state=CaseState.REMINDER)
    client.force_login(world.agent)
    action = reverse("workspace:transition", args=[case.pk, "send_reminder"])
    token = _token(client, reverse("workspace:detail", args=[case.pk]), action)
    data = {"expected_state": CaseState.REMINDER, FIELD: token}
    with mock.patch.object(events, "state_changed", _slowly(events.state_changed)):
        statuses = _at_once(world.agent, action, data)
    assert statuses == [302, 302]
    with scopes_disabled():
        sent = CaseEvent.objects.filter(case=case, transition="send_reminder")
        assert sent.count() == 1
