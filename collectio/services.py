"""Writes about accounts (the authenticator, TOTP with django-otp) and agencies' secrets."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from collectio import selectors
from collectio.models import Agency, new_webhook_secret


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


def agency_rotate_webhook_secret(*, agency: Agency) -> Agency:
    """A new signing secret (the providers must be given it): the old one stops working."""
    agency.webhook_secret = new_webhook_secret()
    agency.save(update_fields=["webhook_secret"])
    return agency
