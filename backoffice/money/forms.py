"""Forms of the agency's money pages: labels in French through gettext, errors per field."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from payments.bankfiles import MAX_FILE_BYTES


class BootstrapForm(forms.Form):
    """Bootstrap classes on every widget, and ``is-invalid`` on those with an error."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput | forms.RadioSelect):
                css = "form-check-input"
            else:
                css = "form-control form-control-sm"
            widget.attrs["class"] = css

    def full_clean(self) -> None:
        super().full_clean()
        for name in self.errors:
            if name in self.fields:
                self.fields[name].widget.attrs["class"] += " is-invalid"


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format="%Y-%m-%d")


class StatementUploadForm(BootstrapForm):
    file = forms.FileField(
        label=_("Statement file (CAMT.053 or CSV)"),
        help_text=_("The statement of your dedicated collection account, as your bank sends it."),
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_FILE_BYTES:
            raise forms.ValidationError(_("The file is larger than 20 MB."))
        return upload


class LineResolveForm(BootstrapForm):
    """What an agent decides for a queued line: the case it pays, or that it is no debtor's."""

    ACTIONS = (("record", _("Record as a payment")), ("ignore", _("Not a debtor's payment")))

    action = forms.ChoiceField(label=_("Decision"), choices=ACTIONS, widget=forms.RadioSelect)
    case_reference = forms.CharField(
        label=_("Case reference"),
        max_length=20,
        required=False,
        help_text=_("For example C-2026-000123."),
    )
    excess_owed_to_debtor = forms.BooleanField(
        label=_("The debtor did pay this much: record the excess as owed back to the debtor"),
        required=False,
    )
    note = forms.CharField(label=_("Note"), max_length=300, required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("action") == "record" and not data.get("case_reference", "").strip():
            self.add_error("case_reference", _("Give the reference of the case this pays."))
        if data.get("action") == "ignore" and not data.get("note", "").strip():
            self.add_error("note", _("Say what this money is, for the reconciliation."))
        return data


class ExecutedForm(BootstrapForm):
    executed_on = forms.DateField(label=_("Executed on"), widget=DateInput())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["executed_on"].widget.attrs["max"] = timezone.localdate().isoformat()
        self.fields["executed_on"].initial = timezone.localdate()


class PeriodForm(BootstrapForm):
    start = forms.DateField(label=_("From"), widget=DateInput())
    end = forms.DateField(label=_("To"), widget=DateInput())

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end and end < start:
            self.add_error("end", _("The period ends before it starts."))
        return data

    @staticmethod
    def this_year() -> tuple[date, date]:
        today = timezone.localdate()
        return date(today.year, 1, 1), today
