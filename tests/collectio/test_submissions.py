"""One-time form tokens: signed, expiring, purged once they would be refused anyway."""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.utils import timezone
from django_scopes import scopes_disabled

from collectio.celery import app
from collectio.submissions import TOKEN_MAX_AGE, FormSubmission, form_submissions_purge


def test_tokens_older_than_their_lifetime_are_purged_daily(world):
    now = timezone.now()
    with scopes_disabled():
        _expired, recent = (
            FormSubmission.objects.create(
                agency=world.agency, user=world.agent, token=uuid.uuid4(), submitted_at=at
            )
            for at in (now - TOKEN_MAX_AGE - timedelta(minutes=1), now - timedelta(hours=1))
        )
        assert form_submissions_purge(now=now) == 1
        assert list(FormSubmission.objects.all()) == [recent]
    app.finalize()
    schedule = app.conf.beat_schedule
    assert any(e["task"] == "collectio.submissions.purge" for e in schedule.values())
