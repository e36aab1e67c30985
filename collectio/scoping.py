"""The one scoping mechanism: every tenant query runs inside an agency scope or fails closed.

django-scopes' ``ScopedManager`` raises when no scope is active. Beware its one trap: a scope value
of ``None`` means *no filter*, so "no agency" is expressed as an empty list, which matches nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from celery import Task
from django.http import HttpRequest, HttpResponse
from django_scopes import ScopedManager, scope, scopes_disabled
from django_scopes.manager import DisabledQuerySet

__all__ = ["TenantManager", "TenantScopeMiddleware", "TenantTask", "tenant_scope"]


class _FailClosedQuerySet(DisabledQuerySet):
    """django-scopes leaves some reads open outside a scope (``exists()`` ran unscoped)."""

    exists = contains = in_bulk = explain = bulk_update = DisabledQuerySet.error


def TenantManager() -> Any:
    """The manager every tenant-owned model uses (``objects``)."""
    scoped = type(ScopedManager(agency="agency"))

    class Manager(scoped):  # type: ignore[misc, valid-type]
        def get_queryset(self) -> Any:
            queryset = super().get_queryset()
            if isinstance(queryset, DisabledQuerySet):
                return _FailClosedQuerySet(
                    self.model, using=self._db, missing_scopes=queryset.missing_scopes
                )
            return queryset

    return Manager()


@contextmanager
def tenant_scope(agency_id: int | None) -> Iterator[None]:
    """Activate one agency's scope; ``None`` (no membership) sees nothing at all."""
    with scope(agency=agency_id if agency_id is not None else []):
        yield


def _membership(user: Any) -> Any:
    """The user's membership with the agency and creditor every page names, in one query
    (``user.membership`` would load each of them on first use)."""
    # Found through the relation: collectio.models imports this module.
    model = user._meta.get_field("membership").related_model
    membership = model._base_manager.select_related("agency", "creditor").filter(user=user).first()
    if membership is not None:
        user.membership = membership  # later reads of user.membership find it
    return membership


class TenantScopeMiddleware:
    """Activate the scope from the user's membership (never from request data).

    The response is rendered inside the scope. Superusers (platform operators) work unscoped
    only in the admin; anonymous requests get no scope, so any tenant query raises.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        request.membership = None  # type: ignore[attr-defined]
        if not user.is_authenticated:
            return self.get_response(request)
        if user.is_superuser and request.path.startswith("/admin/"):
            with scopes_disabled():
                return self.get_response(request)
        membership = _membership(user)
        request.membership = membership  # type: ignore[attr-defined]
        with tenant_scope(membership.agency_id if membership else None):
            response = self.get_response(request)
            if hasattr(response, "render") and not response.is_rendered:
                response.render()
            return response


class TenantTask(Task):
    """Base task for tenant work: takes ``agency_id`` and runs the task body inside its scope."""

    abstract = True

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        with tenant_scope(kwargs["agency_id"]):
            return super().__call__(*args, **kwargs)
