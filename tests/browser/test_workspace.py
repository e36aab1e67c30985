"""The agent's morning in a real browser: next case, a call, a promise; the case leaves the
queue and comes back when the promise date passes unpaid."""

from __future__ import annotations

from datetime import datetime

import pytest
import time_machine
from django_scopes import scopes_disabled

from cases.models import Case, CaseState
from collectio.scoping import tenant_scope
from payments.models import PaymentPromise
from payments.promises import promises_check
from tests.browser.conftest import log_in
from tests.workspace.conftest import PARIS, TUESDAY_10AM, case_to_call

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_next_case_promise_then_back_in_the_queue_when_broken(world, live_server, page):
    with time_machine.travel(TUESDAY_10AM, tick=True):
        case = case_to_call(world.creditor)
        log_in(page, live_server.url, world.agent.email)
        page.wait_for_url("**/cases/queues/")
        assert case.reference in page.inner_text("#queue-rows")

        page.keyboard.press("n")  # next case
        page.wait_for_url(f"**/cases/{case.pk}/")
        page.click("[data-action=call]")
        page.wait_for_selector("[data-dialing]")
        page.keyboard.press("4")  # promise to pay
        page.wait_for_selector("#promise-form.show")
        page.fill("#id_promise_amount", "300")
        page.fill("#id_promise_due_on", "2026-05-26")
        # Headless Chromium asks about the tel: link the call opened and swallows the next real
        # input event: the button gets its click as an event.
        page.locator("[data-action=record-promise]").dispatch_event("click")
        page.wait_for_selector("[data-done]")
        assert "Promesse de paiement enregistrée" in page.inner_text("[data-done]")
        assert "promis de payer 300,00" in page.inner_text("#timeline")

        page.goto(f"{live_server.url}/cases/queues/?queue=calls")
        assert case.reference not in page.inner_text("#queue-rows")
        with scopes_disabled():
            assert Case.objects.get(pk=case.pk).state == CaseState.ON_HOLD

    with time_machine.travel(datetime(2026, 5, 27, 7, 0, tzinfo=PARIS), tick=True):
        with tenant_scope(world.agency.pk):
            assert promises_check(agency_id=world.agency.pk) == 1  # what the beat runs daily
        page.goto(f"{live_server.url}/cases/queues/?queue=promises")
        assert case.reference in page.inner_text("#queue-rows")
        assert "15 " in page.text_content(f"tr[data-case='{case.pk}'] details.priority ul")
        with scopes_disabled():
            assert PaymentPromise.objects.get().status == PaymentPromise.Status.BROKEN
            assert Case.objects.get(pk=case.pk).state == CaseState.PHONE_FOLLOWUP


def test_a_refused_call_says_why_in_the_page(world, live_server, page):
    with time_machine.travel(datetime(2026, 5, 24, 11, 0, tzinfo=PARIS), tick=True):  # Sunday
        case = case_to_call(world.creditor)
        log_in(page, live_server.url, world.agent.email)
        page.goto(f"{live_server.url}/cases/{case.pk}/")
        assert "Pas d’appel le dimanche" in page.inner_text("[data-guardrail]")
        page.click("[data-action=call]")
        page.wait_for_selector("[data-refusals]")
        assert "Pas d’appel le dimanche (REQ-F1)." in page.inner_text("[data-refusals]")
