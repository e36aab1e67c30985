from django.contrib import admin

from collectio.admin_site import ReadOnlyAdmin
from payments.models import Payment, Refund


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    """Payments are recorded by ``payment_record`` (imputation, receipt, creditor notice)."""

    list_display = ["case", "amount", "received_on", "method", "recorded_at"]
    list_select_related = ["case"]
    search_fields = ["case__reference", "bank_reference"]


@admin.register(Refund)
class RefundAdmin(ReadOnlyAdmin):
    """Overpayments are owed by ``payment_record`` and refunded from the case page."""

    list_display = ["case", "amount", "status", "refunded_on", "created_at"]
    list_filter = ["status"]
    list_select_related = ["case"]
    search_fields = ["case__reference", "bank_reference"]
