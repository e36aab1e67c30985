"""Dunning policy (scenarios and steps), what the sweep did (step executions), and rates."""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from collectio.models import Agency
from collectio.scoping import TenantManager
from law.interest import RateKind

RATE_KIND_LABELS = {
    RateKind.ECB_MRO: _("ECB main refinancing operations rate"),
    RateKind.LEGAL_PRIVATE_CREDITOR: _("legal rate, creditor a private person"),
    RateKind.LEGAL_OTHER: _("legal rate, other cases"),
}


class ReferenceRate(models.Model):
    """A published rate for one semester (legal-fr.md section 0): data, never code.

    The rows come from ``dunning/data/reference_rates_fr.csv`` (data migration) and from
    ``manage.py import_reference_rates``; ``verified`` is false for a value nobody checked
    against its publication (the demo's copies), which the staff banner reports.
    """

    semester = models.CharField(
        _("semester"),
        max_length=7,
        help_text=_("For example 2026-S1 (January–June) or 2026-S2 (July–December)."),
    )
    kind = models.CharField(
        _("kind"),
        max_length=30,
        choices=[(k.value, label) for k, label in RATE_KIND_LABELS.items()],
    )
    rate = models.DecimalField(_("annual rate (%)"), max_digits=6, decimal_places=3)
    source = models.CharField(
        _("source"),
        max_length=300,
        blank=True,
        help_text=_("The arrêté and its Journal officiel date, or the ECB decision."),
    )
    verified = models.BooleanField(
        _("checked against its publication"),
        default=True,
        help_text=_("Untick for a provisional value; staff pages say so until it is replaced."),
    )
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("reference rate")
        verbose_name_plural = _("reference rates")
        ordering = ["-semester", "kind"]
        constraints = [
            models.UniqueConstraint(
                fields=["semester", "kind"],
                name="reference_rate_unique",
                violation_error_message=_("This semester already has a rate of this kind."),
            ),
            models.CheckConstraint(
                name="reference_rate_semester_format",
                violation_error_message=_("A semester is written like 2026-S1 or 2026-S2."),
                condition=models.Q(semester__regex=r"^\d{4}-S[12]$"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.semester} {self.kind} {self.rate} %"


class Action(models.TextChoices):
    """What a step does, in the order the case graph allows them."""

    REMINDER = "reminder", _("Reminder")
    PHONE_FOLLOWUP = "phone_followup", _("Phone follow-up")
    FORMAL_NOTICE = "formal_notice", _("Formal notice")
    JUDICIAL_HANDOFF = "judicial_handoff", _("Judicial handoff")


# The case transition each action fires, and the rank that keeps a scenario in graph order.
ACTION_TRANSITION = {
    Action.REMINDER: "send_reminder",
    Action.PHONE_FOLLOWUP: "escalate",
    Action.FORMAL_NOTICE: "escalate",
    Action.JUDICIAL_HANDOFF: "hand_off",
}
ACTION_RANK = {action: rank for rank, action in enumerate(Action)}


class StepLetter(models.TextChoices):
    """The letters a step can send; the values are the letters app's kinds (``LetterKind``)."""

    FIRST_REMINDER = "first_reminder", _("First reminder")
    SECOND_REMINDER = "second_reminder", _("Second reminder")
    FORMAL_NOTICE = "formal_notice", _("Formal notice")
    JUDICIAL_HANDOFF = "judicial_handoff", _("Judicial handoff notice")


# The letters each action may send; none names the default.
ACTION_LETTERS = {
    Action.REMINDER: (StepLetter.FIRST_REMINDER, StepLetter.SECOND_REMINDER),
    Action.PHONE_FOLLOWUP: (),
    Action.FORMAL_NOTICE: (StepLetter.FORMAL_NOTICE,),
    Action.JUDICIAL_HANDOFF: (StepLetter.JUDICIAL_HANDOFF,),
}


class Channel(models.TextChoices):
    LETTER = "letter", _("Letter")
    REGISTERED_LETTER = "registered_letter", _("Registered letter with acknowledgement")
    EMAIL = "email", _("E-mail")
    SMS = "sms", _("SMS")
    CALL_TASK = "call_task", _("Call task for an agent")


class Scenario(models.Model):
    """An agency's escalation policy; a creditor may have its own."""

    agency = models.ForeignKey(
        Agency, on_delete=models.CASCADE, related_name="scenarios", verbose_name=_("agency")
    )
    creditor = models.ForeignKey(
        "cases.Creditor",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="scenarios",
        help_text=_("Leave empty for an agency-wide scenario."),
        verbose_name=_("creditor"),
    )
    name = models.CharField(_("name"), max_length=100)
    is_default = models.BooleanField(_("agency default"), default=False)

    objects = TenantManager()
    creditor_path = "creditor"

    class Meta:
        verbose_name = _("scenario")
        verbose_name_plural = _("scenarios")
        constraints = [
            models.UniqueConstraint(
                fields=["agency"],
                condition=models.Q(is_default=True),
                name="scenario_one_default_per_agency",
                violation_error_message=_("Your agency already has a default scenario."),
            ),
            models.UniqueConstraint(
                fields=["creditor"],
                condition=models.Q(creditor__isnull=False),
                name="scenario_one_per_creditor",
                violation_error_message=_("This creditor already has its own scenario."),
            ),
        ]

    def __str__(self) -> str:
        return self.name


class DelayUnit(models.TextChoices):
    CALENDAR_DAYS = "calendar", _("calendar days")
    BUSINESS_DAYS = "business", _("business days")


class Step(models.Model):
    """One step of a scenario: what to do, how long after the previous one, through what."""

    agency = models.ForeignKey(
        Agency, on_delete=models.CASCADE, related_name="+", verbose_name=_("agency")
    )
    scenario = models.ForeignKey(
        Scenario, on_delete=models.CASCADE, related_name="steps", verbose_name=_("scenario")
    )
    position = models.PositiveSmallIntegerField(_("position"))
    action = models.CharField(_("action"), max_length=20, choices=Action)
    delay = models.PositiveSmallIntegerField(
        _("delay"),
        help_text=_(
            "After the previous step (after acceptance for the first one). For the judicial "
            "handoff: after the formal notice deadline."
        ),
    )
    delay_unit = models.CharField(
        _("unit"), max_length=10, choices=DelayUnit, default=DelayUnit.CALENDAR_DAYS
    )
    channels = ArrayField(
        models.CharField(max_length=20, choices=Channel), verbose_name=_("channels"), default=list
    )
    letter_template = models.CharField(
        _("letter template"),
        max_length=50,
        blank=True,
        choices=StepLetter,
        help_text=_("Empty: the first reminder, then the second, as the case's history says."),
    )
    payment_deadline_days = models.PositiveSmallIntegerField(
        _("payment deadline (days)"),
        default=8,
        validators=[MinValueValidator(1)],
        help_text=_("Formal notice only: days granted to the debtor (REQ-E2)."),
    )
    deadline_from_acknowledgement = models.BooleanField(
        _("deadline counts from the acknowledgement of receipt"), default=True
    )
    requires_confirmation = models.BooleanField(
        _("an agent confirms before it goes out"), default=False
    )

    objects = TenantManager()
    creditor_path = "scenario__creditor"

    class Meta:
        verbose_name = _("step")
        verbose_name_plural = _("steps")
        ordering = ["scenario", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["scenario", "position"],
                name="step_unique_position",
                violation_error_message=_("Two steps of a scenario cannot have the same position."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.position}. {self.get_action_display()}"

    @property
    def channel_labels(self) -> list[str]:
        return [str(Channel(c).label) for c in self.channels if c in Channel.values]

    @property
    def transition(self) -> str:
        return ACTION_TRANSITION[Action(self.action)]

    def clean(self) -> None:
        if (
            self.action in Action.values
            and self.letter_template
            and self.letter_template not in ACTION_LETTERS[Action(self.action)]
        ):
            raise ValidationError(
                {
                    "letter_template": _("A “%(action)s” step cannot send this letter.")
                    % {"action": Action(self.action).label}
                }
            )
        if (
            self.action == Action.FORMAL_NOTICE
            and self.deadline_from_acknowledgement
            and Channel.REGISTERED_LETTER not in self.channels
        ):
            raise ValidationError(
                _("A deadline counted from the acknowledgement needs a registered letter.")
            )


def validate_step_order(actions: list[str]) -> None:
    """A scenario must follow the case graph: reminders, then phone, notice, handoff, once each."""
    ranks = [ACTION_RANK[Action(a)] for a in actions]
    if ranks != sorted(ranks):
        raise ValidationError(_("Steps must follow the order reminder → phone → notice → handoff."))
    for action in (Action.PHONE_FOLLOWUP, Action.FORMAL_NOTICE, Action.JUDICIAL_HANDOFF):
        if actions.count(action) > 1:
            raise ValidationError(
                _("Only one %(action)s step is allowed.") % {"action": action.label}
            )
    if Action.JUDICIAL_HANDOFF in actions and Action.FORMAL_NOTICE not in actions:
        raise ValidationError(_("A judicial handoff needs a formal notice before it."))
    if Action.FORMAL_NOTICE in actions and Action.PHONE_FOLLOWUP not in actions:
        raise ValidationError(_("A formal notice follows the phone follow-up in the case graph."))


class StepExecution(models.Model):
    """What the sweep did for one (case, step); unique, so nothing is ever done twice."""

    class Status(models.TextChoices):
        DONE = "done", _("Done")
        AWAITING_CONFIRMATION = "awaiting_confirmation", _("Awaiting an agent's confirmation")
        BLOCKED = "blocked", _("Blocked")
        CANCELLED = "cancelled", _("Cancelled")

    agency = models.ForeignKey(
        Agency, on_delete=models.CASCADE, related_name="+", verbose_name=_("agency")
    )
    case = models.ForeignKey(
        "cases.Case",
        on_delete=models.CASCADE,
        related_name="step_executions",
        verbose_name=_("case"),
    )
    step = models.ForeignKey(
        Step, on_delete=models.PROTECT, related_name="executions", verbose_name=_("step")
    )
    status = models.CharField(_("status"), max_length=30, choices=Status)
    planned_for = models.DateTimeField(_("planned for"))
    executed_at = models.DateTimeField(_("executed at"), null=True, blank=True)
    reasons = models.JSONField(_("reasons"), default=list, blank=True)

    objects = TenantManager()
    creditor_path = "case__creditor"

    class Meta:
        verbose_name = _("step execution")
        verbose_name_plural = _("step executions")
        constraints = [
            models.UniqueConstraint(
                fields=["case", "step"],
                name="step_execution_once",
                violation_error_message=_("This step was already carried out for this case."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.case_id}/{self.step_id} {self.status}"


class JudicialStep(models.TextChoices):
    """The steps of an injunction procedure that start a deadline (REQ-E5)."""

    ORDONNANCE = "ordonnance", _("Injunction order issued")
    SERVICE = "service", _("Order served on the debtor")


class Deadline(models.Model):
    """A dated task from a deadline the law computes, alerted at D-7 and D-1 (daily beat).

    Started by the event that opens it: a payment recorded (its remittance to the creditor
    within one month, R124-6), an injunction order (to be served within six months, CPC 1411),
    its service (the debtor's month to oppose, CPC 1416). The agency's own obligations move
    earlier to a working day and, once past, are *missed*; the debtor's period moves later and,
    once past, is simply over (*done*).
    """

    class Kind(models.TextChoices):
        REMITTANCE = "remittance", _("Remit the funds to the creditor (R124-6)")
        SERVICE = "service", _("Serve the injunction order (CPC 1411)")
        OPPOSITION = "opposition", _("Debtor's opposition period ends (CPC 1416)")

    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("deadline", "Open")
        DONE = "done", pgettext_lazy("deadline", "Done")
        MISSED = "missed", pgettext_lazy("deadline", "Missed")

    AGENCY_OBLIGATIONS = frozenset({Kind.REMITTANCE, Kind.SERVICE})
    ALERT_DAYS_BEFORE = (7, 1)

    agency = models.ForeignKey(
        Agency, on_delete=models.CASCADE, related_name="+", verbose_name=_("agency")
    )
    case = models.ForeignKey(
        "cases.Case", on_delete=models.CASCADE, related_name="deadlines", verbose_name=_("case")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind)
    starts_on = models.DateField(
        _("starts on"), help_text=_("The day of the event that started it, not counted.")
    )
    due_on = models.DateField(pgettext_lazy("deadline", "due on"), db_index=True)
    status = models.CharField(_("status"), max_length=10, choices=Status, default=Status.OPEN)
    amount = models.DecimalField(
        _("amount"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    # The payment a remittance deadline is for; not a key to the payments table, which lives in
    # an app above this one.
    payment_id = models.BigIntegerField(_("payment"), null=True, blank=True)
    alerted_days_before = models.PositiveSmallIntegerField(
        _("last alert (days before)"), null=True, blank=True
    )
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("done by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = TenantManager()
    creditor_path = "case__creditor"

    class Meta:
        verbose_name = _("deadline")
        verbose_name_plural = _("deadlines")
        ordering = ["due_on", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["agency", "payment_id"],
                condition=models.Q(kind="remittance"),
                name="deadline_one_remittance_per_payment",
                violation_error_message=_("This payment already has its remittance deadline."),
            ),
            models.UniqueConstraint(
                fields=["case", "kind"],
                condition=~models.Q(kind="remittance"),
                name="deadline_one_judicial_deadline_per_case",
                violation_error_message=_("This case already has this judicial deadline."),
            ),
        ]
        indexes = [
            models.Index(
                fields=["agency", "due_on"],
                name="deadline_open_idx",
                condition=models.Q(status="open"),
            )
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.kind} {self.due_on}"
