"""One-time form tokens: a form rendered once is applied at most once.

Every form that writes carries a signed random token (``{% form_token %}``). The view claims it
with :func:`submission_once` in the very transaction of the write it guards: the claim is an
INSERT under a unique constraint, so a second submission of the same form (a double click, a
resent POST, two tabs of one page) waits on the first one's row and then finds it taken. A failed
write rolls its claim back with it, so the corrected form can be sent again. Django's cache would
not do: it is outside the transaction, so it could burn a token for a write that failed, or let
two through when the first has not committed yet.

Tokens are signed with a timestamp: a forged one is refused, an old one expires after
:data:`TOKEN_MAX_AGE`, and rows older than that can be purged (beat, daily).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_scopes import scopes_disabled

from collectio.celery import app
from collectio.scoping import TenantManager

TOKEN_MAX_AGE = timedelta(days=1)
FIELD = "form_token"
_SALT = "collectio.submissions"


class FormSubmission(models.Model):
    """A form token that was used: the write it guarded committed with this row."""

    agency = models.ForeignKey(
        "collectio.Agency", on_delete=models.CASCADE, related_name="+", verbose_name=_("agency")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("user"),
    )
    token = models.UUIDField(_("form token"))
    submitted_at = models.DateTimeField(_("submitted at"), default=timezone.now, db_index=True)

    objects = TenantManager()

    class Meta:
        app_label = "collectio"
        verbose_name = _("form submission")
        verbose_name_plural = _("form submissions")
        constraints = [
            models.UniqueConstraint(
                fields=["token"],
                name="form_submission_once",
                violation_error_message=_("This form was already sent."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.token} ({self.submitted_at:%Y-%m-%d %H:%M})"


class AlreadySubmitted(Exception):
    """The same rendered form was sent before and its write committed: do nothing again."""


def new_form_token() -> str:
    """A fresh token for one rendered form."""
    return signing.TimestampSigner(salt=_SALT).sign(uuid.uuid4().hex)


def _token_value(token: str) -> uuid.UUID:
    try:
        return uuid.UUID(signing.TimestampSigner(salt=_SALT).unsign(token, max_age=TOKEN_MAX_AGE))
    except (signing.BadSignature, ValueError) as bad:
        raise ValidationError(
            _("This form is out of date or incomplete: reload the page and try again."),
            code="stale_form",
        ) from bad


@contextmanager
def submission_once(request: HttpRequest) -> Iterator[None]:
    """Run the block in one transaction with the claim of the request's form token.

    Raises ``ValidationError`` for a missing, forged or expired token and
    :class:`AlreadySubmitted` when the form was applied already; either way nothing is written.
    """
    value = _token_value(request.POST.get(FIELD, ""))
    with transaction.atomic():
        try:
            with transaction.atomic():
                FormSubmission.objects.create(
                    agency_id=request.membership.agency_id, user=request.user, token=value
                )
        except IntegrityError as again:
            raise AlreadySubmitted from again
        yield


def form_submissions_purge(*, now: datetime | None = None) -> int:
    """Forget tokens old enough to be refused anyway (cross-tenant, said so)."""
    now = now or timezone.now()
    with scopes_disabled():
        deleted, _rows = FormSubmission.objects.filter(
            submitted_at__lt=now - TOKEN_MAX_AGE
        ).delete()
    return deleted


@app.task(name="collectio.submissions.purge")
def purge() -> int:
    """Daily (beat)."""
    return form_submissions_purge()
