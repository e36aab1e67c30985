from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from dunning.models import Scenario, StepExecution
from dunning.sweep import sweep_agency
from tests.dunning.sweep_helpers import accepted_case

PARIS = ZoneInfo("Europe/Paris")


@pytest.fixture
def waiting(alpha_scope):
    w = alpha_scope
    Scenario.objects.get(agency=w.agency, is_default=True).steps.filter(position=1).update(
        requires_confirmation=True
    )
    case = accepted_case(w.creditor, accepted_at=datetime(2026, 4, 1, 10, tzinfo=PARIS))
    with time_machine.travel(datetime(2026, 4, 2, 9, tzinfo=PARIS), tick=False):
        sweep_agency(agency_id=w.agency.pk)
    return StepExecution.objects.get(case=case)


def test_agent_sees_and_confirms_the_waiting_step(client, alpha_scope, waiting):
    client.force_login(alpha_scope.agent)
    page = client.get(reverse("dunning:confirmations"))
    assert page.status_code == 200
    assert waiting.case.reference in page.content.decode()
    response = client.post(reverse("dunning:confirm", args=[waiting.pk]))
    assert response.status_code == 302
    assert StepExecution.objects.get(case=waiting.case).status == StepExecution.Status.DONE


def test_creditor_users_get_404(client, alpha_scope, waiting):
    client.force_login(alpha_scope.creditor_user)
    assert client.get(reverse("dunning:confirmations")).status_code == 404
    assert client.post(reverse("dunning:confirm", args=[waiting.pk])).status_code == 404
    assert (
        StepExecution.objects.get(pk=waiting.pk).status
        == StepExecution.Status.AWAITING_CONFIRMATION
    )


def test_another_agencys_staff_sees_an_empty_list_and_404_on_confirm(client, world, waiting):
    client.force_login(world.charlie)
    page = client.get(reverse("dunning:confirmations"))
    assert waiting.case.reference not in page.content.decode()
    assert client.post(reverse("dunning:confirm", args=[waiting.pk])).status_code == 404
