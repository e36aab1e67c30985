"""An agency admin sees and edits its scenarios' steps in the back-office, with choices that
exist (channels, letter templates) and errors in French; confirmation twice is explained."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from dunning.models import Action, Scenario, Step, StepExecution
from dunning.sweep import sweep_agency
from tests.dunning.sweep_helpers import accepted_case

FR = {"accept-language": "fr"}
PARIS = ZoneInfo("Europe/Paris")


@pytest.fixture
def scenario(alpha_scope):
    return Scenario.objects.get(agency=alpha_scope.agency, is_default=True)


def _url(scenario: Scenario) -> str:
    return reverse("admin:dunning_scenario_change", args=[scenario.pk])


def _post_data(scenario: Scenario, **changes: dict[str, object]) -> dict[str, object]:
    """The change form as the browser sends it; ``changes`` maps a step position to fields."""
    steps = list(scenario.steps.order_by("position"))
    data: dict[str, object] = {
        "name": scenario.name,
        "creditor": "",
        "is_default": "on",
        "steps-TOTAL_FORMS": len(steps),
        "steps-INITIAL_FORMS": len(steps),
        "steps-MIN_NUM_FORMS": 0,
        "steps-MAX_NUM_FORMS": 1000,
    }
    for i, step in enumerate(steps):
        fields = {
            "id": step.pk,
            "scenario": scenario.pk,
            "position": step.position,
            "action": step.action,
            "delay": step.delay,
            "delay_unit": step.delay_unit,
            "channels": list(step.channels),
            "letter_template": step.letter_template,
            "payment_deadline_days": step.payment_deadline_days,
        }
        for flag in (
            "deadline_from_acknowledgement",
            "requires_confirmation",
        ):
            if getattr(step, flag):
                fields[flag] = "on"
        fields.update(changes.get(f"step{step.position}", {}))
        data.update({f"steps-{i}-{key}": value for key, value in fields.items()})
    return data


def test_agency_admin_sees_and_edits_the_steps(client, alpha_scope, scenario):
    client.force_login(alpha_scope.admin)
    page = client.get(_url(scenario))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="steps-TOTAL_FORMS"' in html and 'name="steps-0-delay"' in html
    response = client.post(_url(scenario), _post_data(scenario, step2={"delay": 12}))
    assert response.status_code == 302, response.context["errors"]
    assert scenario.steps.get(position=2).delay == 12


def test_another_agencys_admin_does_not_reach_the_scenario(client, world, scenario):
    client.force_login(world.charlie)
    response = client.get(_url(scenario), follow=True)
    assert response.redirect_chain == [(reverse("admin:index"), 302)]


def test_a_channel_outside_the_list_is_refused_in_french(client, alpha_scope, scenario, settings):
    settings.LANGUAGE_CODE = "fr"
    client.force_login(alpha_scope.admin)
    data = _post_data(scenario, step1={"channels": ["letter", "pigeon"]})
    with translation.override("fr"):
        response = client.post(_url(scenario), data, headers=FR)
    html = response.content.decode()
    assert response.status_code == 200
    assert "did not validate" not in html and "Item 1" not in html
    assert "Sélectionnez un choix valide. pigeon n’en fait pas partie." in html
    assert 'type="checkbox" name="steps-0-channels" value="sms"' in html


def test_a_step_template_must_be_a_letter_that_exists_and_fits(client, alpha_scope, scenario):
    step = scenario.steps.get(position=1)
    step.letter_template = "sommation_du_lundi"
    with pytest.raises(ValidationError) as error:
        step.full_clean()
    assert "letter_template" in error.value.message_dict
    step.letter_template = "formal_notice"
    with pytest.raises(ValidationError) as error:
        step.full_clean()
    assert error.value.message_dict["letter_template"] == [
        "A “Reminder” step cannot send this letter."
    ]
    step.letter_template = "second_reminder"
    step.full_clean()

    client.force_login(alpha_scope.admin)
    html = client.get(_url(scenario)).content.decode()
    assert '<select name="steps-0-letter_template"' in html
    assert '<option value="formal_notice">' in html
    response = client.post(
        _url(scenario), _post_data(scenario, step1={"letter_template": "sommation_du_lundi"})
    )
    assert response.status_code == 200
    assert scenario.steps.get(position=1).letter_template == "first_reminder"


def test_every_shipped_step_names_an_existing_template(alpha_scope, scenario):
    for step in Step.objects.filter(scenario=scenario):
        step.full_clean()
        assert step.action != Action.PHONE_FOLLOWUP or step.letter_template == ""


@pytest.fixture
def waiting(alpha_scope, scenario):
    scenario.steps.filter(position=1).update(requires_confirmation=True)
    case = accepted_case(alpha_scope.creditor, accepted_at=datetime(2026, 4, 1, 10, tzinfo=PARIS))
    with time_machine.travel(datetime(2026, 4, 2, 9, tzinfo=PARIS), tick=False):
        sweep_agency(agency_id=alpha_scope.agency.pk)
    return StepExecution.objects.get(case=case)


def test_confirming_twice_explains_itself(client, alpha_scope, waiting):
    client.force_login(alpha_scope.agent)
    url = reverse("dunning:confirm", args=[waiting.pk])
    assert client.post(url).status_code == 302
    again = client.post(url)
    assert again.status_code == 404
    assert "dunning/confirmation_list.html" in [t.name for t in again.templates]
    assert "no longer waiting for confirmation" in again.content.decode()
    assert StepExecution.objects.filter(case=waiting.case, status="done").count() == 1
