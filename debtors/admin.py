from django.contrib import admin

from collectio.admin_site import TenantAdmin
from debtors.models import ContactPoint, Debtor


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
