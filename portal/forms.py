"""The creditor's forms: the case handed over (debtor, invoices, grounds), the import, the actions.

Rules live in the services (``debtors.services.debtor_input_errors``, ``cases.intake``,
``validate_claim_contract_rate``): the forms call them so that every error lands on its field,
in French, before anything is written.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.forms import formset_factory
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.intake import DocumentInput
from cases.models import (
    CaseDocument,
    CaseState,
    Claim,
    NotificationPreference,
    validate_claim_contract_rate,
)
from cases.services import ClaimInput
from collectio.uploads import ALLOWED_TYPES, validate_upload
from debtors.models import Debtor
from debtors.services import DebtorInput, debtor_input_errors
from payments.models import Payment

ACCEPT = ",".join([*ALLOWED_TYPES, ".pdf", ".jpg", ".jpeg", ".png"])
PHONE = re.compile(r"(?:\+\d{2,3}|0)\d{9}|\+\d{8,15}")
MAX_INVOICES = 50


class DateInput(forms.DateInput):
    """``<input type="date">`` reads and writes ISO dates, whatever the page's language."""

    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format="%Y-%m-%d")


class AmountField(forms.DecimalField):
    """An amount typed the French way (``1 250,50 €``) or the English one (``1250.50``)."""

    widget = forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"})

    def to_python(self, value: Any) -> Decimal | None:
        if isinstance(value, str):
            value = re.sub(r"[\s\u202f\xa0€%]", "", value)
            if "," in value:
                value = value.replace(".", "").replace(",", ".")
        if value in self.empty_values:
            return None
        try:
            return Decimal(str(value))
        except InvalidOperation as error:
            raise ValidationError(self.error_messages["invalid"], code="invalid") from error


class BootstrapMixin:
    """Bootstrap's classes on every widget, ``is-invalid`` on the fields in error."""

    def _style(self) -> None:
        for name, field in self.fields.items():  # type: ignore[attr-defined]
            widget = field.widget
            if isinstance(widget, forms.RadioSelect | forms.CheckboxInput):
                css = "form-check-input"
            elif isinstance(widget, forms.Select):
                css = "form-select"
            else:
                css = "form-control"
            if self.is_bound and name in self.errors:  # type: ignore[attr-defined]
                css += " is-invalid"
                widget.attrs["aria-invalid"] = "true"
            widget.attrs["class"] = css

    def full_clean(self) -> None:
        super().full_clean()  # type: ignore[misc]
        self._style()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._style()


class DebtorForm(BootstrapMixin, forms.Form):
    kind = forms.ChoiceField(
        label=_("The debtor is"),
        choices=[(k.value, k.label) for k in Debtor.Kind],
        widget=forms.RadioSelect,
        initial=Debtor.Kind.COMPANY,
    )
    siren = forms.CharField(
        label=_("SIREN"),
        max_length=11,
        required=False,
        help_text=_("9 digits, on the invoice or the Kbis extract. Required for a company."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    name = forms.CharField(label=_("Legal name or surname"), max_length=200)
    first_name = forms.CharField(label=_("First name"), max_length=100, required=False)
    address_line1 = forms.CharField(
        label=_("Address"), max_length=200, widget=forms.TextInput(attrs={"autocomplete": "off"})
    )
    address_line2 = forms.CharField(label=_("Address (continued)"), max_length=200, required=False)
    postcode = forms.CharField(
        label=_("Postcode"),
        max_length=10,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    city = forms.CharField(label=_("City"), max_length=100)
    email = forms.EmailField(label=_("E-mail"), required=False)
    phone = forms.CharField(
        label=_("Phone"),
        max_length=30,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["siren"].widget.attrs["data-check-url"] = reverse("portal:debtor_lookup")

    def clean_phone(self) -> str:
        phone = re.sub(r"[\s.\-()]", "", self.cleaned_data["phone"])
        if phone and not PHONE.fullmatch(phone):
            raise ValidationError(
                _("Enter a phone number of 10 digits (01 23 45 67 89) or in the +33 form.")
            )
        return phone

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if "kind" in data:
            for field, messages in debtor_input_errors(self.as_input(data)).items():
                if field not in self.errors and field in self.fields:
                    for message in messages:
                        self.add_error(field, message)
        return data

    @staticmethod
    def as_input(data: dict[str, Any]) -> DebtorInput:
        return DebtorInput(
            kind=data.get("kind", ""),
            name=data.get("name", ""),
            first_name=data.get("first_name", ""),
            siren=data.get("siren", ""),
            address_line1=data.get("address_line1", ""),
            address_line2=data.get("address_line2", ""),
            postcode=data.get("postcode", ""),
            city=data.get("city", ""),
            email=data.get("email", ""),
            phone=data.get("phone", ""),
        )

    def debtor_input(self) -> DebtorInput:
        return self.as_input(self.cleaned_data)


class ClaimForm(BootstrapMixin, forms.Form):
    invoice_number = forms.CharField(label=_("Invoice number"), max_length=50)
    invoice_date = forms.DateField(label=_("Invoice date"), widget=DateInput())
    due_date = forms.DateField(
        label=_("Due date"),
        widget=DateInput(),
        required=False,
        help_text=_("Empty: 30 days after the invoice, as the law says."),
    )
    principal = AmountField(
        label=_("Amount incl. VAT (€)"),
        max_digits=14,
        decimal_places=2,
        min_value=Decimal("0.01"),
    )
    document = forms.FileField(
        label=_("Invoice (PDF, JPEG or PNG, 10 MB at most)"),
        required=False,
        validators=[validate_upload],
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPT}),
    )

    def clean_invoice_date(self) -> date:
        day = self.cleaned_data["invoice_date"]
        if day > timezone.localdate():
            raise ValidationError(_("The invoice date cannot be in the future."))
        return day

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        invoiced, due = data.get("invoice_date"), data.get("due_date")
        if invoiced and due and due < invoiced:
            self.add_error("due_date", _("The due date cannot come before the invoice date."))
        return data


class BaseClaimFormSet(forms.BaseFormSet):
    def clean(self) -> None:
        if any(self.errors):
            return
        if not any(f.cleaned_data for f in self.forms):
            raise ValidationError(_("Add at least one invoice."))
        numbers = [(f.cleaned_data or {}).get("invoice_number", "").strip() for f in self.forms]
        for form, number in zip(self.forms, numbers, strict=True):
            if number and numbers.count(number) > 1:
                form.add_error("invoice_number", _("This invoice number is entered twice."))


ClaimFormSet = formset_factory(
    ClaimForm,
    formset=BaseClaimFormSet,
    extra=0,
    min_num=1,
    max_num=MAX_INVOICES,
    validate_min=True,
    validate_max=True,
)


class CaseForm(BootstrapMixin, forms.Form):
    debt_kind = forms.ChoiceField(
        label=_("The debt is"),
        choices=[(k.value, k.label) for k in Claim.DebtKind],
        widget=forms.RadioSelect,
        initial=Claim.DebtKind.B2B,
    )
    contract_rate = AmountField(
        label=_("Contractual late-payment rate (%)"),
        required=False,
        max_digits=6,
        decimal_places=3,
        min_value=Decimal("0"),
        max_value=Decimal("100"),
        help_text=_("Only if your terms set one; it cannot be below three times the legal rate."),
    )
    basis = forms.CharField(
        label=_("What grounds the debt"),
        max_length=500,
        required=False,
        help_text=_("The contract, quote or terms of sale the debtor accepted, and their date."),
        widget=forms.TextInput(),
    )
    contract_document = forms.FileField(
        label=_("Contract or terms (PDF, JPEG or PNG)"),
        required=False,
        validators=[validate_upload],
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPT}),
    )
    notes = forms.CharField(
        label=_("Notes for the agency"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    confirm_duplicates = forms.BooleanField(
        label=_("I confirm: hand these invoices over again"),
        required=False,
        widget=forms.HiddenInput,
    )

    def ask_to_confirm_duplicates(self) -> None:
        self.fields["confirm_duplicates"].widget = forms.CheckboxInput(
            attrs={"class": "form-check-input"}
        )


class IntakeForms:
    """The one page that hands a case over: debtor, invoices, the case's terms."""

    def __init__(
        self, data: Any = None, files: Any = None, *, initial: dict[str, Any] | None = None
    ) -> None:
        initial = initial or {}
        self.debtor = DebtorForm(data, prefix="debtor", initial=initial.get("debtor"))
        self.claims = ClaimFormSet(data, files, prefix="claims", initial=initial.get("claims"))
        self.case = CaseForm(data, files, prefix="case", initial=initial.get("case"))

    @property
    def is_bound(self) -> bool:
        return self.debtor.is_bound

    def is_valid(self) -> bool:
        valid = all([self.debtor.is_valid(), self.claims.is_valid(), self.case.is_valid()])
        return self._check_rate() and valid

    def _check_rate(self) -> bool:
        """The contract rate against its floor, over each invoice's late period."""
        if not self.case.is_valid() or not self.claims.is_valid():
            return True
        rate = self.case.cleaned_data.get("contract_rate")
        if rate is None:
            return True
        today = timezone.localdate()
        for claim in self.claim_inputs():
            try:
                validate_claim_contract_rate(rate, due_date=claim.effective_due_date, on=today)
            except ValidationError as error:
                for message in error.message_dict.get("contract_rate", error.messages):
                    self.case.add_error("contract_rate", message)
                self.case._style()
                return False
        return True

    def claim_inputs(self) -> list[ClaimInput]:
        kind = self.case.cleaned_data["debt_kind"]
        rate = self.case.cleaned_data.get("contract_rate")
        return [
            ClaimInput(
                invoice_number=f.cleaned_data["invoice_number"].strip(),
                invoice_date=f.cleaned_data["invoice_date"],
                due_date=f.cleaned_data.get("due_date")
                or f.cleaned_data["invoice_date"] + timedelta(days=30),
                principal=f.cleaned_data["principal"],
                debt_kind=kind,
                contract_rate=rate,
            )
            for f in self.filled_claims()
        ]

    def filled_claims(self) -> list[forms.Form]:
        """The invoice rows typed in (a row added then left empty, or removed, is skipped)."""
        return [f for f in self.claims.forms if f.cleaned_data]

    def documents(self) -> list[DocumentInput]:
        documents = [
            DocumentInput(
                file=f.cleaned_data["document"],
                kind=CaseDocument.Kind.INVOICE,
                invoice_number=f.cleaned_data["invoice_number"].strip(),
            )
            for f in self.filled_claims()
            if f.cleaned_data.get("document")
        ]
        if self.case.cleaned_data.get("contract_document"):
            documents.append(
                DocumentInput(
                    file=self.case.cleaned_data["contract_document"],
                    kind=CaseDocument.Kind.CONTRACT,
                )
            )
        return documents

    def draft_data(self) -> dict[str, Any]:
        """What a draft keeps: the typed fields, never the files."""
        data = self.debtor.data
        keep = {"debtor-", "claims-", "case-"}
        return {
            key: data.getlist(key) if len(data.getlist(key)) > 1 else data.get(key)
            for key in data
            if any(key.startswith(p) for p in keep)
        }


class DocumentForm(BootstrapMixin, forms.Form):
    kind = forms.ChoiceField(label=_("Kind of document"), choices=CaseDocument.Kind.choices)
    file = forms.FileField(
        label=_("File (PDF, JPEG or PNG, 10 MB at most)"),
        validators=[validate_upload],
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPT}),
    )


class ReasonForm(BootstrapMixin, forms.Form):
    reason = forms.CharField(
        label=_("Reason"), max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )


class HoldForm(ReasonForm):
    until = forms.DateField(label=_("On hold until"), widget=DateInput())

    field_order = ["until", "reason"]

    def clean_until(self) -> date:
        until = self.cleaned_data["until"]
        today = timezone.localdate()
        if until <= today:
            raise ValidationError(_("Choose a day after today."))
        if until > today + timedelta(days=365):
            raise ValidationError(_("A hold lasts a year at most."))
        return until


class HandoffForm(BootstrapMixin, forms.Form):
    reason = forms.CharField(
        label=_("Your instruction (optional)"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class SettlementAnswerForm(BootstrapMixin, forms.Form):
    """The creditor's answer to a settlement the agency negotiated beyond the convention."""

    decision = forms.ChoiceField(
        label=_("Your answer"),
        choices=[("approve", _("I accept this settlement")), ("refuse", _("I refuse it"))],
        widget=forms.RadioSelect,
    )


class DirectPaymentForm(BootstrapMixin, forms.Form):
    """A payment the debtor made to the creditor directly."""

    amount = AmountField(
        label=_("Amount received (€)"), min_value=Decimal("0.01"), max_digits=14, decimal_places=2
    )
    received_on = forms.DateField(label=_("Received on"), widget=DateInput())
    method = forms.ChoiceField(label=_("Method"), choices=Payment.Method.choices)
    bank_reference = forms.CharField(
        label=_("Reference (bank transfer, cheque number)"), max_length=100, required=False
    )

    def clean_received_on(self) -> date:
        received_on = self.cleaned_data["received_on"]
        if received_on > timezone.localdate():
            raise ValidationError(_("A payment cannot be received in the future."))
        return received_on


class ImportForm(BootstrapMixin, forms.Form):
    file = forms.FileField(
        label=_("File (CSV or XLSX, 10 MB at most)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx,text/csv"}),
    )


class NotificationForm(BootstrapMixin, forms.Form):
    topics = forms.MultipleChoiceField(
        label=_("E-mail me when"),
        choices=NotificationPreference.Topic.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )


class CaseFilterForm(forms.Form):
    """The list's filters, from the query string; bad values are ignored, not errors."""

    SORTS = {
        "-opened": ("-opened_at", _("Newest first")),
        "opened": ("opened_at", _("Oldest first")),
        "-due": ("-principal_due", _("Largest amount due")),
        "due": ("principal_due", _("Smallest amount due")),
        "debtor": ("debtor__name", _("Debtor A → Z")),
        "reference": ("reference", _("Reference")),
    }
    q = forms.CharField(
        label=_("Search"),
        required=False,
        widget=forms.SearchInput(
            attrs={
                "class": "form-control",
                "placeholder": _("Reference, debtor, SIREN or invoice number"),
            }
        ),
    )
    state = forms.ChoiceField(
        label=_("State"),
        required=False,
        choices=[("", _("All")), ("open", _("In progress")), *CaseState.choices],
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    opened_from = forms.DateField(
        label=_("Opened from"), required=False, widget=DateInput(attrs={"class": "form-control"})
    )
    opened_to = forms.DateField(
        label=_("Opened until"), required=False, widget=DateInput(attrs={"class": "form-control"})
    )
    amount_min = AmountField(
        label=_("Due from (€)"),
        required=False,
        widget=forms.TextInput(attrs={"class": "form-control", "inputmode": "decimal"}),
    )
    amount_max = AmountField(
        label=_("Due up to (€)"),
        required=False,
        widget=forms.TextInput(attrs={"class": "form-control", "inputmode": "decimal"}),
    )
    sort = forms.ChoiceField(
        label=_("Sort"),
        required=False,
        choices=[(k, v[1]) for k, v in SORTS.items()],
        widget=forms.Select(attrs={"class": "form-select"}),
    )

    def filters(self) -> dict[str, Any]:
        if not self.is_valid():
            return {
                k: v
                for k, v in self.cleaned_data.items()
                if k not in self.errors and v not in (None, "")
            }
        return {k: v for k, v in self.cleaned_data.items() if v not in (None, "")}
