"""Celery entry points for letters, on the ``letters`` queue: load by id, call one service."""

from __future__ import annotations

from django.utils import timezone
from django_scopes import scopes_disabled

from collectio.celery import app
from collectio.models import Agency
from collectio.scoping import TenantTask
from law.calendar import FrenchCalendar
from notices import dossier, services
from notices.linter import MissingMandatoryBlock
from notices.models import POSTAL_CHANNELS, Notice
from notices.selectors import LetterBlocked

# Refusals the law or the templates make: retrying would refuse again.
FINAL_ERRORS = (LetterBlocked, MissingMandatoryBlock)


@app.task(
    base=TenantTask,
    bind=True,
    name="notices.tasks.process_notice",
    autoretry_for=(Exception,),
    dont_autoretry_for=FINAL_ERRORS,
    retry_backoff=30,
    retry_backoff_max=3600,
    retry_jitter=True,
    max_retries=5,
)
def process_notice(self, *, agency_id: int, notice_id: int) -> str:
    """Render a notice, and send it unless it waits for the print batch."""
    try:
        return services.notice_process(notice_id=notice_id).status
    except Exception as exc:
        final = isinstance(exc, FINAL_ERRORS) or self.request.retries >= self.max_retries
        services.notice_record_failure(notice_id=notice_id, error=exc, final=final)
        raise


@app.task(name="notices.tasks.print_batches")
def print_batches() -> int:
    """Daily (beat): one print batch per agency with letters waiting, on sending days only
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
def print_batch(*, agency_id: int) -> int | None:
    batch = services.print_batch_run(agency_id=agency_id)
    return batch.pk if batch else None


@app.task(
    base=TenantTask,
    name="notices.tasks.build_dossier",
    autoretry_for=(Exception,),
    retry_backoff=60,
    max_retries=3,
)
def build_dossier(*, agency_id: int, case_id: int) -> int:
    from cases.models import Case

    return dossier.dossier_build(case=Case.objects.get(pk=case_id), actor=None).pk
