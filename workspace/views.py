"""Case pages for agents and creditor users: thin, each one scoped by the member's selectors."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_fsm import ConcurrentTransition

from cases import selectors, services
from cases.access import access_case
from cases.models import TERMINAL_STATES, Case, CaseState
from dunning import selectors as dunning_selectors
from dunning import services as dunning_services
from dunning.access import access_deadline
from dunning.selectors import rate_missing_message
from dunning.statement import Statement, case_statement
from law.interest import RateMissing
from payments import services as payment_services
from workspace.forms import JudicialStepForm, PaymentForm

# close(code) needs a closure code chosen in a form; it is not a one-click action.
ONE_CLICK_HIDDEN = {"close"}


def _get_case(request: HttpRequest, pk: int) -> Case:
    return access_case(request.membership, pk)


def _statement(case: Case) -> tuple[Statement | None, str]:
    try:
        return case_statement(case, on=timezone.localdate()), ""
    except RateMissing as missing:  # shown in place: the rest of the page needs no rate
        return None, rate_missing_message(missing)


def _detail_context(
    request: HttpRequest,
    case: Case,
    payment_form: PaymentForm | None = None,
    judicial_form: JudicialStepForm | None = None,
) -> dict[str, Any]:
    statement, statement_error = _statement(case)
    membership = request.membership
    staff = membership.is_agency_staff
    return {
        "case": case,
        "statement": statement,
        "statement_error": statement_error,
        "payment_form": payment_form or PaymentForm(initial={"received_on": timezone.localdate()}),
        "can_record_payment": membership.is_agency_staff and case.state not in TERMINAL_STATES,
        "can_approve_handoff": (
            case.state == CaseState.FORMAL_NOTICE
            and case.handoff_approved_at is None
            and case.creditor.mandate_allows_litigation
        ),
        "judicial_form": judicial_form or JudicialStepForm()
        if staff and case.state == CaseState.JUDICIAL
        else None,
        "deadlines": case.deadlines.order_by("due_on", "pk") if staff else [],
        "claims": selectors.case_claims(case=case),
        "events": selectors.case_timeline(case=case),
        "failed_effects": selectors.case_failed_effects(case=case)
        if membership.is_agency_staff
        else [],
        "transitions": [
            t
            for t in case.get_available_user_state_transitions(request.user)
            if t.name not in ONE_CLICK_HIDDEN
        ],
    }


@login_required
def case_list(request: HttpRequest) -> HttpResponse:
    cases = selectors.case_list(membership=request.membership)
    state = request.GET.get("state", "")
    if state in CaseState.values:
        cases = cases.filter(state=state)
    page = Paginator(cases.order_by("next_action_at", "-opened_at"), 50).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "cases/case_list.html",
        {"page": page, "states": CaseState.choices, "current_state": state},
    )


@login_required
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    case = _get_case(request, pk)
    return render(request, "cases/case_detail.html", _detail_context(request, case))


@login_required
@require_POST
def case_transition_view(request: HttpRequest, pk: int, name: str) -> HttpResponse:
    case = _get_case(request, pk)
    try:
        services.case_transition(
            case=case,
            transition=name,
            actor=request.user,
            expected_state=request.POST.get("expected_state"),
            **({"code": request.POST.get("code", "")} if name in ONE_CLICK_HIDDEN else {}),
        )
    except services.CaseTransitionError as exc:
        for reason in exc.reasons:
            messages.error(request, reason)
    except ConcurrentTransition as exc:
        messages.error(request, str(exc))
    else:
        return redirect("workspace:detail", pk=pk)
    case = _get_case(request, pk)
    return render(request, "cases/case_detail.html", _detail_context(request, case), status=409)


@login_required
@require_POST
def case_payment_create(request: HttpRequest, pk: int) -> HttpResponse:
    case = _get_case(request, pk)
    if not request.membership.is_agency_staff:
        raise Http404
    form = PaymentForm(request.POST)
    if form.is_valid():
        try:
            payment_services.payment_record(case=case, actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Payment recorded."))
            return redirect("workspace:detail", pk=pk)
    context = _detail_context(request, _get_case(request, pk), payment_form=form)
    return render(request, "cases/case_detail.html", context, status=400)


@login_required
@require_POST
def case_handoff_approve(request: HttpRequest, pk: int) -> HttpResponse:
    case = _get_case(request, pk)
    try:
        services.case_approve_handoff(case=case, actor=request.user)
    except PermissionDenied as exc:
        raise Http404 from exc
    messages.success(request, _("Judicial handoff approved."))
    return redirect("workspace:detail", pk=pk)


@login_required
@require_POST
def case_judicial_step(request: HttpRequest, pk: int) -> HttpResponse:
    case = _get_case(request, pk)
    if not request.membership.is_agency_staff:
        raise Http404
    form = JudicialStepForm(request.POST)
    if form.is_valid():
        try:
            dunning_services.judicial_step_record(
                case=case, actor=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Judicial step recorded; its deadline is tracked."))
            return redirect("workspace:detail", pk=pk)
    context = _detail_context(request, _get_case(request, pk), judicial_form=form)
    return render(request, "cases/case_detail.html", context, status=400)


def _staff_only(request: HttpRequest) -> None:
    if request.membership is None or not request.membership.is_agency_staff:
        raise Http404


@login_required
def deadline_list(request: HttpRequest) -> HttpResponse:
    """The agency's deadlines to act on, soonest first, each linking to its case."""
    _staff_only(request)
    deadlines = dunning_selectors.deadlines_to_act_on(membership=request.membership)
    return render(
        request,
        "cases/deadline_list.html",
        {"deadlines": deadlines, "today": timezone.localdate()},
    )


@login_required
@require_POST
def deadline_done(request: HttpRequest, pk: int) -> HttpResponse:
    _staff_only(request)
    deadline = access_deadline(request.membership, pk)
    try:
        dunning_services.deadline_done(deadline=deadline, actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Deadline marked as done."))
    return redirect("workspace:deadlines")
