"""History and cases are written by services: the admin cannot add, edit or delete them."""

from django.urls import reverse

from cases.models import CaseEvent
from dunning.models import StepExecution
from tests import factories


def test_agency_admin_cannot_forge_or_erase_history(client, alpha_scope):
    w = alpha_scope
    case = factories.new_case(w.creditor)
    event = CaseEvent.objects.get(case=case)
    client.force_login(w.admin)

    assert client.get(reverse("admin:cases_case_add")).status_code == 403
    assert client.post(reverse("admin:cases_case_delete", args=[case.pk])).status_code == 403
    assert client.post(reverse("admin:cases_caseevent_delete", args=[event.pk])).status_code == 403
    assert client.get(reverse("admin:dunning_stepexecution_add")).status_code == 403
    assert CaseEvent.objects.filter(pk=event.pk).exists()
    # Reading them stays possible.
    assert client.get(reverse("admin:cases_caseevent_changelist")).status_code == 200
    assert client.get(reverse("admin:dunning_stepexecution_changelist")).status_code == 200
    assert StepExecution.objects.count() == 0
