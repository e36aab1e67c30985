"""The reference-rate banner on every staff page (issue 8 item 7)."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils import timezone
from django.utils.functional import SimpleLazyObject

from dunning.selectors import reference_rate_gaps


def reference_rates(request: HttpRequest) -> dict[str, object]:
    """``rate_gaps`` for agency staff and platform operators; creditors and debtors never see
    it. Lazy: the query runs only on pages that show the banner."""
    user = getattr(request, "user", None)
    membership = getattr(request, "membership", None)
    staff = bool(user and user.is_authenticated) and (
        user.is_superuser or bool(membership and membership.is_agency_staff)
    )
    if not staff:
        return {"rate_gaps": ()}
    return {"rate_gaps": SimpleLazyObject(lambda: reference_rate_gaps(today=timezone.localdate()))}
