"""Writes of the API's own rows: keys and webhook subscriptions (the back-office calls them)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from api.models import ApiKey, WebhookSubscription
from api.webhooks import event_type_choices, validate_webhook_url
from cases.intake import CASE_SUBMITTED, Channel, case_document_add, case_submit
from cases.models import Case, CaseDocument, Creditor
from collectio.access import Principal, visible
from collectio.models import Agency, User
from collectio.outbox import outbox_put
from debtors.services import DebtorInput


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
        agency=agency,
        creditor=creditor,
        name=name.strip(),
        expiry_date=expires_at,
        created_by=actor,
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


# --- cases handed over through the API: the intake core (cases.intake) ------------------------
DEBTOR_FIELDS = frozenset(DebtorInput.__dataclass_fields__)


class BulkRefused(Exception):
    """Some items of a bulk creation were refused: nothing was created."""

    def __init__(self, errors: dict[int, ValidationError]) -> None:
        self.errors = errors
        super().__init__(f"{len(errors)} case(s) refused")


def _under_debtor(error: ValidationError) -> ValidationError:
    """The intake's refusals of the debtor's fields, pointed at the ``debtor`` object."""
    if not hasattr(error, "error_dict"):
        return error
    return ValidationError(
        {
            (f"debtor.{name}" if name in DEBTOR_FIELDS else name): errors
            for name, errors in error.error_dict.items()
        }
    )


def _creditor_for(principal: Principal, creditor_id: int | None) -> Creditor:
    """The creditor the case is for: a creditor key's own, or the one an agency key names."""
    if principal.creditor_id is not None:
        if creditor_id not in (None, principal.creditor_id):
            raise ValidationError({"creditor": _("This key opens cases for its creditor only.")})
        creditor_id = principal.creditor_id
    if creditor_id is None:
        raise ValidationError({"creditor": _("Give the creditor's id.")})
    creditor = (
        visible(Creditor.objects.select_related("agency"), principal).filter(pk=creditor_id).first()
    )
    if creditor is None:
        raise ValidationError({"creditor": _("No such creditor.")})
    return creditor


def _submit(principal: Principal, actor: Any, data: dict[str, Any], *, notify: bool) -> Case:
    creditor = _creditor_for(principal, data.get("creditor"))
    try:
        return case_submit(
            agency=creditor.agency,
            creditor=creditor,
            debtor=data["debtor"],
            claims=data["claims"],
            actor=actor,
            documents=data.get("documents", ()),
            notes=data["notes"],
            basis=data["basis"],
            channel=Channel.API,
            allow_duplicates=data["allow_duplicates"],
            notify=notify,
        )
    except ValidationError as refused:
        raise _under_debtor(refused) from refused


def case_create(*, principal: Principal, actor: Any, data: dict[str, Any]) -> Case:
    """One case handed over by a partner, with its debtor, invoices and files."""
    return _submit(principal, actor, data, notify=True)


@transaction.atomic
def case_create_bulk(
    *, principal: Principal, actor: Any, items: list[dict[str, Any]]
) -> list[Case]:
    """All the cases or none; every refused item is reported, not only the first. The agency
    is told once, of the whole batch."""
    cases, errors = [], {}
    for index, item in enumerate(items):
        try:
            with transaction.atomic():
                cases.append(_submit(principal, actor, item, notify=False))
        except ValidationError as refused:
            errors[index] = refused
    if errors:
        raise BulkRefused(errors)
    outbox_put(
        agency_id=principal.agency_id,
        kind=CASE_SUBMITTED,
        key=f"case-submitted:{cases[0].pk}-{cases[-1].pk}",
        payload={"case_ids": [c.pk for c in cases]},
    )
    return cases


def document_add(*, case: Case, actor: Any, data: dict[str, Any]) -> CaseDocument:
    """A file added to a case later, tied to its invoice when the number is given."""
    number = data["invoice_number"].strip()
    claim = case.claims.filter(invoice_number=number).first() if number else None
    if number and claim is None:
        raise ValidationError({"invoice_number": _("This invoice is not in this case.")})
    return case_document_add(
        case=case,
        file=ContentFile(data["content"], name=data["filename"]),
        kind=data["kind"],
        actor=actor,
        claim=claim,
    )
