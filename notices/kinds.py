"""The letters' vocabulary: which letters exist and how they travel. No models, so the linter
and the letter contents can name them without importing the models (which import the linter)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class LetterKind(models.TextChoices):
    FIRST_REMINDER = "first_reminder", _("First reminder")
    SECOND_REMINDER = "second_reminder", _("Second reminder")
    FORMAL_NOTICE = "formal_notice", _("Formal notice")
    JUDICIAL_HANDOFF = "judicial_handoff", _("Judicial handoff notice")
    PAYMENT_RECEIPT = "payment_receipt", _("Payment receipt")
    PAYMENT_PLAN = "payment_plan", _("Payment plan agreement")
    REMITTANCE_STATEMENT = "remittance_statement", _("Remittance statement")


# Letters sent to the debtor, as opposed to the remittance statement sent to the creditor.
DEBTOR_KINDS = frozenset(LetterKind) - {LetterKind.REMITTANCE_STATEMENT}
# REQ-A6: none of these may go out before the case's first letter was sent.
AFTER_FIRST_LETTER_KINDS = frozenset(
    {
        LetterKind.SECOND_REMINDER,
        LetterKind.FORMAL_NOTICE,
        LetterKind.JUDICIAL_HANDOFF,
        LetterKind.PAYMENT_PLAN,
    }
)


class Channel(models.TextChoices):
    """How a notice travels; the first five match ``dunning.models.Channel`` values."""

    LETTER = "letter", _("Letter")
    REGISTERED_LETTER = "registered_letter", _("Registered letter with acknowledgement")
    EMAIL = "email", _("E-mail")
    SMS = "sms", _("SMS")
    ELECTRONIC_REGISTERED_LETTER = (
        "electronic_registered_letter",
        _("Electronic registered letter (eIDAS)"),
    )


POSTAL_CHANNELS = frozenset({Channel.LETTER, Channel.REGISTERED_LETTER})
# Channels whose notice carries the PDF letter itself (an SMS only points to it).
DOCUMENT_CHANNELS = frozenset(Channel) - {Channel.SMS}
