"""Reads about accounts: which second factor a user has and whether it is required; the
invitation a link opens."""

from __future__ import annotations

import hashlib
from typing import Any

from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_scopes import scopes_disabled

from collectio.models import Invitation, Role


def two_factor_device(user: Any, *, confirmed: bool = True) -> TOTPDevice | None:
    """The user's authenticator (a confirmed one, or the one being enrolled)."""
    return TOTPDevice.objects.filter(user=user, confirmed=confirmed).order_by("pk").first()


def two_factor_required(user: Any) -> bool:
    """Agency administrators must use a second factor when their agency asks for it."""
    membership = getattr(user, "membership", None)
    return bool(
        membership is not None
        and membership.role == Role.ADMIN
        and membership.agency.require_admin_2fa
    )


def two_factor_pending(user: Any) -> str | None:
    """What a logged-in user still owes before reaching any page: ``"verify"`` (a code),
    ``"enrol"`` (an authenticator the agency requires) or ``None``."""
    if not user.is_authenticated or user.is_verified():
        return None
    if TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        return "verify"
    if two_factor_required(user):
        return "enrol"
    return None


def invitation_token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invitation_by_token(token: str) -> Invitation | None:
    """The invitation a link opens, if it still may: found by its hash, across agencies (the
    invitee has no scope yet), so the token alone decides and nothing else of the request."""
    if not token:
        return None
    with scopes_disabled():
        invitation = (
            Invitation.objects.select_related("agency", "creditor")
            .filter(token_hash=invitation_token_hash(token))
            .first()
        )
    if invitation is None or invitation.status_on(timezone.now()) != Invitation.Status.PENDING:
        return None
    return invitation
