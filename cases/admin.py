from django.contrib import admin

from cases.models import Case, CaseEvent, Claim, Creditor
from collectio.admin_site import ReadOnlyAdmin, TenantAdmin, TenantInline


@admin.register(Creditor)
class CreditorAdmin(TenantAdmin):
    list_display = ["legal_name", "siren", "city", "mandate_reference", "commission_rate"]
    search_fields = ["legal_name", "siren"]


class ClaimInline(TenantInline):
    """Read-only: claims are written by cases.services so the case totals stay right."""

    model = Claim
    extra = 0
    can_delete = False
    fields = ["invoice_number", "invoice_date", "due_date", "principal", "debt_kind"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Case)
class CaseAdmin(ReadOnlyAdmin):
    """Read-only for everyone: a case opens through ``case_open``, changes state through its
    transitions and records its legal facts (closure, limitation, handoff approval, notice
    receipt, next step) through services that write the matching event, never a raw edit."""

    list_display = ["reference", "creditor", "debtor", "state", "principal_due", "next_action_at"]
    list_filter = ["state"]
    search_fields = ["reference", "debtor__name", "creditor__legal_name"]
    list_select_related = ["creditor", "debtor"]
    inlines = [ClaimInline]


@admin.register(CaseEvent)
class CaseEventAdmin(ReadOnlyAdmin):
    list_display = ["case", "at", "kind", "from_state", "to_state", "actor"]
    list_filter = ["kind"]
    list_select_related = ["case", "actor"]
