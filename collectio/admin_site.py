"""Admin scoping: platform superusers see everything; agency staff see only their agency."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.contrib.auth import get_user_model
from django.db.models import ForeignKey, QuerySet
from django.http import FileResponse, Http404, HttpRequest
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from collectio.access import visible

# Django's French admin titles read "Ajout de %s", wrong before a vowel ("Ajout de utilisateur").
# Our catalogue (LOCALE_PATHS, read before Django's) words them to fit any noun; naming the ids
# here keeps them in it when makemessages runs.
ADMIN_TITLES = (gettext_noop("Add %s"), gettext_noop("Change %s"), gettext_noop("View %s"))


def is_agency_admin(request: HttpRequest) -> bool:
    membership = getattr(request, "membership", None)
    return bool(request.user.is_staff and membership and membership.role == "admin")


class _TenantScoped:
    """What TenantAdmin and TenantInline share: the scoped rows and choices, and who may
    touch them (platform superusers, and the admins of the row's agency)."""

    def _membership(self, request: HttpRequest) -> Any:
        return getattr(request, "membership", None)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        queryset = super().get_queryset(request)  # type: ignore[misc]
        if request.user.is_superuser:
            return queryset
        return visible(queryset, self._membership(request))

    def formfield_for_foreignkey(
        self, db_field: ForeignKey, request: HttpRequest, **kwargs: Any
    ) -> Any:
        related = db_field.remote_field.model
        membership = self._membership(request)
        if not request.user.is_superuser:
            if hasattr(related, "creditor_path"):
                kwargs["queryset"] = visible(related.objects.all(), membership)
            elif related is get_user_model():
                # Users are not tenant rows: offer only the people of this agency.
                agency_id = membership.agency_id if membership else None
                kwargs["queryset"] = related.objects.filter(membership__agency_id=agency_id)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)  # type: ignore[misc]

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.is_superuser or is_agency_admin(request)

    has_add_permission = has_change_permission = has_delete_permission = has_view_permission  # type: ignore[assignment]


class TenantAdmin(_TenantScoped, admin.ModelAdmin):
    """Base admin for tenant-owned models; the agency is set by the server, never chosen."""

    def get_exclude(self, request: HttpRequest, obj: Any = None) -> Any:
        excluded = list(super().get_exclude(request, obj) or [])
        if not request.user.is_superuser:
            excluded.append("agency")
        return excluded

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any):
        form = super().get_form(request, obj, change, **kwargs)
        if request.user.is_superuser:
            return form
        agency_id = self._membership(request).agency_id

        class AgencyForm(form):  # type: ignore[misc, valid-type]
            """The agency is not a field, yet constraints that involve it (one wording per
            kind and agency...) are checked by the form, not left to the database."""

            def __init__(self, *args: Any, **kwargs: Any) -> None:
                super().__init__(*args, **kwargs)
                self.instance.agency_id = agency_id

            def _get_validation_exclusions(self) -> set[str]:
                return super()._get_validation_exclusions() - {"agency"}

        return AgencyForm

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if not request.user.is_superuser:
            obj.agency_id = self._membership(request).agency_id
        super().save_model(request, obj, form, change)

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        for instance in formset.save(commit=False):
            instance.agency_id = form.instance.agency_id
            instance.save()
        for obj in formset.deleted_objects:
            obj.delete()
        formset.save_m2m()

    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser or is_agency_admin(request)


class TenantInline(_TenantScoped, admin.TabularInline):
    """Rows edited inside their parent's page: the parent's agency admins see and edit them
    (Django's model permissions, which agency admins do not hold, are not what decides)."""

    def get_exclude(self, request: HttpRequest, obj: Any = None) -> Any:
        return [*(super().get_exclude(request, obj) or []), "agency"]


class ReadOnlyAdmin(TenantAdmin):
    """Evidence and history (events, step executions, letters) are written by services only."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class DocumentAdmin(ReadOnlyAdmin):
    """Rows with a stored PDF: the file opens through the admin's own access check (its
    scoped queryset and view permission), never from a public media URL."""

    document_field = "pdf"

    def document_filename(self, obj: Any) -> str:
        return getattr(obj, self.document_field).name.rsplit("/", 1)[-1]

    def get_urls(self) -> list[URLPattern]:
        name = f"{self.opts.app_label}_{self.opts.model_name}_document"
        view = self.admin_site.admin_view(self.document_view)
        return [path("<path:object_id>/document/", view, name=name), *super().get_urls()]

    def document_view(self, request: HttpRequest, object_id: str) -> FileResponse:
        obj = self.get_object(request, unquote(object_id))
        if obj is None or not self.has_view_permission(request, obj):
            raise Http404
        document = getattr(obj, self.document_field)
        if not document:
            raise Http404
        return FileResponse(
            document.open("rb"), as_attachment=True, filename=self.document_filename(obj)
        )

    @admin.display(description=_("document"))
    def document(self, obj: Any) -> str:
        if obj.pk is None or not getattr(obj, self.document_field):
            return "-"
        url = reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_document", args=[obj.pk])
        return format_html('<a href="{}" download>{}</a>', url, self.document_filename(obj))

    def get_exclude(self, request: HttpRequest, obj: Any = None) -> Any:
        return [*super().get_exclude(request, obj), self.document_field]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return [*super().get_readonly_fields(request, obj), "document"]
