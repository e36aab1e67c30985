"""What happens next on a case, and when: the sentence a creditor reads under its case."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.utils import timezone
from django.utils.translation import gettext as _

from cases.models import TERMINAL_STATES, Case, CaseState
from collectio.money import euros
from law.calendar import FrenchCalendar
from payments.models import PaymentPlan, PlanInstalment

# How long the agency takes to look at a new case: the promise the portal makes.
REVIEW_WORKING_DAYS = 2


@dataclass(frozen=True)
class NextStep:
    text: str
    on: date | None = None
    needs_creditor: bool = False


def _review_day(opened: date) -> date:
    calendar = FrenchCalendar()
    day = opened
    for _i in range(REVIEW_WORKING_DAYS):
        day = calendar.next_working_day(day + timedelta(days=1))
    return day


def handoff_approval_asked(case: Case) -> bool:
    """The creditor's approval is wanted: under formal notice, a mandate that covers court
    action, a convention that asks for approval, and none given yet."""
    return (
        case.state == CaseState.FORMAL_NOTICE
        and case.handoff_approved_at is None
        and case.creditor.handoff_requires_approval
        and case.creditor.mandate_allows_litigation
    )


def case_next_step(*, case: Case, today: date | None = None) -> NextStep:
    """The next thing that happens on the case, who does it and on which day."""
    today = today or timezone.localdate()
    state = case.state
    if state == CaseState.NEW:
        return NextStep(
            _("The agency checks the case and starts collection."),
            _review_day(timezone.localdate(case.opened_at)),
        )
    if state in TERMINAL_STATES:
        return NextStep(
            _("Case closed: %(why)s.")
            % {"why": case.get_closure_code_display() or case.get_state_display()},
            timezone.localdate(case.closed_at) if case.closed_at else None,
        )
    if handoff_approval_asked(case):
        return NextStep(
            _(
                "If the debtor has not paid by the formal notice deadline, the case goes to "
                "court with your approval: give it below."
            ),
            case.formal_notice_deadline,
            needs_creditor=True,
        )
    if state == CaseState.ON_HOLD:
        if case.hold_until:
            return NextStep(_("On hold: collection resumes by itself."), case.hold_until)
        return NextStep(_("On hold by the agency."))
    if state == CaseState.DISPUTED:
        return NextStep(
            _("The debtor disputes the claim: the agency examines it with you."),
            needs_creditor=True,
        )
    if state == CaseState.PAYMENT_PLAN:
        instalment = (
            PlanInstalment.objects.filter(
                plan__case=case, plan__status=PaymentPlan.Status.ACTIVE, due_on__gte=today
            )
            .order_by("due_on")
            .first()
        )
        if instalment is not None:
            return NextStep(
                _("Instalment of %(amount)s due from the debtor.")
                % {"amount": euros(instalment.amount)},
                instalment.due_on,
            )
        return NextStep(_("Payment plan under way."))
    if state == CaseState.JUDICIAL:
        return NextStep(_("The judicial partner pursues the debtor in court."))
    if case.next_step_id and case.next_action_at:
        return NextStep(
            _("Next step: %(step)s.") % {"step": case.next_step.get_action_display().lower()},
            timezone.localdate(case.next_action_at),
        )
    if case.next_action_at:
        return NextStep(
            _("The agency plans the next step."), timezone.localdate(case.next_action_at)
        )
    return NextStep(_("The agency follows the case."))
