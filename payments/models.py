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
    signed_on = models.DateField(
        _("signed by the debtor on"), null=True, blank=True,
        help_text=_("A signed plan acknowledges the debt: prescription starts again."),
    )  # fmt: skip
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="+", verbose_name=_("approved for the creditor by"),
        help_text=_("Needed beyond the convention's bounds (Creditor.plan_max_months)."),
    )  # fmt: skip
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


# --- bank statements ----------------------------------------------------------------------------
class BankStatement(models.Model):
    """A statement of the agency's dedicated account (CAMT.053 or CSV), imported once: the
    file's hash is unique per agency, so the same file a second time is refused whole."""

    class Format(models.TextChoices):
        CAMT053 = "camt053", _("CAMT.053 (ISO 20022)")
        CSV = "csv", _("CSV")

    agency = models.ForeignKey(
        Agency, on_delete=models.CASCADE, related_name="+", verbose_name=_("agency")
    )
    format = models.CharField(_("format"), max_length=10, choices=Format)
    filename = models.CharField(_("file name"), max_length=200)
    sha256 = models.CharField(_("SHA-256 of the file"), max_length=64)
    identification = models.CharField(_("statement identification"), max_length=100, blank=True)
    account_iban = models.CharField(_("account IBAN"), max_length=34, blank=True)
    imported_at = models.DateTimeField(_("imported at"), auto_now_add=True)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("imported by"),
    )
    lines_total = models.PositiveIntegerField(_("lines in the file"), default=0)
    lines_duplicate = models.PositiveIntegerField(_("lines already imported"), default=0)

    objects = TenantManager()

    class Meta:
        verbose_name = _("bank statement")
        verbose_name_plural = _("bank statements")
        ordering = ["-imported_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["agency", "sha256"],
                name="bank_statement_file_once",
                violation_error_message=_("This statement file was already imported."),
            )
        ]

    def __str__(self) -> str:
        return self.identification or self.filename


class BankLine(models.Model):
    """One credit or debit of a statement, matched to a case or waiting for an agent.

    ``line_key`` is the bank's own reference of the entry (or a hash of its facts when the
    file has none): unique per agency, so a line seen again in an overlapping statement is
    not stored, let alone recorded, a second time. A line records at most one payment.
    """

    class Status(models.TextChoices):
        TO_RECORD = "to_record", _("Matched, being recorded")
        MATCHED = "matched", _("Matched")
        UNMATCHED = "unmatched", _("Unmatched")
        AMBIGUOUS = "ambiguous", _("Ambiguous")
        IGNORED = "ignored", _("Not a debtor's payment")

    QUEUE = (Status.UNMATCHED, Status.AMBIGUOUS)

    class MatchedBy(models.TextChoices):
        REFERENCE = "reference", _("Reference in the remittance information")
        AMOUNT_NAME = "amount_name", _("Amount and debtor name")
        AGENT = "agent", _("Chosen by an agent")

    agency = models.ForeignKey(
        Agency, on_delete=models.CASCADE, related_name="+", verbose_name=_("agency")
    )
    statement = models.ForeignKey(
        BankStatement, on_delete=models.CASCADE, related_name="lines", verbose_name=_("statement")
    )
    line_key = models.CharField(_("bank reference of the line"), max_length=120)
    booked_on = models.DateField(_("booked on"))
    amount = models.DecimalField(
        _("amount"), max_digits=14, decimal_places=2, help_text=_("Negative for a debit.")
    )
    counterparty = models.CharField(_("counterparty"), max_length=200, blank=True)
    counterparty_iban = models.CharField(_("counterparty IBAN"), max_length=34, blank=True)
    remittance_info = models.TextField(_("remittance information"), blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status)
    matched_by = models.CharField(_("matched by"), max_length=12, choices=MatchedBy, blank=True)
    confidence = models.PositiveSmallIntegerField(
        _("confidence (%)"), default=0, validators=[MinValueValidator(0)]
    )
    case = models.ForeignKey(
        Case, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("case"),
    )  # fmt: skip
    candidates = models.JSONField(_("candidate cases"), default=list, blank=True)
    payment = models.OneToOneField(
        Payment, on_delete=models.PROTECT, null=True, blank=True, related_name="bank_line",
        verbose_name=_("payment"),
    )  # fmt: skip
    note = models.CharField(_("note"), max_length=300, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="+", verbose_name=_("resolved by"),
    )  # fmt: skip
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)

    objects = TenantManager()

    class Meta:
        verbose_name = _("bank statement line")
        verbose_name_plural = _("bank statement lines")
        ordering = ["booked_on", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["agency", "line_key"],
                name="bank_line_seen_once",
                violation_error_message=_("This bank line was already imported."),
            ),
            models.CheckConstraint(
                name="bank_line_matched_has_payment",
                violation_error_message=_("A matched line records a payment."),
                condition=~models.Q(status="matched") | models.Q(payment__isnull=False),
            ),
        ]
        indexes = [models.Index(fields=["agency", "status"], name="bank_line_queue_idx")]

    def __str__(self) -> str:
        return f"{self.booked_on} {self.amount} € {self.counterparty}"


# --- remittances to creditors -------------------------------------------------------------------
class Remittance(models.Model):
    """What one run owes one creditor: the payments collected since the last run, the agency's
    commission and its VAT, and the net transferred (a SEPA credit transfer, pain.001)."""

    class Status(models.TextChoices):
        PREPARED = "prepared", _("Prepared")
        SENT = "sent", _("Transfer executed")

    agency = models.ForeignKey(
        Agency, on_delete=models.CASCADE, related_name="+", verbose_name=_("agency")
    )
    creditor = models.ForeignKey(
        "cases.Creditor", on_delete=models.PROTECT, related_name="remittances",
        verbose_name=_("creditor"),
    )  # fmt: skip
    reference = models.CharField(_("reference"), max_length=20)
    run_on = models.DateField(_("run on"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status, default=Status.PREPARED, db_index=True
    )
    commission_rate = models.DecimalField(_("commission rate (%)"), max_digits=5, decimal_places=2)
    vat_rate = models.DecimalField(_("VAT rate (%)"), max_digits=5, decimal_places=2)
    collected = models.DecimalField(_("collected by the agency"), max_digits=14, decimal_places=2)
    direct = models.DecimalField(
        _("received directly by the creditor"), max_digits=14, decimal_places=2
    )
    commission = models.DecimalField(_("commission excl. VAT"), max_digits=14, decimal_places=2)
    vat = models.DecimalField(_("VAT on the commission"), max_digits=14, decimal_places=2)
    net = models.DecimalField(_("net to remit"), max_digits=14, decimal_places=2)
    execution_on = models.DateField(_("requested execution date"))
    message_id = models.CharField(_("SEPA message identification"), max_length=35, blank=True)
    pain001 = models.TextField(_("SEPA credit transfer (pain.001)"), blank=True)
    executed_on = models.DateField(_("executed on"), null=True, blank=True)
    executed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="+", verbose_name=_("marked executed by"),
    )  # fmt: skip
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = TenantManager()
    creditor_path = "creditor"

    class Meta:
        verbose_name = _("remittance")
        verbose_name_plural = _("remittances")
        ordering = ["-run_on", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["agency", "reference"],
                name="remittance_unique_reference",
                violation_error_message=_("A remittance with this reference already exists."),
            ),
            models.CheckConstraint(
                name="remittance_adds_up",
                violation_error_message=_("The net is what was collected less commission and VAT."),
                condition=models.Q(
                    net=models.F("collected") - models.F("commission") - models.F("vat")
                ),
            ),
            models.CheckConstraint(
                name="remittance_executed_has_a_date",
                violation_error_message=_("An executed transfer is dated."),
                condition=models.Q(status="prepared", executed_on__isnull=True)
                | models.Q(status="sent", executed_on__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def fees(self) -> Decimal:
        """The commission and its VAT: what the agency charges the creditor."""
        return self.commission + self.vat


class RemittanceItem(models.Model):
    """One payment in one remittance, and only one: ``payment`` is unique in the database, so
    two runs at once cannot both account for it."""

    agency = models.ForeignKey(
        Agency, on_delete=models.CASCADE, related_name="+", verbose_name=_("agency")
    )
    remittance = models.ForeignKey(
        Remittance, on_delete=models.CASCADE, related_name="items", verbose_name=_("remittance")
    )
    payment = models.OneToOneField(
        Payment, on_delete=models.PROTECT, related_name="remittance_item",
        verbose_name=_("payment"),
    )  # fmt: skip
    amount = models.DecimalField(
        _("amount collected"),
        max_digits=14,
        decimal_places=2,
        help_text=_("The payment less what it brought beyond the debt (owed to the debtor)."),
    )
    commission = models.DecimalField(_("commission excl. VAT"), max_digits=14, decimal_places=2)
    remitted = models.BooleanField(
        _("transferred"), help_text=_("False when the creditor received the money itself.")
    )

    objects = TenantManager()
    creditor_path = "remittance__creditor"

    class Meta:
        verbose_name = _("remitted payment")
        verbose_name_plural = _("remitted payments")
        ordering = ["remittance", "pk"]

    def __str__(self) -> str:
        return f"{self.remittance_id}: {self.payment_id}"


# --- the client-funds ledger -------------------------------------------------------------------
class LedgerEntry(models.Model):
    """One line of the client-funds ledger, per creditor; every posting is a balanced group of
    lines (``posting``, debits positive, summing to zero).

    Accounts: ``bank``, the creditor's share of the agency's dedicated account; ``creditor``,
    what the agency owes the creditor; ``debtor``, overpayments owed back to debtors. So the
    funds held for a creditor, the ``bank`` balance, are collected − remitted − refunded −
    commission on any date. ``source`` names what was posted (``payment:12``): unique with the
    account, so nothing is ever posted twice.
    """

    class Account(models.TextChoices):
        BANK = "bank", _("Dedicated account")
        CREDITOR = "creditor", _("Owed to the creditor")
        DEBTOR = "debtor", _("Owed back to debtors")

    class Kind(models.TextChoices):
        PAYMENT = "payment", _("Payment collected")
        REFUND = "refund", _("Overpayment refunded")
        REMITTANCE = "remittance", _("Remitted to the creditor")
        COMMISSION = "commission", _("Agency commission incl. VAT")

    agency = models.ForeignKey(
        Agency, on_delete=models.CASCADE, related_name="+", verbose_name=_("agency")
    )
    creditor = models.ForeignKey(
        "cases.Creditor", on_delete=models.PROTECT, related_name="+", verbose_name=_("creditor")
    )
    posting = models.UUIDField(_("posting"), db_index=True)
    booked_on = models.DateField(_("booked on"))
    account = models.CharField(_("account"), max_length=10, choices=Account)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind)
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    source = models.CharField(_("source"), max_length=40)
    label = models.CharField(_("label"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = TenantManager()
    creditor_path = "creditor"

    class Meta:
        verbose_name = _("ledger line")
        verbose_name_plural = _("ledger lines")
        ordering = ["booked_on", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["agency", "source", "kind", "account"],
                name="ledger_posted_once",
                violation_error_message=_("This movement is already in the ledger."),
            ),
            models.CheckConstraint(
                name="ledger_amount_not_zero",
                violation_error_message=_("A ledger line moves money."),
                condition=~models.Q(amount=0),
            ),
        ]
        indexes = [
            models.Index(fields=["agency", "creditor", "account", "booked_on"], name="ledger_idx")
        ]

    def __str__(self) -> str:
        return f"{self.booked_on} {self.account} {self.amount}"

    @property
    def debit(self) -> Decimal | None:
        return self.amount if self.amount > 0 else None

    @property
    def credit(self) -> Decimal | None:
        return -self.amount if self.amount < 0 else None


# --- settlements --------------------------------------------------------------------------------
class Settlement(models.Model):
    """A reduced amount the debtor pays to close the case (transaction, C. civ. 2044): agreed by
    the agency within the creditor's bounds (``Creditor.settlement_min_percent``), otherwise
    once the creditor approves; paid in full, the case is ``settled`` and the rest written off."""

    class Status(models.TextChoices):
        AWAITING_APPROVAL = "awaiting", _("Awaiting the creditor's approval")
        AGREED = "agreed", pgettext_lazy("settlement", "Agreed")
        PAID = "paid", pgettext_lazy("settlement", "Paid")
        REFUSED = "refused", pgettext_lazy("settlement", "Refused")

    OPEN = (Status.AWAITING_APPROVAL, Status.AGREED)

    agency = models.ForeignKey(
        Agency, on_delete=models.CASCADE, related_name="+", verbose_name=_("agency")
    )
    case = models.ForeignKey(
        Case, on_delete=models.PROTECT, related_name="settlements", verbose_name=_("case")
    )
    amount = models.DecimalField(_("settlement amount"), max_digits=14, decimal_places=2)
    owed = models.DecimalField(
        _("owed when proposed"), max_digits=14, decimal_places=2,
        help_text=_("Everything the debtor owed on the day of the proposal."),
    )  # fmt: skip
    proposed_on = models.DateField(_("proposed on"))
    reason = models.CharField(_("reason"), max_length=300)
    status = models.CharField(_("status"), max_length=10, choices=Status, db_index=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="+", verbose_name=_("approved by"),
    )  # fmt: skip
    written_off = models.DecimalField(
        _("written off"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    paid_on = models.DateField(_("paid on"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="+", verbose_name=_("proposed by"),
    )  # fmt: skip
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = TenantManager()
    creditor_path = "case__creditor"

    class Meta:
        verbose_name = _("settlement")
        verbose_name_plural = _("settlements")
        ordering = ["-proposed_on", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["case"],
                condition=models.Q(status__in=["awaiting", "agreed"]),
                name="settlement_one_open_per_case",
                violation_error_message=_("This case already has a settlement in progress."),
            ),
            models.CheckConstraint(
                name="settlement_below_what_is_owed",
                violation_error_message=_(
                    "A settlement is an amount above zero and below the debt."
                ),
                condition=models.Q(amount__gt=0, amount__lt=models.F("owed")),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.amount} €"


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
