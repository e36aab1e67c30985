"""Writes of the API's own rows: keys and webhook subscriptions (the back-office calls them)."""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from api.models import ApiKey, WebhookSubscription
from api.webhooks import event_type_choices, validate_webhook_url
from cases.models import Creditor
from collectio.models import Agency, User


@transaction.atomic
def api_key_create(
    *,
    agency: Agency,
    name: str,
    creditor: Creditor | None,
    expires_at: datetime | None,
    actor: User,
) -> tuple[ApiKey, str]:
    """A new key and its secret, which is shown this once and never stored (only its hash)."""
    if creditor is not None and creditor.agency_id != agency.pk:
        raise ValidationError({"creditor": _("This creditor is not one of your agency's.")})
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationError({"expiry_date": _("The expiry must be in the future.")})
    if not name.strip():
        raise ValidationError({"name": _("Give the key a name.")})
    key, raw = ApiKey.new(
        agency=agency, creditor=creditor, name=name.strip(), expiry_date=expires_at, created_by=actor
    )
    key.save()
    return key, raw


@transaction.atomic
def api_key_revoke(*, api_key: ApiKey) -> ApiKey:
    """For good: a revoked key never works again, nor do its subscriptions."""
    if not api_key.revoked:
        api_key.revoked = True
        api_key.revoked_at = timezone.now()
        ApiKey.objects.filter(pk=api_key.pk).update(revoked=True, revoked_at=api_key.revoked_at)
        WebhookSubscription.objects.filter(api_key=api_key).update(is_active=False)
    return api_key


def _checked(url: str, event_types: list[str]) -> None:
    validate_webhook_url(url)
    unknown = sorted(set(event_types) - set(event_type_choices()))
    if unknown:
        raise ValidationError({"event_types": _("Unknown event types: %s") % ", ".join(unknown)})


@transaction.atomic
def webhook_subscription_create(
    *, api_key: ApiKey, url: str, event_types: list[str]
) -> WebhookSubscription:
    if not api_key.is_usable:
        raise ValidationError({"api_key": _("This key is revoked or expired.")})
    _checked(url, event_types)
    subscription = WebhookSubscription(
        agency_id=api_key.agency_id, api_key=api_key, url=url, event_types=sorted(event_types)
    )
    subscription.full_clean(exclude=["agency", "api_key"])
    subscription.save()
    return subscription


@transaction.atomic
def webhook_subscription_update(
    *, subscription: WebhookSubscription, url: str, event_types: list[str], is_active: bool
) -> WebhookSubscription:
    _checked(url, event_types)
    if is_active and not subscription.api_key.is_usable:
        raise ValidationError({"is_active": _("This key is revoked or expired.")})
    subscription.url, subscription.event_types = url, sorted(event_types)
    subscription.is_active = is_active
    subscription.full_clean(exclude=["agency", "api_key"])
    subscription.save(update_fields=["url", "event_types", "is_active"])
    return subscription
