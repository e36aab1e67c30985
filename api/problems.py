"""Every API error as RFC 9457 problem details (``application/problem+json``).

Each error has a stable ``type`` (a URI under ``/api/problems/``, documented there) that a
partner's code can switch on, a ``title`` for people, and, for invalid input, ``errors``: one
entry per field with its JSON pointer into the request body (``#/claims/0/principal``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, JsonResponse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import set_rollback

PROBLEM_JSON = "application/problem+json"

# slug -> (status, title, what it means): the stable types, served at /api/problems/<slug>/.
PROBLEMS: dict[str, tuple[int, Any, Any]] = {
    "validation": (
        422,
        _("The request is not valid."),
        _("One or more fields are wrong: see errors[], each with the pointer of its field."),
    ),
    "malformed": (
        400,
        _("The request could not be read."),
        _("The body is not valid JSON, or a query parameter is not understood."),
    ),
    "unauthenticated": (
        401,
        _("Authentication required."),
        _(
            "Send the header Authorization: Api-Key <key> with a key that is neither revoked nor "
            "expired."
        ),
    ),
    "forbidden": (
        403,
        _("This key may not do this."),
        _("The key is valid but its scope (one creditor) does not allow this operation."),
    ),
    "not-found": (
        404,
        _("Not found."),
        _("No such object, or not one this key can see."),
    ),
    "method-not-allowed": (405, _("Method not allowed."), _("This URL does not take this method.")),
    "not-acceptable": (406, _("Not acceptable."), _("Ask for application/json.")),
    "unsupported-media-type": (
        415,
        _("Unsupported media type."),
        _("Send application/json (documents go inside it, in base64)."),
    ),
    "transition-refused": (
        409,
        _("The case cannot take this action now."),
        _("reasons[] says why, in words a person can act on."),
    ),
    "conflict": (
        409,
        _("The case changed meanwhile."),
        _("Another change was made at the same time: read the case again and retry."),
    ),
    "rate-missing": (
        409,
        _("The statement of account cannot be computed."),
        _("A legal interest rate it needs is not loaded yet: the agency is told; retry later."),
    ),
    "idempotency-key-reused": (
        422,
        _("This Idempotency-Key was used with another request."),
        _("A key names one request: the same key with another body or URL is refused."),
    ),
    "idempotency-key-in-flight": (
        409,
        _("A request with this Idempotency-Key is still being processed."),
        _("Wait for the first request to finish, then retry: you will get its response."),
    ),
    "rate-limited": (
        429,
        _("Too many requests."),
        _("The key made more requests than its limit allows: wait Retry-After seconds."),
    ),
}


def problem_type(slug: str) -> str:
    return f"/api/problems/{slug}/"


def problem(
    slug: str,
    *,
    detail: Any = None,
    status_code: int | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> Response:
    """A problem response of one of the stable types."""
    default_status, title, _meaning = PROBLEMS[slug]
    code = status_code or default_status
    body: dict[str, Any] = {"type": problem_type(slug), "title": str(title), "status": code}
    if detail:
        body["detail"] = str(detail)
    body.update(extra)
    return Response(body, status=code, headers=headers, content_type=PROBLEM_JSON)


def _pointer(path: list[str | int]) -> str:
    return "#/" + "/".join(str(p).replace("~", "~0").replace("/", "~1") for p in path)


def field_errors(detail: Any, path: list[str | int] | None = None) -> Iterator[dict[str, str]]:
    """Flatten DRF's nested error detail into one entry per field, with its JSON pointer."""
    path = path or []
    if isinstance(detail, dict):
        for key, value in detail.items():
            inner = (
                path if key in ("non_field_errors", "__all__") else [*path, *str(key).split(".")]
            )
            yield from field_errors(value, inner)
    elif isinstance(detail, list):
        if all(isinstance(item, exceptions.ErrorDetail | str) for item in detail):
            for item in detail:
                yield {
                    "pointer": _pointer(path),
                    "detail": str(item),
                    "code": getattr(item, "code", None) or "invalid",
                }
        else:
            for index, item in enumerate(detail):
                yield from field_errors(item, [*path, index])
    elif detail:
        yield {
            "pointer": _pointer(path),
            "detail": str(detail),
            "code": getattr(detail, "code", None) or "invalid",
        }


def django_validation_detail(error: DjangoValidationError) -> Any:
    """A model or service ValidationError as DRF detail (fields kept, codes kept)."""
    if hasattr(error, "error_dict"):
        return {
            field: [exceptions.ErrorDetail(m, code=e.code or "invalid") for e in errors for m in e]
            for field, errors in error.error_dict.items()
        }
    return [
        exceptions.ErrorDetail(m, code=e.code or "invalid") for e in error.error_list for m in e
    ]


_SLUG_BY_EXCEPTION = (
    (exceptions.NotAuthenticated, "unauthenticated"),
    (exceptions.AuthenticationFailed, "unauthenticated"),
    (exceptions.PermissionDenied, "forbidden"),
    (exceptions.NotFound, "not-found"),
    (exceptions.MethodNotAllowed, "method-not-allowed"),
    (exceptions.NotAcceptable, "not-acceptable"),
    (exceptions.UnsupportedMediaType, "unsupported-media-type"),
    (exceptions.ParseError, "malformed"),
    (exceptions.Throttled, "rate-limited"),
)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's exception handler, answering problem+json; anything else stays a 500 (logged)."""
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()  # never say whose object it was
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(*exc.args)
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(django_validation_detail(exc))
    if not isinstance(exc, exceptions.APIException):
        return None
    set_rollback()
    headers = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if getattr(exc, "wait", None):
        headers["Retry-After"] = f"{int(exc.wait) + 1}"
    if isinstance(exc, exceptions.ValidationError):
        return problem(
            "validation",
            errors=list(field_errors(exc.detail)),
            headers=headers,
        )
    slug = next((s for kind, s in _SLUG_BY_EXCEPTION if isinstance(exc, kind)), "malformed")
    detail = exc.detail if isinstance(exc.detail, str) else None
    return problem(slug, detail=detail, status_code=exc.status_code, headers=headers)


@require_GET
def problem_page(request: HttpRequest, slug: str) -> JsonResponse:
    """What a problem ``type`` means, where its URI points."""
    if slug not in PROBLEMS:
        raise Http404
    code, title, meaning = PROBLEMS[slug]
    return JsonResponse(
        {"type": problem_type(slug), "status": code, "title": str(title), "meaning": str(meaning)}
    )


@csrf_exempt  # it writes nothing, for any method
def not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
    """Any other URL under /api/ (an id that is not a number, a mistyped path): a problem too."""
    _status, title, _meaning = PROBLEMS["not-found"]
    return JsonResponse(
        {"type": problem_type("not-found"), "title": str(title), "status": 404},
        status=404,
        content_type=PROBLEM_JSON,
    )
