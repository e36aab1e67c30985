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
from django.utils import timezone
from django.utils.translation import gettext as _

from cases import events
from cases import services as case_services
from cases.models import TERMINAL_STATES, Case, Claim
from collectio.models import User
from collectio.money import to_money
from collectio.outbox import outbox_put
from dunning.selectors import rate_missing_message
from dunning.statement import case_statement
from law.interest import RateMissing
from payments.models import Payment

# Outbox kinds a payment decides.
PAYMENT_RECEIPT = "payment_receipt"
CREDITOR_PAYMENT_NOTICE = "creditor_payment_notice"


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
) -> Payment:
    """Record money, re-impute, tell the creditor (REQ-A7) and close when nothing is left."""
    case = (
        Case.objects.select_for_update()
        .select_related("creditor", "debtor", "agency")
        .get(pk=case.pk)
    )
    if case.state in TERMINAL_STATES:
        raise ValidationError(_("This case is closed; record the payment as a refund instead."))
    if received_on > timezone.localdate():
        raise ValidationError(_("A payment cannot be received in the future."))
    if any(claim.case_id != case.pk for claim in designated_claims):
        raise ValidationError(_("Designated invoices must belong to this case."))
    payment = Payment.objects.create(
        agency_id=case.agency_id,
        case=case,
        amount=to_money(amount),
        received_on=received_on,
        method=method,
        bank_reference=bank_reference,
    )
    payment.designated_claims.set(designated_claims, through_defaults={"agency_id": case.agency_id})
    try:
        statement = case_statement(case, on=timezone.localdate())
    except RateMissing as missing:  # REQ-R1: no balance without the rate, and no half-write
        raise ValidationError(rate_missing_message(missing)) from missing
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
    for kind in (PAYMENT_RECEIPT, CREDITOR_PAYMENT_NOTICE):
        outbox_put(
            agency_id=case.agency_id,
            kind=kind,
            key=f"payment:{payment.pk}",
            payload={"payment_id": payment.pk},
            case_id=case.pk,
        )
    # Invoices not yet due are still owed: the case is paid once nothing at all is left.
    if statement.outstanding <= 0:
        case_services.case_transition(case=case, transition="mark_paid", actor=None)
    return payment
