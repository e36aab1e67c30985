from django.contrib import admin

from collectio.admin_site import ReadOnlyAdmin, TenantAdmin
from debtors.models import CallTask, ContactLogEntry, ContactPoint, Debtor


class ContactPointInline(admin.TabularInline):
    model = ContactPoint
    extra = 0
    exclude = ["agency"]


@admin.register(Debtor)
class DebtorAdmin(TenantAdmin):
    list_display = ["display_name", "kind", "siren", "city"]
    list_filter = ["kind"]
    search_fields = ["name", "first_name", "siren"]
    inlines = [ContactPointInline]


@admin.register(CallTask)
class CallTaskAdmin(ReadOnlyAdmin):
    list_display = ["case", "kind", "status", "due_at", "done_at"]
    list_filter = ["status", "kind"]


@admin.register(ContactLogEntry)
class ContactLogEntryAdmin(ReadOnlyAdmin):
    list_display = ["debtor", "channel", "direction", "outcome", "agent", "at"]
    list_filter = ["channel", "outcome"]
