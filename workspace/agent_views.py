"""The agent's workspace: queues, next case, calls and their outcomes, dossier review, my day.

Thin like the rest of the app: each view checks access (``access_case``, 404 for another
agency's case or for a creditor user), calls one service or selector and renders a page, or for
htmx the partial it replaces. A refused write answers 4xx with the reasons in the partial
(static/js/workspace.js lets htmx swap 400 and 409).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from cases import calls, queues
from cases import selectors as case_selectors
from cases import services as case_services
from cases.access import access_case
from cases.models import Case, CaseState, transition_blockers
from collectio.models import Membership
from debtors.models import CallOutcome, ContactLogEntry, ContactPoint
from payments import promises
from payments import selectors as payment_selectors
from workspace.forms import NoteForm, OutcomeForm, PromiseForm, QueueFilterForm, ReviewForm
from workspace.panels import DEFAULT_QUEUE, SESSION_QUEUE
from workspace.views import _detail_context, _once


def _staff(request: HttpRequest) -> Membership:
    membership = getattr(request, "membership", None)
    if membership is None or not membership.is_agency_staff:
        raise Http404
    return membership


def _staff_case(request: HttpRequest, pk: int) -> Case:
    _staff(request)
    return access_case(request.membership, pk, staff_only=True)


def _filter_form(request: HttpRequest, membership: Membership, data: Any) -> QueueFilterForm:
    return QueueFilterForm(
        data or None,
        queues=queues.queues(),
        creditors=case_selectors.creditor_list(membership=membership),
        agents=case_selectors.agency_agents(membership=membership),
    )


def _filters(form: QueueFilterForm) -> tuple[str, queues.QueueFilters]:
    if not form.is_bound or not form.is_valid():
        return DEFAULT_QUEUE, queues.QueueFilters()
    data = form.cleaned_data
    return data.get("queue") or DEFAULT_QUEUE, queues.QueueFilters(
        creditor_id=data["creditor"].pk if data.get("creditor") else None,
        agent_id=data["agent"].pk if data.get("agent") else None,
        state=data.get("state") or "",
        min_amount=data.get("min_amount"),
        max_amount=data.get("max_amount"),
        search=data.get("q") or "",
    )


@login_required
def queue_list(request: HttpRequest) -> HttpResponse:
    """The queues with their counts, and the chosen one highest priority first."""
    membership = _staff(request)
    form = _filter_form(request, membership, request.GET)
    key, filters = _filters(form)
    now = timezone.now()
    queues.queue_priorities_refresh(membership=membership, key=key, now=now)
    context = {
        "form": form,
        "current": queues.QUEUES[key],
        "counts": queues.queue_counts(membership=membership, now=now),
        "rows": [
            {"case": case, "parts": queues.priority_parts(case)}
            for case in queues.queue_page(membership=membership, key=key, filters=filters, now=now)
        ],
        "query": request.GET.urlencode(),
    }
    if request.htmx and request.htmx.target == "queue-rows":
        return render(request, "workspace/_queue_rows.html", context, status=_status(form))
    return render(request, "workspace/queues.html", context, status=_status(form))


def _status(form: QueueFilterForm) -> int:
    return 400 if form.is_bound and not form.is_valid() else 200


@login_required
@require_POST
def next_case(request: HttpRequest) -> HttpResponse:
    """Claim the top free case of the queue for this agent and open it."""
    membership = _staff(request)
    form = _filter_form(request, membership, request.POST)
    key, filters = _filters(form)
    case = queues.case_claim_next(membership=membership, key=key, filters=filters)
    request.session[SESSION_QUEUE] = key
    if case is None:
        messages.info(request, _("Nothing left to take in this queue."))
        return redirect(f"{reverse('workspace:queues')}?queue={key}")
    return redirect("workspace:detail", pk=case.pk)


def _case_screen(
    request: HttpRequest, case: Case, *, status: int = 200, **extra: Any
) -> HttpResponse:
    context = {**_detail_context(request, case), **extra}
    return render(request, "cases/case_detail.html", context, status=status)


def _call_panel(
    request: HttpRequest, case: Case, *, status: int = 200, **extra: Any
) -> HttpResponse:
    """The call card again: after a refused or recorded call, with what to show."""
    case = access_case(request.membership, case.pk, staff_only=True)  # reloaded after a write
    context = {**_detail_context(request, case), **extra}
    if request.htmx:
        return render(request, "workspace/_call_panel.html", context, status=status)
    if status < 400:
        return redirect("workspace:detail", pk=case.pk)
    return render(request, "cases/case_detail.html", context, status=status)


def _contact(request: HttpRequest, case: Case, pk: int) -> ContactPoint:
    return get_object_or_404(case_selectors.case_contact_points(case=case), pk=pk)


@login_required
@require_POST
def call_start(request: HttpRequest, pk: int, contact: int) -> HttpResponse:
    case = _staff_case(request, pk)
    point = _contact(request, case, contact)
    try:
        attempt = calls.call_start(case=case, contact_point=point, agent=request.user)
    except calls.CallRefused as refused:
        return _call_panel(request, case, status=409, refusals=refused.reasons)
    except ValidationError as error:
        return _call_panel(request, case, status=400, refusals=error.messages)
    return _call_panel(request, case, attempt=attempt, dialing=point)


def _attempt(request: HttpRequest, case: Case, contact: int | None) -> ContactLogEntry | None:
    if contact is None:
        return None
    return get_object_or_404(
        ContactLogEntry.objects.filter(case=case, agency_id=case.agency_id, agent=request.user),
        pk=contact,
    )


def _done(request: HttpRequest, case: Case, text: str) -> HttpResponse:
    if request.htmx:
        return _call_panel(request, case, done=text)
    messages.success(request, text)
    return redirect("workspace:detail", pk=case.pk)


@login_required
@require_POST
def call_outcome(request: HttpRequest, pk: int) -> HttpResponse:
    """One click: what the call gave (a promise has its own form, :func:`call_promise`)."""
    case = _staff_case(request, pk)
    form = OutcomeForm(request.POST)
    if not form.is_valid() or form.cleaned_data["outcome"] == CallOutcome.PROMISE:
        return _call_panel(request, case, status=400, outcome_form=form)
    data = form.cleaned_data
    attempt = _attempt(request, case, data["contact"])
    try:
        _once(
            request,
            lambda: calls.call_outcome_record(
                case=case,
                agent=request.user,
                outcome=data["outcome"],
                contact=attempt,
                callback_at=data["callback_at"],
                reason=data["reason"],
                summary=data["summary"],
            ),
        )
    except calls.CallRefused as refused:
        return _call_panel(request, case, status=409, refusals=refused.reasons, outcome_form=form)
    except case_services.CaseTransitionError as refused:
        return _call_panel(request, case, status=409, refusals=refused.reasons, outcome_form=form)
    except ValidationError as error:
        if hasattr(error, "error_dict"):
            for field, errors in error.error_dict.items():
                form.add_error(field if field in form.fields else None, errors)
            return _call_panel(request, case, status=400, outcome_form=form)
        return _call_panel(request, case, status=400, refusals=error.messages, outcome_form=form)
    label = CallOutcome(data["outcome"]).label
    return _done(request, case, _("Outcome recorded: %(outcome)s.") % {"outcome": label})


@login_required
@require_POST
def call_promise(request: HttpRequest, pk: int) -> HttpResponse:
    """A promise to pay, with its amount and date: escalation waits until then."""
    case = _staff_case(request, pk)
    form = PromiseForm(request.POST)
    if not form.is_valid():
        return _call_panel(request, case, status=400, promise_form=form, promise_open=True)
    data = form.cleaned_data
    attempt = _attempt(request, case, data["contact"])
    try:
        _once(
            request,
            lambda: promises.promise_record(
                case=case,
                agent=request.user,
                amount=data["amount"],
                due_on=data["due_on"],
                contact=attempt,
            ),
        )
    except calls.CallRefused as refused:
        return _call_panel(request, case, status=409, refusals=refused.reasons, promise_form=form)
    except case_services.CaseTransitionError as refused:
        return _call_panel(request, case, status=409, refusals=refused.reasons, promise_form=form)
    except ValidationError as error:
        if hasattr(error, "error_dict"):
            for field, errors in error.error_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            form.add_error(None, error)
        return _call_panel(request, case, status=400, promise_form=form, promise_open=True)
    return _done(request, case, _("Promise to pay recorded; reminders wait until its date."))


@login_required
def third_party_script(request: HttpRequest, pk: int) -> HttpResponse:
    """What to say to whoever answers instead of the debtor (REQ-F2): the agent's name and a
    number to call back, nothing about the debt."""
    case = _staff_case(request, pk)
    return render(
        request,
        "workspace/_third_party.html",
        {"case": case, "agent": request.user, "agency": request.membership.agency},
    )


@login_required
@require_POST
def contact_mark_wrong(request: HttpRequest, pk: int, contact: int) -> HttpResponse:
    case = _staff_case(request, pk)
    point = _contact(request, case, contact)
    calls.contact_point_mark_wrong(case=case, contact_point=point)
    return _done(request, case, _("Number marked wrong: it will not be offered again."))


@login_required
@require_POST
def note_add(request: HttpRequest, pk: int) -> HttpResponse:
    case = _staff_case(request, pk)
    form = NoteForm(request.POST)
    if form.is_valid():
        try:
            _once(
                request,
                lambda: case_services.case_note_add(
                    case=case, actor=request.user, text=form.cleaned_data["text"]
                ),
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            if request.htmx:
                return render(
                    request,
                    "workspace/_timeline.html",
                    {
                        "case": case,
                        "events": case_selectors.case_timeline(case=case),
                        "note_form": NoteForm(),
                    },
                )
            return redirect("workspace:detail", pk=pk)
    if request.htmx:
        context = {
            "case": case,
            "events": case_selectors.case_timeline(case=case),
            "note_form": form,
        }
        return render(request, "workspace/_timeline.html", context, status=400)
    return _case_screen(request, case, status=400, note_form=form)


@login_required
@require_POST
def case_leave(request: HttpRequest, pk: int) -> HttpResponse:
    """The agent leaves the case (button, or the page closing): its claim is released."""
    case = _staff_case(request, pk)
    queues.case_release(case=case, agent=request.user)
    if request.POST.get("beacon"):
        return HttpResponse(status=204)
    queue = request.session.get(SESSION_QUEUE, DEFAULT_QUEUE)
    return redirect(f"{reverse('workspace:queues')}?queue={queue}")


@login_required
def case_review(request: HttpRequest, pk: int) -> HttpResponse:
    """A new case's dossier: the checklist, then accept (the scenario starts) or decline with
    a reason the creditor reads in its timeline."""
    case = _staff_case(request, pk)
    if case.state != CaseState.NEW:
        messages.info(request, _("This case was already reviewed."))
        return redirect("workspace:detail", pk=pk)
    form = ReviewForm(request.POST or None)
    status = 200
    refusals: list[str] = []
    if request.method == "POST":
        status = 400
        if form.is_valid():
            decision = form.cleaned_data["decision"]
            try:
                _once(
                    request,
                    lambda: case_services.case_transition(
                        case=case,
                        transition=decision,
                        actor=request.user,
                        expected_state=CaseState.NEW,
                        reason=form.cleaned_data["reason"],
                    ),
                )
            except case_services.CaseTransitionError as refused:
                refusals, status = refused.reasons, 409
            except ValidationError as error:
                refusals = error.messages
            else:
                messages.success(
                    request,
                    _("Case accepted: collection starts.")
                    if decision == "accept"
                    else _("Case declined; the creditor sees why."),
                )
                return redirect("workspace:detail", pk=pk)
    return render(
        request,
        "workspace/review.html",
        {
            "case": case,
            "form": form,
            "refusals": refusals,
            "checklist": case_selectors.case_review_checklist(case=case),
            "claims": case_selectors.case_claims(case=case),
            "accept_blockers": transition_blockers(case, "accept"),
        },
        status=status,
    )


@login_required
def my_day(request: HttpRequest) -> HttpResponse:
    """The agent's day: callbacks and promises due, steps to confirm, and its own figures."""
    membership = _staff(request)
    today = timezone.localdate()
    figures = payment_selectors.agent_figures(
        agency_id=membership.agency_id,
        agent=request.user,
        start=today - timedelta(days=13),
        end=today,
    )
    today_figures = payment_selectors.agent_figures(
        agency_id=membership.agency_id, agent=request.user, start=today, end=today
    )
    chart = {
        "type": "bar",
        "data": {
            "labels": [d.day.strftime("%d/%m") for d in figures.days],
            "datasets": [
                {
                    "label": _("Calls"),
                    "data": [d.calls for d in figures.days],
                    "backgroundColor": "#9bb7dc",
                },
                {
                    "label": _("Debtors reached"),
                    "data": [d.reached for d in figures.days],
                    "backgroundColor": "#1f5fa8",
                },
                {
                    "label": _("Promises"),
                    "data": [d.promises for d in figures.days],
                    "backgroundColor": "#2e8b57",
                },
            ],
        },
        "options": {
            "responsive": True,
            "maintainAspectRatio": False,
            "scales": {"y": {"beginAtZero": True, "ticks": {"precision": 0}}},
        },
    }
    counts = dict((q.key, n) for q, n in queues.queue_counts(membership=membership))
    return render(
        request,
        "workspace/my_day.html",
        {
            "today": today,
            "figures": figures,
            "today_figures": today_figures,
            "chart": chart,
            "callbacks": payment_selectors.agent_callbacks_due(
                agency_id=membership.agency_id, agent=request.user, today=today
            ),
            "promises_due": payment_selectors.agent_promises_due(
                agency_id=membership.agency_id, agent=request.user, today=today
            ),
            "confirmations": counts.get("confirmations", 0),
            "counts": counts,
        },
    )
