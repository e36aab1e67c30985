"""Every write on letters and messages: one function per use case, atomic, writing its event.

Life of a notice: created ``draft`` (the law's gates checked), rendered by a task on the
``letters`` queue (``rendered``: PDF stored with its SHA-256), then ``sent`` — at once for e-mail,
SMS and electronic registered letters, with the day's print batch for post. ``failed`` keeps the
error for agents; nothing is marked sent that was not produced, and a sent notice never changes.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from email.utils import formataddr, parseaddr
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.mail import EmailMessage
from django.db import DatabaseError, IntegrityError, models, transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from cases import events
from cases.models import Case, Creditor
from collectio.models import Agency, ConfigChange, User
from collectio.money import euros
from collectio.outbox import outbox_put, reconnecting
from collectio.references import next_reference
from collectio.services import config_change_record
from debtors.models import CallTask
from dunning.models import Action, StepExecution
from dunning.models import Channel as StepChannel
from dunning.selectors import rate_missing_message
from dunning.statement import case_statement
from law.interest import RateMissing
from notices import content, selectors
from notices.channels import email as email_channel
from notices.channels import lre as lre_channel
from notices.channels import post as post_channel
from notices.channels import sms as sms_channel
from notices.linter import debt_wording_in_preview, validate_wording
from notices.models import (
    POSTAL_CHANNELS,
    Channel,
    LetterKind,
    LetterTemplate,
    LetterTemplateVersion,
    Notice,
    PrintBatch,
    WebhookDelivery,
)
from notices.rendering import merge_pdfs, render_letter, render_page
from notices.samples import sample_context
from notices.selectors import LetterBlocked
from notices.templatetags.letters import longdate, shortdate, typographic_apostrophes
from payments.models import Payment, PaymentPlan

IMMEDIATE_CHANNELS = frozenset({Channel.EMAIL, Channel.SMS, Channel.ELECTRONIC_REGISTERED_LETTER})


# --- creation -------------------------------------------------------------------------------
def _new_notice(
    *,
    kind: str,
    channel: str,
    creditor: Creditor,
    case: Case | None,
    on: date,
    actor: User | None,
    step_execution: StepExecution | None = None,
    deadline_days: int | None = None,
    deadline_from_acknowledgement: bool = False,
    data: dict[str, Any] | None = None,
    blocked: Sequence[str] = (),
) -> Notice:
    if case is not None and kind not in (LetterKind.PAYMENT_RECEIPT, LetterKind.PAYMENT_PLAN):
        deadline_days = deadline_days or selectors.DEFAULT_DEADLINE_DAYS
    counts_from_receipt = deadline_from_acknowledgement and kind == LetterKind.FORMAL_NOTICE
    notice = Notice(
        agency_id=creditor.agency_id,
        creditor=creditor,
        case=case,
        step_execution=step_execution,
        kind=kind,
        channel=channel,
        reference=next_reference(agency_id=creditor.agency_id, prefix="L", year=on.year),
        recipient=_recipient(channel, creditor, case),
        statement_on=on,
        deadline_days=deadline_days,
        deadline_from_acknowledgement=counts_from_receipt,
        deadline=selectors.payment_deadline(case=case, start=on, days=deadline_days)
        if deadline_days and not counts_from_receipt
        else None,
        data=data or {},
        created_by=actor,
    )
    if blocked:
        notice.status = Notice.Status.FAILED
        notice.error = LetterBlocked(blocked).args[0]
    notice.save()
    if not blocked:  # a blocked one is told by the caller's step_blocked event
        if case is not None:
            events.letter_created(case=case, notice=notice, actor=actor)
        _enqueue_processing(notice)
    return notice


def _recipient(channel: str, creditor: Creditor, case: Case | None) -> str:
    if channel in POSTAL_CHANNELS:
        return ""
    if case is None:
        return creditor.contact_email
    return selectors.debtor_contact(case.debtor, channel)


NOTICE_PROCESS = "notice_process"
DOSSIER_BUILD = "dossier_build"


def _enqueue_processing(notice: Notice, *, why: str = "created") -> None:
    """Decide the rendering and sending of a notice in the caller's transaction (the outbox)."""
    outbox_put(
        agency_id=notice.agency_id,
        kind=NOTICE_PROCESS,
        key=f"notice:{notice.pk}:{why}",
        payload={"notice_id": notice.pk},
        case_id=notice.case_id,
    )


@transaction.atomic
def notice_create(
    *,
    kind: str,
    channel: str,
    actor: User | None,
    case: Case | None = None,
    creditor: Creditor | None = None,
    on: date | None = None,
    deadline_days: int | None = None,
    deadline_from_acknowledgement: bool = False,
    data: dict[str, Any] | None = None,
) -> Notice:
    """An agent's (or the API's) letter; refused with ``LETTER_BLOCKED`` when the law says so."""
    creditor = case.creditor if case is not None else creditor
    if creditor is None:
        raise ValueError("a notice needs a case or, for a remittance statement, a creditor")
    on = on or timezone.localdate()
    if blockers := selectors.letter_blockers(
        agency=creditor.agency, creditor=creditor, kind=kind, channel=channel, case=case, on=on
    ):
        raise LetterBlocked(blockers)
    return _new_notice(
        kind=kind,
        channel=channel,
        creditor=creditor,
        case=case,
        on=on,
        actor=actor,
        deadline_days=deadline_days,
        deadline_from_acknowledgement=deadline_from_acknowledgement,
        data=data,
    )


def payment_receipt_create(
    *, payment: Payment, actor: User | None, channel: str = Channel.LETTER
) -> Notice:
    """The quittance every payment is owed (REQ-A8, R124-6)."""
    return notice_create(
        kind=LetterKind.PAYMENT_RECEIPT,
        channel=channel,
        actor=actor,
        case=payment.case,
        data={"payment_id": payment.pk},
    )


def payment_plan_create(
    *, plan: PaymentPlan, actor: User | None, channel: str = Channel.LETTER
) -> Notice:
    """The agreement of a plan (``payments.services.payment_plan_agree``) for the debtor to
    sign: its instalments, its total and what happens to interest while it is kept."""
    return notice_create(
        kind=LetterKind.PAYMENT_PLAN,
        channel=channel,
        actor=actor,
        case=plan.case,
        on=plan.agreed_on,
        data={"plan_id": plan.pk},
    )


def remittance_statement_create(
    *,
    creditor: Creditor,
    period_start: date,
    period_end: date,
    actor: User | None,
    channel: str = Channel.LETTER,
    remittance_id: int | None = None,
) -> Notice:
    """What was collected for a creditor over a period, the commission and the net remitted;
    with ``remittance_id``, exactly what that remittance run accounted for."""
    if period_end < period_start:
        raise ValidationError(_("The period ends before it starts."))
    data = {"period_start": period_start.isoformat(), "period_end": period_end.isoformat()}
    if remittance_id is not None:
        data["remittance_id"] = remittance_id
    return notice_create(
        kind=LetterKind.REMITTANCE_STATEMENT,
        channel=channel,
        actor=actor,
        creditor=creditor,
        data=data,
    )


# --- a dunning step's side effects ----------------------------------------------------------
@transaction.atomic
def produce_step_effects(*, execution: StepExecution) -> None:
    """Produce what the step's channels require, once per (execution, channel).

    Run by the outbox (``notices.handlers``) for the execution's message. A second call finds
    the rows of the first and creates nothing; a notice still in draft has its own outbox
    message, which the relay re-enqueues if it was lost. A letter the law forbids becomes a
    ``failed`` notice with its reasons and a ``step_blocked`` event, for agents to act on.
    """
    case = Case.objects.select_related("agency", "creditor", "debtor").get(pk=execution.case_id)
    step = execution.step
    existing = {n.channel: n for n in Notice.objects.filter(step_execution=execution)}
    kind = selectors.kind_for_step(step, case)
    today = timezone.localdate()
    for channel in step.channels:
        if channel == StepChannel.CALL_TASK:
            _call_task(case, execution)
            continue
        if channel in existing:  # a second run: the first one's outbox messages stand
            continue
        blockers = selectors.letter_blockers(
            agency=case.agency,
            creditor=case.creditor,
            kind=kind,
            channel=channel,
            case=case,
            on=today,
        )
        notice = _new_notice(
            kind=kind,
            channel=channel,
            creditor=case.creditor,
            case=case,
            on=today,
            actor=None,
            step_execution=execution,
            deadline_days=step.payment_deadline_days,
            deadline_from_acknowledgement=step.deadline_from_acknowledgement,
            blocked=blockers,
        )
        if blockers:
            events.step_blocked(
                case=case,
                reasons=blockers,
                step_id=execution.step_id,
                letter=kind,
                notice=notice.reference,
                code=LetterBlocked.code,
            )
    if step.action == Action.JUDICIAL_HANDOFF and not case.dossiers.exists():
        outbox_put(
            agency_id=case.agency_id,
            kind=DOSSIER_BUILD,
            key=f"case:{case.pk}",
            payload={"case_id": case.pk},
            case_id=case.pk,
        )


def _call_task(case: Case, execution: StepExecution) -> None:
    if CallTask.objects.filter(step_execution=execution).exists():
        return
    first = selectors.first_letter(case)
    try:
        statement = case_statement(case, on=timezone.localdate())
        balance = euros(statement.balance)
    except RateMissing as missing:  # the call can still be made; the agent is told why
        balance = rate_missing_message(missing)
    task = CallTask.objects.create(
        agency_id=case.agency_id,
        case=case,
        step_execution=execution,
        script=render_to_string(
            "letters/call_script.txt",
            {
                "case": case,
                "first_letter": first,
                "first_letter_date": shortdate(first.sent_on) if first else "",
                "balance": balance,
                "on": shortdate(timezone.localdate()),
            },
        ),
    )
    events.call_task_created(case=case, call_task_id=task.pk)


# --- rendering and sending ------------------------------------------------------------------
def notice_process(*, notice_id: int) -> Notice:
    """Render a draft, then send it at once if its channel does not wait for the print batch.

    Two transactions: a send that fails is retried without rendering again.
    """
    notice = notice_render(notice=Notice.objects.get(pk=notice_id))
    if notice.status == Notice.Status.RENDERED and notice.channel in IMMEDIATE_CHANNELS:
        notice = notice_dispatch(notice=notice)
    return notice


def _lock(notice: Notice) -> Notice:
    return (
        Notice.objects.select_for_update(of=("self",))
        .select_related("agency", "creditor", "case__debtor", "case__creditor", "case__agency")
        .get(pk=notice.pk)
    )


def notice_render(*, notice: Notice) -> Notice:
    """Produce the PDF (or the SMS text) of a draft; the law's gates are checked again.

    The file is stored before the row commits; if the transaction does not commit, the file
    goes too, so no PDF is left that no notice points to.
    """
    written: list[str] = []
    try:
        return _render(notice, written)
    except BaseException:
        _discard_unless_committed(Notice, notice.pk, written)
        raise


def _discard_unless_committed(model: type[models.Model], pk: int, names: list[str]) -> None:
    """After a failed transaction, delete the files it stored unless its row points at them
    (a commit whose answer was lost); when the database cannot tell, keep them."""
    if not names:
        return
    if transaction.get_connection().in_atomic_block:
        committed: set[str] = set()  # an enclosing transaction: the savepoint rolled back
    else:
        try:
            committed = set(
                reconnecting(
                    lambda: list(model.objects.filter(pk=pk).values_list("pdf", flat=True))
                )
            )
        except DatabaseError:
            return
    for name in names:
        if name not in committed:
            default_storage.delete(name)


@transaction.atomic
def _render(notice: Notice, written: list[str]) -> Notice:
    notice = _lock(notice)
    if notice.status != Notice.Status.DRAFT:
        return notice  # done already, or by a concurrent worker: idempotent
    first = selectors.first_letter(notice.case) if notice.case_id else None
    if notice.channel == Channel.SMS and first is None:
        return notice  # held until the first letter is sent (REQ-A6); released then
    if blockers := selectors.letter_blockers(
        agency=notice.agency,
        creditor=notice.creditor,
        kind=notice.kind,
        channel=notice.channel,
        case=notice.case,
        on=notice.statement_on,
    ):
        raise LetterBlocked(blockers)
    if notice.channel == Channel.SMS:
        notice.body = sms_text(notice, first)
    else:
        pdf = render_letter(notice.kind, selectors.notice_context(notice))
        notice.pdf.save(
            f"{notice.agency_id}/{notice.statement_on.year}/{notice.reference}.pdf",
            ContentFile(pdf.content),
            save=False,
        )
        written.append(notice.pdf.name)
        notice.sha256, notice.page_count = pdf.sha256, pdf.page_count
        if notice.channel == Channel.EMAIL:
            notice.body = _email_text(notice, first)
    notice.status = Notice.Status.RENDERED
    notice.rendered_at = timezone.now()
    notice.error = ""
    notice.save()
    return notice


def sms_text(notice: Notice, first: content.FirstLetter) -> str:
    """Short and discreet (REQ-F2): no debt wording where a lock screen shows it; the case and
    the first letter's reference and date (REQ-A6)."""
    text = render_to_string(
        "letters/sms.txt",
        {
            "agency": notice.agency,
            "case": notice.case,
            "first_letter": first,
            "first_letter_date": shortdate(first.sent_on),
        },
    ).strip()
    if found := debt_wording_in_preview(text):
        raise ValueError(f"SMS preview carries debt wording: {found}")
    return text


def _email_text(notice: Notice, first: content.FirstLetter | None) -> str:
    """The e-mail carrying the letter, with the letter's typography (one apostrophe)."""
    text = render_to_string(
        "letters/email_body.txt",
        {
            "notice": notice,
            "agency": notice.agency,
            "case": notice.case,
            "subject": content.SUBJECTS[LetterKind(notice.kind)],
            "letter_date": longdate(notice.statement_on),
            "first_letter": first if first and first.reference != notice.reference else None,
            "first_letter_date": longdate(first.sent_on) if first else "",
        },
    )
    return typographic_apostrophes(text.strip())


def _email_message(notice: Notice) -> EmailMessage:
    """From the platform's address in the agency's name; replies go to the agency."""
    agency = notice.agency
    about = notice.case.reference if notice.case else notice.reference
    message = EmailMessage(
        subject=f"Votre dossier {about} – courrier {notice.reference}",
        body=notice.body,
        from_email=formataddr((agency.legal_name, parseaddr(settings.DEFAULT_FROM_EMAIL)[1])),
        to=[notice.recipient],
        reply_to=[agency.email] if agency.email else None,
        headers={"Message-ID": notice.provider_reference} if notice.provider_reference else None,
    )
    with notice.pdf.open("rb") as pdf:
        message.attach(f"{notice.reference}.pdf", pdf.read(), "application/pdf")
    return message


def notice_dispatch(*, notice: Notice) -> Notice:
    """Hand a rendered e-mail, SMS or electronic registered letter to its channel, once.

    Never inside a transaction or a row lock: the send is claimed (committed), made, then
    recorded in a short transaction of its own, on a new connection if the database dropped
    meanwhile. The claim fixes the provider's idempotency key (an e-mail's Message-ID, the
    notice's reference for SMS and LRE), so a send repeated after a crash between the hand-over
    and the record is the same message again, which the providers recognise.
    """
    claimed = _dispatch_claim(notice)
    if claimed is None:
        return Notice.objects.get(pk=notice.pk)
    if claimed.channel == Channel.SMS:
        ident = sms_channel.backend().send(
            to=claimed.recipient, text=claimed.body, reference=claimed.reference
        )
    elif claimed.channel == Channel.EMAIL:
        ident = email_channel.backend().send(_email_message(claimed))
    else:
        with claimed.pdf.open("rb") as pdf:
            ident = lre_channel.backend().send(
                to=claimed.recipient, pdf=pdf.read(), reference=claimed.reference
            )
    return reconnecting(lambda: _dispatch_record(claimed, ident))


@transaction.atomic
def _dispatch_claim(notice: Notice) -> Notice | None:
    """Still to send? Then fix the e-mail's Message-ID before it leaves (a repeated send
    carries the same one); ``None`` once sent, or for a channel that waits for the batch."""
    notice = _lock(notice)
    if notice.status != Notice.Status.RENDERED or notice.channel not in IMMEDIATE_CHANNELS:
        return None
    if notice.channel == Channel.EMAIL and not notice.provider_reference:
        notice.provider_reference = email_channel.new_message_id()
        Notice.objects.filter(pk=notice.pk).update(provider_reference=notice.provider_reference)
    return notice


@transaction.atomic
def _dispatch_record(notice: Notice, ident: str) -> Notice:
    notice = _lock(notice)
    if notice.status == Notice.Status.RENDERED:  # not recorded by a commit whose answer was lost
        _mark_sent(notice, at=timezone.now(), provider_reference=ident)
    return notice


def _mark_sent(
    notice: Notice,
    *,
    at: datetime,
    provider_reference: str = "",
    tracking_number: str = "",
    print_batch: PrintBatch | None = None,
) -> None:
    if notice.status != Notice.Status.RENDERED:
        raise ValueError(f"{notice.reference} was not produced; it cannot be marked sent")
    was_first = (
        notice.kind == LetterKind.FIRST_REMINDER
        and notice.case_id is not None
        and selectors.first_letter(notice.case) is None
    )
    notice.status = Notice.Status.SENT
    notice.sent_at = at
    notice.provider_reference = provider_reference
    notice.tracking_number = tracking_number
    notice.print_batch = print_batch
    notice.save()
    if notice.case_id is not None:
        events.letter_sent(case=notice.case, notice=notice, at=at)
    if was_first:
        for held in Notice.objects.filter(
            case_id=notice.case_id, channel=Channel.SMS, status=Notice.Status.DRAFT
        ):
            _enqueue_processing(held, why=f"after-{notice.reference}")


@transaction.atomic
def notice_record_failure(*, notice_id: int, error: BaseException) -> None:
    """The outbox gave up (a refusal, or the last attempt): the notice is ``failed`` for agents."""
    notice = Notice.objects.select_for_update().get(pk=notice_id)
    if notice.status == Notice.Status.SENT:
        return
    notice.attempts += 1
    notice.error = str(error)[:2000]
    notice.status = Notice.Status.FAILED
    notice.save(update_fields=["attempts", "error", "status"])
    if notice.case_id is not None:
        events.letter_failed(case=notice.case, notice=notice, error=notice.error)


@transaction.atomic
def notice_retry(*, notice: Notice, actor: User | None) -> Notice:
    """An agent fixed the cause (insurance renewed, e-mail added): try a failed notice again,
    dated today, since it never left."""
    notice = _lock(notice)
    if notice.status != Notice.Status.FAILED:
        raise ValidationError(_("Only a failed notice can be retried."))
    today = timezone.localdate()
    if blockers := selectors.letter_blockers(
        agency=notice.agency,
        creditor=notice.creditor,
        kind=notice.kind,
        channel=notice.channel,
        case=notice.case,
        on=today,
    ):
        raise LetterBlocked(blockers)
    notice.statement_on = today
    if notice.deadline_days and not notice.deadline_from_acknowledgement:
        notice.deadline = selectors.payment_deadline(
            case=notice.case, start=today, days=notice.deadline_days
        )
    notice.status = Notice.Status.DRAFT
    notice.recipient = notice.recipient or _recipient(notice.channel, notice.creditor, notice.case)
    notice.error = ""
    notice.provider_reference = ""  # produced again: a new message, with a new Message-ID
    notice.save()
    if notice.case_id is not None:
        events.letter_retried(case=notice.case, notice=notice, actor=actor)
    _enqueue_processing(notice, why=f"retry-{timezone.now().isoformat()}")
    return notice


def notice_preview(
    *, case: Case, kind: str, channel: str = Channel.LETTER, on: date | None = None
) -> bytes:
    """The letter as it would be produced today, watermarked "APERÇU"; nothing is stored.

    A receipt previews the case's last payment; a plan, the balance without instalments yet.
    Refused as the letter itself would be: ``LetterBlocked`` when the law forbids it now,
    ``MissingMandatoryBlock`` when its PDF would lack a mandatory mention.
    """
    on = on or timezone.localdate()
    if blockers := selectors.letter_blockers(
        agency=case.agency, creditor=case.creditor, kind=kind, channel=channel, case=case, on=on
    ):
        raise LetterBlocked(blockers)
    data = {}
    if kind == LetterKind.PAYMENT_RECEIPT:
        last = case.payments.order_by("received_on", "pk").last()
        if last is None:
            raise ValidationError(_("The case has no payment to acknowledge."))
        data = {"payment_id": last.pk}
    notice = Notice(
        agency=case.agency,
        creditor=case.creditor,
        case=case,
        kind=kind,
        channel=channel,
        reference="APERÇU",
        statement_on=on,
        deadline_days=selectors.DEFAULT_DEADLINE_DAYS,
        deadline=selectors.payment_deadline(
            case=case, start=on, days=selectors.DEFAULT_DEADLINE_DAYS
        ),
        data=data,
    )
    return render_letter(kind, selectors.notice_context(notice, preview=True)).content


# --- post: the daily print batch, tracking numbers and acknowledgements -----------------------
PRINT_BATCH_SUBMIT = "print_batch_submit"


def print_batches_prepare(*, agency_id: int) -> list[PrintBatch]:
    """Gather the rendered letters not yet printed into batches of at most
    ``NOTICES_PRINT_BATCH_MAX``, each committed with its letters and the outbox message that
    merges and posts it (:func:`print_batch_submit`): a large backlog goes out as several
    batches, each well within a task's time limit, and a crash resumes where it stopped."""
    batches = []
    while batch := _print_batch_claim(agency_id=agency_id, size=settings.NOTICES_PRINT_BATCH_MAX):
        batches.append(batch)
    return batches


def print_batch_run(
    *, agency_id: int, limit: int | None = None, at: datetime | None = None
) -> PrintBatch | None:
    """One batch now, in this process (an agent's, a benchmark's); ``None`` if nothing waits.
    Its outbox message, run later, finds it posted.

    ``at`` is when the batch leaves: now, unless a history is replayed (the demo's first
    letters, sent months ago); a letter dated after that day never goes with it.
    """
    batch = _print_batch_claim(
        agency_id=agency_id,
        size=limit or settings.NOTICES_PRINT_BATCH_MAX,
        on=timezone.localdate(at) if at else timezone.localdate(),
    )
    return print_batch_submit(batch_id=batch.pk, at=at) if batch else None


@transaction.atomic
def _print_batch_claim(*, agency_id: int, size: int, on: date | None = None) -> PrintBatch | None:
    letters = list(
        Notice.objects.select_for_update(skip_locked=True)
        .filter(
            agency_id=agency_id,
            channel__in=POSTAL_CHANNELS,
            status=Notice.Status.RENDERED,
            print_batch__isnull=True,
            statement_on__lte=on or timezone.localdate(),
        )
        .order_by("channel", "pk")
        .values_list("pk", flat=True)[:size]
    )
    if not letters:
        return None
    batch = PrintBatch.objects.create(agency_id=agency_id, letter_count=len(letters))
    Notice.objects.filter(pk__in=letters).update(print_batch=batch)
    outbox_put(
        agency_id=agency_id,
        kind=PRINT_BATCH_SUBMIT,
        key=f"batch:{batch.pk}",
        payload={"batch_id": batch.pk},
    )
    return batch


def print_batch_submit(*, batch_id: int, at: datetime | None = None) -> PrintBatch:
    """Merge a batch's letters behind a cover index, hand it to the post backend once and mark
    the letters sent; registered letters get their tracking number.

    Three steps, none inside a row lock while the print house is called: the merged PDF is
    stored with the batch (so a retry posts the very same file); it is submitted under the
    batch's reference, which the backend posts once whatever the retries; the letters are
    marked sent in one short transaction, on a new connection if the database dropped.
    """
    batch = PrintBatch.objects.select_related("agency").get(pk=batch_id)
    if batch.submitted_at is not None:
        return batch
    letters = list(
        Notice.objects.filter(print_batch=batch)
        .select_related("agency", "creditor", "case__debtor")
        .order_by("channel", "pk")
    )
    manifest = _print_manifest(letters)
    if not batch.pdf:
        batch = _print_batch_store_pdf(batch, letters, manifest)
    with batch.pdf.open("rb") as pdf:
        content = pdf.read()
    submission = post_channel.backend().submit(
        name=f"batch-{batch.agency_id}-{batch.pk}", pdf=content, manifest=manifest
    )
    return reconnecting(lambda: _print_batch_posted(batch, submission, at=at))


def _print_batch_store_pdf(
    batch: PrintBatch, letters: Sequence[Notice], manifest: list[dict[str, Any]]
) -> PrintBatch:
    parts = []
    for letter in letters:
        with letter.pdf.open("rb") as pdf:
            parts.append(pdf.read())
    # Pages are numbered from the end of the index, so the index is laid out once.
    cover = render_page(
        "letters/print_cover.html",
        {"batch": batch, "agency": batch.agency, "manifest": manifest, "now": batch.created_at},
    )
    merged = merge_pdfs([cover.content, *parts])
    written: list[str] = []
    try:
        with transaction.atomic():
            batch = PrintBatch.objects.select_for_update().get(pk=batch.pk)
            if not batch.pdf:
                name = f"{batch.agency_id}/{timezone.localdate(batch.created_at):%Y-%m-%d}"
                batch.pdf.save(
                    f"{name}/batch-{batch.pk}.pdf", ContentFile(merged.content), save=False
                )
                written.append(batch.pdf.name)
                batch.sha256, batch.page_count = merged.sha256, merged.page_count
                batch.save(update_fields=["pdf", "sha256", "page_count"])
    except BaseException:
        _discard_unless_committed(PrintBatch, batch.pk, written)
        raise
    return batch


@transaction.atomic
def _print_batch_posted(
    batch: PrintBatch, submission: post_channel.Submission, *, at: datetime | None = None
) -> PrintBatch:
    batch = PrintBatch.objects.select_for_update().get(pk=batch.pk)
    if batch.submitted_at is not None:  # recorded by a commit whose answer was lost
        return batch
    now = at or timezone.now()
    batch.submitted_at = now
    batch.provider_reference = submission.provider_reference
    batch.save(update_fields=["submitted_at", "provider_reference"])
    letters = (
        Notice.objects.select_for_update(of=("self",))
        .filter(print_batch=batch, status=Notice.Status.RENDERED)
        .select_related("case")
        .order_by("pk")
    )
    for letter in letters:
        _mark_sent(
            letter,
            at=now,
            provider_reference=submission.provider_reference,
            tracking_number=submission.tracking_numbers.get(letter.reference, ""),
            print_batch=batch,
        )
    return batch


def _print_manifest(letters: Sequence[Notice]) -> list[dict[str, Any]]:
    manifest, first_page = [], 1
    for letter in letters:
        recipient = letter.case.debtor if letter.case_id else letter.creditor
        manifest.append(
            {
                "notice_id": letter.pk,
                "reference": letter.reference,
                "channel": letter.channel,
                "kind": letter.kind,
                "recipient": str(recipient),
                "address": recipient.address_lines,
                "first_page": first_page,
                "pages": letter.page_count,
                "sha256": letter.sha256,
            }
        )
        first_page += letter.page_count
    return manifest


def _registered(notice: Notice) -> Notice:
    notice = _lock(notice)
    if notice.channel not in (Channel.REGISTERED_LETTER, Channel.ELECTRONIC_REGISTERED_LETTER):
        raise ValidationError(_("Only a registered letter has a tracking number and an AR."))
    if notice.status != Notice.Status.SENT:
        raise ValidationError(_("This letter has not been sent."))
    return notice


@transaction.atomic
def notice_record_tracking(*, notice: Notice, tracking_number: str, actor: User | None) -> Notice:
    """The tracking number a print house gives a registered letter after posting it."""
    notice = _registered(notice)
    if notice.tracking_number and notice.tracking_number != tracking_number:
        raise ValidationError(_("This letter already has another tracking number."))
    notice.tracking_number = tracking_number
    notice.save(update_fields=["tracking_number"])
    events.letter_tracking_recorded(case=notice.case, notice=notice, actor=actor)
    return notice


@transaction.atomic
def notice_record_acknowledgement(
    *, notice: Notice, received_on: date, actor: User | None
) -> Notice:
    """The AR date (first presentation or receipt), typed by an agent or from the provider.

    For a formal notice it starts legal interest and, when the step says so, the payment
    deadline (REQ-C1, REQ-E2): the case records it through the dunning engine.
    """
    from dunning.services import case_record_notice_receipt

    notice = _registered(notice)
    if notice.acknowledged_on == received_on:
        return notice  # the same AR told twice: nothing new
    if notice.acknowledged_on is not None:
        # The first AR recorded starts the legal periods; a later message never moves them.
        raise ValidationError(
            _("The acknowledgement of receipt is already recorded, dated %(date)s.")
            % {"date": shortdate(notice.acknowledged_on)}
        )
    if not timezone.localdate(notice.sent_at) <= received_on <= timezone.localdate():
        raise ValidationError(_("The acknowledgement date must be between sending and today."))
    notice.acknowledged_on = received_on
    if notice.kind == LetterKind.FORMAL_NOTICE and notice.deadline_from_acknowledgement:
        notice.deadline = selectors.payment_deadline(
            case=notice.case, start=received_on, days=notice.deadline_days
        )
    notice.save(update_fields=["acknowledged_on", "deadline"])
    events.letter_acknowledged(
        case=notice.case, notice=notice, received_on=received_on, actor=actor
    )
    if notice.kind == LetterKind.FORMAL_NOTICE and notice.case.state == "formal_notice":
        case_record_notice_receipt(case=notice.case, received_on=received_on, actor=actor)
    return notice


@transaction.atomic
def notice_record_bounce(*, notice: Notice, reason: str, at: datetime | None = None) -> Notice:
    """An e-mail came back: recorded for agents, and it no longer counts as a first letter."""
    notice = _lock(notice)
    if notice.channel != Channel.EMAIL or notice.status != Notice.Status.SENT:
        raise ValidationError(_("Only a sent e-mail can bounce."))
    notice.bounced_at = at or timezone.now()
    notice.bounce_reason = reason[:500]
    notice.save(update_fields=["bounced_at", "bounce_reason"])
    if notice.case_id is not None:
        events.letter_bounced(case=notice.case, notice=notice, reason=notice.bounce_reason)
    return notice


class DuplicateDelivery(Exception):
    """A provider delivery already applied: its effects are not applied again."""


def _delivery_once(notice: Notice, delivery_id: str, endpoint: str) -> None:
    """Record the delivery id, in the caller's transaction: it stays only if the effects do."""
    try:
        with transaction.atomic():
            WebhookDelivery.objects.create(
                agency_id=notice.agency_id,
                delivery_id=delivery_id,
                endpoint=endpoint,
                notice=notice,
            )
    except IntegrityError as exc:
        raise DuplicateDelivery(delivery_id) from exc


@transaction.atomic
def post_webhook_apply(
    *,
    notice: Notice,
    delivery_id: str,
    tracking_number: str = "",
    acknowledged_on: date | None = None,
) -> Notice:
    """What the registered-mail provider tells once per delivery: the tracking number of a
    posted letter, then the date it was presented or delivered."""
    _delivery_once(notice, delivery_id, "post")
    if tracking_number and tracking_number != notice.tracking_number:
        notice = notice_record_tracking(notice=notice, tracking_number=tracking_number, actor=None)
    if acknowledged_on is not None:
        notice = notice_record_acknowledgement(
            notice=notice, received_on=acknowledged_on, actor=None
        )
    return notice


@transaction.atomic
def email_bounce_webhook_apply(*, notice: Notice, delivery_id: str, reason: str) -> Notice:
    _delivery_once(notice, delivery_id, "email_bounce")
    return notice_record_bounce(notice=notice, reason=reason)


# --- letter templates: the agency's wording, versioned ----------------------------------------
@transaction.atomic
def letter_template_save(
    *, agency: Agency, kind: str, body: str, actor: User, note: str = ""
) -> LetterTemplateVersion | None:
    """The agency's wording for ``kind`` becomes ``body``, as a new version; ``None`` when it
    is the wording already in force. One wording per kind is active: saving again is a new
    version of it, never a second template."""
    validate_wording(body)
    if kind not in LetterKind.values or kind == LetterKind.REMITTANCE_STATEMENT:
        raise ValidationError({"kind": _("This kind of letter has no editable wording.")})
    Agency.objects.select_for_update().get(pk=agency.pk)  # one writer per agency at a time
    template = LetterTemplate.objects.filter(agency=agency, kind=kind).first()
    last = template.versions.order_by("-number").first() if template else None
    if template is not None and template.body == body and last is not None:
        return None
    if template is None:
        template = LetterTemplate.objects.create(agency=agency, kind=kind, body=body)
    elif last is None:  # written before versions were kept: keep it as the first one
        last = LetterTemplateVersion.objects.create(
            agency=agency, template=template, number=1, body=template.body,
            note=_("Wording in force before versions were kept"),
        )  # fmt: skip
    template.body = body
    template.save(update_fields=["body", "updated_at"])
    version = LetterTemplateVersion.objects.create(
        agency=agency, template=template, number=(last.number if last else 0) + 1, body=body,
        created_by=actor, note=note,
    )  # fmt: skip
    config_change_record(
        agency_id=agency.pk, actor=actor, target=ConfigChange.Target.LETTER_TEMPLATE,
        target_id=template.pk, target_label=str(LetterKind(kind).label),
        summary=_("Wording changed: version %(number)s") % {"number": version.number},
        changes=[{"field": str(_("wording")), "old": last.body if last else "", "new": body}],
    )  # fmt: skip
    return version


def letter_template_restore(
    *, version: LetterTemplateVersion, actor: User
) -> LetterTemplateVersion | None:
    """An earlier wording in force again, as a new version (history is never rewritten)."""
    return letter_template_save(
        agency=version.template.agency, kind=version.template.kind, body=version.body,
        actor=actor, note=_("Version %(number)s restored") % {"number": version.number},
    )  # fmt: skip


def letter_template_preview(*, agency: Agency, kind: str, body: str) -> bytes:
    """The letter with this wording on a sample case, under the agency's letterhead, through
    the renderer of real letters (mandatory mentions checked) and watermarked "APERÇU"."""
    validate_wording(body)
    context = sample_context(kind, preview=True, wording=body, agency=agency)
    return render_letter(kind, context).content
