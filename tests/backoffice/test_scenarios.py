"""Scenarios: steps edited in the back-office, checked against the case graph with the reason
shown (nothing written on error), the creditors using each, and the dates of a case accepted
today, computed as the sweep computes them (business days, Sundays and public holidays)."""

from __future__ import annotations

import re
from datetime import date
from html import unescape

import pytest
import time_machine
from django.urls import reverse
from django_scopes import scopes_disabled

from collectio.models import ConfigChange
from dunning.models import Action, Scenario, Step, StepExecution
from dunning.planning import scenario_schedule
from law.calendar import FrenchCalendar
from tests import factories

FIELDS = (
    "action", "delay", "delay_unit", "letter_template", "payment_deadline_days",
)  # fmt: skip
FLAGS = ("deadline_from_acknowledgement", "requires_confirmation")


def _scenario(world) -> Scenario:
    with scopes_disabled():
        return Scenario.objects.get(agency=world.agency, is_default=True)


def _steps(scenario: Scenario) -> list[Step]:
    with scopes_disabled():
        return list(scenario.steps.order_by("position"))


def _post(scenario: Scenario, changes: dict[int, dict[str, object]] | None = None, **extra):
    """The editor's form as the browser sends it; ``changes`` maps a position to fields."""
    steps = _steps(scenario)
    data: dict[str, object] = {
        "name": scenario.name,
        "steps-TOTAL_FORMS": len(steps), "steps-INITIAL_FORMS": len(steps),
        "steps-MIN_NUM_FORMS": 0, "steps-MAX_NUM_FORMS": 1000,
    }  # fmt: skip
    for i, step in enumerate(steps):
        fields = {
            "id": step.pk, "ORDER": step.position, "channels": list(step.channels),
            **{name: getattr(step, name) for name in FIELDS},
            **{name: "on" for name in FLAGS if getattr(step, name)},
        }  # fmt: skip
        for name, value in (changes or {}).get(step.position, {}).items():
            if value is None:
                fields.pop(name, None)
            else:
                fields[name] = value
        data.update({f"steps-{i}-{name}": value for name, value in fields.items()})
    data.update(extra)
    return data


def test_the_dates_of_a_case_accepted_today_follow_the_french_calendar(world):
    """Accepted Wed 23 December 2026, default scenario, Paris:
    first reminder one business day later, Thu 24 (the 25th is Christmas);
    second reminder 10 days later, Sun 3 January 2027: nothing leaves on a Sunday, Mon 4;
    phone follow-up two business days later, Wed 6; formal notice three days later, Sat 9
    (Saturday is a sending day), 8 days to pay: Sun 17, so Mon 18 (CPC 642 by analogy);
    the judicial handoff the day after the deadline, Tue 19."""
    steps = _steps(_scenario(world))
    planned = scenario_schedule(
        steps, accepted_on=date(2026, 12, 23), calendar=FrenchCalendar.for_postcode("75002")
    )
    assert [p.on for p in planned] == [
        date(2026, 12, 24), date(2027, 1, 4), date(2027, 1, 6), date(2027, 1, 9),
        date(2027, 1, 19),
    ]  # fmt: skip
    assert planned[3].deadline == date(2027, 1, 18)


@time_machine.travel(date(2026, 12, 23))
def test_the_admin_edits_a_step_and_sees_the_new_dates(world, client):
    client.force_login(world.admin)  # on the day travelled to: the session is fresh
    admin_client = client
    scenario = _scenario(world)
    url = reverse("backoffice:scenario_edit", args=[scenario.pk])
    assert 'data-planned="2027-01-04"' in admin_client.get(url).content.decode()
    response = admin_client.post(url, _post(scenario, {2: {"delay": 5}}))
    assert response.status_code == 302
    page = admin_client.get(url).content.decode()
    # 24 December + 5 days = Tue 29 December; the phone two business days later, Thu 31; the
    # notice three days later, Sun 3 January, so Mon 4; paid by Tue 12; handed off Wed 13.
    assert re.findall(r'data-planned="([\d-]+)"', page) == [
        "2026-12-24", "2026-12-29", "2026-12-31", "2027-01-04", "2027-01-13",
    ]  # fmt: skip
    assert _steps(scenario)[1].delay == 5
    with scopes_disabled():
        change = ConfigChange.objects.get(target=ConfigChange.Target.SCENARIO)
    assert {"field": "Step 2 · delay", "old": "10", "new": "5"} in change.changes
    assert change.actor == world.admin


@time_machine.travel(date(2026, 12, 23))
def test_the_live_preview_gives_the_dates_without_writing(world, client):
    client.force_login(world.admin)
    admin_client = client
    scenario = _scenario(world)
    url = reverse("backoffice:scenario_preview", args=[scenario.pk])
    response = admin_client.post(url, _post(scenario, {2: {"delay": 5}}))
    assert 'data-planned="2026-12-29"' in response.content.decode()
    assert _steps(scenario)[1].delay == 10
    refused = admin_client.post(url, _post(scenario, {3: {"ORDER": 9}}))  # phone after notice
    assert "data-problems" in refused.content.decode()
    assert "data-planned" not in refused.content.decode()


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({3: {"ORDER": 9}}, "Les étapes doivent suivre l'ordre relance"),
        ({5: {"action": "reminder", "letter_template": ""}}, "Les étapes doivent suivre l'ordre"),
        ({4: {"channels": ["letter"]}}, "Un délai courant à compter de l'accusé de réception"),
        ({1: {"letter_template": "formal_notice"}}, "ne peut pas envoyer ce courrier"),
        ({2: {"delay": "-3"}}, "supérieure ou égale à 0"),
        ({2: {"channels": ["fax"]}}, "Sélectionnez un choix valide"),
        ({1: {"delay_unit": "weeks"}}, "Sélectionnez un choix valide"),
        ({3: {"DELETE": "on"}}, "la mise en demeure suit la relance"),
    ],
)
def test_steps_that_break_the_case_graph_are_refused_with_the_reason(
    world, french_client, changes, message
):
    scenario = _scenario(world)
    before = [(s.pk, s.position, s.action, s.delay, s.channels) for s in _steps(scenario)]
    url = reverse("backoffice:scenario_edit", args=[scenario.pk])
    response = french_client.post(url, _post(scenario, changes))
    assert response.status_code == 400
    assert message in unescape(response.content.decode())
    assert [(s.pk, s.position, s.action, s.delay, s.channels) for s in _steps(scenario)] == before
    with scopes_disabled():
        assert not ConfigChange.objects.exists()


def test_a_step_already_carried_out_cannot_be_removed(world, french_client):
    scenario = _scenario(world)
    steps = _steps(scenario)
    with scopes_disabled():
        case = factories.new_case(world.creditor)
        StepExecution.objects.create(
            agency=world.agency, case=case, step=steps[1], status="done",
            planned_for="2026-01-05T09:00:00+01:00",
        )  # fmt: skip
    url = reverse("backoffice:scenario_edit", args=[scenario.pk])
    response = french_client.post(url, _post(scenario, {2: {"DELETE": "on"}}))
    assert response.status_code == 400
    assert "L'étape 2 a déjà servi à des dossiers" in unescape(response.content.decode())
    assert len(_steps(scenario)) == 5


def test_steps_are_removed_added_and_renumbered(world, admin_client):
    scenario = _scenario(world)
    data = _post(scenario, {2: {"DELETE": "on"}}, **{"steps-TOTAL_FORMS": 6})
    data.update({
        "steps-5-ORDER": 2, "steps-5-action": Action.REMINDER, "steps-5-delay": 7,
        "steps-5-delay_unit": "business", "steps-5-channels": ["email", "sms"],
        "steps-5-letter_template": "", "steps-5-payment_deadline_days": 8,
        "steps-5-requires_confirmation": "on",
    })  # fmt: skip
    response = admin_client.post(reverse("backoffice:scenario_edit", args=[scenario.pk]), data)
    assert response.status_code == 302
    steps = _steps(scenario)
    assert [s.position for s in steps] == [1, 2, 3, 4, 5]
    new = steps[1]
    assert (new.delay, new.delay_unit, new.channels, new.requires_confirmation) == (
        7, "business", ["email", "sms"], True,
    )  # fmt: skip


def test_a_creditor_gets_its_own_scenario_and_the_list_says_who_uses_which(world, admin_client):
    scenario = _scenario(world)
    response = admin_client.post(
        reverse("backoffice:scenario_copy", args=[scenario.pk]),
        {"name": "Martin : relances douces", "creditor": world.creditor.pk},
    )
    with scopes_disabled():
        own = Scenario.objects.get(creditor=world.creditor)
    assert response["Location"] == reverse("backoffice:scenario_edit", args=[own.pk])
    assert len(_steps(own)) == 5
    page = admin_client.get(reverse("backoffice:scenarios")).content.decode()
    default_card = page[page.index(f'data-scenario="{scenario.pk}"') :]
    default_card = default_card[: default_card.index("</div></div></div>")]
    own_card = page[page.index(f'data-scenario="{own.pk}"') :]
    own_card = own_card[: own_card.index("</div></div></div>")]
    assert world.other_creditor.legal_name in default_card
    assert world.creditor.legal_name not in default_card
    assert world.creditor.legal_name in own_card


def test_each_letter_template_says_which_wording_it_carries(world, admin_client):
    admin_client.post(
        reverse("backoffice:template_edit", args=["first_reminder"]), {"body": "Bonjour."}
    )
    page = admin_client.get(reverse("backoffice:scenario_edit", args=[_scenario(world).pk]))
    text = unescape(page.content.decode())
    assert "First reminder · agency's wording v1" in text
    assert "Formal notice · shipped wording" in text
