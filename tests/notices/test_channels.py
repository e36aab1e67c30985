"""Each channel with its file backend: post (print batch, tracking, AR), e-mail, SMS, LRE."""

from __future__ import annotations

import email
import email.policy
import json
from datetime import date
from email.utils import parseaddr
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.utils import timezone

from cases.models import Case, CaseEvent, CaseState
from collectio import outbox as the_outbox
from collectio.models import Agency
from collectio.outbox import MAX_ATTEMPTS, OutboxMessage
from debtors.models import ContactPoint, Debtor
from notices import selectors, services
from notices.models import Channel, LetterKind, Notice
from tests import factories
from tests.notices.conftest import b1_case, pdf_text, sent_first_letter


def outbox(channel: str) -> list[Path]:
    folder = Path(settings.MEDIA_ROOT) / "outbox" / channel
    return sorted(folder.iterdir()) if folder.exists() else []


def contact(debtor: Debtor, channel: str, value: str, professional: bool = False) -> None:
    ContactPoint.objects.create(
        agency_id=debtor.agency_id,
        debtor=debtor,
        channel=channel,
        value=value,
        is_professional=professional,
    )


def send(django_capture_on_commit_callbacks, **fields) -> Notice:
    """Create a notice as an agent would; the task runs when the transaction commits."""
    with django_capture_on_commit_callbacks(execute=True):
        notice = services.notice_create(actor=None, **fields)
    notice.refresh_from_db()
    return notice


@time_machine.travel(date(2026, 3, 2))
def test_email_carries_the_pdf_and_a_bounce_is_recorded(
    scoped, eager_tasks, django_capture_on_commit_callbacks
):
    case = b1_case(scoped.creditor)
    contact(case.debtor, "email", "compta@garage-pro.fr", professional=True)
    contact(case.debtor, "email", "dupont@perso.fr")  # personal details first (REQ-F2)
    notice = send(
        django_capture_on_commit_callbacks,
        case=case,
        kind=LetterKind.FIRST_REMINDER,
        channel=Channel.EMAIL,
    )
    assert notice.status == Notice.Status.SENT and notice.recipient == "dupont@perso.fr"
    [eml] = outbox("email")
    message = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
    assert message["To"] == "dupont@perso.fr"
    assert (
        message["Subject"].strip()
        == f"Votre dossier {case.reference} – courrier {notice.reference}"
    )
    assert message["Message-ID"] == notice.provider_reference
    [attachment] = [p for p in message.walk() if p.get_content_type() == "application/pdf"]
    assert attachment.get_filename() == f"{notice.reference}.pdf"
    assert "exerce une activité de recouvrement amiable" in pdf_text(
        attachment.get_payload(decode=True)
    )
    assert selectors.first_letter(case).reference == notice.reference

    services.notice_record_bounce(notice=notice, reason="550 mailbox unavailable")
    notice.refresh_from_db()
    assert notice.bounce_reason == "550 mailbox unavailable" and notice.bounced_at
    assert selectors.first_letter(case) is None  # a bounced e-mail is not a first letter
    assert case.events.filter(kind=CaseEvent.Kind.LETTER_BOUNCED).exists()


@time_machine.travel(date(2026, 3, 2))
def test_sms_waits_for_the_first_letter_then_recalls_it_discreetly(
    scoped, eager_tasks, django_capture_on_commit_callbacks
):
    case = b1_case(scoped.creditor)
    contact(case.debtor, "phone", "+33611223344")
    sms = send(
        django_capture_on_commit_callbacks,
        case=case,
        kind=LetterKind.FIRST_REMINDER,
        channel=Channel.SMS,
    )
    assert sms.status == Notice.Status.DRAFT and outbox("sms") == []  # held (REQ-A6)

    letter = send(
        django_capture_on_commit_callbacks,
        case=case,
        kind=LetterKind.FIRST_REMINDER,
        channel=Channel.LETTER,
    )
    assert letter.status == Notice.Status.RENDERED  # waits for the print batch
    with django_capture_on_commit_callbacks(execute=True):
        services.print_batch_run(agency_id=case.agency_id)
    sms.refresh_from_db()
    assert sms.status == Notice.Status.SENT
    [file] = outbox("sms")
    sent = json.loads(file.read_text())
    assert sent["to"] == "+33611223344"
    assert case.reference in sent["text"]
    assert f"courrier {letter.reference} du 02/03/2026" in sent["text"]
    assert selectors.debtor_contact(case.debtor, Channel.SMS) == "+33611223344"
    assert services.debt_wording_in_preview(sent["text"]) == []
    assert sent["text"].startswith("Bonjour, merci de nous rappeler")


def test_print_batch_registered_letter_tracking_and_acknowledgement(
    scoped, django_capture_on_commit_callbacks
):
    """REQ-E2: presented Wed 2025-12-17, 8 days → 25-12 is a holiday → Fri 2025-12-26."""
    with time_machine.travel(date(2025, 12, 15)) as traveller:
        case = b1_case(scoped.creditor)
        sent_first_letter(case, date(2025, 11, 3))
        Case.objects.filter(pk=case.pk).update(state=CaseState.FORMAL_NOTICE)
        case.refresh_from_db()
        formal = services.notice_render(
            notice=services.notice_create(
                case=case,
                kind=LetterKind.FORMAL_NOTICE,
                channel=Channel.REGISTERED_LETTER,
                actor=None,
                deadline_days=8,
                deadline_from_acknowledgement=True,
            )
        )
        assert formal.deadline is None
        assert "dans un délai de 8 jours calendaires à compter de la première présentation" in (
            pdf_text(formal.pdf.read())
        )
        other = b1_case(scoped.creditor, invoice_number="FA-2")
        plain = services.notice_render(
            notice=services.notice_create(
                case=other,
                kind=LetterKind.FIRST_REMINDER,
                channel=Channel.LETTER,
                actor=None,
            )
        )
        batch = services.print_batch_run(agency_id=case.agency_id)

        assert batch.letter_count == 2
        assert services.print_batch_run(agency_id=case.agency_id) is None  # nothing left
        formal.refresh_from_db(), plain.refresh_from_db()
        assert formal.status == plain.status == Notice.Status.SENT
        assert formal.print_batch == plain.print_batch == batch
        assert formal.tracking_number == "DEV" + formal.reference.replace("-", "")
        assert plain.tracking_number == ""
        text = pdf_text(batch.pdf.read())
        cover_pages = batch.page_count - plain.page_count - formal.page_count
        assert cover_pages == 1
        assert f"1 {plain.reference} Lettre simple" in text  # simple letters first
        assert f"2 {formal.reference} LRAR" in text
        assert "MISE EN DEMEURE" in text
        [manifest, pdf] = outbox("post")
        assert pdf.read_bytes().startswith(b"%PDF")
        assert [(m["reference"], m["first_page"]) for m in json.loads(manifest.read_text())] == [
            (plain.reference, 1),
            (formal.reference, 1 + plain.page_count),
        ]

        traveller.move_to(date(2025, 12, 19))
        services.notice_record_acknowledgement(
            notice=formal, received_on=date(2025, 12, 17), actor=scoped.agent
        )
    formal.refresh_from_db(), case.refresh_from_db()
    assert formal.acknowledged_on == date(2025, 12, 17)
    assert formal.deadline == date(2025, 12, 26)
    assert case.formal_notice_received_on == date(2025, 12, 17)
    assert case.formal_notice_deadline == date(2025, 12, 26)
    with pytest.raises(services.ValidationError):
        services.notice_record_acknowledgement(
            notice=plain, received_on=date(2025, 12, 17), actor=None
        )


@pytest.mark.parametrize(
    ("sent_on", "postcode", "deadline"),
    [
        (date(2025, 12, 17), "44000", date(2025, 12, 26)),  # 25-12 holiday
        (date(2025, 12, 17), "67000", date(2025, 12, 29)),  # Alsace: 26-12 too, then Sunday
        (date(2026, 5, 6), "44000", date(2026, 5, 15)),  # 14-05 Ascension
    ],
)
def test_formal_notice_deadline_from_the_sending_date(scoped, sent_on, postcode, deadline):
    """REQ-E2 when the step counts the deadline from the sending date."""
    debtor = factories.new_debtor(scoped.agency, postcode=postcode, city="Ville")
    case = b1_case(scoped.creditor, debtor)
    sent_first_letter(case, date(2025, 11, 3))
    notice = services.notice_create(
        case=case,
        kind=LetterKind.FORMAL_NOTICE,
        actor=None,
        channel=Channel.REGISTERED_LETTER,
        on=sent_on,
    )
    assert notice.deadline == deadline


def test_electronic_registered_letter(scoped, eager_tasks, django_capture_on_commit_callbacks):
    person = factories.new_debtor(
        scoped.agency,
        kind=Debtor.Kind.PERSON,
        name="Petit",
        siren="",
        consents_to_electronic_registered_mail=True,
    )
    contact(person, "email", "petit@example.fr")
    case = b1_case(scoped.creditor, person, debt_kind="consumer")
    notice = send(
        django_capture_on_commit_callbacks,
        case=case,
        kind=LetterKind.FIRST_REMINDER,
        channel=Channel.ELECTRONIC_REGISTERED_LETTER,
        on=date(2026, 3, 2),
    )
    assert notice.status == Notice.Status.SENT
    [file] = outbox("lre")
    assert "petit@example.fr" in file.name and file.read_bytes().startswith(b"%PDF")


def test_a_failing_render_is_retried_then_shown_to_agents(scoped, settings):
    """Storage refuses the file: the task retries with backoff, then the notice is failed."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": "/proc/collectio-refused"},
        },
    }
    case = b1_case(scoped.creditor)
    notice = services.notice_create(
        case=case,
        kind=LetterKind.FIRST_REMINDER,
        channel=Channel.LETTER,
        actor=None,
        on=date(2025, 6, 15),
    )
    message = OutboxMessage.objects.get(kind="notice_process", payload__notice_id=notice.pk)
    delays = []
    for _attempt in range(MAX_ATTEMPTS):
        notice.refresh_from_db()
        assert notice.status == Notice.Status.DRAFT  # kept for the next attempt
        OutboxMessage.objects.filter(pk=message.pk).update(available_at=timezone.now())
        status = the_outbox.deliver(message.pk)
        message.refresh_from_db()
        delays.append((message.available_at - timezone.now()).total_seconds())
    assert status == OutboxMessage.Status.FAILED and message.attempts == MAX_ATTEMPTS
    assert delays[0] < delays[1] < delays[2]  # exponential backoff between attempts
    assert "collectio-refused" in message.last_error
    notice.refresh_from_db()
    assert notice.status == Notice.Status.FAILED
    assert "collectio-refused" in notice.error and not notice.pdf
    assert case.events.filter(kind=CaseEvent.Kind.LETTER_FAILED).exists()


@pytest.mark.time_machine(date(2026, 3, 2))
def test_a_blocked_letter_fails_at_once_and_can_be_retried(
    scoped, eager_tasks, django_capture_on_commit_callbacks
):
    case = b1_case(scoped.creditor)
    iban = case.agency.collection_iban
    notice = services.notice_create(
        case=case,
        kind=LetterKind.FIRST_REMINDER,
        channel=Channel.LETTER,
        actor=None,
        on=date(2025, 6, 15),
    )
    Agency.objects.filter(pk=case.agency_id).update(collection_iban="")
    message = OutboxMessage.objects.get(kind="notice_process", payload__notice_id=notice.pk)
    assert the_outbox.deliver(message.pk) == OutboxMessage.Status.FAILED  # at once: no retry
    notice.refresh_from_db()
    assert notice.status == Notice.Status.FAILED and notice.attempts == 1
    assert notice.error.startswith("LETTER_BLOCKED")
    with pytest.raises(services.LetterBlocked):
        services.notice_retry(notice=notice, actor=scoped.agent)
    Agency.objects.filter(pk=case.agency_id).update(collection_iban=iban)
    with django_capture_on_commit_callbacks(execute=True):
        services.notice_retry(notice=notice, actor=scoped.agent)
    notice.refresh_from_db()
    assert notice.status == Notice.Status.RENDERED and notice.error == ""
    assert notice.statement_on == date(2026, 3, 2)  # dated the day it is produced


def test_the_daily_print_batch_runs_on_sending_days_only(
    scoped, eager_tasks, django_capture_on_commit_callbacks
):
    """REQ-G3: nothing leaves on a Sunday or a holiday; the beat task fans out per agency,
    each batch posted by its outbox message once the batch is committed."""
    from notices.tasks import print_batches

    with time_machine.travel(date(2026, 3, 1)) as traveller:  # a Sunday
        case = b1_case(scoped.creditor)
        letter = services.notice_render(
            notice=services.notice_create(
                case=case, kind=LetterKind.FIRST_REMINDER, channel=Channel.LETTER, actor=None
            )
        )
        assert print_batches() == 0
        traveller.move_to(date(2026, 3, 2))  # Monday
        with django_capture_on_commit_callbacks(execute=True):
            assert print_batches() == 1
    letter.refresh_from_db()
    assert letter.status == Notice.Status.SENT and letter.print_batch is not None


@pytest.mark.time_machine(date(2026, 3, 2))
def test_the_real_email_backend_is_djangos_mail(
    scoped, settings, mailoutbox, eager_tasks, django_capture_on_commit_callbacks
):
    settings.NOTICES_EMAIL_BACKEND = "notices.channels.email.DjangoEmailBackend"
    case = b1_case(scoped.creditor)
    contact(case.debtor, "email", "dupont@example.fr")
    notice = send(
        django_capture_on_commit_callbacks,
        case=case,
        kind=LetterKind.FIRST_REMINDER,
        channel=Channel.EMAIL,
    )
    [message] = mailoutbox
    assert message.to == ["dupont@example.fr"]
    address = parseaddr(settings.DEFAULT_FROM_EMAIL)[1]
    assert message.from_email == f"{case.agency.legal_name} <{address}>"
    assert message.extra_headers["Message-ID"] == notice.provider_reference
    assert message.attachments[0][0] == f"{notice.reference}.pdf"


def test_the_sms_gateway_must_be_configured_over_https(settings):
    from notices.channels import ChannelError
    from notices.channels.sms import HttpSmsBackend

    settings.NOTICES_SMS_API_URL = "http://sms.example/send"
    with pytest.raises(ChannelError, match="https"):
        HttpSmsBackend().send(to="+33600000000", text="Bonjour", reference="L-1")


def test_a_print_batch_replayed_in_the_past_takes_only_letters_of_that_day(scoped):
    """``at``: the demo posts its first letters on the day they were due; a letter dated later
    waits for its own batch, and the letter's "sent" event is dated with the batch."""
    from datetime import datetime

    from django.utils import timezone

    from cases.models import CaseEvent

    case = b1_case(scoped.creditor)
    early, late = (
        services.notice_render(
            notice=services.notice_create(
                case=case, kind=LetterKind.FIRST_REMINDER, channel=Channel.LETTER, actor=None, on=on
            )
        )
        for on in (date(2025, 4, 1), date(2025, 4, 3))
    )
    at = timezone.make_aware(datetime(2025, 4, 1, 19, 0))
    batch = services.print_batch_run(agency_id=case.agency_id, at=at)
    early.refresh_from_db(), late.refresh_from_db()
    assert batch.letter_count == 1 and batch.submitted_at == at
    assert early.status == Notice.Status.SENT and early.sent_at == at
    assert late.status == Notice.Status.RENDERED and late.print_batch is None
    sent = CaseEvent.objects.get(payload__notice_id=early.pk, kind=CaseEvent.Kind.LETTER_SENT)
    assert sent.at == at
    assert selectors.first_letter(case).sent_on == date(2025, 4, 1)
