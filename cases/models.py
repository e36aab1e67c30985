"""Creditors, cases and their state machine, claims and the case timeline.

Transitions only change fields in memory (django-fsm-2); ``cases.services`` saves them, writes the
``CaseEvent`` and creates the side-effect rows in the same transaction.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import formats, timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_fsm import RETURN_VALUE, ConcurrentTransitionMixin, FSMField, transition

from collectio.models import Agency, PostalAddress, Role
from collectio.money import ZERO
from collectio.scoping import TenantManager
from collectio.validators import (
    validate_iban,
    validate_siren,
    validate_siret,
    validate_vat_number,
)
from debtors.models import Debtor
from law.interest import (
    RateBelowFloor,
    RateMissing,
    published_rates,
    semester_bounds,
    semester_of,
    validate_contract_rate,
)


class Creditor(PostalAddress):
    """The agency's client, and the written convention that empowers the agency (REQ-A2)."""

    agency = models.ForeignKey(
        Agency, on_delete=models.CASCADE, related_name="creditors", verbose_name=_("agency")
    )
    legal_name = models.CharField(_("legal name"), max_length=200)
    siren = models.CharField(_("SIREN"), max_length=9, validators=[validate_siren])
    siret = models.CharField(_("SIRET"), max_length=14, blank=True, validators=[validate_siret])
    vat_number = models.CharField(
        _("VAT number"), max_length=20, blank=True, validators=[validate_vat_number]
    )
    is_private_person = models.BooleanField(
        _("private person not acting professionally"),
        default=False,
        help_text=_("Decides which legal interest rate applies (L313-2 C. mon. fin.)."),
    )
    iban = models.CharField(_("IBAN for remittances"), max_length=34, validators=[validate_iban])
    contact_name = models.CharField(_("contact name"), max_length=200, blank=True)
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=30, blank=True)
    commission_rate = models.DecimalField(
        _("commission rate (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("15.00"),
        validators=[MinValueValidator(ZERO), MaxValueValidator(Decimal("100"))],
    )
    commission_on_direct_payments = models.BooleanField(
        _("commission on payments received directly"),
        default=True,
        help_text=_(
            "The convention charges the commission on what the debtor paid the creditor "
            "directly too; it is deducted from the next remittance."
        ),
    )
    # The written convention (R124-3): without all four clauses no step is allowed.
    mandate_reference = models.CharField(_("mandate reference"), max_length=50, blank=True)
    mandate_signed_on = models.DateField(_("mandate signed on"), null=True, blank=True)
    mandate_sums_basis = models.TextField(_("basis and amount of the sums due"), blank=True)
    mandate_insurance_terms = models.TextField(_("professional liability terms"), blank=True)
    mandate_fee_terms = models.TextField(_("fee determination"), blank=True)
    mandate_remittance_terms = models.TextField(_("terms for remitting funds"), blank=True)
    mandate_allows_receiving_funds = models.BooleanField(
        _("authority to receive funds for the creditor"),
        default=True,
        help_text=_("R124-3: the convention gives the agency power to receive payments for it."),
    )
    mandate_allows_litigation = models.BooleanField(
        _("mandate allows judicial proceedings"), default=False
    )
    mandate_allows_payment_plans = models.BooleanField(
        _("agency may grant payment plans"), default=False
    )
    # The convention's bounds (R124-3): within them the agency decides alone, beyond them the
    # creditor approves from its portal.
    plan_max_months = models.PositiveSmallIntegerField(
        _("longest payment plan without approval (months)"),
        default=12,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
    )
    settlement_min_percent = models.DecimalField(
        _("lowest settlement without approval (% of the amount due)"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("1")), MaxValueValidator(Decimal("100"))],
        help_text=_("Empty: every settlement needs the creditor's approval."),
    )
    handoff_requires_approval = models.BooleanField(
        _("judicial handoff needs the creditor's approval"), default=True
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = TenantManager()
    creditor_path = "pk"

    class Meta:
        verbose_name = _("creditor")
        verbose_name_plural = _("creditors")
        ordering = ["legal_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["agency", "siren"],
                name="creditor_unique_siren",
                violation_error_message=_("Your agency already has a creditor with this SIREN."),
            )
        ]

    def __str__(self) -> str:
        return self.legal_name

    @property
    def has_valid_mandate(self) -> bool:
        return not self.missing_mandate_clauses()

    def missing_mandate_clauses(self) -> list[str]:
        names = (
            "mandate_reference",
            "mandate_signed_on",
            "mandate_sums_basis",
            "mandate_insurance_terms",
            "mandate_fee_terms",
            "mandate_remittance_terms",
        )
        if not self.mandate_allows_receiving_funds:
            names += ("mandate_allows_receiving_funds",)
        return [str(self._meta.get_field(n).verbose_name) for n in names if not getattr(self, n)]


class CaseState(models.TextChoices):
    NEW = "new", _("New")
    REMINDER = "reminder", _("Reminder")
    PHONE_FOLLOWUP = "phone_followup", _("Phone follow-up")
    FORMAL_NOTICE = "formal_notice", _("Formal notice")
    JUDICIAL = "judicial", _("Judicial")
    PAYMENT_PLAN = "payment_plan", _("Payment plan")
    DISPUTED = "disputed", _("Disputed")
    ON_HOLD = "on_hold", _("On hold")
    PAID = "paid", _("Paid")
    SETTLED = "settled", _("Settled")
    CLOSED = "closed", _("Closed")


ACTIVE_STATES = (CaseState.REMINDER, CaseState.PHONE_FOLLOWUP, CaseState.FORMAL_NOTICE)
PAUSED_STATES = (CaseState.PAYMENT_PLAN, CaseState.DISPUTED, CaseState.ON_HOLD)
TERMINAL_STATES = (CaseState.PAID, CaseState.SETTLED, CaseState.CLOSED)
NON_TERMINAL_STATES = tuple(s for s in CaseState if s not in TERMINAL_STATES)


class ClosureCode(models.TextChoices):
    PAID = "paid", _("Paid in full")
    SETTLED = "settled", _("Settled")
    WITHDRAWN = "withdrawn", _("Withdrawn by the creditor")
    UNRECOVERABLE = "unrecoverable", _("Unrecoverable")
    INSOLVENCY = "insolvency", _("Insolvency proceedings")
    TIME_BARRED = "time_barred", _("Time-barred")
    REJECTED = "rejected", _("Rejected by the agency")
    DISPUTE_UPHELD = "dispute_upheld", _("Dispute upheld")


CLOSE_CODES = (
    ClosureCode.WITHDRAWN,
    ClosureCode.UNRECOVERABLE,
    ClosureCode.INSOLVENCY,
    ClosureCode.TIME_BARRED,
)


# --- permissions: who may fire a transition (``has_transition_perm``) -------------------------
def _member_of_case_agency(case: Case, user: Any) -> Any:
    membership = getattr(user, "membership", None)
    if membership is None or membership.agency_id != case.agency_id:
        return None
    return membership


def agency_staff(case: Case, user: Any) -> bool:
    membership = _member_of_case_agency(case, user)
    return membership is not None and membership.role in (Role.ADMIN, Role.AGENT)


def staff_or_own_creditor(case: Case, user: Any) -> bool:
    membership = _member_of_case_agency(case, user)
    if membership is None:
        return False
    return membership.is_agency_staff or membership.creditor_id == case.creditor_id


# --- conditions: the rules the UI, the API and the sweep all ask through ``can_proceed`` ------
def condition(message: str) -> Any:
    """Attach the sentence shown to a person when this condition blocks a transition."""

    def decorate(func: Any) -> Any:
        func.message = message
        return func

    return decorate


@condition(_("The case has no claim."))
def has_claims(case: Case) -> bool:
    return case.principal_total > ZERO


@condition(_("No invoice is past due yet: nothing may be demanded before an invoice's due date."))
def claim_past_due(case: Case) -> bool:
    return case.has_claim_past_due(timezone.localdate())


@condition(_("The creditor has no valid written collection mandate (R124-3)."))
def creditor_mandate_valid(case: Case) -> bool:
    return case.creditor.has_valid_mandate


@condition(_("The debt is time-barred."))
def not_time_barred(case: Case) -> bool:
    return not case.is_time_barred


@condition(_("No principal is still due."))
def has_outstanding(case: Case) -> bool:
    return case.principal_due > ZERO


@condition(_("Principal is still due."))
def nothing_outstanding(case: Case) -> bool:
    return case.principal_due <= ZERO


@condition(_("The formal notice deadline has not expired."))
def formal_notice_expired(case: Case) -> bool:
    deadline = case.formal_notice_deadline
    return deadline is not None and deadline < timezone.localdate()


@condition(_("The creditor's mandate does not cover judicial proceedings."))
def mandate_allows_litigation(case: Case) -> bool:
    return case.creditor.mandate_allows_litigation


@condition(_("The creditor has not approved the judicial handoff."))
def handoff_approved(case: Case) -> bool:
    return case.handoff_approved_at is not None or not case.creditor.handoff_requires_approval


def failing_conditions(case: Case, name: str) -> list[Any] | None:
    """The conditions that block a transition now; ``None`` if it has no edge from this state."""
    found = getattr(type(case), name)._django_fsm.get_transition(case.state)
    if found is None:
        return None
    return [check for check in found.conditions if not check(case)]


def transition_blockers(case: Case, name: str) -> list[str]:
    """Why a transition cannot fire now, in words a person can act on (empty: it can)."""
    failing = failing_conditions(case, name)
    if failing is None:
        return [
            str(_("Not possible from the state “%(state)s”.") % {"state": case.get_state_display()})
        ]
    return [str(check.message) for check in failing]


class Case(ConcurrentTransitionMixin, models.Model):
    """One debtor's unpaid invoices for one creditor, worked through the collection states."""

    agency = models.ForeignKey(
        Agency, on_delete=models.CASCADE, related_name="cases", verbose_name=_("agency")
    )
    creditor = models.ForeignKey(
        Creditor, on_delete=models.PROTECT, related_name="cases", verbose_name=_("creditor")
    )
    debtor = models.ForeignKey(
        Debtor, on_delete=models.PROTECT, related_name="cases", verbose_name=_("debtor")
    )
    reference = models.CharField(_("reference"), max_length=20)
    state = FSMField(
        _("state"), default=CaseState.NEW, choices=CaseState, protected=True, db_index=True
    )
    resume_state = models.CharField(
        _("state to resume"), max_length=20, choices=CaseState, blank=True
    )
    assigned_agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_cases",
        verbose_name=_("assigned agent"),
    )
    next_action_at = models.DateTimeField(_("next automatic step"), null=True, blank=True)
    opened_at = models.DateTimeField(_("opened at"), default=timezone.now)
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closure_code = models.CharField(
        _("closure code"), max_length=20, choices=ClosureCode, blank=True
    )
    # Stored so lists and transitions read them without a statement per case. Both are exactly
    # what they say: the invoices' principal, and the principal still owed after imputing the
    # payments (interest first, C. civ. 1343-1), which only a payment changes. The amount due
    # today, with interest and indemnities, comes from the statement of account only.
    principal_total = models.DecimalField(
        _("principal"), max_digits=14, decimal_places=2, default=ZERO
    )
    principal_due = models.DecimalField(
        _("principal still due"), max_digits=14, decimal_places=2, default=ZERO
    )
    limitation_date = models.DateField(_("earliest limitation date"), null=True, blank=True)
    first_due_date = models.DateField(_("earliest due date"), null=True, blank=True)
    formal_notice_deadline = models.DateField(_("formal notice deadline"), null=True, blank=True)
    handoff_approved_at = models.DateTimeField(
        _("judicial handoff approved at"), null=True, blank=True
    )
    hold_until = models.DateField(
        _("on hold until"),
        null=True,
        blank=True,
        help_text=_("Collection resumes by itself on this day."),
    )
    formal_notice_received_on = models.DateField(
        _("formal notice received on"),
        null=True,
        blank=True,
        help_text=_(
            "First presentation or receipt (AR): legal interest and the deadline run from it."
        ),
    )
    # Where the case stands in its scenario; the sweep advances both with next_action_at.
    scenario = models.ForeignKey(
        "dunning.Scenario",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("scenario"),
    )
    next_step = models.ForeignKey(
        "dunning.Step",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("next step"),
    )
    # Two parts of the queues' priority score (cases.queues), kept on the case so the score of a
    # queue at a million cases is read off the row: the last call made or contact received, and
    # how many promises to pay were broken.
    last_contact_at = models.DateTimeField(_("last contact"), null=True, blank=True)
    promises_broken = models.PositiveSmallIntegerField(
        _("promises to pay broken"), default=0, db_default=0
    )
    # The queues' order (cases.queues): the score as computed on ``priority_on``, refreshed each
    # morning and whenever an agent's work changes one of its parts.
    priority = models.PositiveSmallIntegerField(_("priority"), default=0, db_default=0)
    priority_on = models.DateField(_("priority computed on"), null=True, blank=True)

    objects = TenantManager()
    creditor_path = "creditor"

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        ordering = ["-opened_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["agency", "reference"],
                name="case_unique_reference",
                violation_error_message=_("A case with this reference already exists."),
            ),
            models.CheckConstraint(
                name="case_paused_states_have_resume_state",
                violation_error_message=_("A paused case must know the state it resumes in."),
                condition=~models.Q(state__in=PAUSED_STATES) | ~models.Q(resume_state=""),
            ),
        ]
        indexes = [
            models.Index(
                fields=["next_action_at"],
                name="case_due_idx",
                condition=models.Q(state__in=ACTIVE_STATES),
            ),
            # The sweep's ORDER BY next_action_at, id for one agency, read straight off the index:
            # without it every batch sorts all the cases due at the same 09:00.
            models.Index(
                fields=["agency", "next_action_at", "id"],
                name="case_sweep_idx",
                condition=models.Q(state__in=ACTIVE_STATES),
            ),
            models.Index(fields=["agency", "state"], name="case_agency_state_idx"),
            # The work queue's order (workspace case list), read off the index at any size.
            models.Index(fields=["agency", "next_action_at", "-opened_at"], name="case_queue_idx"),
            # The agents' queues, highest priority first, read off the index at any size.
            models.Index(fields=["agency", "-priority", "id"], name="case_priority_idx"),
            models.Index(fields=["agency", "priority_on"], name="case_priority_on_idx"),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def is_time_barred(self) -> bool:
        return self.limitation_date is not None and self.limitation_date < timezone.localdate()

    @property
    def is_active(self) -> bool:
        return self.state in ACTIVE_STATES

    def has_claim_past_due(self, on: date) -> bool:
        """Whether some invoice is owed on ``on``: only once its due date has passed
        (C. com. L441-10 II); before that nothing may be demanded."""
        return self.first_due_date is not None and self.first_due_date < on

    # --- intake ----------------------------------------------------------------------------
    @transition(
        field=state,
        source=CaseState.NEW,
        target=CaseState.REMINDER,
        conditions=[has_claims, claim_past_due, creditor_mandate_valid, not_time_barred],
        permission=agency_staff,
        custom={"label": _("Accept")},
    )
    def accept(self) -> None:
        self.accepted_at = timezone.now()
        self.next_action_at = self.accepted_at

    @transition(
        field=state,
        source=CaseState.NEW,
        target=CaseState.CLOSED,
        permission=agency_staff,
        custom={"label": _("Reject")},
    )
    def reject(self) -> None:
        self._close(ClosureCode.REJECTED)

    # --- amicable escalation -----------------------------------------------------------------
    @transition(
        field=state,
        source=CaseState.REMINDER,
        target=CaseState.REMINDER,
        conditions=[not_time_barred, has_outstanding, claim_past_due],
        permission=agency_staff,
        custom={"label": _("Send another reminder")},
    )
    def send_reminder(self) -> None:
        """Self-loop: a further reminder in the reminder phase."""

    @transition(
        field=state,
        source=CaseState.REMINDER,
        target=CaseState.PHONE_FOLLOWUP,
        conditions=[not_time_barred, has_outstanding, claim_past_due],
        permission=agency_staff,
        custom={"label": _("Escalate")},
    )
    @transition(
        field=state,
        source=CaseState.PHONE_FOLLOWUP,
        target=CaseState.FORMAL_NOTICE,
        conditions=[not_time_barred, has_outstanding, claim_past_due],
        permission=agency_staff,
        custom={"label": _("Escalate")},
    )
    def escalate(self) -> None:
        """reminder → phone follow-up → formal notice."""

    @transition(
        field=state,
        source=CaseState.FORMAL_NOTICE,
        target=CaseState.JUDICIAL,
        conditions=[
            formal_notice_expired,
            has_outstanding,
            not_time_barred,
            mandate_allows_litigation,
            handoff_approved,
        ],
        permission=agency_staff,
        custom={"label": _("Hand off to the judicial partner")},
    )
    def hand_off(self) -> None:
        """The amicable phase is over (REQ-E3); the dossier goes to a judicial partner."""
        self.next_action_at = None

    # --- pauses: each remembers the active state to come back to ------------------------------
    def _pause(self) -> None:
        self.resume_state = self.state
        self.next_action_at = None

    def _resume(self) -> str:
        """Back to the active state the pause left, due at once so the sweep replans it."""
        state, self.resume_state = self.resume_state, ""
        self.hold_until = None
        self.next_action_at = timezone.now()
        return state

    @transition(
        field=state,
        source=ACTIVE_STATES,
        target=CaseState.PAYMENT_PLAN,
        permission=agency_staff,
        custom={"label": _("Agree a payment plan")},
    )
    def agree_plan(self) -> None:
        self._pause()

    @transition(
        field=state,
        source=CaseState.PAYMENT_PLAN,
        target=RETURN_VALUE(*ACTIVE_STATES),
        conditions=[not_time_barred],
        permission=agency_staff,
        custom={"label": _("Payment plan broken")},
    )
    def break_plan(self) -> str:
        return self._resume()

    @transition(
        field=state,
        source=ACTIVE_STATES,
        target=CaseState.DISPUTED,
        permission=staff_or_own_creditor,
        custom={"label": _("Record a dispute"), "reason_required": True},
    )
    def open_dispute(self) -> None:
        """A dispute stops every step until the creditor answers (REQ-A10)."""
        self._pause()

    @transition(
        field=state,
        source=CaseState.DISPUTED,
        target=RETURN_VALUE(*ACTIVE_STATES),
        permission=agency_staff,
        custom={"label": _("Reject the dispute")},
    )
    def reject_dispute(self) -> str:
        return self._resume()

    @transition(
        field=state,
        source=CaseState.DISPUTED,
        target=CaseState.CLOSED,
        permission=agency_staff,
        custom={"label": _("Uphold the dispute")},
    )
    def uphold_dispute(self) -> None:
        self._close(ClosureCode.DISPUTE_UPHELD)

    @transition(
        field=state,
        source=ACTIVE_STATES,
        target=CaseState.ON_HOLD,
        permission=staff_or_own_creditor,
        custom={"label": _("Put on hold")},
    )
    def hold(self, until: date | None = None) -> None:
        """Paused by the agency, or by the creditor (until a date, when collection resumes)."""
        if until is not None and until <= timezone.localdate():
            raise ValueError("a hold ends after today")
        self._pause()
        self.hold_until = until

    @transition(
        field=state,
        source=CaseState.ON_HOLD,
        target=RETURN_VALUE(*ACTIVE_STATES),
        permission=agency_staff,
        custom={"label": _("Resume")},
    )
    def resume(self) -> str:
        return self._resume()

    # --- endings -------------------------------------------------------------------------------
    def _close(self, code: str) -> None:
        self.closure_code = code
        self.closed_at = timezone.now()
        self.next_action_at = None
        self.resume_state = ""

    @transition(
        field=state,
        source=NON_TERMINAL_STATES,
        target=CaseState.PAID,
        conditions=[nothing_outstanding],
        permission=agency_staff,
        custom={"label": _("Mark as paid")},
    )
    def mark_paid(self) -> None:
        self._close(ClosureCode.PAID)

    @transition(
        field=state,
        source=NON_TERMINAL_STATES,
        target=CaseState.SETTLED,
        permission=agency_staff,
        custom={"label": _("Mark as settled"), "reason_required": True},
    )
    def mark_settled(self) -> None:
        """An agreed partial settlement was paid; the creditor waived the rest."""
        self._close(ClosureCode.SETTLED)

    @transition(
        field=state,
        source=NON_TERMINAL_STATES,
        target=CaseState.CLOSED,
        permission=agency_staff,
        custom={"label": _("Close"), "reason_required": True},
    )
    def close(self, code: str) -> None:
        if code not in CLOSE_CODES:
            raise ValueError(f"{code!r} is not a closure code for close()")
        self._close(code)

    @transition(
        field=state,
        source=NON_TERMINAL_STATES,
        target=CaseState.CLOSED,
        permission=staff_or_own_creditor,
        custom={"label": _("Withdraw"), "reason_required": True},
    )
    def withdraw(self) -> None:
        """The creditor takes the case back."""
        self._close(ClosureCode.WITHDRAWN)


class Claim(models.Model):
    """One unpaid invoice inside a case."""

    class DebtKind(models.TextChoices):
        B2B = "b2b", _("Between professionals")
        CONSUMER = "consumer", _("Consumer")

    agency = models.ForeignKey(
        Agency, on_delete=models.CASCADE, related_name="+", verbose_name=_("agency")
    )
    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, related_name="claims", verbose_name=_("case")
    )
    invoice_number = models.CharField(_("invoice number"), max_length=50)
    invoice_date = models.DateField(_("invoice date"))
    due_date = models.DateField(_("due date"))
    principal = models.DecimalField(
        _("principal incl. VAT"),
        max_digits=14,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    currency = models.CharField(_("currency"), max_length=3, default="EUR", editable=False)
    debt_kind = models.CharField(_("kind of debt"), max_length=10, choices=DebtKind)
    contract_rate = models.DecimalField(
        _("contractual late-payment rate (%)"),
        max_digits=6,
        decimal_places=3,
        null=True,
        blank=True,
    )
    limitation_date = models.DateField(_("limitation date"), null=True, blank=True)

    objects = TenantManager()
    creditor_path = "case__creditor"

    class Meta:
        verbose_name = _("claim")
        verbose_name_plural = _("claims")
        ordering = ["due_date", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "invoice_number"],
                name="claim_unique_invoice",
                violation_error_message=_("This invoice is already in the case."),
            ),
            models.CheckConstraint(
                name="claim_principal_positive",
                violation_error_message=_("The principal of an invoice must be above zero."),
                condition=models.Q(principal__gt=0),
            ),
            models.CheckConstraint(
                name="claim_due_after_invoice",
                violation_error_message=_("The due date cannot come before the invoice date."),
                condition=models.Q(due_date__gte=models.F("invoice_date")),
            ),
            models.CheckConstraint(
                name="claim_currency_eur",
                violation_error_message=_("Only invoices in euros are handled."),
                condition=models.Q(currency="EUR"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.invoice_number} ({self.principal} {self.currency})"

    def clean(self) -> None:
        super().clean()
        if self.contract_rate is not None and self.due_date is not None:
            validate_claim_contract_rate(
                self.contract_rate, due_date=self.due_date, on=timezone.localdate()
            )


def validate_claim_contract_rate(rate: Decimal, *, due_date: date, on: date) -> None:
    """A contract penalty rate below 3 x the legal rate ("other cases") is refused at intake
    and on edit, with the floor (L441-10 II, REQ-B2, ``RATE_BELOW_FLOOR``).

    The floor moves every semester: the rate must reach it in each semester it applies in so
    far, from the day after the due date to ``on`` (for an invoice not yet due, ``on``'s).
    """
    rates = published_rates()
    day = min(due_date + timedelta(days=1), on)
    while day <= on:
        try:
            validate_contract_rate(rate, day, rates)
        except RateBelowFloor as low:
            message = gettext(
                "RATE_BELOW_FLOOR: a contract rate of %(rate)s %% is below the legal floor of "
                "%(floor)s %% in %(semester)s (three times the legal interest rate, "
                "art. L441-10 II C. com.)."
            ) % {
                "rate": formats.number_format(low.rate, 2),
                "floor": formats.number_format(low.floor, 2),
                "semester": low.semester,
            }
            raise ValidationError(
                {"contract_rate": ValidationError(message, code="RATE_BELOW_FLOOR")}
            ) from low
        except RateMissing as missing:
            message = gettext(
                "RATE_MISSING(%(semester)s): the legal rate of %(semester)s is not loaded, so "
                "the contract rate cannot be checked against its floor."
            ) % {"semester": missing.semester}
            raise ValidationError(
                {"contract_rate": ValidationError(message, code="RATE_MISSING")}
            ) from missing
        day = semester_bounds(semester_of(day))[1] + timedelta(days=1)


class CaseEvent(models.Model):
    """The append-only timeline of a case: what happened, when, and who did it."""

    class Kind(models.TextChoices):
        OPENED = "opened", _("Case opened")
        TRANSITION = "transition", _("State changed")
        NOTE = "note", _("Note")
        STEP_BLOCKED = "step_blocked", _("Automatic step blocked")
        STEP_AWAITING = "step_awaiting", _("Step awaiting confirmation")
        LETTER_CREATED = "letter_created", _("Letter prepared")
        LETTER_SENT = "letter_sent", _("Letter sent")
        LETTER_FAILED = "letter_failed", _("Letter failed")
        LETTER_RETRIED = "letter_retried", _("Letter retried")
        LETTER_TRACKING = "letter_tracking", _("Registered letter posted")
        LETTER_ACKNOWLEDGED = "letter_acknowledged", _("Acknowledgement of receipt")
        LETTER_BOUNCED = "letter_bounced", _("E-mail bounced")
        NOTICE_RECEIVED = "notice_received", _("Formal notice received")
        CALL_TASK_CREATED = "call_task_created", _("Call planned")
        CALL_LOGGED = "call_logged", _("Call made")
        PAYMENT = "payment", _("Payment received")
        REFUND_OWED = "refund_owed", _("Overpayment owed to the debtor")
        REFUND_PAID = "refund_paid", _("Overpayment refunded to the debtor")
        CREDITOR_NOTIFIED = "creditor_notified", _("Creditor notified")
        CREDITOR_NOT_NOTIFIED = "creditor_not_notified", _("Creditor could not be notified")
        HANDOFF_APPROVED = "handoff_approved", _("Judicial handoff approved")
        DOSSIER_BUILT = "dossier_built", _("Judicial dossier built")
        PRESCRIPTION_ALERT = "prescription_alert", _("Limitation date approaching")
        PLAN_AGREED = "plan_agreed", _("Payment plan agreed")
        JUDICIAL_STEP = "judicial_step", _("Judicial step recorded")
        DEADLINE_ALERT = "deadline_alert", _("Deadline approaching")
        DEADLINE_PASSED = "deadline_passed", _("Deadline passed")
        SUBMITTED = "submitted", _("Case handed over by the creditor")
        DOCUMENT_ADDED = "document_added", _("Document added")
        PLAN_BROKEN = "plan_broken", _("Payment plan broken")
        SETTLEMENT_AGREED = "settlement_agreed", _("Settlement agreed")
        PROMISE_MADE = "promise_made", _("Promise to pay")
        PROMISE_KEPT = "promise_kept", _("Promise to pay kept")
        PROMISE_BROKEN = "promise_broken", _("Promise to pay broken")
        CALLBACK_SCHEDULED = "callback_scheduled", _("Callback scheduled")
        PLAN_PROPOSED = "plan_proposed", _("Payment plan proposed")

    class ActorKind(models.TextChoices):
        USER = "user", _("User")
        API_KEY = "api_key", _("API key")
        SYSTEM = "system", _("System")

    agency = models.ForeignKey(
        Agency, on_delete=models.CASCADE, related_name="+", verbose_name=_("agency")
    )
    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, related_name="events", verbose_name=_("case")
    )
    at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("actor"),
    )
    # Database defaults too: set-based inserts (the sweep's, the benches') name only what differs.
    actor_kind = models.CharField(
        _("actor kind"),
        max_length=10,
        choices=ActorKind,
        default=ActorKind.SYSTEM,
        db_default=ActorKind.SYSTEM,
    )
    actor_label = models.CharField(_("actor"), max_length=100, blank=True, db_default="")
    kind = models.CharField(_("kind"), max_length=30, choices=Kind)
    transition = models.CharField(_("transition"), max_length=30, blank=True)
    from_state = models.CharField(_("from"), max_length=20, choices=CaseState, blank=True)
    to_state = models.CharField(_("to"), max_length=20, choices=CaseState, blank=True)
    payload = models.JSONField(_("details"), default=dict, blank=True)

    objects = TenantManager()
    creditor_path = "case__creditor"

    class Meta:
        verbose_name = _("case event")
        verbose_name_plural = _("case events")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.case_id} {self.kind} {self.at:%Y-%m-%d %H:%M}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise ValueError("case events are append-only")
        super().save(*args, **kwargs)


class CaseDocument(models.Model):
    """A document the creditor handed over with a case: an invoice, the contract, anything else.

    The file is stored through Django's default storage under a random name
    (``collectio.uploads``) and is served only by an access-checked view; its SHA-256 says it was
    not changed since.
    """

    class Kind(models.TextChoices):
        INVOICE = "invoice", _("Invoice")
        CONTRACT = "contract", _("Contract or terms of sale")
        PURCHASE_ORDER = "purchase_order", _("Purchase order or quote signed")
        DELIVERY = "delivery", _("Proof of delivery")
        CORRESPONDENCE = "correspondence", _("Correspondence with the debtor")
        OTHER = "other", _("Other")

    agency = models.ForeignKey(
        Agency, on_delete=models.CASCADE, related_name="+", verbose_name=_("agency")
    )
    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, related_name="documents", verbose_name=_("case")
    )
    claim = models.ForeignKey(
        Claim,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="documents",
        verbose_name=_("invoice"),
    )
    kind = models.CharField(_("kind of document"), max_length=20, choices=Kind)
    file = models.FileField(_("file"), max_length=200)
    original_name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=50)
    size = models.PositiveIntegerField(_("size (bytes)"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    created_at = models.DateTimeField(_("added at"), default=timezone.now)

    objects = TenantManager()
    creditor_path = "case__creditor"

    class Meta:
        verbose_name = _("case document")
        verbose_name_plural = _("case documents")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.original_name


class IntakeDraft(models.Model):
    """A case being entered in the portal, saved to be finished later (the form's fields only;
    files are attached when the case is handed over)."""

    agency = models.ForeignKey(
        Agency, on_delete=models.CASCADE, related_name="+", verbose_name=_("agency")
    )
    creditor = models.ForeignKey(
        Creditor, on_delete=models.CASCADE, related_name="intake_drafts", verbose_name=_("creditor")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("created by"),
    )
    label = models.CharField(_("label"), max_length=200, blank=True)
    data = models.JSONField(_("form data"), default=dict)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = TenantManager()
    creditor_path = "creditor"

    class Meta:
        verbose_name = _("intake draft")
        verbose_name_plural = _("intake drafts")
        ordering = ["-updated_at"]

    def __str__(self) -> str:
        return self.label or str(_("Draft"))


class CaseImport(models.Model):
    """A file of invoices a creditor imports in bulk: checked first, then imported whole."""

    class Status(models.TextChoices):
        CHECKED = "checked", _("Checked")
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Importing")
        DONE = "done", _("Imported")
        FAILED = "failed", _("Failed")

    agency = models.ForeignKey(
        Agency, on_delete=models.CASCADE, related_name="+", verbose_name=_("agency")
    )
    creditor = models.ForeignKey(
        Creditor, on_delete=models.CASCADE, related_name="imports", verbose_name=_("creditor")
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    file = models.FileField(_("file"), max_length=200)
    original_name = models.CharField(_("file name"), max_length=255)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    status = models.CharField(_("status"), max_length=10, choices=Status, default=Status.CHECKED)
    rows = models.PositiveIntegerField(_("rows"), default=0)
    errors = models.JSONField(_("errors"), default=list, blank=True)
    cases_created = models.PositiveIntegerField(_("cases created"), default=0)
    failure = models.TextField(_("why it failed"), blank=True)
    created_at = models.DateTimeField(_("uploaded at"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    objects = TenantManager()
    creditor_path = "creditor"

    class Meta:
        verbose_name = _("case import")
        verbose_name_plural = _("case imports")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["creditor", "sha256"], name="case_import_file_idx")]

    def __str__(self) -> str:
        return self.original_name


class NotificationPreference(models.Model):
    """Which steps of its cases a creditor's user is e-mailed about."""

    class Topic(models.TextChoices):
        FORMAL_NOTICE_SENT = "formal_notice_sent", _("A formal notice is sent")
        PAYMENT_RECEIVED = "payment_received", _("A payment is received")
        HANDOFF_APPROVAL = "handoff_approval", _("Your approval is needed for court action")
        CASE_CLOSED = "case_closed", _("A case is closed")

    agency = models.ForeignKey(
        Agency, on_delete=models.CASCADE, related_name="+", verbose_name=_("agency")
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notification_preference",
        verbose_name=_("user"),
    )
    creditor = models.ForeignKey(
        Creditor, on_delete=models.CASCADE, related_name="+", verbose_name=_("creditor")
    )
    topics = ArrayField(
        models.CharField(max_length=30, choices=Topic),
        verbose_name=_("e-mail me when"),
        default=list,
        blank=True,
    )

    objects = TenantManager()
    creditor_path = "creditor"

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")

    def __str__(self) -> str:
        return f"{self.user}: {', '.join(self.topics)}"


class CaseLease(models.Model):
    """An agent's claim on a case taken from a queue ("next case"): nobody else is handed the
    case until the agent records an outcome, leaves it, or ``expires_at`` passes."""

    agency = models.ForeignKey(
        Agency, on_delete=models.CASCADE, related_name="+", verbose_name=_("agency")
    )
    case = models.OneToOneField(
        Case, on_delete=models.CASCADE, related_name="lease", verbose_name=_("case")
    )
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="case_leases",
        verbose_name=_("agent"),
    )
    claimed_at = models.DateTimeField(_("claimed at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"))

    objects = TenantManager()
    creditor_path = None  # the agency's own work: creditor users never see it

    class Meta:
        verbose_name = _("claim on a case")
        verbose_name_plural = _("claims on cases")
        indexes = [models.Index(fields=["agent"], name="case_lease_agent_idx")]

    def __str__(self) -> str:
        return f"{self.case_id} → {self.agent_id} ({self.expires_at:%H:%M})"
