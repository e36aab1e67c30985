"""The back-office's forms: labels and French errors from the models, Bootstrap's look."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.models import Creditor
from cases.services import CREDITOR_FIELDS
from collectio.forms import BootstrapMixin
from collectio.models import Agency, AgencyDocument, Role
from collectio.services import PREREQUISITE_FIELDS
from dunning.models import Channel, Step
from dunning.services import STEP_FIELDS
from notices.linter import wording_errors
from notices.models import LetterTemplate

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")

# The convention's form, in the sections an admin reads it in (R124-3).
CREDITOR_SECTIONS = (
    (_("Identity"), ("legal_name", "siren", "siret", "vat_number", "is_private_person")),
    (_("Address"), ("address_line1", "address_line2", "postcode", "city", "country")),
    (_("Contact"), ("contact_name", "contact_email", "contact_phone")),
    (_("Commission and remittances"), ("commission_rate", "iban", "mandate_fee_terms",
                                       "mandate_remittance_terms")),
    (_("Mandate (R124-3)"), ("mandate_reference", "mandate_signed_on", "mandate_sums_basis",
                              "mandate_insurance_terms")),
    (_("Powers and bounds"), ("mandate_allows_receiving_funds", "mandate_allows_payment_plans",
                              "plan_max_months", "settlement_min_percent",
                              "mandate_allows_litigation", "handoff_requires_approval")),
)  # fmt: skip


class CreditorForm(BootstrapMixin, forms.ModelForm):
    class Meta:
        model = Creditor
        fields = list(CREDITOR_FIELDS)
        widgets = {
            "mandate_signed_on": DATE,
            "mandate_sums_basis": forms.Textarea(attrs={"rows": 2}),
            "mandate_insurance_terms": forms.Textarea(attrs={"rows": 2}),
            "mandate_fee_terms": forms.Textarea(attrs={"rows": 2}),
            "mandate_remittance_terms": forms.Textarea(attrs={"rows": 2}),
        }
        labels = {"mandate_allows_payment_plans": _("authority to agree payment plans")}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["country"].widget.attrs["maxlength"] = 2

    def clean_mandate_signed_on(self) -> Any:
        signed = self.cleaned_data.get("mandate_signed_on")
        if signed and signed > timezone.localdate():
            raise forms.ValidationError(_("The mandate cannot be signed in the future."))
        return signed

    def sections(self) -> list[tuple[Any, list[forms.BoundField]]]:
        return [(title, [self[name] for name in names]) for title, names in CREDITOR_SECTIONS]


class InvitationForm(BootstrapMixin, forms.Form):
    email = forms.EmailField(label=_("E-mail address"))
    first_name = forms.CharField(label=_("First name"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
    creditor = forms.ModelChoiceField(
        label=_("Creditor"),
        queryset=Creditor.objects.none(),
        required=False,
        help_text=_("Only for a creditor user: the client company they belong to."),
    )

    def __init__(self, *args: Any, agency: Agency, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["creditor"].queryset = Creditor.objects.filter(agency=agency)


class RoleForm(BootstrapMixin, forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
    creditor = forms.ModelChoiceField(
        label=_("Creditor"), queryset=Creditor.objects.none(), required=False
    )

    def __init__(self, *args: Any, agency: Agency, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["creditor"].queryset = Creditor.objects.filter(agency=agency)


class PrerequisitesForm(BootstrapMixin, forms.ModelForm):
    class Meta:
        model = Agency
        fields = PREREQUISITE_FIELDS
        widgets = {"rc_policy_expires_on": DATE, "prosecutor_declaration_on": DATE}


class AgencyDocumentForm(BootstrapMixin, forms.ModelForm):
    class Meta:
        model = AgencyDocument
        fields = ["kind", "dated", "file"]
        widgets = {"dated": DATE}

    def clean_dated(self) -> Any:
        dated = self.cleaned_data.get("dated")
        if dated and dated > timezone.localdate():
            raise forms.ValidationError(_("A document cannot be dated in the future."))
        return dated


class ScenarioNameForm(BootstrapMixin, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)


class StepForm(BootstrapMixin, forms.ModelForm):
    """One step of the editor; ``id`` names the step it changes (empty: a new step)."""

    id = forms.IntegerField(widget=forms.HiddenInput, required=False)
    channels = forms.MultipleChoiceField(
        label=_("Channels"), choices=Channel.choices, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = Step
        fields = STEP_FIELDS

    def __init__(self, *args: Any, wordings: dict[str, str] | None = None, **kwargs: Any) -> None:
        """``wordings``: which of the agency's wordings each letter would carry (its version)."""
        super().__init__(*args, **kwargs)
        field = self.fields["letter_template"]
        field.choices = [
            (
                value,
                f"{label} · {wordings[value]}"
                if value and wordings and value in wordings
                else label,
            )
            for value, label in field.choices
        ]

    def step_values(self) -> dict[str, object]:
        return {"id": self.cleaned_data.get("id"), **{n: self.cleaned_data[n] for n in STEP_FIELDS}}


StepFormSet = forms.formset_factory(StepForm, extra=0, can_delete=True, can_order=True)


class ScenarioCopyForm(BootstrapMixin, forms.Form):
    name = forms.CharField(label=_("Name of the new scenario"), max_length=100)
    creditor = forms.ModelChoiceField(
        label=_("For the creditor"),
        queryset=Creditor.objects.none(),
        required=False,
        help_text=_("Empty: another scenario of the agency."),
    )

    def __init__(self, *args: Any, agency: Agency, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["creditor"].queryset = Creditor.objects.filter(
            agency=agency, scenarios__isnull=True
        )


class LetterTemplateForm(BootstrapMixin, forms.Form):
    body = forms.CharField(
        label=_("Wording"),
        widget=forms.Textarea(attrs={"rows": 14, "class": "font-monospace", "spellcheck": "true"}),
        help_text=LetterTemplate._meta.get_field("body").help_text,
    )
    note = forms.CharField(
        label=_("What changed (for the history)"), max_length=200, required=False
    )

    def clean_body(self) -> str:
        """The linter's messages, each under the wording (REQ-A9 and the variables)."""
        body = self.cleaned_data["body"]
        if errors := wording_errors(body):
            raise forms.ValidationError(errors)
        return body
