"""Who may see what: the one access layer.

Every page, htmx partial, download, API endpoint and task reads tenant rows through
:func:`visible` or :func:`access` (and the ``access_*`` siblings of each app built on them), given
the *principal*: a membership, or an API key (``api.models.ApiKey``, scoped to the agency or to
one creditor), anything with ``agency_id``, ``creditor_id`` and ``is_agency_staff``. A row of
another agency or of another creditor answers exactly as a row that does not exist: 404. What a
principal may *do* with a row it can see (roles) is decided by the services and the transitions
(``has_transition_perm``), not here.
"""

from __future__ import annotations

from typing import Protocol, TypeVar

from django.db import transaction
from django.db.models import Model, QuerySet
from django.http import Http404

M = TypeVar("M", bound=Model)


class Principal(Protocol):
    """A membership (a person) or an API key: scoped to an agency, maybe to one creditor."""

    agency_id: int
    creditor_id: int | None

    @property
    def is_agency_staff(self) -> bool: ...


def visible(queryset: QuerySet[M], principal: Principal | None) -> QuerySet[M]:
    """Narrow a queryset to what this principal may see.

    Agency staff see their whole agency; a creditor's principal sees only rows reachable from its
    creditor, through the model's ``creditor_path`` (none for agency-level models such as
    scenarios); anyone else sees nothing.
    """
    if principal is None:
        return queryset.none()
    queryset = queryset.filter(agency_id=principal.agency_id)
    if principal.is_agency_staff:
        return queryset
    path = getattr(queryset.model, "creditor_path", None)
    if path is None:
        return queryset.none()
    return queryset.filter(**{path: principal.creditor_id}).distinct()


def access(
    queryset: QuerySet[M],
    principal: Principal | None,
    pk: object,
    *,
    for_write: bool = False,
    staff_only: bool = False,
) -> M:
    """The row ``pk`` if this principal may see it, else 404 exactly as for a missing id.

    ``for_write`` locks the row for the caller's transaction (a write path); ``staff_only`` is for
    rows a creditor's principal never sees at all (previews, steps awaiting an agent).
    """
    if staff_only and (principal is None or not principal.is_agency_staff):
        raise Http404
    rows = visible(queryset, principal)
    if for_write:
        if not transaction.get_connection().in_atomic_block:
            raise RuntimeError("access(for_write=True) belongs inside the write's transaction")
        # DISTINCT (a creditor's rows) cannot be locked: lock the row found by its key.
        found = rows.filter(pk=pk).values_list("pk", flat=True).first()
        rows = queryset.model.objects.filter(pk=found).select_for_update(of=("self",))
    try:
        return rows.get(pk=pk)
    except (queryset.model.DoesNotExist, ValueError, TypeError) as missing:
        raise Http404 from missing
