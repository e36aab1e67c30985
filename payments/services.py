"""Every write on money received: one function per use case, atomic, writing its event.

The side effects a payment decides (the debtor's receipt, the e-mail to the creditor) are
outbox messages written in the same transaction; the letters app and ``payments.handlers``
carry them out after commit.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import NamedTuple

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet, Sum
from django.db.models.functions import Coalesce
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from cases import events
from cases import services as case_services
from cases.models import TERMINAL_STATES, Case, CaseState, Claim, Creditor
from collectio.models import Agency, User
from collectio.money import ZERO, euros, to_money
from collectio.outbox import outbox_put
from collectio.references import next_reference
from dunning import services as dunning_services
from dunning.selectors import rate_missing_message
from dunning.statement import case_statement
from law.calendar import add_months
from law.interest import RateMissing, semester_bounds
from payments import bankfiles, selectors
from payments.models import (
    BankLine,
    BankStatement,
    LedgerEntry,
    Payment,
    PaymentPlan,
    PlanInstalment,
    Refund,
    Remittance,
    RemittanceItem,
    Settlement,
)
from payments.selectors import Instalment, payment_plan_owed

logger = logging.getLogger(__name__)

# Outbox kinds a payment or a plan decides.
PAYMENT_RECEIPT = "payment_receipt"
CREDITOR_PAYMENT_NOTICE = "creditor_payment_notice"
PAYMENT_PLAN_LETTER = "payment_plan_letter"
# The code of the refusal an agent answers by confirming that the debtor paid too much.
PAYMENT_EXCEEDS_DUE = "PAYMENT_EXCEEDS_DUE"
PLAN_NEEDS_APPROVAL = "PLAN_NEEDS_APPROVAL"


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
    _post_payment(case, payment, refund)
    # R124-6: what is collected for the creditor is remitted within the month, a tracked
    # deadline; an excess owed back to the debtor is not the creditor's.
    remitted = payment.amount - (refund.amount if refund else ZERO)
    if remitted > ZERO and source != Payment.Source.CREDITOR:
        dunning_services.deadline_remittance_open(
            case=case, payment_id=payment.pk, amount=remitted, collected_on=received_on
        )
    Case.objects.filter(pk=case.pk).update(principal_due=statement.principal_balance)
    _refresh_limitation(case)
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
    else:
        _settle_if_paid(case, actor)
    return payment


# --- payment plans --------------------------------------------------------------------------------
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


def _plan_within_bounds(
    case: Case, schedule: Sequence[Instalment], today: date, approved_by: User | None
) -> None:
    creditor = Creditor.objects.get(pk=case.creditor_id)
    if schedule[-1].due_on <= add_months(today, creditor.plan_max_months):
        return
    membership = getattr(approved_by, "membership", None) if approved_by else None
    if membership is not None and membership.creditor_id == creditor.pk:
        return
    raise ValidationError(
        _(
            "The convention lets the agency grant plans of up to %(months)s months; this one "
            "ends on %(day)s and needs the creditor's approval."
        )
        % {"months": creditor.plan_max_months, "day": _day(schedule[-1].due_on)},
        code=PLAN_NEEDS_APPROVAL,
    )


@transaction.atomic
def payment_plan_agree(
    *,
    case: Case,
    instalments: Sequence[Instalment | tuple[date, Decimal]],
    actor: User | None,
    expected_state: str | None = None,
    approved_by: User | None = None,
) -> PaymentPlan:
    """Agree a payment plan: the case goes to ``payment_plan`` (``agree_plan``, with its
    permission and conditions), the schedule is stored with its total, and its letter for the
    debtor to sign is decided (outbox).

    A plan longer than the convention lets the agency grant (``Creditor.plan_max_months``)
    needs the creditor's approval (``approved_by``, a user of that creditor; REQ-C5): refused
    with the code ``PLAN_NEEDS_APPROVAL`` otherwise.

    The instalments are ``(due_on, amount)`` pairs, dated after today and in order, that add up
    to what the debtor owes under the agency's interest rule (``Agency.plan_interest``):
    frozen, what it owes today, invoices not yet due included; accrues, that plus the interest
    until each instalment (:func:`payments.selectors.payment_plan_schedule` proposes one).
    Raises ``ValidationError`` (French message with the amount expected),
    ``CaseTransitionError`` or ``PermissionDenied``; nothing is written then.
    """
    today = timezone.localdate()
    schedule = _schedule(instalments, today)
    _plan_within_bounds(case, schedule, today, approved_by)
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
        approved_by=approved_by,
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
    refund = Refund.objects.select_for_update().select_related("payment", "case").get(pk=refund.pk)
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
    if refund.payment.source != Payment.Source.CREDITOR:
        _post(
            agency_id=refund.agency_id,
            creditor_id=refund.case.creditor_id,
            booked_on=refunded_on,
            kind=LedgerEntry.Kind.REFUND,
            source=f"refund:{refund.pk}",
            label=refund.case.reference,
            lines=[
                (LedgerEntry.Account.DEBTOR, refund.amount),
                (LedgerEntry.Account.BANK, -refund.amount),
            ],
        )
    events.refund_paid(
        case=refund.case,
        actor=actor,
        refund_id=refund.pk,
        amount=refund.amount,
        refunded_on=refunded_on,
    )
    return refund


# --- the client-funds ledger ----------------------------------------------------------------------
def _post(
    *,
    agency_id: int,
    creditor_id: int,
    booked_on: date,
    kind: str,
    source: str,
    label: str,
    lines: Sequence[tuple[str, Decimal]],
) -> None:
    """One balanced posting (debits positive): refused unless its lines add up to zero; a line
    of no amount is left out. Posting the same source twice fails on ``ledger_posted_once``."""
    lines = [(account, to_money(amount)) for account, amount in lines if amount]
    if sum((amount for _, amount in lines), ZERO) != ZERO:
        raise ValueError(f"unbalanced posting {source}: {lines}")
    posting = uuid.uuid4()
    LedgerEntry.objects.bulk_create(
        LedgerEntry(
            agency_id=agency_id,
            creditor_id=creditor_id,
            posting=posting,
            booked_on=booked_on,
            account=account,
            kind=kind,
            amount=amount,
            source=source,
            label=label[:200],
        )
        for account, amount in lines
    )


def _post_payment(case: Case, payment: Payment, refund: Refund | None) -> None:
    """Money in on the dedicated account: the creditor's, less what is owed back to the debtor.
    A payment the creditor received itself never passed through the account."""
    if payment.source == Payment.Source.CREDITOR:
        return
    owed_back = refund.amount if refund else ZERO
    _post(
        agency_id=case.agency_id,
        creditor_id=case.creditor_id,
        booked_on=payment.received_on,
        kind=LedgerEntry.Kind.PAYMENT,
        source=f"payment:{payment.pk}",
        label=f"{case.reference} {case.debtor.display_name}",
        lines=[
            (LedgerEntry.Account.BANK, payment.amount),
            (LedgerEntry.Account.CREDITOR, -(payment.amount - owed_back)),
            (LedgerEntry.Account.DEBTOR, -owed_back),
        ],
    )


# --- remittances ----------------------------------------------------------------------------------
# The agency's commission is a service it invoices the creditor: VAT at the standard rate
# (CGI art. 278) on the commission only; the money collected is the creditor's, outside VAT.
COMMISSION_VAT_RATE = Decimal("20.00")
REMITTANCE_STATEMENT = "remittance_statement"


def _unremitted(creditor: Creditor, on: date) -> QuerySet[Payment]:
    """Payments of the creditor received up to ``on`` that no remittance accounts for yet; a
    payment the creditor received itself only when the convention charges commission on it."""
    payments = Payment.objects.filter(
        agency_id=creditor.agency_id,
        case__creditor=creditor,
        received_on__lte=on,
        remittance_item__isnull=True,
    )
    if not creditor.commission_on_direct_payments:
        payments = payments.exclude(source=Payment.Source.CREDITOR)
    return payments


@transaction.atomic
def remittance_prepare(*, creditor: Creditor, on: date, actor: User | None) -> Remittance | None:
    """Account, once, for every payment not yet remitted: per payment what was collected (less
    any overpayment owed back) and the commission on it; the VAT on the commission; the net
    transferred (what the agency collected, less commission and VAT, which are also deducted
    for what the creditor received directly), and the SEPA file for it. ``None`` if there is
    nothing to account for.

    The creditor's row is locked first, so two runs for one creditor take turns and the second
    finds nothing left; ``RemittanceItem.payment`` is unique besides, so no payment can be in
    two remittances whatever happens. The statement for the creditor is decided (outbox). The
    transfer is made by the agency's bank: :func:`remittance_mark_executed` records it.
    """
    creditor = Creditor.objects.select_for_update().select_related("agency").get(pk=creditor.pk)
    agency = creditor.agency
    payments = list(
        _unremitted(creditor, on)
        .annotate(owed_back=Coalesce(Sum("refunds__amount"), ZERO))
        .order_by("received_on", "pk")
        .only("pk", "amount", "source", "received_on")
    )
    if not payments:
        return None
    if not agency.collection_iban:
        raise ValidationError(
            _("Your agency has no dedicated collection account IBAN: add it in the settings.")
        )
    rate = creditor.commission_rate
    items = []
    for payment in payments:
        amount = to_money(payment.amount - payment.owed_back)
        items.append(
            RemittanceItem(
                agency_id=agency.pk,
                payment=payment,
                amount=amount,
                commission=to_money(amount * rate / 100),
                remitted=payment.source != Payment.Source.CREDITOR,
            )
        )
    collected = sum((i.amount for i in items if i.remitted), ZERO)
    direct = sum((i.amount for i in items if not i.remitted), ZERO)
    commission = sum((i.commission for i in items), ZERO)
    vat = to_money(commission * COMMISSION_VAT_RATE / 100)
    net = collected - commission - vat
    reference = next_reference(agency_id=agency.pk, prefix="R", year=on.year)
    message_id, xml = "", b""
    if net > ZERO:
        try:
            message_id, xml = bankfiles.pain001(
                debtor_name=agency.legal_name,
                debtor_iban=agency.collection_iban,
                debtor_bic=agency.collection_bic,
                execution_on=on,
                transfers=[
                    bankfiles.Transfer(
                        name=creditor.legal_name,
                        iban=creditor.iban,
                        amount=net,
                        reference=reference,
                        description=_("Remittance %(reference)s, %(agency)s")
                        % {"reference": reference, "agency": agency.legal_name},
                    )
                ],
            )
        except bankfiles.BankFileError as refused:
            raise ValidationError(str(refused)) from refused
    remittance = Remittance.objects.create(
        agency_id=agency.pk,
        creditor=creditor,
        reference=reference,
        run_on=on,
        commission_rate=rate,
        vat_rate=COMMISSION_VAT_RATE,
        collected=collected,
        direct=direct,
        commission=commission,
        vat=vat,
        net=net,
        execution_on=on,
        message_id=message_id,
        pain001=xml.decode(),
    )
    for item in items:
        item.remittance = remittance
    RemittanceItem.objects.bulk_create(items, batch_size=5000)
    outbox_put(
        agency_id=agency.pk,
        kind=REMITTANCE_STATEMENT,
        key=f"remittance:{remittance.pk}",
        payload={"remittance_id": remittance.pk},
    )
    return remittance


@transaction.atomic
def remittance_mark_executed(
    *, remittance: Remittance, executed_on: date, actor: User | None
) -> Remittance:
    """The bank executed the transfer: the money leaves the dedicated account (ledger), and the
    R124-6 deadlines of its payments are done."""
    remittance = Remittance.objects.select_for_update().get(pk=remittance.pk)
    if remittance.status == Remittance.Status.SENT:
        raise ValidationError(
            _("This remittance was already marked executed on %(day)s.")
            % {"day": _day(remittance.executed_on)}
        )
    if executed_on > timezone.localdate():
        raise ValidationError({"executed_on": _("A transfer cannot be executed in the future.")})
    if executed_on < remittance.run_on:
        raise ValidationError(
            {
                "executed_on": _("The transfer cannot come before the run of %(day)s.")
                % {"day": _day(remittance.run_on)}
            }
        )
    remittance.status, remittance.executed_on = Remittance.Status.SENT, executed_on
    remittance.executed_by = actor
    remittance.save(update_fields=["status", "executed_on", "executed_by"])
    # What is taken from the account: all the commission and VAT when the collection covers
    # them; otherwise all that was collected, and the creditor is invoiced the rest.
    fees = min(remittance.commission + remittance.vat, remittance.collected)
    source, label = f"remittance:{remittance.pk}", remittance.reference
    for kind, amount in (
        (LedgerEntry.Kind.COMMISSION, fees),
        (LedgerEntry.Kind.REMITTANCE, max(remittance.net, ZERO)),
    ):
        _post(
            agency_id=remittance.agency_id,
            creditor_id=remittance.creditor_id,
            booked_on=executed_on,
            kind=kind,
            source=source,
            label=label,
            lines=[(LedgerEntry.Account.CREDITOR, amount), (LedgerEntry.Account.BANK, -amount)],
        )
    dunning_services.deadlines_remittance_done(
        agency_id=remittance.agency_id,
        payment_ids=list(remittance.items.values_list("payment_id", flat=True)),
        actor=actor,
    )
    return remittance


# --- bank statements ------------------------------------------------------------------------------
BANK_LINE_RECORD = "bank_line_record"
# Matched lines recorded per outbox message: a few seconds of work, so 10,000 lines make 200
# messages for the workers to share rather than 10,000 round trips to the broker.
BANK_LINES_PER_MESSAGE = 50


class StatementImport(NamedTuple):
    statement: BankStatement
    new_lines: int
    duplicates: int
    matched: int
    queued: int


@transaction.atomic
def bank_statement_import(
    *, agency: Agency, filename: str, content: bytes, actor: User | None
) -> StatementImport:
    """Read a statement of the dedicated account, keep each line once, match the credits to
    cases, and decide the recording of the sure matches (outbox, by batches of lines: one
    ``payment_record`` per line, ``source=bank``); the rest waits in the agents' queue.

    A file already imported is refused whole (same SHA-256); a line already seen in another
    statement is counted and skipped (``BankLine.line_key`` unique). Raises ``ValidationError``
    in French for a file that is not a statement; nothing is written then.
    """
    sha256 = bankfiles.file_sha256(content)
    if BankStatement.objects.filter(agency=agency, sha256=sha256).exists():
        raise ValidationError(_("This statement file was already imported."))
    head = content.lstrip()[:200]
    try:
        if head.startswith(b"<") or b"<?xml" in head:
            parsed = bankfiles.parse_camt053(content)
        else:
            parsed = bankfiles.parse_csv(content)
    except bankfiles.BankFileError as refused:
        raise ValidationError(str(refused)) from refused
    if (
        parsed.account_iban
        and agency.collection_iban
        and (parsed.account_iban.replace(" ", "") != agency.collection_iban.replace(" ", ""))
    ):
        raise ValidationError(
            _("This statement is for the account %(iban)s, not your dedicated collection account.")
            % {"iban": parsed.account_iban}
        )
    try:
        with transaction.atomic():  # the same file sent twice at once: the second is refused
            statement = BankStatement.objects.create(
                agency=agency,
                format=parsed.format,
                filename=filename[:200],
                sha256=sha256,
                identification=parsed.identification[:100],
                account_iban=parsed.account_iban,
                imported_by=actor,
                lines_total=len(parsed.lines),
            )
    except IntegrityError as again:
        raise ValidationError(_("This statement file was already imported.")) from again
    keys = [line.key for line in parsed.lines]
    seen = set(
        BankLine.objects.filter(agency=agency, line_key__in=keys).values_list("line_key", flat=True)
    )
    fresh = [line for line in parsed.lines if line.key not in seen]
    matches = selectors.bank_line_matches(agency_id=agency.pk, lines=fresh)
    rows = [
        BankLine(
            agency=agency,
            statement=statement,
            line_key=line.key,
            booked_on=line.booked_on,
            amount=line.amount,
            counterparty=line.counterparty,
            counterparty_iban=line.counterparty_iban,
            remittance_info=line.remittance_info,
            status=BankLine.Status.IGNORED
            if line.amount <= ZERO
            else (BankLine.Status.TO_RECORD if match.case_id else match.status),
            matched_by=match.matched_by,
            confidence=match.confidence,
            case_id=match.case_id,
            candidates=list(match.candidates),
        )
        for line, match in zip(fresh, matches, strict=True)
    ]
    try:
        with transaction.atomic():  # two overlapping statements imported at the same instant
            BankLine.objects.bulk_create(rows, batch_size=2000)
    except IntegrityError as again:
        raise ValidationError(
            _("Another import of these lines is under way; import this file again afterwards.")
        ) from again
    statement.lines_duplicate = len(parsed.lines) - len(fresh)
    statement.save(update_fields=["lines_duplicate"])
    to_record = [row.pk for row in rows if row.status == BankLine.Status.TO_RECORD]
    for start in range(0, len(to_record), BANK_LINES_PER_MESSAGE):
        outbox_put(
            agency_id=agency.pk,
            kind=BANK_LINE_RECORD,
            key=f"bank_statement:{statement.pk}:{start}",
            payload={
                "line_ids": to_record[start : start + BANK_LINES_PER_MESSAGE],
                "actor_id": actor.pk if actor else None,
            },
        )
    queued = sum(1 for row in rows if row.status in BankLine.QUEUE)
    return StatementImport(statement, len(rows), statement.lines_duplicate, len(to_record), queued)


def bank_line_record(*, line: BankLine, actor: User | None) -> BankLine:
    """Record a matched line's payment, once (the line's row lock and its one payment). A
    refusal (a closed case, more than is owed, a date before the invoice) sends the line to
    the agents' queue with the reason, rather than guessing."""
    with transaction.atomic():
        line = (
            BankLine.objects.select_for_update(of=("self",)).select_related("case").get(pk=line.pk)
        )
        if line.payment_id is not None or line.status != BankLine.Status.TO_RECORD:
            return line
        try:
            with transaction.atomic():
                line.payment = payment_record(
                    case=line.case,
                    amount=line.amount,
                    received_on=line.booked_on,
                    method=Payment.Method.TRANSFER,
                    actor=actor,
                    bank_reference=line.line_key[:100],
                    source=Payment.Source.BANK,
                )
        except ValidationError as refused:
            line.status, line.note = BankLine.Status.UNMATCHED, " ".join(refused.messages)[:300]
            line.save(update_fields=["status", "note"])
            return line
        line.status = BankLine.Status.MATCHED
        line.save(update_fields=["status", "payment"])
        return line


@transaction.atomic
def bank_line_resolve(
    *,
    line: BankLine,
    actor: User,
    case: Case | None,
    excess_owed_to_debtor: bool = False,
    note: str = "",
) -> BankLine:
    """An agent decides a queued line: the case it pays (recorded now, as matched by the
    agent), or none (``case=None``: not a debtor's payment, with a note saying what it is)."""
    line = BankLine.objects.select_for_update().get(pk=line.pk)
    if line.status not in BankLine.QUEUE:
        raise ValidationError(_("This line was already dealt with."))
    line.resolved_by, line.resolved_at = actor, timezone.now()
    if case is None:
        if not note.strip():
            raise ValidationError({"note": _("Say what this money is, for the reconciliation.")})
        line.status, line.note = BankLine.Status.IGNORED, note.strip()[:300]
        line.save(update_fields=["status", "note", "resolved_by", "resolved_at"])
        return line
    if case.agency_id != line.agency_id:
        raise ValidationError({"case": _("No case with this reference.")})
    line.payment = payment_record(
        case=case,
        amount=line.amount,
        received_on=line.booked_on,
        method=Payment.Method.TRANSFER,
        actor=actor,
        bank_reference=line.line_key[:100],
        excess_owed_to_debtor=excess_owed_to_debtor,
        source=Payment.Source.BANK,
    )
    line.case, line.status = case, BankLine.Status.MATCHED
    line.matched_by, line.confidence, line.note = BankLine.MatchedBy.AGENT, 100, note.strip()[:300]
    line.save(
        update_fields=[
            "payment", "case", "status", "matched_by", "confidence", "note", "resolved_by",
            "resolved_at",
        ]
    )  # fmt: skip
    return line


# --- payment plans: kept, broken, signed ----------------------------------------------------------
def _refresh_limitation(case: Case) -> None:
    """Prescription starts again from each payment and each signed plan (C. civ. 2240)."""
    case_services.case_refresh_limitation(
        case=case,
        plans_signed_on=list(
            PaymentPlan.objects.filter(case=case, signed_on__isnull=False).values_list(
                "signed_on", flat=True
            )
        ),
    )


@transaction.atomic
def payment_plan_sign(*, plan: PaymentPlan, signed_on: date, actor: User | None) -> PaymentPlan:
    """The debtor returned the plan signed: an acknowledgement of the debt, so prescription
    starts again from that day (REQ-D3)."""
    plan = PaymentPlan.objects.select_for_update().select_related("case").get(pk=plan.pk)
    if plan.signed_on is not None:
        raise ValidationError(
            _("This plan was already signed on %(day)s.") % {"day": _day(plan.signed_on)}
        )
    if not plan.agreed_on <= signed_on <= timezone.localdate():
        raise ValidationError(
            {"signed_on": _("The signature date is between the agreement and today.")}
        )
    plan.signed_on = signed_on
    plan.save(update_fields=["signed_on"])
    _refresh_limitation(plan.case)
    return plan


@transaction.atomic
def payment_plans_check(*, agency_id: int, today: date) -> int:
    """Daily (beat): break each active plan with an instalment still short once its grace
    period is over (``PLAN_GRACE_DAYS``); the case goes back to the active state it left, due
    at once, so escalation resumes. Returns the number of plans broken."""
    broken = 0
    plans = (
        PaymentPlan.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(
            agency_id=agency_id,
            status=PaymentPlan.Status.ACTIVE,
            pk__in=PlanInstalment.objects.filter(
                agency_id=agency_id,
                due_on__lt=today - timedelta(days=selectors.PLAN_GRACE_DAYS),
            ).values("plan_id"),
        )
        .filter(case__state=CaseState.PAYMENT_PLAN)
        .select_related("case")
        .order_by("pk")
    )
    for plan in plans:
        late = selectors.plan_first_missed(plan=plan, today=today)
        if late is None:
            continue
        try:
            with transaction.atomic():
                events.payment_plan_broken(
                    case=plan.case,
                    plan_id=plan.pk,
                    position=late.position,
                    due_on=late.due_on,
                    missing=late.missing,
                )
                case_services.case_transition(
                    case=plan.case,
                    transition="break_plan",
                    actor=None,
                    reason=_("Instalment missed"),
                )
        except case_services.CaseTransitionError as refused:  # time-barred meanwhile: an agent's
            logger.warning("plan %s not broken: %s", plan.pk, "; ".join(refused.reasons))
            continue
        broken += 1
    return broken


# --- settlements ----------------------------------------------------------------------------------
@transaction.atomic
def settlement_propose(
    *, case: Case, amount: Decimal, reason: str, actor: User | None
) -> Settlement:
    """A reduced amount that closes the case once paid: agreed at once within the creditor's
    bounds (at least ``Creditor.settlement_min_percent`` of what is owed today), otherwise
    waiting for the creditor's approval (:func:`settlement_approve`)."""
    case = Case.objects.select_for_update().select_related("creditor").get(pk=case.pk)
    if case.state in TERMINAL_STATES:
        raise ValidationError(_("This case is closed."))
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the creditor would accept less.")})
    amount = to_money(amount)
    try:
        owed = case_statement(case, on=timezone.localdate()).outstanding
    except RateMissing as missing:
        raise ValidationError(rate_missing_message(missing)) from missing
    if not ZERO < amount < owed:
        raise ValidationError(
            {
                "amount": _("A settlement is above zero and below what is owed (%(owed)s).")
                % {"owed": euros(owed)}
            }
        )
    if Settlement.objects.filter(case=case, status__in=Settlement.OPEN).exists():
        raise ValidationError(_("This case already has a settlement in progress."))
    floor = case.creditor.settlement_min_percent
    within = floor is not None and amount * 100 >= owed * floor
    settlement = Settlement.objects.create(
        agency_id=case.agency_id,
        case=case,
        amount=amount,
        owed=owed,
        proposed_on=timezone.localdate(),
        reason=reason.strip()[:300],
        status=Settlement.Status.AGREED if within else Settlement.Status.AWAITING_APPROVAL,
        created_by=actor,
    )
    if within:
        events.settlement_agreed(
            case=case,
            actor=actor,
            settlement_id=settlement.pk,
            amount=amount,
            owed=owed,
            approved=False,
        )
    return settlement


@transaction.atomic
def settlement_approve(*, settlement: Settlement, actor: User, approve: bool = True) -> Settlement:
    """The creditor answers a settlement beyond the convention's bounds (from its portal)."""
    settlement = Settlement.objects.select_for_update().select_related("case").get(pk=settlement.pk)
    membership = getattr(actor, "membership", None)
    if membership is None or membership.creditor_id != settlement.case.creditor_id:
        raise PermissionDenied(_("Only the creditor can approve this settlement."))
    if settlement.status != Settlement.Status.AWAITING_APPROVAL:
        raise ValidationError(_("This settlement is not waiting for an approval."))
    settlement.status = Settlement.Status.AGREED if approve else Settlement.Status.REFUSED
    settlement.approved_by = actor
    settlement.save(update_fields=["status", "approved_by"])
    if approve:
        events.settlement_agreed(
            case=settlement.case,
            actor=actor,
            settlement_id=settlement.pk,
            amount=settlement.amount,
            owed=settlement.owed,
            approved=True,
        )
    return settlement


def _settle_if_paid(case: Case, actor: User | None) -> bool:
    """An agreed settlement paid in full (payments since its proposal) settles the case: the
    rest of the debt is written off, with the settlement's reason."""
    settlement = (
        Settlement.objects.select_for_update()
        .filter(case=case, status=Settlement.Status.AGREED)
        .first()
    )
    if settlement is None:
        return False
    paid = (
        case.payments.filter(received_on__gte=settlement.proposed_on).aggregate(
            total=Sum("amount")
        )["total"]
        or ZERO
    )
    if paid < settlement.amount:
        return False
    statement = case_statement(case, on=timezone.localdate())
    PaymentPlan.objects.filter(case=case, status=PaymentPlan.Status.ACTIVE).update(
        status=PaymentPlan.Status.COMPLETED
    )
    settlement.status, settlement.paid_on = Settlement.Status.PAID, timezone.localdate()
    settlement.written_off = statement.outstanding
    settlement.save(update_fields=["status", "paid_on", "written_off"])
    case_services.case_transition(
        case=case,
        transition="mark_settled",
        actor=None,
        reason=_("Settlement of %(amount)s paid; %(rest)s written off: %(reason)s")
        % {
            "amount": euros(settlement.amount),
            "rest": euros(statement.outstanding),
            "reason": settlement.reason,
        },
    )
    return True
