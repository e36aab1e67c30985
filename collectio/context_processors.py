from django.http import HttpRequest
from django.utils import timezone
from django.utils.functional import SimpleLazyObject

from collectio.models import Role


def membership(request: HttpRequest) -> dict[str, object]:
    return {"membership": getattr(request, "membership", None)}


def agency_prerequisites(request: HttpRequest) -> dict[str, object]:
    """``missing_prerequisites`` for agency administrators: what of REQ-A1 is missing or
    expired, which blocks every letter (the banner of the layout). Lazy: computed on use."""
    member = getattr(request, "membership", None)
    if member is None or member.role != Role.ADMIN:
        return {"missing_prerequisites": ()}
    return {
        "missing_prerequisites": SimpleLazyObject(
            lambda: member.agency.missing_prerequisites(timezone.localdate())
        )
    }
