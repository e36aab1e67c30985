"""``Authorization: Api-Key <key>``: the key is the principal of the request."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_scopes import scopes_disabled
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from api.models import ApiKey

KEYWORD = "Api-Key"
# The last use is written at most this often: a write per request would cost every request.
LAST_USE_RESOLUTION = timedelta(minutes=1)


def key_from_header(header: str) -> str | None:
    keyword, _sep, key = header.strip().partition(" ")
    if keyword.lower() != KEYWORD.lower() or not key.strip():
        return None
    return key.strip()


def authenticated_key(raw: str) -> ApiKey | None:
    """The usable key this secret belongs to, else ``None``.

    Looked up by its public prefix before any scope exists: the one cross-tenant read of the
    API, said so here; everything after runs in the key's agency.
    """
    prefix = raw.partition(".")[0]
    with scopes_disabled():
        key = (
            ApiKey.objects.select_related("agency", "creditor")
            .filter(prefix=prefix, revoked=False)
            .first()
        )
    if key is None or key.has_expired or not key.is_valid(raw):
        return None
    now = timezone.now()
    if key.last_used_at is None or key.last_used_at < now - LAST_USE_RESOLUTION:
        with scopes_disabled():
            ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now
    return key


class ApiKeyAuthentication(authentication.BaseAuthentication):
    """The key answers for the request: ``request.auth`` is the :class:`ApiKey`; there is no
    user (``request.user`` is anonymous)."""

    def authenticate(self, request: Request) -> tuple[Any, ApiKey] | None:
        header = request.headers.get("Authorization", "")
        if not header:
            return None
        raw = key_from_header(header)
        if raw is None:
            return None
        key = authenticated_key(raw)
        if key is None:
            raise exceptions.AuthenticationFailed(_("This API key is unknown, revoked or expired."))
        return AnonymousUser(), key

    def authenticate_header(self, request: Request) -> str:
        return KEYWORD


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "api.authentication.ApiKeyAuthentication"
    name = "ApiKey"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": (
                "`Authorization: Api-Key <key>`. Keys are created by the agency's "
                "administrators in the back-office, shown once, and are scoped to the agency "
                "or to one creditor."
            ),
        }
