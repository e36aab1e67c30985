from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet
from django.utils.translation import gettext_lazy as _

from collectio.admin_site import ReadOnlyAdmin, TenantAdmin, TenantInline
from dunning.models import (
    Channel,
    ReferenceRate,
    Scenario,
    Step,
    StepExecution,
    validate_step_order,
)


@admin.register(ReferenceRate)
class ReferenceRateAdmin(admin.ModelAdmin):
    """Global data: only platform operators enter the semester's published rates (or import
    them with ``manage.py import_reference_rates``)."""

    list_display = ["semester", "kind", "rate", "verified", "source"]
    list_filter = ["kind", "verified"]


class StepFormSet(BaseInlineFormSet):
    def clean(self) -> None:
        super().clean()
        kept = [
            f.cleaned_data
            for f in self.forms
            if f.cleaned_data and not f.cleaned_data.get("DELETE", False)
        ]
        kept.sort(key=lambda data: data["position"])
        try:
            validate_step_order([data["action"] for data in kept])
        except ValidationError as error:
            raise ValidationError(error.messages) from error


class StepForm(forms.ModelForm):
    """Channels are ticked from the list, not typed: no unknown channel can be entered."""

    channels = forms.MultipleChoiceField(
        label=_("channels"), choices=Channel.choices, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = Step
        fields = [
            "position",
            "action",
            "delay",
            "delay_unit",
            "channels",
            "letter_template",
            "payment_deadline_days",
            "deadline_from_acknowledgement",
            "requires_confirmation",
        ]


class StepInline(TenantInline):
    """Edits apply to open cases' future steps: a case points at its next step, not a copy."""

    model = Step
    form = StepForm
    formset = StepFormSet
    extra = 0


@admin.register(Scenario)
class ScenarioAdmin(TenantAdmin):
    list_display = ["name", "creditor", "is_default"]
    inlines = [StepInline]


@admin.register(StepExecution)
class StepExecutionAdmin(ReadOnlyAdmin):
    list_display = ["case", "step", "status", "executed_at"]
    list_filter = ["status"]
    list_select_related = ["case", "step"]
