"""Who may see a letter: the access layer's functions for this app."""

from __future__ import annotations

from collectio.access import Principal, access
from notices.models import Notice


def access_notice(
    principal: Principal | None, pk: object, *, for_write: bool = False, staff_only: bool = False
) -> Notice:
    return access(
        Notice.objects.select_related("agency", "case", "creditor", "print_batch"),
        principal,
        pk,
        for_write=for_write,
        staff_only=staff_only,
    )
