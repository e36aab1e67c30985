from django.contrib import admin
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet

from collectio.admin_site import ReadOnlyAdmin, TenantAdmin
from dunning.models import ReferenceRate, Scenario, Step, StepExecution, validate_step_order


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


class StepInline(admin.TabularInline):
    """Edits apply to open cases' future steps: a case points at its next step, not a copy."""

    model = Step
    formset = StepFormSet
    extra = 0
    exclude = ["agency"]


@admin.register(Scenario)
class ScenarioAdmin(TenantAdmin):
    list_display = ["name", "creditor", "is_default"]
    inlines = [StepInline]


@admin.register(StepExecution)
class StepExecutionAdmin(ReadOnlyAdmin):
    list_display = ["case", "step", "status", "executed_at", "effects"]
    list_filter = ["status", "effects"]
    list_select_related = ["case", "step"]
