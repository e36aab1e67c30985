"""The one base view of the API: the principal (a key, or a member for the browsable API) sets
the tenant scope, then idempotency, rate-limit headers and problem+json apply to every view."""

from __future__ import annotations

from contextlib import ExitStack
from typing import Any

from django.http import HttpRequest, HttpResponseBase
from rest_framework import generics, permissions
from rest_framework.request import Request
from rest_framework.response import Response

from api import idempotency
from api.models import ApiKey
from collectio.access import Principal
from collectio.scoping import tenant_scope


class Answered(Exception):
    """The request is answered before its handler runs (an idempotent replay or refusal)."""

    def __init__(self, response: Response) -> None:
        self.response = response


class HasPrincipal(permissions.BasePermission):
    """A key, or a logged-in person (whose membership may be none: then nothing is visible)."""

    def has_permission(self, request: Request, view: Any) -> bool:
        return isinstance(request.auth, ApiKey) or bool(
            request.user and request.user.is_authenticated
        )


def principal_of(request: Request) -> Principal | None:
    if isinstance(request.auth, ApiKey):
        return request.auth
    return getattr(request._request, "membership", None)


def actor_of(request: Request) -> Any:
    """Who the timeline names: the key (``actor_kind=api_key``) or the person."""
    if isinstance(request.auth, ApiKey):
        return request.auth
    return request.user


class TenantView(generics.GenericAPIView):
    """Every API view: scoped to the principal's agency from authentication to rendering."""

    permission_classes = [HasPrincipal]

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        with ExitStack() as stack:
            self._stack = stack
            self._idempotent: idempotency.Claim | None = None
            try:
                response = super().dispatch(request, *args, **kwargs)
            except Exception:
                if self._idempotent is not None and self._idempotent.record is not None:
                    idempotency.idempotency_release(self._idempotent.record)  # retry may run
                raise
            if hasattr(response, "render") and not response.is_rendered:
                response.render()  # inside the scope: lazy values are read here
            return response

    @property
    def principal(self) -> Principal | None:
        return principal_of(self.request)

    @property
    def actor(self) -> Any:
        return actor_of(self.request)

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        principal = self.principal
        self._stack.enter_context(tenant_scope(principal.agency_id if principal else None))
        key = request.headers.get(idempotency.HEADER)
        if request.method == "POST" and key and principal is not None:
            owner = (
                f"key:{request.auth.pk}"
                if isinstance(request.auth, ApiKey)
                else f"user:{request.user.pk}"
            )
            claim = idempotency.idempotency_claim(
                agency_id=principal.agency_id,
                owner=owner,
                key=key,
                method=request.method,
                path=request.get_full_path(),
                body=request._request.body,
            )
            if claim.response is not None:
                raise Answered(claim.response)
            self._idempotent = claim

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, Answered):
            return exc.response
        return super().handle_exception(exc)

    def finalize_response(
        self, request: Request, response: Response, *args: Any, **kwargs: Any
    ) -> Response:
        response = super().finalize_response(request, response, *args, **kwargs)
        if self._idempotent is not None and self._idempotent.record is not None:
            idempotency.idempotency_settle(self._idempotent.record, response)
        throttle = getattr(request, "rate_limit", None)
        if throttle is not None:
            for name, value in throttle.headers().items():
                response[name] = value
        return response
