from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _

from collectio import services
from collectio.admin_site import ReadOnlyAdmin, TenantAdmin
from collectio.models import Agency, ConfigChange, Invitation, Membership, User
from collectio.outbox import OutboxMessage


@admin.register(Agency)
class AgencyAdmin(admin.ModelAdmin):
    list_display = ["legal_name", "siren", "city", "rc_policy_expires_on", "require_admin_2fa"]
    search_fields = ["legal_name", "siren"]
    prepopulated_fields = {"slug": ["legal_name"]}
    readonly_fields = ["webhook_secret", "webhook_urls"]
    actions = ["rotate_webhook_secret"]

    @admin.display(description=_("webhook addresses"))
    def webhook_urls(self, agency: Agency) -> str:
        if not agency.pk:
            return "-"
        return format_html_join(
            "",
            "<div>{}: <code>{}</code></div>",
            (
                (_("registered mail"), reverse("notices:post_webhook", args=[agency.slug])),
                (_("e-mail bounces"), reverse("notices:email_bounce_webhook", args=[agency.slug])),
            ),
        )

    @admin.action(description=_("Draw a new webhook secret for the selected agencies"))
    def rotate_webhook_secret(self, request: HttpRequest, queryset: QuerySet[Agency]) -> None:
        for agency in queryset:
            services.agency_rotate_webhook_secret(agency=agency)


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "first_name", "last_name", "is_staff", "is_active"]
    search_fields = ["email", "first_name", "last_name"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Personal info"), {"fields": ("first_name", "last_name")}),
        (_("Permissions"), {"fields": ("is_active", "is_staff", "is_superuser")}),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)


@admin.register(Membership)
class MembershipAdmin(TenantAdmin):
    list_display = ["user", "role", "creditor", "agency"]
    list_filter = ["role"]


@admin.register(OutboxMessage)
class OutboxMessageAdmin(ReadOnlyAdmin):
    """What is left to do or failed for good; the relay and the handlers write these rows."""

    list_display = ["kind", "key", "status", "attempts", "available_at", "last_error"]
    list_filter = ["status", "kind"]
    search_fields = ["key"]


@admin.register(ConfigChange)
class ConfigChangeAdmin(ReadOnlyAdmin):
    """The audit of configuration changes, written by the back-office's services only."""

    list_display = ["at", "actor", "target", "target_label", "summary"]
    list_filter = ["target"]
    search_fields = ["target_label", "summary", "actor__email"]


@admin.register(Invitation)
class InvitationAdmin(ReadOnlyAdmin):
    """Invitations are sent, resent and revoked from the back-office; the token is never shown."""

    list_display = ["email", "role", "creditor", "created_at", "expires_at", "accepted_at"]
    exclude = ["token_hash"]
