from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.models import CLOSE_CODES, CaseState
from cases.services import REASON_REQUIRED
from debtors.models import CallOutcome
from dunning.models import JudicialStep
from payments.models import Payment, Refund
from payments.selectors import Instalment


class DateInput(forms.DateInput):
    """``<input type="date">`` reads and writes ISO dates only, whatever the page's language:
    a value in ``01/12/2026`` would leave the field empty."""

    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format="%Y-%m-%d")


def _bounds(field: forms.Field, earliest: date | None) -> None:
    """Let the browser offer only the days the service accepts (it still checks them)."""
    field.widget.attrs["max"] = timezone.localdate().isoformat()
    if earliest is not None:
        field.widget.attrs["min"] = earliest.isoformat()


class SettlementForm(forms.Form):
    """A reduced amount the debtor offers to close the case (the convention decides who agrees)."""

    amount = forms.DecimalField(
        label=_("Amount offered (€)"), min_value=Decimal("0.01"), max_digits=14, decimal_places=2
    )
    reason = forms.CharField(
        label=_("Why accept less"), max_length=300, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Beside the payment form on the case screen: its own ids, never two #id_amount.
        kwargs.setdefault("auto_id", "id_settlement_%s")
        super().__init__(*args, **kwargs)


class PaymentForm(forms.Form):
    amount = forms.DecimalField(
        label=_("Amount (€)"), min_value=Decimal("0.01"), max_digits=14, decimal_places=2
    )
    received_on = forms.DateField(label=_("Received on"), widget=DateInput())
    method = forms.ChoiceField(label=_("Method"), choices=Payment.Method.choices)
    bank_reference = forms.CharField(label=_("Bank reference"), max_length=100, required=False)
    # Shown only once the service said the payment exceeds what is owed (PAYMENT_EXCEEDS_DUE).
    excess_owed_to_debtor = forms.BooleanField(
        label=_("The debtor did pay this much: record the excess as owed back to the debtor"),
        required=False,
        widget=forms.HiddenInput,
    )

    def __init__(self, *args: Any, earliest: date | None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _bounds(self.fields["received_on"], earliest)

    def clean_received_on(self) -> date:
        received_on = self.cleaned_data["received_on"]
        if received_on > timezone.localdate():
            raise forms.ValidationError(_("A payment cannot be received in the future."))
        return received_on

    def ask_to_confirm_excess(self) -> None:
        self.fields["excess_owed_to_debtor"].widget = forms.CheckboxInput()


class TransitionForm(forms.Form):
    """What a person confirms before ending or suspending a case: why, and for ``close`` the
    closure code. A transition that needs neither is one click (with its form token)."""

    code = forms.ChoiceField(
        label=_("Closure code"), choices=[(code.value, code.label) for code in CLOSE_CODES]
    )
    reason = forms.CharField(
        label=_("Reason"), max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, transition: str, **kwargs: Any) -> None:
        super().__init__(*args, auto_id=f"id_{transition}_%s", **kwargs)
        self.transition = transition
        if transition != "close":
            del self.fields["code"]
        if transition not in REASON_REQUIRED:
            del self.fields["reason"]


class InstalmentForm(forms.Form):
    due_on = forms.DateField(label=_("Due on"), widget=DateInput())
    amount = forms.DecimalField(
        label=_("Amount (€)"), min_value=Decimal("0.01"), max_digits=14, decimal_places=2
    )


class BaseInstalmentFormSet(forms.BaseFormSet):
    default_error_messages = {
        **forms.BaseFormSet.default_error_messages,
        "too_few_forms": _("Give the schedule: at least one instalment, with its date and amount."),
        "too_many_forms": _("A plan has at most %(num)d instalments."),
    }

    def instalments(self) -> list[Instalment]:
        """The rows filled in, for ``payments.services.payment_plan_agree`` (which checks them
        against what the debtor owes)."""
        return [
            Instalment(due_on=form.cleaned_data["due_on"], amount=form.cleaned_data["amount"])
            for form in self.forms
            if form.cleaned_data
        ]


InstalmentFormSet = forms.formset_factory(
    InstalmentForm,
    formset=BaseInstalmentFormSet,
    extra=5,
    min_num=1,
    validate_min=True,
    max_num=36,
    validate_max=True,
)


class RefundForm(forms.Form):
    """The overpayment went back to the debtor: on which day, by which transfer."""

    refunded_on = forms.DateField(label=_("Refunded on"), widget=DateInput())
    bank_reference = forms.CharField(label=_("Bank reference"), max_length=100, required=False)

    def __init__(self, *args: Any, refund: Refund, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"refunded_on": timezone.localdate()})
        super().__init__(*args, auto_id=f"id_refund{refund.pk}_%s", **kwargs)
        self.refund = refund
        _bounds(self.fields["refunded_on"], refund.payment.received_on)


class JudicialStepForm(forms.Form):
    """An injunction order issued or served, as the judicial partner reports it (REQ-E5)."""

    step = forms.ChoiceField(label=_("Step"), choices=JudicialStep.choices)
    on = forms.DateField(
        label=_("Date"),
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
        help_text=_("For a service not made to the debtor in person: the first act that was."),
    )


class BootstrapForm(forms.Form):
    """Fields drawn with Bootstrap's classes, marked ``is-invalid`` when they have an error."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.HiddenInput):
                continue
            css = "form-select" if isinstance(widget, forms.Select) else "form-control"
            widget.attrs["class"] = f"{css} {widget.attrs.get('class', '')}".strip()

    def add_error(self, field: str | None, error: Any) -> None:
        super().add_error(field, error)
        self._mark_invalid()

    def full_clean(self) -> None:
        super().full_clean()
        self._mark_invalid()

    def _mark_invalid(self) -> None:
        for name in self._errors or {}:
            if name in self.fields:
                widget = self.fields[name].widget
                css = widget.attrs.get("class", "")
                if "is-invalid" not in css:
                    widget.attrs["class"] = f"{css} is-invalid".strip()
                widget.attrs["aria-invalid"] = "true"


class QueueFilterForm(BootstrapForm):
    """The queue page's filters (GET): each narrows the queue, none is required."""

    queue = forms.ChoiceField(label=_("Queue"), required=False)
    creditor = forms.ModelChoiceField(label=_("Creditor"), queryset=None, required=False)
    agent = forms.ModelChoiceField(label=_("Agent"), queryset=None, required=False)
    state = forms.ChoiceField(label=_("State"), required=False)
    min_amount = forms.DecimalField(
        label=_("Principal from (€)"), min_value=Decimal("0"), required=False, decimal_places=2
    )
    max_amount = forms.DecimalField(
        label=_("Principal up to (€)"), min_value=Decimal("0"), required=False, decimal_places=2
    )
    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=100,
        help_text=_("Reference, name, SIREN, phone or invoice number"),
    )

    def __init__(
        self, *args: Any, queues: list[Any], creditors: Any, agents: Any, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["queue"].choices = [(q.key, q.label) for q in queues]
        self.fields["creditor"].queryset = creditors
        self.fields["creditor"].empty_label = _("All creditors")
        self.fields["agent"].queryset = agents
        self.fields["agent"].empty_label = _("All agents")
        self.fields["agent"].label_from_instance = lambda user: user.get_full_name() or user.email
        self.fields["state"].choices = [("", _("All states")), *CaseState.choices]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        low, high = data.get("min_amount"), data.get("max_amount")
        if low is not None and high is not None and low > high:
            self.add_error("max_amount", _("The upper bound is below the lower one."))
        return data


class DateTimeInput(forms.DateTimeInput):
    """``<input type="datetime-local">``, which reads and writes ``2026-12-02T14:30`` only."""

    input_type = "datetime-local"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format="%Y-%m-%dT%H:%M")


class OutcomeForm(BootstrapForm):
    """One call's outcome; the details only the outcomes that need them ask for."""

    outcome = forms.ChoiceField(label=_("Outcome"), choices=CallOutcome.choices)
    contact = forms.IntegerField(required=False, widget=forms.HiddenInput)
    callback_at = forms.DateTimeField(
        label=_("Call back on"),
        required=False,
        widget=DateTimeInput(),
        input_formats=["%Y-%m-%dT%H:%M"],
    )
    reason = forms.CharField(
        label=_("What the debtor disputes"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    summary = forms.CharField(
        label=_("What the debtor proposes"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class PromiseForm(BootstrapForm):
    amount = forms.DecimalField(
        label=_("Amount promised (€)"), min_value=Decimal("0.01"), max_digits=14, decimal_places=2
    )
    due_on = forms.DateField(label=_("Paid by"), widget=DateInput())
    contact = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, auto_id="id_promise_%s", **kwargs)
        self.fields["due_on"].widget.attrs["min"] = timezone.localdate().isoformat()


class NoteForm(BootstrapForm):
    text = forms.CharField(
        label=_("Note"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class ReviewForm(BootstrapForm):
    """The decision on a new case: accept (collection starts) or decline, saying why."""

    DECISIONS = (("accept", _("Accept")), ("reject", _("Decline")))

    decision = forms.ChoiceField(label=_("Decision"), choices=DECISIONS)
    reason = forms.CharField(
        label=_("Reason given to the creditor"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("decision") == "reject" and not (data.get("reason") or "").strip():
            self.add_error("reason", _("Tell the creditor why the case is declined."))
        return data
