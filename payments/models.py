"""Money received from debtors: payments and the invoices a debtor designated.

Bank statements, payment plans, settlements and remittances to creditors join them here.
"""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

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
