"""Celery entry points for letters, on the ``letters`` queue: load by id, call one service."""

from __future__ import annotations

from django.utils import timezone
from django_scopes import scopes_disabled

from collectio.celery import app
from collectio.models import Agency
from collectio.scoping import TenantTask
from law.calendar import FrenchCalendar
from notices import services
from notices.models import POSTAL_CHANNELS, Notice


@app.task(name="notices.tasks.print_batches")
def print_batches() -> int:
    """Daily (beat): the print batches of each agency with letters waiting, on sending days only
    (REQ-G3: nothing leaves on a Sunday or a holiday). A cross-tenant read, said so."""
    with scopes_disabled():
        agencies = list(
            Agency.objects.filter(
                pk__in=Notice.objects.filter(
                    channel__in=POSTAL_CHANNELS,
                    status=Notice.Status.RENDERED,
                    print_batch__isnull=True,
                ).values("agency_id")
            ).values_list("pk", "postcode")
        )
    today = timezone.localdate()
    queued = 0
    for agency_id, postcode in agencies:
        if FrenchCalendar.for_postcode(postcode).is_sending_day(today):
            print_batch.delay(agency_id=agency_id)
            queued += 1
    return queued


@app.task(base=TenantTask, name="notices.tasks.print_batch")
def print_batch(*, agency_id: int) -> int:
    """The agency's letters waiting, as bounded batches posted through the outbox."""
    return len(services.print_batches_prepare(agency_id=agency_id))
