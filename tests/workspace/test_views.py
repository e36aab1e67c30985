"""The workspace pages and partials: thin views over the services, bounded query counts."""

from __future__ import annotations

import json
import re
from datetime import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django_scopes import scopes_disabled

from cases.models import Case, CaseEvent, CaseLease, CaseState
from debtors.models import CallTask, ContactLogEntry
from payments.models import PaymentPromise
from tests import factories
from tests.workspace.conftest import PARIS, case_to_call

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def agent_client(calling, client):
    client.force_login(calling.agent)
    return client


def test_agents_start_their_day_on_the_queues(agent_client):
    response = agent_client.get("/", follow=True)
    assert response.redirect_chain[-1][0] == reverse("workspace:queues")


def test_the_queue_page_lists_the_queue_with_counts_and_the_scores_parts(calling, agent_client):
    page = agent_client.get(reverse("workspace:queues")).content.decode()
    assert calling.case.reference in page
    assert re.search(r'data-count="calls">1<', page)
    assert "1 point per 250 € of principal still due" in page
    assert 'data-shortcut="n"' in page


def test_the_filters_answer_with_the_rows_only_for_htmx(calling, agent_client):
    url = reverse("workspace:queues") + "?queue=calls&q=nobody"
    partial = agent_client.get(url, HTTP_HX_TARGET="queue-rows", **HTMX).content.decode()
    assert "Nothing in this queue." in partial and "<nav" not in partial
    bad = agent_client.get(reverse("workspace:queues") + "?min_amount=50&max_amount=10")
    assert (
        bad.status_code == 400 and "The upper bound is below the lower one." in bad.content.decode()
    )


def test_creditor_users_have_no_queues(world, client):
    client.force_login(world.creditor_user)
    assert client.get(reverse("workspace:queues")).status_code == 404
    assert client.post(reverse("workspace:next"), {"queue": "calls"}).status_code == 404
    assert client.get(reverse("workspace:my_day")).status_code == 404


def test_queue_page_queries_are_bounded(calling, agent_client, django_assert_max_num_queries):
    for index in range(40):
        case_to_call(calling.creditor, principal=Decimal(100 + index))
    with django_assert_max_num_queries(20):
        response = agent_client.get(reverse("workspace:queues"))
    assert response.content.decode().count("data-case=") == 41


def test_next_case_claims_the_top_case_and_opens_it(
    calling, agent_client, django_assert_max_num_queries
):
    for index in range(20):
        case_to_call(calling.creditor, principal=Decimal(10 + index))
    with django_assert_max_num_queries(16):
        response = agent_client.post(reverse("workspace:next"), {"queue": "calls"})
    assert response.url == reverse("workspace:detail", args=[calling.case.pk])
    lease = CaseLease.objects.get()
    assert lease.case_id == calling.case.pk and lease.agent == calling.agent
    page = agent_client.get(response.url).content.decode()
    assert "data-lease-release" in page and "06 12 34 56 78" in page


def test_next_case_on_an_empty_queue_says_so(calling, agent_client):
    response = agent_client.post(reverse("workspace:next"), {"queue": "disputes"}, follow=True)
    assert "Nothing left to take in this queue." in response.content.decode()


def test_leaving_the_case_releases_the_claim(calling, agent_client):
    agent_client.post(reverse("workspace:next"), {"queue": "calls"})
    response = agent_client.post(reverse("workspace:leave", args=[calling.case.pk]))
    assert response.url == reverse("workspace:queues") + "?queue=calls"
    assert not CaseLease.objects.exists()
    beacon = agent_client.post(reverse("workspace:leave", args=[calling.case.pk]), {"beacon": "1"})
    assert beacon.status_code == 204


def _post(client, name, case, data=None, **extra):
    return client.post(
        reverse(name, args=[case.pk, *extra.pop("args", ())]),
        {**factories.once(), **(data or {})},
        **HTMX,
    )


def test_a_call_then_its_outcome_in_one_click(calling, agent_client):
    started = _post(agent_client, "workspace:call_start", calling.case, args=[calling.phone.pk])
    assert started.status_code == 200 and "data-autodial" in started.content.decode()
    attempt = ContactLogEntry.objects.get()
    response = _post(
        agent_client, "workspace:outcome", calling.case,
        {"outcome": "no_answer", "contact": attempt.pk},
    )  # fmt: skip
    assert response.status_code == 200
    page = response.content.decode()
    assert "Outcome recorded: No answer." in page and 'hx-swap-oob="true"' in page
    assert ContactLogEntry.objects.get().outcome == "no_answer"


def test_a_call_outside_the_hours_is_refused_with_the_reason(calling, agent_client, tuesday):
    tuesday.move_to(datetime(2026, 5, 19, 20, 30, tzinfo=PARIS))
    response = _post(agent_client, "workspace:call_start", calling.case, args=[calling.phone.pk])
    assert response.status_code == 409
    assert "Outside the call hours: 08:00-20:00" in response.content.decode()
    refused = _post(agent_client, "workspace:outcome", calling.case, {"outcome": "refusal"})
    assert refused.status_code == 409 and "Outside the call hours" in refused.content.decode()
    assert not ContactLogEntry.objects.exists()


def test_a_promise_from_the_case_screen(calling, agent_client):
    response = _post(
        agent_client, "workspace:promise", calling.case, {"amount": "250", "due_on": "2026-05-29"}
    )
    assert response.status_code == 200
    assert PaymentPromise.objects.get().amount == Decimal("250.00")
    assert Case.objects.get(pk=calling.case.pk).state == CaseState.ON_HOLD


def test_a_promise_too_far_away_shows_the_error_by_its_field(calling, agent_client):
    response = _post(
        agent_client, "workspace:promise", calling.case, {"amount": "250", "due_on": "2026-09-01"}
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "is-invalid" in page and "beyond that, agree a payment plan" in page
    assert not PaymentPromise.objects.exists() and not ContactLogEntry.objects.exists()


def test_the_third_party_script_says_nothing_of_the_debt(calling, agent_client):
    calling.agency.phone = "01 23 45 67 89"
    calling.agency.save()
    calling.agent.first_name, calling.agent.last_name = "Claire", "Moreau"
    calling.agent.save()
    page = agent_client.get(reverse("workspace:third_party", args=[calling.case.pk])).content
    text = page.decode()
    assert "Claire Moreau" in text and "01 23 45 67 89" in text
    for secret in (
        calling.case.reference, calling.case.debtor.name, calling.creditor.legal_name,
        "1200", "1 200", "€", "debt", "owe", "collection", "invoice",
    ):  # fmt: skip
        assert secret.lower() not in text.lower().replace("about the debt", ""), secret


def test_marking_a_number_wrong(calling, agent_client):
    response = _post(agent_client, "workspace:contact_wrong", calling.case, args=[calling.phone.pk])
    assert response.status_code == 200 and "Number marked wrong" in response.content.decode()
    calling.phone.refresh_from_db()
    assert calling.phone.is_wrong


def test_a_note_comes_back_in_the_timeline(calling, agent_client):
    response = _post(agent_client, "workspace:note", calling.case, {"text": "Rappeler lundi"})
    assert "Note: Rappeler lundi" in response.content.decode()
    empty = _post(agent_client, "workspace:note", calling.case, {"text": " "})
    assert empty.status_code == 400


def test_the_case_screen_groups_the_manual_transitions_with_why_not(calling, agent_client):
    page = agent_client.get(reverse("workspace:detail", args=[calling.case.pk])).content.decode()
    assert "Pause or resume" in page and 'data-transition="escalate"' in page
    assert 'data-blocked="mark_paid"' in page and "Principal is still due." in page


def test_creditor_users_see_the_case_without_the_agents_panels(calling, client):
    client.force_login(calling.creditor_user)
    page = client.get(reverse("workspace:detail", args=[calling.case.pk])).content.decode()
    assert calling.case.reference in page
    assert "06 12 34 56 78" not in page and 'id="call-panel"' not in page


# --- dossier review ----------------------------------------------------------------------------
@pytest.fixture
def new_case(calling):
    with scopes_disabled():
        return factories.new_case(calling.creditor)


def test_the_review_checklist_and_accept_starts_the_scenario(new_case, agent_client):
    url = reverse("workspace:review", args=[new_case.pk])
    page = agent_client.get(url).content.decode()
    assert page.count('data-check="ok"') >= 5 and 'data-check="manual"' in page
    response = agent_client.post(url, {"decision": "accept", **factories.once()})
    assert response.status_code == 302
    case = Case.objects.get(pk=new_case.pk)
    assert case.state == CaseState.REMINDER and case.next_action_at is not None


def test_declining_needs_a_reason_the_creditor_reads(new_case, agent_client, client, world):
    url = reverse("workspace:review", args=[new_case.pk])
    refused = agent_client.post(url, {"decision": "reject", "reason": "", **factories.once()})
    assert refused.status_code == 400
    assert "Tell the creditor why the case is declined." in refused.content.decode()
    assert Case.objects.get(pk=new_case.pk).state == CaseState.NEW
    agent_client.post(
        url, {"decision": "reject", "reason": "Facture déjà payée", **factories.once()}
    )
    assert Case.objects.get(pk=new_case.pk).state == CaseState.CLOSED
    client.force_login(world.creditor_user)
    page = client.get(reverse("workspace:detail", args=[new_case.pk])).content.decode()
    assert "The agency declined the case. Reason: Facture déjà payée" in page


def test_a_case_that_cannot_be_accepted_says_why(calling, agent_client):
    with scopes_disabled():
        case = factories.new_case(
            factories.new_creditor(calling.agency, "Sans Mandat", mandate_reference="")
        )
    page = agent_client.get(reverse("workspace:review", args=[case.pk])).content.decode()
    assert "data-accept-blocked" in page and "no valid written collection mandate" in page


# --- my day ----------------------------------------------------------------------------------
def test_my_day_shows_the_agents_figures_and_chart(calling, agent_client):
    attempt = ContactLogEntry.objects.create(
        agency=calling.agency, debtor=calling.case.debtor, case=calling.case, channel="phone",
        direction="outbound", outcome="promise", reached=True, agent=calling.agent,
    )  # fmt: skip
    assert attempt.pk
    CallTask.objects.create(
        agency=calling.agency, case=calling.case, kind=CallTask.Kind.CALLBACK,
        due_at=datetime(2026, 5, 19, 16, 0, tzinfo=PARIS), created_by=calling.agent,
    )  # fmt: skip
    page = agent_client.get(reverse("workspace:my_day")).content.decode()
    assert 'data-figure="calls">1<' in page and 'data-figure="reached">1<' in page
    assert calling.case.reference in page
    config = json.loads(
        re.search(r'id="my-day-chart" type="application/json">(.*?)</script>', page).group(1)
    )
    assert config["type"] == "bar" and config["data"]["datasets"][0]["data"][-1] == 1
    assert "chartjs-4.4.7/chart.umd.js" in page
    assert CaseEvent.objects.exists()
