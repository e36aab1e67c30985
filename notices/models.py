"""Letters and messages to debtors and creditors: templates, documents, print batches, calls.

A sent document is evidence (design.md "Letters and documents"): once ``status`` is ``sent`` its
file and content never change. ``Notice.save`` refuses it in Python and a PostgreSQL trigger
(migration 0002) refuses it for any SQL that bypasses the model.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from collectio.models import Agency
from collectio.scoping import TenantManager
from notices.kinds import (  # noqa: F401  (the letters' vocabulary, used with the models)
    AFTER_FIRST_LETTER_KINDS,
    DEBTOR_KINDS,
    DOCUMENT_CHANNELS,
    POSTAL_CHANNELS,
    Channel,
    LetterKind,
)
from notices.linter import validate_wording


class LetterTemplate(models.Model):
    """An agency's free wording for one kind of letter.

    Only the wording is editable: the mandatory blocks (legal mentions, amounts, payment
    instructions) live in the fixed base templates under ``templates/letters/`` and the wording
    is inserted into them, escaped. The linter refuses forbidden wording (REQ-A9) on save.
    """

    agency = models.ForeignKey(
        Agency, on_delete=models.CASCADE, related_name="letter_templates", verbose_name=_("agency")
    )
    kind = models.CharField(_("kind"), max_length=30, choices=LetterKind)
    body = models.TextField(
        _("wording"),
        help_text=_(
            "Free text inserted into the fixed letter. Variables: {{ debtor_name }}, "
            "{{ creditor_name }}, {{ agency_name }}, {{ case_reference }}, {{ total_due }}, "
            "{{ deadline }}, {{ letter_date }}, {{ first_letter_reference }}, "
            "{{ first_letter_date }}."
        ),
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = TenantManager()
    creditor_path = None  # agency-wide wording: creditor users never see it

    class Meta:
        verbose_name = _("letter template")
        verbose_name_plural = _("letter templates")
        constraints = [
            models.UniqueConstraint(
                fields=["agency", "kind"],
                name="letter_template_unique_kind",
                violation_error_message=_(
                    "Your agency already has a wording for this kind of letter: change that one."
                ),
            )
        ]

    def __str__(self) -> str:
        return str(self.get_kind_display())

    def save(self, *args: Any, **kwargs: Any) -> None:
        # The guard holds for every write path, not only forms that call full_clean().
        self.clean()
        super().save(*args, **kwargs)

    def clean(self) -> None:
        validate_wording(self.body)


class LetterTemplateVersion(models.Model):
    """Every wording a kind of letter has had, with who wrote it: the active one is the
    ``LetterTemplate`` row, whose body is the latest version's."""

    agency = models.ForeignKey(
        Agency, on_delete=models.CASCADE, related_name="+", verbose_name=_("agency")
    )
    template = models.ForeignKey(
        LetterTemplate,
        on_delete=models.CASCADE,
        related_name="versions",
        verbose_name=_("letter template"),
    )
    number = models.PositiveIntegerField(_("version"))
    body = models.TextField(_("wording"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    note = models.CharField(_("note"), max_length=200, blank=True)

    objects = TenantManager()
    creditor_path = None

    class Meta:
        verbose_name = _("letter template version")
        verbose_name_plural = _("letter template versions")
        ordering = ["template", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["template", "number"],
                name="letter_template_version_unique",
                violation_error_message=_("This version number is already taken."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.template} v{self.number}"


class NoticeImmutableError(Exception):
    """A sent notice is evidence: its file and content cannot change any more."""


class PrintBatch(models.Model):
    """One day's letters to print, as one PDF behind a cover index, handed to the post backend."""

    agency = models.ForeignKey(
        Agency, on_delete=models.CASCADE, related_name="+", verbose_name=_("agency")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    pdf = models.FileField(_("PDF"), upload_to="print-batches/", blank=True)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    page_count = models.PositiveIntegerField(_("pages"), default=0)
    letter_count = models.PositiveIntegerField(_("letters"), default=0)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    provider_reference = models.CharField(_("provider reference"), max_length=100, blank=True)

    objects = TenantManager()
    creditor_path = None

    class Meta:
        verbose_name = _("print batch")
        verbose_name_plural = _("print batches")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} ({self.letter_count})"


class Notice(models.Model):
    """One letter or message, on one channel, to a debtor (or a remittance statement to a
    creditor), with the PDF that was produced and the proof of what happened to it."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        RENDERED = "rendered", _("Rendered")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    agency = models.ForeignKey(
        Agency, on_delete=models.CASCADE, related_name="+", verbose_name=_("agency")
    )
    creditor = models.ForeignKey(
        "cases.Creditor", on_delete=models.PROTECT, related_name="+", verbose_name=_("creditor")
    )
    case = models.ForeignKey(
        "cases.Case",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="notices",
        verbose_name=_("case"),
    )
    step_execution = models.ForeignKey(
        "dunning.StepExecution",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="notices",
        verbose_name=_("step execution"),
    )
    kind = models.CharField(_("kind"), max_length=30, choices=LetterKind)
    channel = models.CharField(_("channel"), max_length=30, choices=Channel)
    reference = models.CharField(_("reference"), max_length=20)
    status = models.CharField(
        _("status"), max_length=10, choices=Status, default=Status.DRAFT, db_index=True
    )
    recipient = models.CharField(
        _("recipient"), max_length=254, blank=True, help_text=_("E-mail address or phone.")
    )
    statement_on = models.DateField(_("statement date"))
    # Formal notice: days granted, and whether they count from the acknowledgement (REQ-E2).
    deadline_days = models.PositiveSmallIntegerField(_("deadline (days)"), null=True, blank=True)
    deadline_from_acknowledgement = models.BooleanField(
        _("deadline counts from the acknowledgement"), default=False
    )
    deadline = models.DateField(_("payment deadline"), null=True, blank=True)
    data = models.JSONField(
        _("kind-specific data"),
        default=dict,
        blank=True,
        help_text=_("Payment of a receipt, instalments of a plan, period of a remittance."),
    )
    pdf = models.FileField(_("PDF"), upload_to="notices/", blank=True)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    page_count = models.PositiveSmallIntegerField(_("pages"), default=0)
    body = models.TextField(_("message text"), blank=True)
    rendered_at = models.DateTimeField(_("rendered at"), null=True, blank=True)
    print_batch = models.ForeignKey(
        PrintBatch,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="notices",
        verbose_name=_("print batch"),
    )
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    provider_reference = models.CharField(_("provider reference"), max_length=200, blank=True)
    tracking_number = models.CharField(_("tracking number"), max_length=50, blank=True)
    acknowledged_on = models.DateField(_("acknowledged on (AR)"), null=True, blank=True)
    bounced_at = models.DateTimeField(_("bounced at"), null=True, blank=True)
    bounce_reason = models.CharField(_("bounce reason"), max_length=500, blank=True)
    error = models.TextField(_("last error"), blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )

    objects = TenantManager()
    creditor_path = "creditor"

    # What a sent notice may still learn: its proof of delivery, never its content.
    AFTER_SENT_FIELDS = frozenset(
        {"tracking_number", "acknowledged_on", "bounced_at", "bounce_reason", "deadline"}
    )

    class Meta:
        verbose_name = _("notice")
        verbose_name_plural = _("notices")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["agency", "reference"],
                name="notice_unique_reference",
                violation_error_message=_("A notice with this reference already exists."),
            ),
            models.UniqueConstraint(
                fields=["step_execution", "channel"],
                condition=models.Q(step_execution__isnull=False),
                name="notice_once_per_step_channel",
                violation_error_message=_("This step already sent a notice on this channel."),
            ),
            models.CheckConstraint(
                name="notice_case_unless_remittance",
                violation_error_message=_("Only a remittance statement has no case."),
                condition=models.Q(case__isnull=False) | models.Q(kind="remittance_statement"),
            ),
            # Nothing is rendered or sent that was not produced.
            models.CheckConstraint(
                name="notice_rendered_was_produced",
                violation_error_message=_("A rendered or sent notice must have its document."),
                condition=~models.Q(status__in=["rendered", "sent"])
                | (models.Q(rendered_at__isnull=False) & (~models.Q(pdf="") | ~models.Q(body=""))),
            ),
            models.CheckConstraint(
                name="notice_sent_has_date",
                violation_error_message=_("A sent notice must have its sending date."),
                condition=~models.Q(status="sent") | models.Q(sent_at__isnull=False),
            ),
        ]
        indexes = [
            models.Index(
                fields=["agency", "channel"],
                name="notice_to_print_idx",
                condition=models.Q(status="rendered", print_batch__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return self.reference

    def save(self, *args: Any, **kwargs: Any) -> None:
        # Only a row last seen sent (or never seen) needs the check query; for the others the
        # services' row locks and the database trigger stand guard.
        stored = getattr(self, "_stored_status", self.Status.SENT)
        if self.pk is not None and stored in (self.Status.SENT, None):
            self._refuse_change_after_sent()
        super().save(*args, **kwargs)
        self._stored_status = self.status

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        if self.status == self.Status.SENT:
            raise NoticeImmutableError(f"{self.reference} was sent and cannot be deleted")
        return super().delete(*args, **kwargs)

    @classmethod
    def from_db(cls, db: Any, field_names: Any, values: Any) -> Notice:
        notice = super().from_db(db, field_names, values)
        notice._stored_status = notice.__dict__.get("status")
        return notice

    def refresh_from_db(self, *args: Any, **kwargs: Any) -> None:
        super().refresh_from_db(*args, **kwargs)
        self._stored_status = self.status

    def _refuse_change_after_sent(self) -> None:
        stored = (
            type(self)
            .objects.filter(pk=self.pk, status=self.Status.SENT)
            .values(*self._content_fields())
            .first()
        )
        if stored is None:
            return
        changed = [name for name, value in stored.items() if value != self._current(name)]
        if changed:
            raise NoticeImmutableError(
                f"{self.reference} was sent; refusing to change {', '.join(sorted(changed))}"
            )

    @classmethod
    def _content_fields(cls) -> list[str]:
        return [
            f.attname
            for f in cls._meta.concrete_fields
            if f.name not in cls.AFTER_SENT_FIELDS and not f.primary_key
        ]

    def _current(self, attname: str) -> Any:
        return self.pdf.name if attname == "pdf" else getattr(self, attname)


class JudicialDossier(models.Model):
    """The bundle handed to the judicial partner, and the injonction-de-payer data (REQ-E4)."""

    agency = models.ForeignKey(
        Agency, on_delete=models.CASCADE, related_name="+", verbose_name=_("agency")
    )
    case = models.ForeignKey(
        "cases.Case", on_delete=models.PROTECT, related_name="dossiers", verbose_name=_("case")
    )
    statement_on = models.DateField(_("statement date"))
    pdf = models.FileField(_("PDF"), upload_to="dossiers/")
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    page_count = models.PositiveIntegerField(_("pages"))
    request_data = models.JSONField(_("injonction de payer data"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )

    objects = TenantManager()
    creditor_path = "case__creditor"

    class Meta:
        verbose_name = _("judicial dossier")
        verbose_name_plural = _("judicial dossiers")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.case_id} {self.created_at:%Y-%m-%d}"


class WebhookDelivery(models.Model):
    """A provider's delivery (Standard Webhooks ``webhook-id``) already applied: never twice."""

    agency = models.ForeignKey(
        Agency, on_delete=models.CASCADE, related_name="+", verbose_name=_("agency")
    )
    delivery_id = models.CharField(_("delivery id"), max_length=100)
    endpoint = models.CharField(_("endpoint"), max_length=30)
    received_at = models.DateTimeField(_("received at"), auto_now_add=True)
    notice = models.ForeignKey(
        Notice,
        on_delete=models.CASCADE,
        related_name="webhook_deliveries",
        verbose_name=_("notice"),
    )

    objects = TenantManager()
    creditor_path = None  # provider plumbing: creditor users never see it

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        constraints = [
            models.UniqueConstraint(
                fields=["agency", "delivery_id"],
                name="webhook_delivery_once",
                violation_error_message=_("This delivery was already received."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.endpoint} {self.delivery_id}"
