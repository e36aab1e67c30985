"""Case pages: login, the agents' queue, one-click transitions and refusals a person can read."""

from __future__ import annotations

import re
from decimal import Decimal

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape
from django_scopes import scopes_disabled

from cases import events
from cases.models import Case, CaseEvent, CaseState, has_outstanding
from collectio.scoping import tenant_scope
from tests import factories


def _reload(case: Case) -> Case:
    with scopes_disabled():
        return Case.objects.get(pk=case.pk)


def _transition_events(case: Case) -> list[CaseEvent]:
    with scopes_disabled():
        return list(CaseEvent.objects.filter(case=case, kind=CaseEvent.Kind.TRANSITION))


def _buttons(html: str) -> set[str]:
    return set(re.findall(r'data-transition="([a-z_]+)"', html))


def test_login_page_renders_and_logs_in(world, client):
    page = client.get(reverse("login"))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'type="password"' in html and 'name="password"' in html
    assert 'name="username"' in html and "csrfmiddlewaretoken" in html
    response = client.post(
        reverse("login"), {"username": "agent@alpha.fr", "password": "secret-pass-123"}
    )
    assert response.status_code == 302
    assert client.get(reverse("workspace:list")).status_code == 200


def test_wrong_password_stays_on_the_login_page(world, client):
    response = client.post(reverse("login"), {"username": "agent@alpha.fr", "password": "nope"})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_agent_sees_the_agency_queue_and_filters_it(world, client):
    reminder = factories.new_case(world.creditor, state=CaseState.REMINDER)
    fresh = factories.new_case(world.other_creditor)
    client.force_login(world.agent)
    response = client.get(reverse("workspace:list"))
    assert response.status_code == 200
    html = response.content.decode()
    for case in (reminder, fresh):  # both creditors: agents work the whole agency
        assert reverse("workspace:detail", args=[case.pk]) in html
    filtered = client.get(reverse("workspace:list"), {"state": CaseState.REMINDER})
    assert [c.pk for c in filtered.context["page"]] == [reminder.pk]


def test_staff_fires_a_transition_from_the_detail_page(world, client):
    case = factories.new_case(world.creditor)
    client.force_login(world.agent)
    detail = reverse("workspace:detail", args=[case.pk])
    html = client.get(detail).content.decode()
    action = reverse("workspace:transition", args=[case.pk, "accept"])
    assert f'action="{action}"' in html
    assert {"accept", "reject", "withdraw"} <= _buttons(html)
    assert 'name="expected_state" value="new"' in html

    response = client.post(action, {"expected_state": CaseState.NEW, **factories.once()})
    assert response.status_code == 302
    assert response.url == detail
    assert _reload(case).state == CaseState.REMINDER
    (event,) = _transition_events(case)
    assert (event.transition, event.actor) == ("accept", world.agent)


def test_refused_transition_shows_why_with_409_and_changes_nothing(world, client):
    case = factories.new_case(
        world.creditor, state=CaseState.REMINDER, principal_due=Decimal("0.00")
    )
    client.force_login(world.admin)
    response = client.post(
        reverse("workspace:transition", args=[case.pk, "escalate"]),
        {"expected_state": CaseState.REMINDER, **factories.once()},
    )
    assert response.status_code == 409
    with translation.override(response.wsgi_request.LANGUAGE_CODE):
        reason = str(has_outstanding.message)
    assert escape(reason) in response.content.decode()
    assert _reload(case).state == CaseState.REMINDER
    assert _transition_events(case) == []


def test_click_on_a_stale_page_is_refused(world, client):
    case = factories.new_case(world.creditor, state=CaseState.PHONE_FOLLOWUP)
    client.force_login(world.agent)
    response = client.post(
        reverse("workspace:transition", args=[case.pk, "hold"]),
        {"expected_state": CaseState.REMINDER, **factories.once()},
    )
    assert response.status_code == 409
    assert _reload(case).state == CaseState.PHONE_FOLLOWUP
    assert _transition_events(case) == []


def test_creditor_user_is_offered_only_its_own_actions(world, client):
    case = factories.new_case(world.creditor, state=CaseState.REMINDER)
    client.force_login(world.creditor_user)
    html = client.get(reverse("workspace:detail", args=[case.pk])).content.decode()
    assert _buttons(html) == {"hold", "open_dispute", "withdraw"}  # a creditor may hold its case


def test_close_without_a_code_is_refused_not_a_server_error(world, client):
    case = factories.new_case(world.creditor, state=CaseState.REMINDER)
    client.force_login(world.admin)
    client.raise_request_exception = False
    response = client.post(reverse("workspace:transition", args=[case.pk, "close"]))
    assert response.status_code in (400, 409)
    assert _reload(case).state == CaseState.REMINDER


def _queries(client, url: str) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return [query["sql"] for query in captured.captured_queries]


def test_queue_and_case_page_load_the_agency_with_the_membership(world, client):
    """The header names the member's agency (and creditor): they come with the membership in
    one query, not each in a query of their own (the case page loaded the agency twice)."""
    case = factories.new_case(world.creditor, state=CaseState.REMINDER)
    for user in (world.agent, world.creditor_user):
        client.force_login(user)
        for url in (reverse("workspace:list"), reverse("workspace:detail", args=[case.pk])):
            queries = _queries(client, url)
            alone = [
                q
                for q in queries
                if q.startswith(('SELECT "collectio_agency"."id"', 'SELECT "cases_creditor"."id"'))
            ]
            assert alone == [], url
            assert world.agency.legal_name in client.get(url).content.decode()


def test_case_page_queries_do_not_grow_with_its_timeline(world, client):
    case = factories.new_case(world.creditor, state=CaseState.REMINDER)
    client.force_login(world.agent)
    url = reverse("workspace:detail", args=[case.pk])
    client.get(url)
    before = len(_queries(client, url))
    with tenant_scope(world.agency.pk):
        for author in (world.agent, world.admin, world.creditor_user, None):
            events.note_added(case=case, actor=author, text="Rappel demandé")
    assert len(_queries(client, url)) == before


def test_queue_queries_do_not_grow_with_the_cases_on_the_page(world, client):
    factories.new_case(world.creditor, state=CaseState.REMINDER)
    client.force_login(world.agent)
    url = reverse("workspace:list")
    client.get(url)
    before = len(_queries(client, url))
    for creditor in (world.creditor, world.other_creditor) * 5:
        factories.new_case(creditor, state=CaseState.REMINDER)
    assert len(_queries(client, url)) == before
