"""Case pages for agents and creditor users: thin, each one scoped by the member's selectors.

Every form that writes carries a one-time token (``collectio.submissions``): the write and the
claim of its token commit together, so a double click or a resent form applies once.
"""

from __future__ import annotations

from collections.abc import Callable
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
from collectio.submissions import AlreadySubmitted, submission_once
from dunning import selectors as dunning_selectors
from dunning import services as dunning_services
from dunning.access import access_deadline
from dunning.selectors import rate_missing_message
from dunning.statement import Statement, case_statement
from law.interest import RateMissing
from notices.selectors import LetterBlocked
from payments import selectors as payment_selectors
from payments import services as payment_services
from payments.access import access_refund
from payments.models import Refund, Settlement
from workspace.forms import (
    InstalmentFormSet,
    JudicialStepForm,
    PaymentForm,
    RefundForm,
    SettlementForm,
    TransitionForm,
)
from workspace.panels import agent_panels

# A payment plan is agreed with its schedule (case_plan_agree), never in one click.
PLAN = "agree_plan"
PLAN_PREFIX = "plan"


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
    *,
    payment_form: PaymentForm | None = None,
    action_form: TransitionForm | None = None,
    plan_formset: Any = None,
    refund_form: RefundForm | None = None,
    judicial_form: JudicialStepForm | None = None,
    settlement_form: SettlementForm | None = None,
) -> dict[str, Any]:
    """The case page; a form given here is the one just sent back with its errors."""
    statement, statement_error = _statement(case)
    membership = request.membership
    staff = membership.is_agency_staff
    claims = selectors.case_claims(case=case)
    available = list(case.get_available_user_state_transitions(request.user))
    bound = {action_form.transition: action_form} if action_form else {}
    return {
        **(agent_panels(request, case) if staff else {}),
        "case": case,
        "statement": statement,
        "statement_error": statement_error,
        "payment_form": payment_form
        or PaymentForm(
            initial={"received_on": timezone.localdate()},
            earliest=min((c.invoice_date for c in claims), default=None),
        ),
        "can_record_payment": staff and case.state not in TERMINAL_STATES,
        "settlement_form": settlement_form or SettlementForm(),
        "settlement": case.settlements.filter(status__in=Settlement.OPEN).first()
        if staff
        else None,
        "can_approve_handoff": (
            case.state == CaseState.FORMAL_NOTICE
            and case.handoff_approved_at is None
            and case.creditor.mandate_allows_litigation
        ),
        "judicial_form": judicial_form or JudicialStepForm()
        if staff and case.state == CaseState.JUDICIAL
        else None,
        "deadlines": case.deadlines.order_by("due_on", "pk") if staff else [],
        "claims": claims,
        "events": selectors.case_timeline(case=case),
        "failed_effects": selectors.case_failed_effects(case=case) if staff else [],
        "action_groups": [
            (
                label,
                [
                    {
                        "transition": action.transition,
                        "blockers": action.blockers,
                        "form": bound.get(action.transition.name)
                        or TransitionForm(transition=action.transition.name),
                    }
                    for action in actions
                ],
            )
            for label, actions in selectors.case_actions(case=case, user=request.user)
        ],
        "plan_formset": (plan_formset or InstalmentFormSet(prefix=PLAN_PREFIX))
        if any(t.name == PLAN for t in available)
        else None,
        "refunds": [
            {"refund": refund, "form": _refund_form(refund, refund_form) if staff else None}
            for refund in payment_selectors.case_refunds(case=case)
        ],
    }


def _refund_form(refund: Refund, sent: RefundForm | None) -> RefundForm | None:
    if refund.status != Refund.Status.OWED:
        return None
    return sent if sent is not None and sent.refund.pk == refund.pk else RefundForm(refund=refund)


def _page(request: HttpRequest, pk: int, *, status: int, **forms: Any) -> HttpResponse:
    """The case page again (reloaded: the refused write changed nothing), with its errors."""
    case = _get_case(request, pk)
    return render(
        request, "cases/case_detail.html", _detail_context(request, case, **forms), status=status
    )


def _once(request: HttpRequest, write: Callable[[], object]) -> bool:
    """Apply ``write`` once for the form it came from; ``False`` if the form was applied already.

    A stale or missing token is a ``ValidationError``, as is whatever ``write`` refuses: nothing
    is written either way.
    """
    try:
        with submission_once(request):
            write()
    except AlreadySubmitted:
        messages.info(request, _("This form was already sent: it was applied once."))
        return False
    return True


def _refusal(request: HttpRequest, reasons: list[str]) -> None:
    for reason in reasons:
        messages.error(request, reason)


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
    if name == PLAN:
        _refusal(request, [_("A payment plan is agreed with its schedule: fill in the plan form.")])
        return _page(request, pk, status=400)
    form = TransitionForm(request.POST, transition=name)
    if not form.is_valid():
        return _page(request, pk, status=400, action_form=form)
    try:
        _once(
            request,
            lambda: services.case_transition(
                case=case,
                transition=name,
                actor=request.user,
                expected_state=request.POST.get("expected_state"),
                **form.cleaned_data,
            ),
        )
    except services.CaseTransitionError as exc:
        _refusal(request, exc.reasons)
    except ConcurrentTransition as exc:
        _refusal(request, [str(exc)])
    except ValidationError as exc:  # the form's token
        _refusal(request, exc.messages)
        return _page(request, pk, status=400, action_form=form)
    else:
        return redirect("workspace:detail", pk=pk)
    return _page(request, pk, status=409, action_form=form)


@login_required
@require_POST
def case_plan_agree(request: HttpRequest, pk: int) -> HttpResponse:
    """Agree a payment plan and issue its letter, with the schedule, in one transaction."""
    case = _get_case(request, pk)
    formset = InstalmentFormSet(request.POST, prefix=PLAN_PREFIX)
    if not formset.is_valid():
        return _page(request, pk, status=400, plan_formset=formset)

    def agree() -> None:
        payment_services.payment_plan_agree(
            case=case,
            instalments=formset.instalments(),
            actor=request.user,
            expected_state=request.POST.get("expected_state"),
        )

    try:
        if _once(request, agree):
            messages.success(request, _("Payment plan agreed; its letter is being prepared."))
        return redirect("workspace:detail", pk=pk)
    except services.CaseTransitionError as exc:
        reasons, status = exc.reasons, 409
    except ConcurrentTransition as exc:
        reasons, status = [str(exc)], 409
    except ValidationError as exc:
        reasons, status = exc.messages, 400
    except LetterBlocked as exc:
        reasons, status = exc.reasons, 409
    except RateMissing as missing:
        reasons, status = [rate_missing_message(missing)], 409
    _refusal(request, reasons)
    return _page(request, pk, status=status, plan_formset=formset)


@login_required
@require_POST
def case_payment_create(request: HttpRequest, pk: int) -> HttpResponse:
    case = _get_case(request, pk)
    if not request.membership.is_agency_staff:
        raise Http404
    form = PaymentForm(
        request.POST,
        earliest=min((c.invoice_date for c in selectors.case_claims(case=case)), default=None),
    )
    if form.is_valid():
        try:
            recorded = _once(
                request,
                lambda: payment_services.payment_record(
                    case=case, actor=request.user, **form.cleaned_data
                ),
            )
        except ValidationError as error:
            form.add_error(None, error)
            if form.has_error("amount", code=payment_services.PAYMENT_EXCEEDS_DUE):
                form.ask_to_confirm_excess()
        else:
            if recorded:
                messages.success(request, _("Payment recorded."))
            return redirect("workspace:detail", pk=pk)
    return _page(request, pk, status=400, payment_form=form)


@login_required
@require_POST
def case_settlement_propose(request: HttpRequest, pk: int) -> HttpResponse:
    """The debtor offers less to close the case: agreed at once within the convention's bounds,
    otherwise put to the creditor in its portal."""
    case = _get_case(request, pk)
    if not request.membership.is_agency_staff:
        raise Http404
    form = SettlementForm(request.POST)
    if form.is_valid():
        try:
            proposed = _once(
                request,
                lambda: payment_services.settlement_propose(
                    case=case, actor=request.user, **form.cleaned_data
                ),
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            if proposed:
                messages.success(request, _("Settlement recorded."))
            return redirect("workspace:detail", pk=pk)
    return _page(request, pk, status=400, settlement_form=form)


@login_required
@require_POST
def refund_mark_refunded(request: HttpRequest, pk: int) -> HttpResponse:
    """An agent records that an overpayment went back to the debtor."""
    refund = access_refund(request.membership, pk, staff_only=True)
    form = RefundForm(request.POST, refund=refund)
    if form.is_valid():
        try:
            if _once(
                request,
                lambda: payment_services.refund_mark_refunded(
                    refund=refund, actor=request.user, **form.cleaned_data
                ),
            ):
                messages.success(request, _("Refund recorded."))
        except ValidationError as error:
            if hasattr(error, "error_dict"):
                form.add_error(None, error)
            else:  # about the refund itself (made already): said above its row, which has no form
                _refusal(request, error.messages)
        else:
            return redirect("workspace:detail", pk=refund.case_id)
    return _page(request, refund.case_id, status=400, refund_form=form)


@login_required
@require_POST
def case_handoff_approve(request: HttpRequest, pk: int) -> HttpResponse:
    case = _get_case(request, pk)
    try:
        services.case_approve_handoff(case=case, actor=request.user)
    except PermissionDenied as exc:
        raise Http404 from exc
    except ValidationError as refused:
        _refusal(request, refused.messages)
        return _page(request, pk, status=409)
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
