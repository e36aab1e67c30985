"""Every write on money received: one function per use case, atomic, writing its event.

The side effects a payment decides (the debtor's receipt, the e-mail to the creditor) are
outbox messages written in the same transaction; the letters app and ``payments.handlers``
carry them out after commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from cases import events
from cases import services as case_services
from cases.models import TERMINAL_STATES, Case, Claim
from collectio.models import User
from collectio.money import ZERO, euros, to_money
from collectio.outbox import outbox_put
from dunning import services as dunning_services
from dunning.selectors import rate_missing_message
from dunning.statement import case_statement
from law.interest import RateMissing, semester_bounds
from payments.models import Payment, PaymentPlan, PlanInstalment, Refund
from payments.selectors import Instalment, payment_plan_owed

# Outbox kinds a payment or a plan decides.
PAYMENT_RECEIPT = "payment_receipt"
CREDITOR_PAYMENT_NOTICE = "creditor_payment_notice"
PAYMENT_PLAN_LETTER = "payment_plan_letter"
# The code of the refusal an agent answers by confirming that the debtor paid too much.
PAYMENT_EXCEEDS_DUE = "PAYMENT_EXCEEDS_DUE"


def _day(value: date) -> str:
    return formats.date_format(value, "SHORT_DATE_FORMAT")


@transaction.atomic
def payment_record(
    *,
    case: Case,
    amount: Decimal,
    received_on: date,
    method: str,
    actor: User | None,
    designated_claims: Sequence[Claim] = (),
    bank_reference: str = "",
    excess_owed_to_debtor: bool = False,
    source: str = Payment.Source.AGENT,
) -> Payment:
    """Record money, re-impute, tell the creditor (REQ-A7), start the month to remit it
    (R124-6) and close when nothing is left.

    Money beyond what the statement says is owed is the debtor's (C. civ. 1302): it is refused
    with the figures unless the agent confirms it (``excess_owed_to_debtor``), so a slip of the
    keyboard is not taken for a payment; confirmed, the excess is a :class:`Refund` owed back.
    """
    case = (
        Case.objects.select_for_update()
        .select_related("creditor", "debtor", "agency")
        .get(pk=case.pk)
    )
    if case.state in TERMINAL_STATES:
        raise ValidationError(_("This case is closed; record the payment as a refund instead."))
    if received_on > timezone.localdate():
        raise ValidationError({"received_on": _("A payment cannot be received in the future.")})
    earliest = min(claim.invoice_date for claim in case.claims.all())
    if received_on < earliest:
        raise ValidationError(
            {
                "received_on": _(
                    "A payment cannot be received before the earliest invoice, dated %(day)s."
                )
                % {"day": _day(earliest)}
            }
        )
    if any(claim.case_id != case.pk for claim in designated_claims):
        raise ValidationError(_("Designated invoices must belong to this case."))
    payment = Payment.objects.create(
        agency_id=case.agency_id,
        case=case,
        amount=to_money(amount),
        received_on=received_on,
        method=method,
        source=source,
        bank_reference=bank_reference,
    )
    payment.designated_claims.set(designated_claims, through_defaults={"agency_id": case.agency_id})
    try:
        statement = case_statement(case, on=timezone.localdate())
    except RateMissing as missing:  # REQ-R1: no balance without the rate, and no half-write
        raise ValidationError(rate_missing_message(missing)) from missing
    refund = _refund_of_excess(case, payment, statement.overpayment, excess_owed_to_debtor)
    # R124-6: what is collected for the creditor is remitted within the month, a tracked
    # deadline; an excess owed back to the debtor is not the creditor's.
    remitted = payment.amount - (refund.amount if refund else ZERO)
    if remitted > ZERO:
        dunning_services.deadline_remittance_open(
            case=case, payment_id=payment.pk, amount=remitted, collected_on=received_on
        )
    Case.objects.filter(pk=case.pk).update(principal_due=statement.principal_balance)
    case_services.case_refresh_limitation(case=case)
    events.payment_recorded(
        case=case,
        actor=actor,
        payment_id=payment.pk,
        amount=payment.amount,
        received_on=received_on,
        method=method,
        principal_due=statement.principal_balance,
        balance=statement.outstanding,
    )
    if refund is not None:
        events.refund_owed(
            case=case,
            actor=actor,
            refund_id=refund.pk,
            payment_id=payment.pk,
            amount=refund.amount,
        )
    for kind in (PAYMENT_RECEIPT, CREDITOR_PAYMENT_NOTICE):
        outbox_put(
            agency_id=case.agency_id,
            kind=kind,
            key=f"payment:{payment.pk}",
            payload={"payment_id": payment.pk},
            case_id=case.pk,
        )
    # Invoices not yet due are still owed: the case is paid once nothing at all is left, from
    # a payment plan too (its last instalment paid on time leaves nothing).
    if statement.outstanding <= 0:
        PaymentPlan.objects.filter(case=case, status=PaymentPlan.Status.ACTIVE).update(
            status=PaymentPlan.Status.COMPLETED
        )
        case_services.case_transition(case=case, transition="mark_paid", actor=None)
    return payment


# --- payment plans ------------------------------------------------------------------------------
def _schedule(
    instalments: Sequence[Instalment | tuple[date, Decimal]], today: date
) -> list[Instalment]:
    schedule = [Instalment(due_on, to_money(amount)) for due_on, amount in instalments]
    if not schedule:
        raise ValidationError(_("A payment plan needs at least one instalment."))
    if any(i.amount <= ZERO for i in schedule):
        raise ValidationError(_("Every instalment needs a positive amount."))
    dates = [i.due_on for i in schedule]
    if dates != sorted(set(dates)) or dates[0] <= today:
        raise ValidationError(_("Instalment dates must be in the future and in order."))
    return schedule


@transaction.atomic
def payment_plan_agree(
    *,
    case: Case,
    instalments: Sequence[Instalment | tuple[date, Decimal]],
    actor: User | None,
    expected_state: str | None = None,
) -> PaymentPlan:
    """Agree a payment plan: the case goes to ``payment_plan`` (``agree_plan``, with its
    permission and conditions), the schedule is stored with its total, and its letter for the
    debtor to sign is decided (outbox).

    The instalments are ``(due_on, amount)`` pairs, dated after today and in order, that add up
    to what the debtor owes under the agency's interest rule (``Agency.plan_interest``):
    frozen, what it owes today, invoices not yet due included; accrues, that plus the interest
    until each instalment (:func:`payments.selectors.payment_plan_schedule` proposes one).
    Raises ``ValidationError`` (French message with the amount expected),
    ``CaseTransitionError`` or ``PermissionDenied``; nothing is written then.
    """
    today = timezone.localdate()
    schedule = _schedule(instalments, today)
    case = case_services.case_transition(
        case=case, transition="agree_plan", actor=actor, expected_state=expected_state
    )
    case = Case.objects.select_related("agency", "creditor", "debtor").get(pk=case.pk)
    interest = case.agency.plan_interest
    try:
        owed = payment_plan_owed(
            case=case, instalments=schedule, agreed_on=today, interest=interest
        )
    except RateMissing as missing:
        if semester_bounds(missing.semester)[0] > today:
            raise ValidationError(
                _(
                    "The late-interest rates of %(semester)s are not published yet, and your "
                    "agency's rule includes in the instalments the interest that accrues "
                    "during a plan: end the plan before %(semester)s, or freeze interest "
                    "during plans in the agency's settings."
                )
                % {"semester": missing.semester}
            ) from missing
        raise ValidationError(rate_missing_message(missing)) from missing
    total = sum((i.amount for i in schedule), ZERO)
    if total != owed:
        raise ValidationError(
            _(
                "The instalments add up to %(total)s; they must add up to %(owed)s, what the "
                "debtor owes."
            )
            % {"total": euros(total), "owed": euros(owed)}
        )
    plan = PaymentPlan.objects.create(
        agency_id=case.agency_id,
        case=case,
        agreed_on=today,
        total=total,
        interest=interest,
        created_by=actor,
    )
    PlanInstalment.objects.bulk_create(
        PlanInstalment(
            agency_id=case.agency_id, plan=plan, position=position, due_on=due_on, amount=amount
        )
        for position, (due_on, amount) in enumerate(schedule, start=1)
    )
    events.payment_plan_agreed(
        case=case,
        actor=actor,
        plan_id=plan.pk,
        total=total,
        instalments=len(schedule),
        first_due_on=schedule[0].due_on,
        last_due_on=schedule[-1].due_on,
        interest=interest,
    )
    outbox_put(
        agency_id=case.agency_id,
        kind=PAYMENT_PLAN_LETTER,
        key=f"plan:{plan.pk}",
        payload={"plan_id": plan.pk},
        case_id=case.pk,
    )
    return plan


@case_services.on_transition("break_plan")
def payment_plan_break(*, case: Case, **transition: object) -> None:
    """The case left its plan (``break_plan``): the plan is broken today, so a frozen plan's
    interest runs again from tomorrow on what is left."""
    PaymentPlan.objects.filter(case=case, status=PaymentPlan.Status.ACTIVE).update(
        status=PaymentPlan.Status.BROKEN, broken_on=timezone.localdate()
    )


def _refund_of_excess(
    case: Case, payment: Payment, overpayment: Decimal, confirmed: bool
) -> Refund | None:
    """What this payment brought beyond the debt: the statement's overpayment not yet owed back
    (a payment dated before others can move the excess onto them; the total is what counts)."""
    already = case.refunds.aggregate(total=Sum("amount"))["total"] or ZERO
    excess = to_money(overpayment - already)
    if excess <= ZERO:
        return None
    if not confirmed:
        raise ValidationError(
            {
                "amount": ValidationError(
                    _(
                        "This payment of %(amount)s is %(excess)s more than what is owed "
                        "(%(due)s). If the debtor did pay this much, confirm it: the excess will "
                        "be recorded as owed back to the debtor."
                    )
                    % {
                        "amount": euros(payment.amount),
                        "excess": euros(excess),
                        "due": euros(payment.amount - excess),
                    },
                    code=PAYMENT_EXCEEDS_DUE,
                )
            }
        )
    return Refund.objects.create(
        agency_id=case.agency_id, case=case, payment=payment, amount=excess
    )


@transaction.atomic
def refund_mark_refunded(
    *, refund: Refund, refunded_on: date, bank_reference: str, actor: User | None
) -> Refund:
    """The excess went back to the debtor: dated, so the collection account reconciles."""
    refund = Refund.objects.select_for_update().select_related("payment").get(pk=refund.pk)
    if refund.status == Refund.Status.REFUNDED:
        raise ValidationError(
            _("This overpayment was already refunded on %(day)s.")
            % {"day": _day(refund.refunded_on)}
        )
    if refunded_on > timezone.localdate():
        raise ValidationError({"refunded_on": _("A refund cannot be dated in the future.")})
    if refunded_on < refund.payment.received_on:
        raise ValidationError(
            {
                "refunded_on": _("A refund cannot come before the payment it returns (%(day)s).")
                % {"day": _day(refund.payment.received_on)}
            }
        )
    refund.status = Refund.Status.REFUNDED
    refund.refunded_on = refunded_on
    refund.bank_reference = bank_reference
    refund.save(update_fields=["status", "refunded_on", "bank_reference"])
    events.refund_paid(
        case=refund.case,
        actor=actor,
        refund_id=refund.pk,
        amount=refund.amount,
        refunded_on=refunded_on,
    )
    return refund
