"""Writes about accounts: enrolling and removing the authenticator (TOTP, django-otp)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from collectio import selectors


@transaction.atomic
def two_factor_enrol_start(*, user: Any) -> TOTPDevice:
    """The device being enrolled: the same one (and QR code) until it is confirmed."""
    pending = (
        TOTPDevice.objects.select_for_update()
        .filter(user=user, confirmed=False)
        .order_by("pk")
        .first()
    )
    return pending or TOTPDevice.objects.create(
        user=user, name=_("Authenticator app"), confirmed=False
    )


@transaction.atomic
def two_factor_enrol_confirm(*, user: Any, device: TOTPDevice) -> TOTPDevice:
    """The code was right (checked by the form): this device is now the user's second factor,
    the only one."""
    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    return device


@transaction.atomic
def two_factor_disable(*, user: Any) -> None:
    if selectors.two_factor_required(user):
        raise ValidationError(_("Your agency requires two-factor authentication for you."))
    TOTPDevice.objects.filter(user=user).delete()
