"""What the letters app does for outbox messages: render and send notices, post the print
batches, produce a step's letters, issue a payment's receipt, build a judicial dossier.
Registered at start-up (``NoticesConfig.ready``) so the apps below decide these effects without
importing this one."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from cases import events
from cases.models import Case
from collectio.outbox import FinalError, OutboxMessage, outbox_handler
from dunning.models import StepExecution
from dunning.sweep import STEP_EFFECTS
from notices import dossier, services
from notices.linter import MissingMandatoryBlock
from notices.models import Channel, LetterKind, Notice
from notices.selectors import LetterBlocked, remittance_of_run
from payments.models import Payment, PaymentPlan, Remittance
from payments.services import PAYMENT_PLAN_LETTER, PAYMENT_RECEIPT, REMITTANCE_STATEMENT

# Refusals the law or the templates make: retrying would refuse again.
FINAL_ERRORS = (LetterBlocked, MissingMandatoryBlock)


def _notice_failed(message: OutboxMessage, error: BaseException) -> None:
    services.notice_record_failure(notice_id=message.payload["notice_id"], error=error)


# A render and a send take up to a second or so: 20 a task, shared out between workers.
@outbox_handler(
    services.NOTICE_PROCESS,
    label=_("Producing and sending a letter"),
    queue="letters",
    on_failure=_notice_failed,
    batch=20,
)
def process_notice(message: OutboxMessage) -> None:
    """Render a notice, and send it unless it waits for the print batch."""
    try:
        services.notice_process(notice_id=message.payload["notice_id"])
    except FINAL_ERRORS as refused:
        raise FinalError(str(refused)) from refused


@outbox_handler(STEP_EFFECTS, label=_("Letters and calls of a dunning step"), queue="letters")
def produce_step_effects(message: OutboxMessage) -> None:
    execution = StepExecution.objects.select_related("step").get(pk=message.payload["execution_id"])
    services.produce_step_effects(execution=execution)


# A batch of 500 letters takes about 12 s to merge: one a task, however many the relay finds.
@outbox_handler(
    services.PRINT_BATCH_SUBMIT, label=_("Posting a print batch"), queue="letters", batch=1
)
def submit_print_batch(message: OutboxMessage) -> None:
    """Merge, post once (the batch's reference is the print house's idempotency key), mark
    the letters sent; a crash at any point resumes without a second posting."""
    services.print_batch_submit(batch_id=message.payload["batch_id"])


@outbox_handler(PAYMENT_RECEIPT, label=_("Payment receipt"), queue="letters")
def issue_payment_receipt(message: OutboxMessage) -> None:
    """Every payment gets its quittance (R124-6), once; a blocked letter is flagged, not retried."""
    payment = Payment.objects.select_related("case").get(pk=message.payload["payment_id"])
    with transaction.atomic():
        if Notice.objects.filter(
            case_id=payment.case_id, kind=LetterKind.PAYMENT_RECEIPT, data__payment_id=payment.pk
        ).exists():
            return
        try:
            with transaction.atomic():
                services.payment_receipt_create(payment=payment, actor=None)
        except LetterBlocked as blocked:
            events.step_blocked(
                case=payment.case, reasons=blocked.reasons, letter=LetterKind.PAYMENT_RECEIPT
            )


@outbox_handler(PAYMENT_PLAN_LETTER, label=_("Payment plan agreement"), queue="letters")
def issue_payment_plan_letter(message: OutboxMessage) -> None:
    """The agreed plan's letter for the debtor to sign, once; a blocked letter is flagged."""
    plan = PaymentPlan.objects.select_related("case").get(pk=message.payload["plan_id"])
    with transaction.atomic():
        if Notice.objects.filter(
            case_id=plan.case_id, kind=LetterKind.PAYMENT_PLAN, data__plan_id=plan.pk
        ).exists():
            return
        try:
            with transaction.atomic():
                services.payment_plan_create(plan=plan, actor=plan.created_by)
        except LetterBlocked as blocked:
            events.step_blocked(
                case=plan.case, reasons=blocked.reasons, letter=LetterKind.PAYMENT_PLAN
            )


@outbox_handler(REMITTANCE_STATEMENT, label=_("Remittance statement"), queue="letters")
def issue_remittance_statement(message: OutboxMessage) -> None:
    """The statement of a remittance run for its creditor, once (by e-mail when it has an
    address, else by post)."""
    remittance = Remittance.objects.select_related("creditor").get(
        pk=message.payload["remittance_id"]
    )
    with transaction.atomic():
        if Notice.objects.filter(
            creditor_id=remittance.creditor_id,
            kind=LetterKind.REMITTANCE_STATEMENT,
            data__remittance_id=remittance.pk,
        ).exists():
            return
        period = remittance_of_run(remittance)
        services.remittance_statement_create(
            creditor=remittance.creditor,
            period_start=period.period_start,
            period_end=period.period_end,
            actor=None,
            channel=Channel.EMAIL if remittance.creditor.contact_email else Channel.LETTER,
            remittance_id=remittance.pk,
        )


@outbox_handler(services.DOSSIER_BUILD, label=_("Judicial dossier"), queue="letters")
def build_dossier(message: OutboxMessage) -> None:
    case = Case.objects.get(pk=message.payload["case_id"])
    if not case.dossiers.exists():
        dossier.dossier_build(case=case, actor=None)
