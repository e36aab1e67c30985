"""The back-office in a real browser: an admin invites an agent, who accepts and logs in; the
admin edits a scenario's step and sees the new dates a case accepted today would get."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django_scopes import scopes_disabled

from collectio.models import Membership, Role
from dunning.models import Scenario
from tests.browser.conftest import log_in
from tests.outbox import run_outbox

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "Un-mot-de-passe-solide-42"


def test_an_admin_invites_an_agent_who_accepts_and_logs_in(world, live_server, page, browser):
    log_in(page, live_server.url, world.admin.email)
    page.click("[data-nav=backoffice]")
    page.click("text=Personnes")
    page.fill("#id_email", "ines.martin@alpha.fr")
    page.fill("#id_first_name", "Inès")
    page.select_option("#id_role", Role.AGENT)
    page.click("text=Envoyer l'invitation")
    assert "Invitation envoyée à ines.martin@alpha.fr" in page.inner_text(".messages")
    assert (
        page.locator('[data-invitation="ines.martin@alpha.fr"][data-status=pending]').count() == 1
    )

    run_outbox()  # the worker's part: the e-mail leaves after the commit
    (message,) = mail.outbox
    path = re.search(r"(/invitation/[^/\s]+/)", message.body).group(1)

    invitee = browser.new_context(locale="fr-FR").new_page()
    invitee.goto(live_server.url + path)
    assert "Rejoindre Alpha Recouvrement" in invitee.inner_text("h1")
    invitee.fill("#id_new_password1", PASSWORD)
    invitee.fill("#id_new_password2", PASSWORD)
    invitee.click("text=Créer mon compte")
    invitee.wait_for_url("**/cases/queues/")
    assert "ines.martin@alpha.fr" in invitee.inner_text("nav")
    with scopes_disabled():
        membership = Membership.objects.select_related("user").get(
            user__email="ines.martin@alpha.fr"
        )
    assert (membership.agency, membership.role) == (world.agency, Role.AGENT)

    invitee.click("text=Se déconnecter")
    log_in(invitee, live_server.url, "ines.martin@alpha.fr", PASSWORD)
    invitee.wait_for_url("**/cases/queues/")
    assert invitee.goto(live_server.url + path).status == 404  # the link is spent
    invitee.context.close()


PARIS = ZoneInfo("Europe/Paris")


def test_the_admin_edits_a_scenario_step_and_sees_the_new_dates(world, live_server, page):
    with scopes_disabled():
        scenario = Scenario.objects.get(agency=world.agency, is_default=True)
    # Wednesday 23 December 2026: the second reminder, 10 days after Thu 24, falls on Sunday
    # 3 January and moves to Monday 4; 5 days after, it is Tuesday 29 December.
    with time_machine.travel(datetime(2026, 12, 23, 10, tzinfo=PARIS), tick=True):
        log_in(page, live_server.url, world.admin.email)
        page.click("[data-nav=backoffice]")
        page.click("text=Scénarios de relance")
        page.click(f"[data-scenario='{scenario.pk}'] h2 a")
        second = page.locator("[data-schedule] li").nth(1)
        assert second.get_attribute("data-planned") == "2027-01-04"

        page.fill("#id_steps-1-delay", "5")
        page.keyboard.press("Tab")
        page.wait_for_selector("[data-schedule] li:nth-child(2)[data-planned='2026-12-29']")
        page.click("text=Enregistrer le scénario")
        assert "Scénario enregistré" in page.inner_text(".messages")
        planned = page.locator("[data-schedule] li").evaluate_all(
            "items => items.map(i => i.dataset.planned)"
        )
    assert planned == ["2026-12-24", "2026-12-29", "2026-12-31", "2027-01-04", "2027-01-13"]
    with scopes_disabled():
        assert scenario.steps.get(position=2).delay == 5
