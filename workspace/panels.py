"""The agent's parts of the case screen, shared by the page and its htmx partials."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.http import HttpRequest
from django.utils import timezone

from cases import calls, queues
from cases import selectors as case_selectors
from cases.models import Case
from debtors.models import CallOutcome
from notices.selectors import case_notices
from workspace.forms import NoteForm, OutcomeForm, PromiseForm

DEFAULT_QUEUE = "calls"
SESSION_QUEUE = "workspace_queue"


def agent_panels(request: HttpRequest, case: Case) -> dict[str, Any]:
    """The case screen's agent parts: contacts, call outcomes, scenario, letters, actions."""
    now = timezone.now()
    holder = queues.case_lease_holder(case=case, now=now)
    if holder is not None and holder.agent_id == request.user.pk:
        queues.case_lease_extend(case=case, agent=request.user, now=now)
    return {
        "contact_points": case_selectors.case_contact_points(case=case),
        "open_calls": case_selectors.case_open_calls(case=case),
        "call_refusals": calls.call_refusals_for(case=case, now=now),
        "lease": holder,
        "letters": case_notices(case=case),
        "outcomes": CallOutcome,
        "outcome_form": OutcomeForm(),
        "promise_form": PromiseForm(initial={"due_on": timezone.localdate() + timedelta(days=7)}),
        "note_form": NoteForm(),
        "next_queue": request.session.get(SESSION_QUEUE, DEFAULT_QUEUE),
        "scenario_steps": list(case.scenario.steps.order_by("position")) if case.scenario else [],
    }
