"""The partners' API: keys (the principals), remembered POSTs, webhook subscriptions and the
log of every webhook delivery."""

from __future__ import annotations

from django.core.validators import URLValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework_api_key.crypto import KeyGenerator

from collectio.models import Agency, Role, new_webhook_secret
from collectio.scoping import TenantManager

KEYS = KeyGenerator(prefix_length=12, secret_key_length=40)


class ApiKey(models.Model):
    """A partner's key: the principal of its requests, for the whole agency or one creditor.

    Shown once when created, stored as its SHA-512 (djangorestframework-api-key's generator:
    a 40-character random secret needs no slow hash, and is useless if the table leaks);
    revoked for good, or expiring. It answers the access layer's questions (``agency_id``,
    ``creditor_id``, ``is_agency_staff``) and the transitions' permission checks
    (``membership``, ``role``) as a member would.
    """

    prefix = models.CharField(_("prefix"), max_length=12, unique=True, editable=False)
    hashed_key = models.CharField(_("hashed key"), max_length=200, editable=False)
    name = models.CharField(_("name"), max_length=100)
    revoked = models.BooleanField(_("revoked"), default=False)
    expiry_date = models.DateTimeField(_("expires at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    agency = models.ForeignKey(
        Agency, on_delete=models.CASCADE, related_name="+", verbose_name=_("agency")
    )
    creditor = models.ForeignKey(
        "cases.Creditor",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("creditor"),
        help_text=_("Empty: the key sees the whole agency. Set: only this creditor's cases."),
    )
    created_by = models.ForeignKey(
        "collectio.User",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    objects = TenantManager()
    creditor_path = "creditor"

    class Meta:
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.name

    @classmethod
    def new(cls, **fields: object) -> tuple[ApiKey, str]:
        """An unsaved key and its secret (``<prefix>.<secret>``), the only time it is known."""
        raw, prefix, hashed = KEYS.generate()
        return cls(prefix=prefix, hashed_key=hashed, **fields), raw

    def is_valid(self, raw: str) -> bool:
        return KEYS.verify(raw, self.hashed_key)

    @property
    def has_expired(self) -> bool:
        return self.expiry_date is not None and self.expiry_date <= timezone.now()

    @property
    def is_agency_staff(self) -> bool:
        return self.creditor_id is None

    @property
    def role(self) -> str:
        """What a member with the same reach would be: transitions ask for it."""
        return Role.AGENT if self.is_agency_staff else Role.CREDITOR_USER

    @property
    def membership(self) -> ApiKey:
        """A key is its own membership (the transitions' permissions read ``user.membership``)."""
        return self

    @property
    def is_usable(self) -> bool:
        return not self.revoked and not self.has_expired


class IdempotentRequest(models.Model):
    """A POST made with an ``Idempotency-Key``: its body's hash and the response it got, kept
    24 hours so that a retry gets the same answer instead of doing it twice."""

    agency = models.ForeignKey(
        Agency, on_delete=models.CASCADE, related_name="+", verbose_name=_("agency")
    )
    # The key's or the person's: two partners may pick the same key.
    owner = models.CharField(_("owner"), max_length=200)
    key = models.CharField(_("idempotency key"), max_length=255)
    method = models.CharField(_("method"), max_length=10)
    path = models.CharField(_("path"), max_length=500)
    body_sha256 = models.CharField(_("body SHA-256"), max_length=64)
    status_code = models.PositiveSmallIntegerField(_("status code"), null=True, blank=True)
    response = models.JSONField(_("response"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    objects = TenantManager()
    creditor_path = None  # plumbing of the key that made it

    class Meta:
        verbose_name = _("idempotent request")
        verbose_name_plural = _("idempotent requests")
        constraints = [
            models.UniqueConstraint(
                fields=["agency", "owner", "key"],
                name="idempotent_request_once",
                violation_error_message=_("This idempotency key was already used."),
            )
        ]
        indexes = [models.Index(fields=["created_at"], name="idempotent_request_age_idx")]

    def __str__(self) -> str:
        return f"{self.owner} {self.key}"


def _webhook_url_validator() -> URLValidator:
    return URLValidator(schemes=["https", "http"])


class WebhookSubscription(models.Model):
    """Where one key's partner wants the case events, signed with its own secret."""

    agency = models.ForeignKey(
        Agency, on_delete=models.CASCADE, related_name="+", verbose_name=_("agency")
    )
    api_key = models.ForeignKey(
        ApiKey,
        on_delete=models.CASCADE,
        related_name="subscriptions",
        verbose_name=_("API key"),
        help_text=_("The subscription sees what the key sees: the agency or one creditor."),
    )
    url = models.URLField(_("URL"), max_length=500, validators=[_webhook_url_validator()])
    event_types = models.JSONField(
        _("event types"),
        default=list,
        blank=True,
        help_text=_("Empty: every event."),
    )
    secret = models.CharField(
        _("signing secret"), max_length=100, default=new_webhook_secret, editable=False
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = TenantManager()
    creditor_path = "api_key__creditor"

    class Meta:
        verbose_name = _("webhook subscription")
        verbose_name_plural = _("webhook subscriptions")
        ordering = ["pk"]
        indexes = [
            models.Index(
                fields=["agency"],
                name="webhook_subscription_on_idx",
                condition=models.Q(is_active=True),
            )
        ]

    def __str__(self) -> str:
        return self.url

    def wants(self, event_type: str) -> bool:
        return not self.event_types or event_type in self.event_types


class WebhookDelivery(models.Model):
    """One event sent to one subscription: every attempt's outcome, until it is received or
    given up after three days (then it can be replayed from the back-office)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Failed")

    agency = models.ForeignKey(
        Agency, on_delete=models.CASCADE, related_name="+", verbose_name=_("agency")
    )
    subscription = models.ForeignKey(
        WebhookSubscription,
        on_delete=models.CASCADE,
        related_name="deliveries",
        verbose_name=_("subscription"),
    )
    # The Standard Webhooks ``webhook-id``: the same for every attempt, so the receiver can
    # recognise a message it already processed.
    message_id = models.CharField(_("message id"), max_length=40, unique=True)
    event_type = models.CharField(_("event type"), max_length=60)
    event_id = models.BigIntegerField(_("case event"), null=True, blank=True)
    case_id = models.BigIntegerField(_("case"), null=True, blank=True)
    payload = models.JSONField(_("payload"), default=dict)
    status = models.CharField(_("status"), max_length=10, choices=Status, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_status_code = models.PositiveSmallIntegerField(
        _("last HTTP status"), null=True, blank=True
    )
    last_error = models.TextField(_("last error"), blank=True)
    last_attempt_at = models.DateTimeField(_("last attempt at"), null=True, blank=True)
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)
    retries_from = models.DateTimeField(
        _("retried since"), default=timezone.now, help_text=_("Retries stop three days later.")
    )
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    objects = TenantManager()
    creditor_path = "subscription__api_key__creditor"

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "event_id"],
                condition=models.Q(event_id__isnull=False),
                name="webhook_delivery_event_once",
                violation_error_message=_("This event was already sent to this subscription."),
            )
        ]
        indexes = [
            models.Index(fields=["subscription", "-created_at"], name="webhook_delivery_log_idx")
        ]

    def __str__(self) -> str:
        return f"{self.event_type} {self.message_id} ({self.status})"
