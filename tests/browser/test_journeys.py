"""Main journeys in a real browser: an agent works a case, a creditor follows its cases."""

from __future__ import annotations

import pytest
from django_scopes import scopes_disabled

from cases import services
from cases.models import Case, CaseState
from tests import factories
from tests.browser.conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_agent_logs_in_finds_the_case_in_the_queue_and_escalates_it(world, live_server, page):
    with scopes_disabled():
        case = factories.new_case(world.creditor, state=CaseState.REMINDER)
    log_in(page, live_server.url, world.agent.email)

    page.wait_for_url("**/cases/queues/")  # agents start on their queues
    page.click("nav >> text=Tous les dossiers")
    page.click(f"text={case.reference}")
    page.click("button[data-transition=escalate]")

    page.wait_for_url(f"**/cases/{case.pk}/")
    assert "Relance téléphonique" in page.inner_text("h1") or "Phone" in page.inner_text("h1")
    with scopes_disabled():
        assert Case.objects.get(pk=case.pk).state == CaseState.PHONE_FOLLOWUP


def test_click_on_a_case_that_moved_meanwhile_is_refused_in_the_page(world, live_server, page):
    with scopes_disabled():
        case = factories.new_case(world.creditor, state=CaseState.REMINDER)
    log_in(page, live_server.url, world.agent.email)
    page.goto(f"{live_server.url}/cases/{case.pk}/")
    with scopes_disabled():  # a colleague escalates while the page is open
        services.case_transition(case=case, transition="escalate", actor=world.admin)
    page.click("button[data-transition=hold]")
    assert page.locator(".messages .error").count() == 1
    with scopes_disabled():
        assert Case.objects.get(pk=case.pk).state == CaseState.PHONE_FOLLOWUP


def test_creditor_user_sees_only_its_cases_and_gets_404_on_another(world, live_server, page):
    with scopes_disabled():
        own = factories.new_case(world.creditor)
        other = factories.new_case(world.other_creditor)
    log_in(page, live_server.url, world.creditor_user.email)
    page.wait_for_url("**/portal/")  # a creditor starts on its dashboard
    page.goto(f"{live_server.url}/portal/cases/")
    listing = page.inner_text("table")
    assert own.reference in listing and other.reference not in listing
    response = page.goto(f"{live_server.url}/cases/{other.pk}/")
    assert response is not None and response.status == 404
