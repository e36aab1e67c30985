"""Legal facts are written by services: the admin cannot add, edit or delete them.

Each change POST below carries a valid-looking form; the row must be unchanged afterwards.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from cases.models import Case, CaseEvent, CaseState
from collectio.outbox import OutboxMessage
from dunning.models import Scenario, StepExecution
from notices.models import Channel, JudicialDossier, LetterKind, Notice
from payments.models import Payment
from tests import factories


@pytest.fixture
def facts(alpha_scope):
    w = alpha_scope
    case = factories.new_case(w.creditor, state=CaseState.FORMAL_NOTICE)
    step = Scenario.objects.get(agency=w.agency, is_default=True).steps.first()
    return {
        "case": case,
        "event": CaseEvent.objects.filter(case=case).first(),
        "payment": Payment.objects.create(
            agency=w.agency, case=case, amount=Decimal("10.00"), received_on=date(2026, 1, 5),
            method=Payment.Method.CHEQUE,
        ),
        "execution": StepExecution.objects.create(
            agency=w.agency, case=case, step=step, status=StepExecution.Status.DONE,
            planned_for=timezone.now(),
        ),
        "notice": Notice.objects.create(
            agency=w.agency, creditor=w.creditor, case=case, kind=LetterKind.FIRST_REMINDER,
            channel=Channel.LETTER, reference="L-9", statement_on=date(2026, 1, 5),
        ),
        "dossier": JudicialDossier.objects.create(
            agency=w.agency, case=case, statement_on=date(2026, 1, 5), pdf="dossiers/x.pdf",
            sha256="0" * 64, page_count=1, request_data={},
        ),
        "outbox": OutboxMessage.objects.create(agency=w.agency, kind="step_effects", key="x"),
    }  # fmt: skip


def _url(obj, action):
    meta = obj._meta
    return reverse(f"admin:{meta.app_label}_{meta.model_name}_{action}", args=[obj.pk])


FORGED = {
    "case": {"state": "closed", "closure_code": "unrecoverable", "limitation_date": "2020-01-01",
             "handoff_approved_at_0": "2026-01-01", "handoff_approved_at_1": "10:00",
             "next_action_at_0": "2030-01-01", "next_action_at_1": "10:00"},
    "payment": {"amount": "99999.00", "received_on": "2026-01-06", "method": "card"},
    "execution": {"status": "cancelled"},
    "notice": {"status": "sent", "tracking_number": "1A0000000000"},
    "dossier": {"sha256": "f" * 64},
    "event": {"kind": "note", "payload": "{}"},
    "outbox": {"status": "done"},
}  # fmt: skip


def _snapshot(obj):
    obj.refresh_from_db()
    return {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}


@pytest.mark.parametrize("name", sorted(FORGED))
def test_agency_admin_cannot_change_or_delete_a_legal_fact(client, alpha_scope, facts, name):
    obj = facts[name]
    before = _snapshot(obj)
    client.force_login(alpha_scope.admin)
    assert client.get(_url(obj, "change")).status_code == 200  # reading stays possible
    assert client.post(_url(obj, "change"), FORGED[name]).status_code == 403
    assert client.post(_url(obj, "delete"), {"post": "yes"}).status_code == 403
    assert _snapshot(obj) == before


def test_cases_events_and_executions_cannot_be_added(client, alpha_scope):
    client.force_login(alpha_scope.admin)
    for model in (Case, CaseEvent, StepExecution, Payment, Notice, OutboxMessage):
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_add")
        assert client.get(url).status_code == 403, model
