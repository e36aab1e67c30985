"""Money received from debtors: payments, the invoices a debtor designated, payment plans.

Bank statements, settlements and remittances to creditors join them here.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from cases.models import Case, Claim
from collectio.models import Agency
from collectio.scoping import TenantManager


class Payment(models.Model):
    """Money received from the debtor for a case, imputed on its claims by the statement."""

    class Method(models.TextChoices):
        TRANSFER = "transfer", _("Bank transfer")
        CARD = "card", _("Card")
        DIRECT_DEBIT = "direct_debit", _("Direct debit")
        CHEQUE = "cheque", _("Cheque")

    class Source(models.TextChoices):
        """Who told us: the money is the same, what must follow is not (a payment the creditor
        received directly is never the agency's to remit)."""

        AGENT = "agent", _("Entered by an agent")
        CREDITOR = "creditor", _("Received directly by the creditor")
        API = "api", _("Posted through the API")
        BANK = "bank", _("Bank statement")

    agency = models.ForeignKey(
        Agency, on_delete=models.CASCADE, related_name="+", verbose_name=_("agency")
    )
    case = models.ForeignKey(
        Case, on_delete=models.PROTECT, related_name="payments", verbose_name=_("case")
    )
    amount = models.DecimalField(
        _("amount"),
        max_digits=14,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    received_on = models.DateField(_("received on"))
    method = models.CharField(_("method"), max_length=20, choices=Method)
    source = models.CharField(
        _("source"), max_length=10, choices=Source, default=Source.AGENT, db_default=Source.AGENT
    )
    bank_reference = models.CharField(_("bank reference"), max_length=100, blank=True)
    designated_claims = models.ManyToManyField(
        Claim,
        through="PaymentDesignation",
        blank=True,
        related_name="designating_payments",
        verbose_name=_("invoices designated by the debtor"),
        help_text=_("Overrides the legal imputation order (C. civ. 1342-10)."),
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    objects = TenantManager()
    creditor_path = "case__creditor"

    class Meta:
        db_table = "cases_payment"  # moved from cases with its data (SeparateDatabaseAndState)
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["received_on", "pk"]
        constraints = [
            models.CheckConstraint(
                name="payment_amount_positive",
                violation_error_message=_("A payment must be above zero."),
                condition=models.Q(amount__gt=0),
            )
        ]

    def __str__(self) -> str:
        return f"{self.amount} € ({self.received_on})"


class PaymentDesignation(models.Model):
    """The invoices a debtor chose to pay; a tenant row like any other (agency on every row)."""

    agency = models.ForeignKey(
        Agency, on_delete=models.CASCADE, related_name="+", verbose_name=_("agency")
    )
    payment = models.ForeignKey(
        Payment, on_delete=models.CASCADE, related_name="designations", verbose_name=_("payment")
    )
    claim = models.ForeignKey(
        Claim, on_delete=models.CASCADE, related_name="+", verbose_name=_("claim")
    )

    objects = TenantManager()
    creditor_path = "payment__case__creditor"

    class Meta:
        db_table = "cases_paymentdesignation"
        verbose_name = _("designated invoice")
        verbose_name_plural = _("designated invoices")
        constraints = [
            models.UniqueConstraint(
                fields=["payment", "claim"],
                name="payment_designation_once",
                violation_error_message=_("This invoice is already designated for this payment."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.payment_id} → {self.claim_id}"


class PaymentPlan(models.Model):
    """A schedule the debtor agreed to: what it owes is fixed on the day it is agreed.

    ``interest`` is the agency's rule at agreement (``Agency.plan_interest``), kept with the
    plan because its letter promised it: *frozen*, no interest accrues after ``agreed_on``
    while the plan is kept (the statement pauses it until ``broken_on``); *accrues*, interest
    keeps running and the instalments include what accrues until each is due.
    """

    class Status(models.TextChoices):
        ACTIVE = "active", pgettext_lazy("payment plan", "Active")
        COMPLETED = "completed", pgettext_lazy("payment plan", "Completed")
        BROKEN = "broken", pgettext_lazy("payment plan", "Broken")

    agency = models.ForeignKey(
        Agency, on_delete=models.CASCADE, related_name="+", verbose_name=_("agency")
    )
    case = models.ForeignKey(
        Case, on_delete=models.PROTECT, related_name="payment_plans", verbose_name=_("case")
    )
    agreed_on = models.DateField(_("agreed on"))
    total = models.DecimalField(
        _("total of the instalments"),
        max_digits=14,
        decimal_places=2,
        help_text=_("Everything the debtor owes under the plan, fixed at agreement."),
    )
    interest = models.CharField(
        _("late interest during the plan"), max_length=10, choices=Agency.PlanInterest
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status, default=Status.ACTIVE, db_index=True
    )
    broken_on = models.DateField(_("broken on"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("agreed by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = TenantManager()
    creditor_path = "case__creditor"

    class Meta:
        verbose_name = _("payment plan")
        verbose_name_plural = _("payment plans")
        ordering = ["agreed_on", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["case"],
                condition=models.Q(status="active"),
                name="payment_plan_one_active_per_case",
                violation_error_message=_("This case already has a payment plan in progress."),
            ),
            models.CheckConstraint(
                name="payment_plan_total_positive",
                violation_error_message=_("A payment plan must be for an amount above zero."),
                condition=models.Q(total__gt=0),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.total} € ({self.agreed_on})"

    @property
    def last_due_on(self) -> date | None:
        last = self.instalments.order_by("-position").first()
        return last.due_on if last else None


class PlanInstalment(models.Model):
    """One dated amount of a payment plan."""

    agency = models.ForeignKey(
        Agency, on_delete=models.CASCADE, related_name="+", verbose_name=_("agency")
    )
    plan = models.ForeignKey(
        PaymentPlan,
        on_delete=models.CASCADE,
        related_name="instalments",
        verbose_name=_("payment plan"),
    )
    position = models.PositiveSmallIntegerField(_("instalment no."))
    due_on = models.DateField(_("due on"))
    amount = models.DecimalField(
        _("amount"),
        max_digits=14,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01"))],
    )

    objects = TenantManager()
    creditor_path = "plan__case__creditor"

    class Meta:
        verbose_name = _("instalment")
        verbose_name_plural = _("instalments")
        ordering = ["plan", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "position"],
                name="plan_instalment_position_once",
                violation_error_message=_("This plan already has an instalment at this position."),
            ),
            models.CheckConstraint(
                name="plan_instalment_amount_positive",
                violation_error_message=_("An instalment must be above zero."),
                condition=models.Q(amount__gt=0),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.position}: {self.amount} € ({self.due_on})"


class Refund(models.Model):
    """Money received beyond the debt, owed back to the debtor (trop-perçu).

    What the agency received for the creditor beyond what the debtor owed is neither the
    creditor's nor the agency's: it was not due, so it is returned to whoever paid it
    (C. civ. 1302 and 1302-1). It is recorded with the payment that brought it, kept out of the
    creditor's remittance, and shown to agents until it is refunded.
    """

    class Status(models.TextChoices):
        OWED = "owed", _("To refund")
        REFUNDED = "refunded", _("Refunded")

    agency = models.ForeignKey(
        Agency, on_delete=models.CASCADE, related_name="+", verbose_name=_("agency")
    )
    case = models.ForeignKey(
        Case, on_delete=models.PROTECT, related_name="refunds", verbose_name=_("case")
    )
    payment = models.ForeignKey(
        Payment, on_delete=models.PROTECT, related_name="refunds", verbose_name=_("payment")
    )
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    status = models.CharField(_("status"), max_length=10, choices=Status, default=Status.OWED)
    refunded_on = models.DateField(_("refunded on"), null=True, blank=True)
    bank_reference = models.CharField(_("bank reference"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    objects = TenantManager()
    creditor_path = "case__creditor"

    class Meta:
        verbose_name = _("overpayment to refund")
        verbose_name_plural = _("overpayments to refund")
        ordering = ["created_at", "pk"]
        constraints = [
            models.CheckConstraint(
                name="refund_amount_positive",
                violation_error_message=_("An overpayment must be above zero."),
                condition=models.Q(amount__gt=0),
            ),
            models.CheckConstraint(
                name="refund_refunded_has_a_date",
                violation_error_message=_("A refund is dated once it is made."),
                condition=models.Q(status="owed", refunded_on__isnull=True)
                | models.Q(status="refunded", refunded_on__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.amount} € ({self.get_status_display()})"


class PaymentPromise(models.Model):
    """A debtor's promise on the phone to pay an amount by a date (issue 10).

    While it is pending the case's escalation is paused (the case is on hold); the day after its
    date ``payments.promises.promises_check`` finds it kept (payments since it was made reach its
    amount) or broken: a broken promise resumes the escalation and puts the case back in the
    queue, and counts in the case's priority.
    """

    class Status(models.TextChoices):
        PENDING = "pending", pgettext_lazy("promise", "Pending")
        KEPT = "kept", pgettext_lazy("promise", "Kept")
        BROKEN = "broken", pgettext_lazy("promise", "Broken")
        CANCELLED = "cancelled", pgettext_lazy("promise", "Cancelled")

    agency = models.ForeignKey(
        Agency, on_delete=models.CASCADE, related_name="+", verbose_name=_("agency")
    )
    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, related_name="promises", verbose_name=_("case")
    )
    amount = models.DecimalField(
        _("amount promised"),
        max_digits=14,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    due_on = models.DateField(_("promised for"))
    made_on = models.DateField(_("made on"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status, default=Status.PENDING, db_index=True
    )
    resolved_on = models.DateField(_("kept or broken on"), null=True, blank=True)
    made_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("taken by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = TenantManager()
    creditor_path = "case__creditor"

    class Meta:
        verbose_name = _("promise to pay")
        verbose_name_plural = _("promises to pay")
        ordering = ["due_on", "pk"]
        indexes = [models.Index(fields=["agency", "status", "due_on"], name="promise_due_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["case"],
                condition=models.Q(status="pending"),
                name="promise_one_pending_per_case",
                violation_error_message=_("This case already has a promise to pay pending."),
            ),
            models.CheckConstraint(
                name="promise_amount_positive",
                violation_error_message=_("A promise must be for an amount above zero."),
                condition=models.Q(amount__gt=0),
            ),
            models.CheckConstraint(
                name="promise_due_after_made",
                violation_error_message=_("A promise cannot be for a day before it was made."),
                condition=models.Q(due_on__gte=models.F("made_on")),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.amount} € ({self.due_on})"
