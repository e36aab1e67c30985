from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from cases.models import Case, CaseEvent
from collectio.outbox import OutboxMessage
from dunning import services
from dunning.models import Scenario, StepExecution
from dunning.sweep import STEP_EFFECTS, sweep_agency
from tests.dunning.sweep_helpers import accepted_case

PARIS = ZoneInfo("Europe/Paris")


def test_agent_confirms_a_waiting_step_and_it_runs_once(alpha_scope):
    w = alpha_scope
    Scenario.objects.get(agency=w.agency, is_default=True).steps.filter(position=1).update(
        requires_confirmation=True
    )
    case = accepted_case(w.creditor, accepted_at=datetime(2026, 4, 1, 10, tzinfo=PARIS))
    with time_machine.travel(datetime(2026, 4, 2, 9, tzinfo=PARIS), tick=False):
        sweep_agency(agency_id=w.agency.pk)
    waiting = StepExecution.objects.get(case=case)

    with pytest.raises(PermissionDenied):
        services.step_confirm(execution=waiting, actor=w.creditor_user)
    with time_machine.travel(datetime(2026, 4, 2, 11, tzinfo=PARIS), tick=False):
        services.step_confirm(execution=waiting, actor=w.agent)
        with pytest.raises(ValidationError):
            services.step_confirm(execution=waiting, actor=w.agent)

    done = StepExecution.objects.get(case=case)
    assert done.status == StepExecution.Status.DONE
    effects = OutboxMessage.objects.get(key=f"step_execution:{done.pk}")
    assert effects.kind == STEP_EFFECTS and effects.status == OutboxMessage.Status.PENDING
    event = CaseEvent.objects.get(case=case, kind=CaseEvent.Kind.TRANSITION)
    assert event.actor == w.agent
    assert Case.objects.get(pk=case.pk).next_action_at == datetime(2026, 4, 13, 9, tzinfo=PARIS)


def test_prescription_alerts_at_d90_and_d30_once(alpha_scope):
    w = alpha_scope
    today = date(2026, 4, 1)
    in_90 = accepted_case(w.creditor, accepted_at=datetime(2026, 3, 1, tzinfo=PARIS))
    in_30 = accepted_case(w.creditor, accepted_at=datetime(2026, 3, 1, tzinfo=PARIS))
    later = accepted_case(w.creditor, accepted_at=datetime(2026, 3, 1, tzinfo=PARIS))
    Case.objects.filter(pk=in_90.pk).update(limitation_date=today + timedelta(days=90))
    Case.objects.filter(pk=in_30.pk).update(limitation_date=today + timedelta(days=30))
    Case.objects.filter(pk=later.pk).update(limitation_date=today + timedelta(days=91))

    assert services.prescription_alerts_raise(agency_id=w.agency.pk, today=today) == 2
    assert services.prescription_alerts_raise(agency_id=w.agency.pk, today=today) == 0
    alerts = CaseEvent.objects.filter(kind=CaseEvent.Kind.PRESCRIPTION_ALERT)
    assert {(e.case_id, e.payload["days_left"]) for e in alerts} == {(in_90.pk, 90), (in_30.pk, 30)}
