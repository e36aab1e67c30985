"""Debtors and how to reach them."""

from django.conf import settings
from django.db import models
from django.db.models.functions import Now
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from collectio.models import Agency, PostalAddress
from collectio.scoping import TenantManager
from collectio.validators import validate_siren


class Debtor(PostalAddress):
    """Whoever owes; shared by the creditors, shown to a creditor only through its cases."""

    class Kind(models.TextChoices):
        COMPANY = "company", _("Company")
        PERSON = "person", _("Private person")
        PUBLIC = "public", _("Public body")

    agency = models.ForeignKey(
        Agency, on_delete=models.CASCADE, related_name="+", verbose_name=_("agency")
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind)
    name = models.CharField(_("name"), max_length=200, help_text=_("Legal name or surname."))
    first_name = models.CharField(_("first name"), max_length=100, blank=True)
    siren = models.CharField(_("SIREN"), max_length=9, blank=True, validators=[validate_siren])
    # REQ-E1: an electronic registered letter needs a private person's prior consent.
    consents_to_electronic_registered_mail = models.BooleanField(
        _("consents to electronic registered mail"), default=False
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = TenantManager()
    creditor_path = "cases__creditor"

    class Meta:
        verbose_name = _("debtor")
        verbose_name_plural = _("debtors")
        constraints = [
            models.CheckConstraint(
                name="debtor_company_has_siren",
                condition=~models.Q(kind="company") | ~models.Q(siren=""),
                violation_error_message=_("A company debtor needs its SIREN."),
            ),
            models.UniqueConstraint(
                fields=["agency", "siren"],
                condition=~models.Q(siren=""),
                name="debtor_unique_siren_per_agency",
                violation_error_message=_("Your agency already has a debtor with this SIREN."),
            ),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        if self.kind == self.Kind.PERSON and self.first_name:
            return f"{self.first_name} {self.name}"
        return self.name

    @property
    def is_consumer(self) -> bool:
        return self.kind == self.Kind.PERSON


class ContactPoint(models.Model):
    """An e-mail or phone; personal details are used before professional ones (REQ-F2)."""

    class Channel(models.TextChoices):
        EMAIL = "email", _("E-mail")
        PHONE = "phone", _("Phone")

    agency = models.ForeignKey(
        Agency, on_delete=models.CASCADE, related_name="+", verbose_name=_("agency")
    )
    debtor = models.ForeignKey(
        Debtor, on_delete=models.CASCADE, related_name="contact_points", verbose_name=_("debtor")
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Channel)
    value = models.CharField(_("value"), max_length=254)
    is_professional = models.BooleanField(_("professional"), default=False)
    # An agent heard that this number is not the debtor's: it is never offered for a call again.
    marked_wrong_at = models.DateTimeField(_("marked wrong at"), null=True, blank=True)

    objects = TenantManager()
    creditor_path = "debtor__cases__creditor"

    class Meta:
        verbose_name = _("contact point")
        verbose_name_plural = _("contact points")
        ordering = ["is_professional", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["debtor", "channel", "value"],
                name="contact_point_unique",
                violation_error_message=_("This debtor already has this contact point."),
            )
        ]

    def __str__(self) -> str:
        return self.value

    @property
    def is_wrong(self) -> bool:
        return self.marked_wrong_at is not None


class CallOutcome(models.TextChoices):
    """What one call gave, recorded in one click (issue 10); each drives the case's next step."""

    NO_ANSWER = "no_answer", _("No answer")
    WRONG_NUMBER = "wrong_number", _("Wrong number")
    THIRD_PARTY = "third_party", _("Third party answered")
    PROMISE = "promise", _("Promise to pay")
    PLAN_PROPOSED = "plan_proposed", _("Payment plan proposed")
    DISPUTE = "dispute", _("Dispute")
    REFUSAL = "refusal", _("Refuses to pay")
    CALLBACK = "callback", _("Call back at")


# A conversation with the debtor in person: counts against "1 conversation per 3 days" (REQ-F1).
REACHED_OUTCOMES = frozenset(
    {
        CallOutcome.PROMISE,
        CallOutcome.PLAN_PROPOSED,
        CallOutcome.DISPUTE,
        CallOutcome.REFUSAL,
        CallOutcome.CALLBACK,
    }
)


class CallTask(models.Model):
    """A call an agent must make: for a scenario step (its script recalls the first letter,
    REQ-A6), or a callback the debtor asked for. Open tasks due now make the "calls" queue."""

    class Status(models.TextChoices):
        OPEN = "open", _("To call")
        DONE = "done", _("Done")

    class Kind(models.TextChoices):
        STEP = "step", _("Scenario step")
        CALLBACK = "callback", _("Callback")

    agency = models.ForeignKey(
        Agency, on_delete=models.CASCADE, related_name="+", verbose_name=_("agency")
    )
    case = models.ForeignKey(
        "cases.Case", on_delete=models.CASCADE, related_name="call_tasks", verbose_name=_("case")
    )
    step_execution = models.OneToOneField(
        "dunning.StepExecution",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="call_task",
        verbose_name=_("step execution"),
    )
    kind = models.CharField(
        _("kind"), max_length=10, choices=Kind, default=Kind.STEP, db_default=Kind.STEP
    )
    due_at = models.DateTimeField(_("to call from"), default=timezone.now, db_default=Now())
    requested_by_debtor = models.BooleanField(
        _("asked for by the debtor"), default=False, db_default=False
    )
    script = models.TextField(_("call script"), blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status, default=Status.OPEN)
    outcome = models.CharField(
        _("outcome"), max_length=20, choices=CallOutcome, blank=True, db_default=""
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)

    objects = TenantManager()
    creditor_path = "case__creditor"

    class Meta:
        verbose_name = _("call task")
        verbose_name_plural = _("call tasks")
        ordering = ["due_at", "pk"]
        indexes = [
            # The calls queue: open tasks of an agency due by now.
            models.Index(
                fields=["agency", "due_at"],
                name="call_task_open_due_idx",
                condition=models.Q(status="open"),
            )
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.get_status_display()}"


class ContactLogEntry(models.Model):
    """One contact with a debtor: a call made (and what it gave) or an e-mail received.

    The caps of REQ-F1 (attempts and conversations per debtor over a period) are counted here.
    """

    class Channel(models.TextChoices):
        PHONE = "phone", _("Phone")
        EMAIL = "email", _("E-mail")

    class Direction(models.TextChoices):
        OUTBOUND = "outbound", _("Outgoing")
        INBOUND = "inbound", _("Incoming")

    agency = models.ForeignKey(
        Agency, on_delete=models.CASCADE, related_name="+", verbose_name=_("agency")
    )
    debtor = models.ForeignKey(
        Debtor, on_delete=models.CASCADE, related_name="contact_log", verbose_name=_("debtor")
    )
    case = models.ForeignKey(
        "cases.Case",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="contact_log",
        verbose_name=_("case"),
    )
    contact_point = models.ForeignKey(
        ContactPoint,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("contact point"),
    )
    call_task = models.ForeignKey(
        CallTask,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="contacts",
        verbose_name=_("call task"),
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Channel)
    direction = models.CharField(_("direction"), max_length=10, choices=Direction)
    # Empty while the call is under way (the attempt counts from its start).
    outcome = models.CharField(_("outcome"), max_length=20, choices=CallOutcome, blank=True)
    reached = models.BooleanField(_("debtor reached"), default=False)
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("agent"),
    )
    at = models.DateTimeField(_("at"), default=timezone.now)
    summary = models.TextField(_("summary"), blank=True)

    objects = TenantManager()
    creditor_path = None  # the agency's working log: creditors read the case timeline instead

    class Meta:
        verbose_name = _("contact log entry")
        verbose_name_plural = _("contact log")
        ordering = ["-at", "-pk"]
        indexes = [
            models.Index(fields=["debtor", "at"], name="contact_log_debtor_idx"),
            models.Index(fields=["agency", "agent", "at"], name="contact_log_agent_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.debtor_id} {self.channel} {self.at:%Y-%m-%d %H:%M}"
