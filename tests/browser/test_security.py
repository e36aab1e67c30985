"""The Content-Security-Policy holds in a real browser: no page or back-office screen trips it."""

from __future__ import annotations

import pytest
from django_scopes import scopes_disabled

from cases.models import CaseState
from dunning.models import Scenario
from tests import factories
from tests.browser.conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_no_page_violates_the_content_security_policy(world, live_server, page):
    violations: list[str] = []
    page.on(
        "console",
        lambda message: (
            violations.append(message.text)
            if "Content Security Policy" in message.text or "Refused to" in message.text
            else None
        ),
    )
    with scopes_disabled():
        case = factories.new_case(world.creditor, state=CaseState.REMINDER)
        scenario = Scenario.objects.get(agency=world.agency, is_default=True)
    page.goto(f"{live_server.url}/password-reset/")
    log_in(page, live_server.url, world.admin.email)
    page.wait_for_url("**/cases/queues/")  # admins start on the queues too
    page.goto(f"{live_server.url}/cases/")
    page.select_option("#state", CaseState.REMINDER)  # the list filters itself (app.js)
    page.wait_for_url("**/cases/?state=reminder")
    for path in (
        f"/cases/{case.pk}/",
        "/account/",
        "/account/two-factor/",
        "/admin/",
        f"/admin/dunning/scenario/{scenario.pk}/change/",
        "/admin/notices/lettertemplate/add/",
        "/admin/cases/creditor/add/",
    ):
        response = page.goto(f"{live_server.url}{path}")
        assert response is not None and response.status == 200, path
        policy = response.headers["content-security-policy"]
        # django-csp writes the directives in no fixed order: read them, not the string.
        directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
        assert directives["script-src"] == "'self'"
        page.wait_for_load_state("networkidle")
    assert violations == []
