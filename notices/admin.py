"""Back-office: agencies edit their letter wording; documents are read-only evidence."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from collectio.admin_site import DocumentAdmin, TenantAdmin
from notices import services
from notices.models import JudicialDossier, LetterTemplate, Notice, PrintBatch
from notices.selectors import LetterBlocked


@admin.register(LetterTemplate)
class LetterTemplateAdmin(TenantAdmin):
    """Only the free wording is editable; the model's clean() runs the linter (REQ-A9)."""

    list_display = ["kind", "updated_at"]
    fields = ["kind", "body"]


@admin.register(Notice)
class NoticeAdmin(DocumentAdmin):
    list_display = [
        "reference",
        "kind",
        "channel",
        "status",
        "case",
        "sent_at",
        "tracking_number",
        "acknowledged_on",
        "attempts",
    ]
    list_filter = ["status", "kind", "channel"]
    search_fields = ["reference", "case__reference", "tracking_number"]
    list_select_related = ["case"]
    actions = ["retry"]

    def document_filename(self, obj: Notice) -> str:
        return f"{obj.reference}.pdf"

    @admin.action(description=_("Retry the selected failed notices"))
    def retry(self, request: HttpRequest, queryset: QuerySet[Notice]) -> None:
        for notice in queryset.filter(status=Notice.Status.FAILED):
            try:
                services.notice_retry(notice=notice, actor=request.user)
            except LetterBlocked as exc:
                self.message_user(request, f"{notice}: {exc}", messages.ERROR)


@admin.register(PrintBatch)
class PrintBatchAdmin(DocumentAdmin):
    list_display = ["created_at", "letter_count", "page_count", "submitted_at"]


@admin.register(JudicialDossier)
class JudicialDossierAdmin(DocumentAdmin):
    list_display = ["case", "statement_on", "page_count", "created_at"]
