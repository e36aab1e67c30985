from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from collectio.admin_site import ReadOnlyAdmin, TenantInline
from payments.models import Payment, PaymentPlan, PlanInstalment, Refund


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    """Payments are recorded by ``payment_record`` (imputation, receipt, creditor notice)."""

    list_display = ["case", "amount", "received_on", "method", "recorded_at"]
    list_select_related = ["case"]
    search_fields = ["case__reference", "bank_reference"]


class PlanInstalmentInline(TenantInline):
    model = PlanInstalment
    fields = ["position", "due_on", "amount"]
    extra = 0

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(PaymentPlan)
class PaymentPlanAdmin(ReadOnlyAdmin):
    """Plans are agreed by ``payment_plan_agree`` (with the case's transition and its letter)."""

    list_display = ["case", "agreed_on", "total", "interest", "status"]
    list_filter = ["status", "interest"]
    list_select_related = ["case"]
    search_fields = ["case__reference"]
    inlines = [PlanInstalmentInline]


@admin.register(Refund)
class RefundAdmin(ReadOnlyAdmin):
    """Overpayments are owed by ``payment_record`` and refunded from the case page."""

    list_display = ["case", "amount", "status", "refunded_on", "created_at"]
    list_filter = ["status"]
    list_select_related = ["case"]
    search_fields = ["case__reference", "bank_reference"]
