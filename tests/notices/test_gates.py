"""No letter for an agency without its prerequisites or a creditor without a mandate (REQ-A1,
A2); nothing but the first reminder before the first letter is sent (REQ-A6); LRE consent
(REQ-E1); a sent notice is evidence and never changes."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db import IntegrityError, transaction

from cases.models import Case
from collectio.models import Agency
from debtors.models import ContactPoint, Debtor
from notices import services
from notices.models import Channel, LetterKind, Notice, NoticeImmutableError
from notices.selectors import LetterBlocked
from tests import factories
from tests.notices.conftest import b1_case, sent_first_letter

ON = date(2025, 6, 15)


def create(case: Case, kind: str = LetterKind.FIRST_REMINDER, channel: str = Channel.LETTER):
    return services.notice_create(case=case, kind=kind, channel=channel, actor=None, on=ON)


def test_an_expired_insurance_policy_blocks_every_letter(scoped):
    Agency.objects.filter(pk=scoped.agency.pk).update(rc_policy_expires_on=ON - timedelta(days=1))
    case = b1_case(scoped.creditor)
    with pytest.raises(LetterBlocked) as blocked:
        create(case)
    assert blocked.value.code == "LETTER_BLOCKED"
    assert "professional liability insurance expired" in str(blocked.value)
    assert not Notice.objects.exists()


@pytest.mark.parametrize(
    "field", ["rc_insurer", "rc_policy_number", "collection_iban", "prosecutor_declaration_on"]
)
def test_each_missing_prerequisite_blocks(scoped, field):
    Agency.objects.filter(pk=scoped.agency.pk).update(
        **{field: None if field.endswith("_on") else ""}
    )
    with pytest.raises(LetterBlocked, match="R124-2"):
        create(b1_case(scoped.creditor))


def test_a_creditor_without_a_complete_mandate_is_blocked(scoped):
    creditor = factories.new_creditor(scoped.agency, "Sans Mandat SA", mandate_fee_terms="")
    with pytest.raises(LetterBlocked, match=r"R124-3.*fee determination"):
        create(b1_case(creditor))


def test_later_letters_wait_for_the_first_letter(scoped):
    case = b1_case(scoped.creditor)
    for kind in (LetterKind.SECOND_REMINDER, LetterKind.FORMAL_NOTICE, LetterKind.JUDICIAL_HANDOFF):
        with pytest.raises(LetterBlocked, match="first letter has not been sent"):
            create(case, kind)
    create(case, LetterKind.FIRST_REMINDER)  # the first reminder itself may go
    sent_first_letter(case, ON - timedelta(days=30))
    assert create(case, LetterKind.FORMAL_NOTICE).status == Notice.Status.DRAFT


def test_electronic_registered_letter_needs_a_private_persons_consent(scoped):
    person = factories.new_debtor(scoped.agency, kind=Debtor.Kind.PERSON, name="Martin", siren="")
    ContactPoint.objects.create(
        agency=scoped.agency, debtor=person, channel="email", value="martin@example.fr"
    )
    case = b1_case(scoped.creditor, person, debt_kind="consumer")
    lre = Channel.ELECTRONIC_REGISTERED_LETTER
    with pytest.raises(LetterBlocked, match="consent"):
        create(case, channel=lre)
    Debtor.objects.filter(pk=person.pk).update(consents_to_electronic_registered_mail=True)
    assert create(Case.objects.get(pk=case.pk), channel=lre).recipient == "martin@example.fr"


def test_an_email_needs_an_address(scoped):
    with pytest.raises(LetterBlocked, match="no contact point"):
        create(b1_case(scoped.creditor), channel=Channel.EMAIL)


def test_a_time_barred_debt_gets_no_dunning_letter(scoped):
    case = b1_case(scoped.creditor)
    Case.objects.filter(pk=case.pk).update(limitation_date=date(2020, 1, 1))
    with pytest.raises(LetterBlocked, match="time-barred"):
        create(Case.objects.get(pk=case.pk))


# --- immutability ---------------------------------------------------------------------------
def test_a_sent_notice_never_changes(scoped):
    notice = sent_first_letter(b1_case(scoped.creditor), ON)
    notice.body = "autre texte"
    with pytest.raises(NoticeImmutableError, match="body"):
        notice.save()
    notice.refresh_from_db()
    notice.pdf.name = "notices/other.pdf"
    with pytest.raises(NoticeImmutableError, match="pdf"):
        notice.save()
    with pytest.raises(NoticeImmutableError):
        notice.delete()
    # Below the model too: PostgreSQL refuses the change and the deletion.
    for attempt in (
        lambda: Notice.objects.filter(pk=notice.pk).update(sha256="0" * 64),
        lambda: Notice.objects.filter(pk=notice.pk).update(status=Notice.Status.RENDERED),
        lambda: Notice.objects.filter(pk=notice.pk).delete(),
    ):
        with pytest.raises(IntegrityError, match="NOTICE_IMMUTABLE"), transaction.atomic():
            attempt()


def test_a_sent_notice_still_learns_its_proof_of_delivery(scoped):
    notice = sent_first_letter(b1_case(scoped.creditor), ON)
    Notice.objects.filter(pk=notice.pk).update(tracking_number="1A00000000001")
    notice.refresh_from_db()
    notice.acknowledged_on = ON + timedelta(days=2)
    notice.save()
    assert Notice.objects.get(pk=notice.pk).acknowledged_on == ON + timedelta(days=2)


def test_nothing_is_marked_sent_that_was_not_produced(scoped):
    notice = create(b1_case(scoped.creditor))
    with pytest.raises(ValueError, match="not produced"):
        services._mark_sent(notice, at=services.timezone.now())
    with pytest.raises(IntegrityError, match="notice_rendered_was_produced"), transaction.atomic():
        Notice.objects.filter(pk=notice.pk).update(
            status=Notice.Status.SENT, sent_at=services.timezone.now()
        )
