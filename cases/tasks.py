"""Celery entry points of the cases app: load by id, enter the scope, call one service."""

from __future__ import annotations

import logging

import redis
from django.conf import settings
from django.utils import timezone
from django_scopes import scopes_disabled

from cases.imports import import_execute
from cases.models import CaseImport
from cases.services import case_resume_due_holds
from collectio.celery import app
from collectio.scoping import TenantTask

logger = logging.getLogger(__name__)
PROGRESS_TTL = 3600


def progress_key(import_id: int) -> str:
    return f"collectio:case-import:{import_id}:progress"


def import_progress(import_id: int) -> tuple[int, int] | None:
    """``(cases done, cases to do)`` of a running import, from Redis (outside its transaction,
    which nobody else can read until it commits); ``None`` when unknown."""
    try:
        value = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=1).get(
            progress_key(import_id)
        )
    except redis.RedisError:
        return None
    if not value:
        return None
    done, total = (int(part) for part in value.decode().split("/"))
    return done, total


def _reporter(import_id: int):
    client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=1)

    def report(done: int, total: int) -> None:
        try:
            client.set(progress_key(import_id), f"{done}/{total}", ex=PROGRESS_TTL)
        except redis.RedisError:
            logger.warning("import %s: progress not reported (Redis unreachable)", import_id)

    return report


@app.task(base=TenantTask, name="cases.tasks.import_run", acks_late=True)
def import_run(*, agency_id: int, import_id: int) -> str:
    """Import a checked file whole (one transaction), reporting its progress."""
    record = CaseImport.objects.get(agency_id=agency_id, pk=import_id)
    return import_execute(record=record, progress=_reporter(import_id)).status


@app.task(name="cases.tasks.resume_due_holds")
def resume_due_holds() -> int:
    """Daily: cases a creditor put on hold until today resume (cross-tenant, said so)."""
    with scopes_disabled():
        return case_resume_due_holds(on=timezone.localdate())
