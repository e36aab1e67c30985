"""Tenancy: the agency (tenant), its users and their role in it."""

from __future__ import annotations

import base64
import secrets
from datetime import date
from typing import Any

from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.core.exceptions import ValidationError
from django.core.validators import FileExtensionValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from collectio.scoping import TenantManager
from collectio.validators import validate_french_postcode, validate_iban, validate_siren


def new_webhook_secret() -> str:
    """A Standard Webhooks signing secret: ``whsec_`` then 32 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


class PostalAddress(models.Model):
    """A French postal address, laid out for a windowed envelope (NF Z10-011)."""

    address_line1 = models.CharField(_("address"), max_length=200)
    address_line2 = models.CharField(_("address (continued)"), max_length=200, blank=True)
    postcode = models.CharField(_("postcode"), max_length=10)
    city = models.CharField(_("city"), max_length=100)
    country = models.CharField(_("country"), max_length=2, default="FR")

    class Meta:
        abstract = True

    def clean(self) -> None:
        super().clean()
        if self.country == "FR":
            try:
                validate_french_postcode(self.postcode)
            except ValidationError as error:
                raise ValidationError({"postcode": error}) from error

    @property
    def address_lines(self) -> list[str]:
        lines = [self.address_line1, self.address_line2, f"{self.postcode} {self.city.upper()}"]
        if self.country != "FR":
            lines.append(self.country)
        return [line for line in lines if line]


class Agency(PostalAddress):
    """The tenant, and the identity every letter must show (legal-fr.md REQ-A1, REQ-A3)."""

    class ImputationOrder(models.TextChoices):
        INTEREST_PRINCIPAL_INDEMNITY = (
            "interest,principal,indemnity",
            _("Interest, principal, then the €40 indemnity"),
        )
        INTEREST_INDEMNITY_PRINCIPAL = (
            "interest,indemnity,principal",
            _("Interest, the €40 indemnity, then principal"),
        )

    class DayBasis(models.TextChoices):
        ACT_365 = "ACT_365", _("Actual/365")
        ACT_ACT = "ACT_ACT", _("Actual/actual (366 in leap years)")

    class CallPolicy(models.TextChoices):
        """When agents may call debtors and how often (legal-fr.md REQ-F1, debtors.guardrails)."""

        STANDARD = "standard", _("Standard: Mon-Sat 8:00-20:00, 3 attempts a week")
        STRICT = "strict", _("Strict (D223-9): Mon-Fri 10:00-13:00 and 14:00-20:00, 4 a month")

    class PlanInterest(models.TextChoices):
        """What late interest does while a payment plan is kept; the plan's letter says it."""

        FROZEN = "frozen", _("Frozen: no interest on instalments paid on time")
        ACCRUES = "accrues", _("Accrues: interest keeps running and is in the instalments")

    legal_name = models.CharField(_("legal name"), max_length=200)
    slug = models.SlugField(_("short name"), unique=True)
    siren = models.CharField(_("SIREN"), max_length=9, validators=[validate_siren])
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    # REQ-A1: prerequisites before any collection activity.
    rc_insurer = models.CharField(_("professional liability insurer"), max_length=200, blank=True)
    rc_policy_number = models.CharField(_("policy number"), max_length=100, blank=True)
    rc_policy_expires_on = models.DateField(_("policy expiry date"), null=True, blank=True)
    collection_iban = models.CharField(
        _("dedicated collection account IBAN"),
        max_length=34,
        blank=True,
        validators=[validate_iban],
        help_text=_("Account used exclusively for funds collected for creditors."),
    )
    collection_bic = models.CharField(_("BIC"), max_length=11, blank=True)
    prosecutor_declaration_on = models.DateField(
        _("declaration to the public prosecutor"), null=True, blank=True
    )
    # GDPR art. 14 notice on the first letter (REQ-F3).
    dpo_contact = models.CharField(_("data protection officer contact"), max_length=200, blank=True)
    day_basis = models.CharField(
        _("interest day basis"), max_length=8, choices=DayBasis, default=DayBasis.ACT_365
    )
    imputation_order = models.CharField(
        _("imputation order within an invoice"),
        max_length=40,
        choices=ImputationOrder,
        default=ImputationOrder.INTEREST_PRINCIPAL_INDEMNITY,
        help_text=_("C. civ. 1343-1 puts interest first; where the €40 goes is a choice."),
    )
    plan_interest = models.CharField(
        _("late interest during a payment plan"),
        max_length=10,
        choices=PlanInterest,
        default=PlanInterest.FROZEN,
        help_text=_(
            "Frozen is the usual practice of plans the creditor grants: what the debtor owes is "
            "fixed on the day the plan is agreed. Each plan keeps the rule it was agreed under."
        ),
    )
    call_policy = models.CharField(
        _("call policy"),
        max_length=10,
        choices=CallPolicy,
        default=CallPolicy.STANDARD,
        db_default=CallPolicy.STANDARD,
        help_text=_("No Sundays or public holidays either way, in the debtor's local time."),
    )
    require_admin_2fa = models.BooleanField(
        _("two-factor authentication required for administrators"),
        default=False,
        help_text=_("Agency administrators must enrol an authenticator app before anything else."),
    )
    webhook_secret = models.CharField(
        _("webhook signing secret"),
        max_length=100,
        default=new_webhook_secret,
        editable=False,
        help_text=_(
            "Shared with the postal and e-mail providers, who sign every delivery with it."
        ),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("agency")
        verbose_name_plural = _("agencies")

    def __str__(self) -> str:
        return self.legal_name

    def missing_prerequisites(self, on: date) -> list[str]:
        """What still forbids this agency from sending letters on a given day (REQ-A1)."""
        missing = [
            str(field.verbose_name)
            for field in (
                self._meta.get_field(name)
                for name in (
                    "rc_insurer",
                    "rc_policy_number",
                    "rc_policy_expires_on",
                    "collection_iban",
                    "prosecutor_declaration_on",
                )
            )
            if not getattr(self, field.name)
        ]
        if self.rc_policy_expires_on and self.rc_policy_expires_on < on:
            missing.append(str(_("professional liability insurance expired")))
        return missing


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    @classmethod
    def normalize_email(cls, email: str | None) -> str:
        """One spelling per address: e-mails are compared without regard to case."""
        return super().normalize_email(email).lower()

    def get_by_natural_key(self, username: str) -> User:
        # Login looks the address up case-insensitively, through the Lower("email") index.
        return self.alias(email_ci=Lower("email")).get(email_ci=self.normalize_email(username))

    def _create(self, email: str, password: str | None, **fields: object) -> User:
        if not email:
            raise ValueError("An e-mail address is required")
        user = self.model(email=email, **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **fields: object) -> User:
        fields.setdefault("is_staff", False)
        fields.setdefault("is_superuser", False)
        return self._create(email, password, **fields)

    def create_superuser(self, email: str, password: str | None = None, **fields: object) -> User:
        fields.update(is_staff=True, is_superuser=True)
        return self._create(email, password, **fields)


class User(AbstractUser):
    """A person who logs in with an e-mail address; their agency comes from their membership."""

    username = None
    email = models.EmailField(_("e-mail address"), unique=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []
    objects = UserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.UniqueConstraint(
                Lower("email"),
                name="user_email_ci_unique",
                violation_error_message=_("A user with this e-mail address already exists."),
            )
        ]

    def __str__(self) -> str:
        return self.get_full_name() or self.email

    def clean(self) -> None:
        super().clean()
        self.email = type(self).objects.normalize_email(self.email)

    def save(self, *args: Any, **kwargs: Any) -> None:
        # Every write path stores the one spelling, not only forms that call clean().
        self.email = type(self).objects.normalize_email(self.email)
        super().save(*args, **kwargs)


class Role(models.TextChoices):
    ADMIN = "admin", _("Agency administrator")
    AGENT = "agent", _("Collection agent")
    CREDITOR_USER = "creditor_user", _("Creditor user")


class Membership(models.Model):
    """Ties a user to exactly one agency; the scope of every request comes from here only."""

    user = models.OneToOneField(
        User, on_delete=models.CASCADE, related_name="membership", verbose_name=_("user")
    )
    agency = models.ForeignKey(
        Agency, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("agency")
    )
    role = models.CharField(_("role"), max_length=20, choices=Role)
    creditor = models.ForeignKey(
        "cases.Creditor",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="memberships",
        help_text=_("Only for creditor users: the client company they belong to."),
        verbose_name=_("creditor"),
    )

    objects = TenantManager()

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.CheckConstraint(
                name="membership_creditor_iff_creditor_user",
                violation_error_message=_(
                    "A creditor user needs a creditor; the agency's staff have none."
                ),
                condition=(
                    models.Q(role="creditor_user", creditor__isnull=False)
                    | (~models.Q(role="creditor_user") & models.Q(creditor__isnull=True))
                ),
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.agency} ({self.get_role_display()})"

    @property
    def is_agency_staff(self) -> bool:
        return self.role in (Role.ADMIN, Role.AGENT)


class ReferenceSequence(models.Model):
    """Per-agency, per-prefix, per-year counter behind C-2026-000123 and L-2026-000123."""

    agency = models.ForeignKey(
        Agency, on_delete=models.CASCADE, related_name="+", verbose_name=_("agency")
    )
    prefix = models.CharField(_("prefix"), max_length=2)
    year = models.PositiveSmallIntegerField(_("year"))
    last_value = models.PositiveIntegerField(_("last number given"), default=0)

    objects = TenantManager()
    creditor_path = None  # the agency's own bookkeeping: creditor users never see it

    class Meta:
        verbose_name = _("reference sequence")
        verbose_name_plural = _("reference sequences")
        constraints = [
            models.UniqueConstraint(
                fields=["agency", "prefix", "year"],
                name="reference_sequence_unique",
                violation_error_message=_("This reference counter already exists."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.agency_id}/{self.prefix}-{self.year}: {self.last_value}"


class Invitation(models.Model):
    """An e-mail invitation to join an agency, answered once through a link that expires.

    Only the SHA-256 of the link's token is stored: a copy of the database opens no account.
    The token is drawn when the e-mail is sent, so resending makes every earlier link void.
    """

    VALIDITY_DAYS = 7

    agency = models.ForeignKey(
        Agency, on_delete=models.CASCADE, related_name="invitations", verbose_name=_("agency")
    )
    email = models.EmailField(_("e-mail address"))
    first_name = models.CharField(_("first name"), max_length=150, blank=True)
    last_name = models.CharField(_("last name"), max_length=150, blank=True)
    role = models.CharField(_("role"), max_length=20, choices=Role)
    creditor = models.ForeignKey(
        "cases.Creditor",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="invitations",
        verbose_name=_("creditor"),
    )
    token_hash = models.CharField(_("token hash"), max_length=64, blank=True, db_index=True)
    expires_at = models.DateTimeField(_("expires at"))
    invited_by = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="+", verbose_name=_("invited by")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    user = models.ForeignKey(
        User,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("account created"),
    )
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    objects = TenantManager()
    creditor_path = None  # the agency's people: creditor users never see invitations

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        EXPIRED = "expired", _("Expired")
        ACCEPTED = "accepted", _("Accepted")
        REVOKED = "revoked", _("Revoked")

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                name="invitation_creditor_iff_creditor_user",
                violation_error_message=_(
                    "A creditor user needs a creditor; the agency's staff have none."
                ),
                condition=(
                    models.Q(role="creditor_user", creditor__isnull=False)
                    | (~models.Q(role="creditor_user") & models.Q(creditor__isnull=True))
                ),
            )
        ]

    def __str__(self) -> str:
        return self.email

    def status_on(self, now: Any) -> str:
        if self.accepted_at:
            return self.Status.ACCEPTED
        if self.revoked_at:
            return self.Status.REVOKED
        if self.expires_at <= now:
            return self.Status.EXPIRED
        return self.Status.PENDING

    @property
    def status(self) -> str:
        return self.status_on(timezone.now())

    def get_status_display(self) -> str:
        return str(self.Status(self.status).label)


class ConfigChange(models.Model):
    """One change an agency admin made to the agency's configuration, field by field.

    Case events tell what happened to cases; this tells who changed a creditor's convention, a
    scenario, a letter's wording, someone's role, and what each field was before and after.
    """

    class Target(models.TextChoices):
        AGENCY = "agency", _("Agency")
        CREDITOR = "creditor", _("Creditor")
        SCENARIO = "scenario", _("Scenario")
        LETTER_TEMPLATE = "letter_template", _("Letter template")
        MEMBERSHIP = "membership", _("Person")
        INVITATION = "invitation", _("Invitation")

    agency = models.ForeignKey(
        Agency, on_delete=models.CASCADE, related_name="+", verbose_name=_("agency")
    )
    actor = models.ForeignKey(
        User,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)
    target = models.CharField(_("what"), max_length=20, choices=Target)
    target_id = models.BigIntegerField(_("object id"), null=True, blank=True)
    target_label = models.CharField(_("object"), max_length=200)
    summary = models.CharField(_("change"), max_length=300)
    # [{"field": label, "old": text, "new": text}, ...]
    changes = models.JSONField(_("fields changed"), default=list, blank=True)

    objects = TenantManager()
    creditor_path = None

    class Meta:
        verbose_name = _("configuration change")
        verbose_name_plural = _("configuration changes")
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"{self.target_label}: {self.summary}"


class AgencyDocument(models.Model):
    """The proof of a REQ-A1 prerequisite: the insurance certificate, the bank's attestation of
    the dedicated account, the prosecutor's receipt of the declaration. Served only through
    an access-checked view, never from a public media URL."""

    class Kind(models.TextChoices):
        INSURANCE = "insurance", _("Professional liability insurance certificate")
        ACCOUNT = "account", _("Attestation of the dedicated collection account")
        DECLARATION = "declaration", _("Receipt of the declaration to the public prosecutor")

    agency = models.ForeignKey(
        Agency, on_delete=models.CASCADE, related_name="documents", verbose_name=_("agency")
    )
    kind = models.CharField(_("document"), max_length=20, choices=Kind)
    file = models.FileField(
        _("file"),
        upload_to="agency-documents/",
        validators=[FileExtensionValidator(["pdf", "jpg", "jpeg", "png"])],
    )
    dated = models.DateField(_("document date"))
    uploaded_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("by")
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    objects = TenantManager()
    creditor_path = None

    class Meta:
        verbose_name = _("agency document")
        verbose_name_plural = _("agency documents")
        ordering = ["kind", "-dated", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.dated})"


from collectio.outbox import OutboxMessage  # noqa: E402,F401  (the outbox is a model of this app)
from collectio.submissions import FormSubmission  # noqa: E402,F401  (one-time form tokens)
