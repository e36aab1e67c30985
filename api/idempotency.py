"""``Idempotency-Key`` on POST: the same key and body get the first response again, the same key
with another body or URL is refused (422), for 24 hours (draft-ietf-httpapi-idempotency-key).

The key is claimed before the work starts (a row of its own, committed at once), so two
concurrent retries cannot both do the work: the second is told the first is in flight (409).
A claim left by a crashed worker is taken over after ``ABANDONED``.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from django_scopes import scopes_disabled
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from api.models import IdempotentRequest
from api.problems import problem

HEADER = "Idempotency-Key"
KEPT = timedelta(hours=24)
ABANDONED = timedelta(minutes=2)
MAX_KEY_LENGTH = 255


@dataclass
class Claim:
    record: IdempotentRequest | None = None
    response: Response | None = None  # set when the request must not run (replay or refusal)


def _digest(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def _replay(record: IdempotentRequest) -> Response:
    stored = record.response or {}
    response = Response(
        stored.get("body"), status=record.status_code, content_type=stored.get("content_type")
    )
    response["Idempotent-Replayed"] = "true"
    return response


def idempotency_claim(
    *, agency_id: int, owner: str, key: str, method: str, path: str, body: bytes
) -> Claim:
    """Claim ``key`` for this request, or say what to answer instead."""
    if len(key) > MAX_KEY_LENGTH:
        return Claim(
            response=problem(
                "malformed", detail=f"{HEADER} is longer than {MAX_KEY_LENGTH} characters."
            )
        )
    now = timezone.now()
    fields = dict(method=method, path=path, body_sha256=_digest(body), created_at=now)
    try:
        with transaction.atomic():
            record = IdempotentRequest.objects.create(
                agency_id=agency_id, owner=owner, key=key, **fields
            )
        return Claim(record=record)
    except IntegrityError:
        pass
    with transaction.atomic():
        record = IdempotentRequest.objects.select_for_update().get(
            agency_id=agency_id, owner=owner, key=key
        )
        stale = record.created_at < now - KEPT
        abandoned = record.status_code is None and record.created_at < now - ABANDONED
        if stale or abandoned:
            IdempotentRequest.objects.filter(pk=record.pk).update(
                status_code=None, response=None, **fields
            )
            record.refresh_from_db()
            return Claim(record=record)
    if (record.method, record.path, record.body_sha256) != (method, path, fields["body_sha256"]):
        return Claim(response=problem("idempotency-key-reused"))
    if record.status_code is None:
        return Claim(response=problem("idempotency-key-in-flight"))
    return Claim(response=_replay(record))


def idempotency_settle(record: IdempotentRequest, response: Response) -> None:
    """Keep the response for the retries; after a server error or a rate limit, free the key
    (nothing was done, the retry must run)."""
    if response.status_code >= 500 or response.status_code == 429:
        idempotency_release(record)
        return
    body = json.loads(JSONRenderer().render(response.data) or b"null")
    IdempotentRequest.objects.filter(pk=record.pk).update(
        status_code=response.status_code,
        response={"body": body, "content_type": response.content_type},
    )


def idempotency_release(record: IdempotentRequest) -> None:
    IdempotentRequest.objects.filter(pk=record.pk).delete()


def idempotency_purge(*, now: datetime | None = None) -> int:
    """Forget the requests past their 24 hours (cross-tenant, said so)."""
    now = now or timezone.now()
    with scopes_disabled():
        deleted, _rows = IdempotentRequest.objects.filter(created_at__lt=now - KEPT).delete()
    return deleted
