"""Writes about accounts (the authenticator, TOTP with django-otp, invitations, roles), agencies'
secrets and prerequisites, and the audit of configuration changes."""

from __future__ import annotations

import copy
import secrets
from datetime import timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_scopes import scopes_disabled

from collectio import selectors
from collectio.models import (
    Agency,
    AgencyDocument,
    ConfigChange,
    Invitation,
    Membership,
    Role,
    User,
    new_webhook_secret,
)
from collectio.outbox import outbox_put


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


# --- configuration changes: who changed what, field by field ----------------------------------
def _shown(instance: models.Model, field: Any) -> str:
    value = getattr(instance, field.attname)
    base = getattr(field, "base_field", None)
    if base is not None and base.choices:  # an ArrayField of choices (a step's channels)
        labels = dict(base.flatchoices)
        return ", ".join(str(labels.get(v, v)) for v in value)
    if field.choices:
        return str(dict(field.flatchoices).get(value, value) or "")
    if isinstance(value, bool):
        return str(_("yes") if value else _("no"))
    if field.is_relation:
        return str(getattr(instance, field.name) or "")
    return "" if value is None else str(value)


def model_changes(
    before: models.Model | None, after: models.Model, names: list[str]
) -> list[dict[str, str]]:
    """The fields ``names`` that differ between two states of a row, as people read them."""
    changes = []
    for name in names:
        field = after._meta.get_field(name)
        old = _shown(before, field) if before is not None else ""
        new = _shown(after, field)
        if old != new:
            changes.append({"field": str(field.verbose_name), "old": old, "new": new})
    return changes


def config_change_record(
    *,
    agency_id: int,
    actor: User | None,
    target: str,
    target_id: int | None,
    target_label: str,
    summary: str,
    changes: list[dict[str, str]] | None = None,
) -> ConfigChange:
    """Write one line of the audit; called inside the transaction of the change itself."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("config_change_record belongs inside the change's transaction")
    return ConfigChange.objects.create(
        agency_id=agency_id,
        actor=actor,
        target=target,
        target_id=target_id,
        target_label=target_label[:200],
        summary=summary[:300],
        changes=changes or [],
    )


PREREQUISITE_FIELDS = [
    "rc_insurer",
    "rc_policy_number",
    "rc_policy_expires_on",
    "collection_iban",
    "collection_bic",
    "prosecutor_declaration_on",
]


@transaction.atomic
def agency_prerequisites_update(*, agency: Agency, values: dict[str, Any], actor: User) -> Agency:
    """The REQ-A1 prerequisites (insurance, dedicated account, declaration), validated."""
    locked = Agency.objects.select_for_update().get(pk=agency.pk)
    before = copy.copy(locked)
    for name in PREREQUISITE_FIELDS:
        if name in values:
            setattr(locked, name, values[name])
    locked.full_clean()
    locked.save(update_fields=PREREQUISITE_FIELDS)
    if changes := model_changes(before, locked, PREREQUISITE_FIELDS):
        config_change_record(
            agency_id=locked.pk, actor=actor, target=ConfigChange.Target.AGENCY,
            target_id=locked.pk, target_label=locked.legal_name,
            summary=_("Legal prerequisites changed"), changes=changes,
        )  # fmt: skip
    return locked


# --- people: invitations by a one-time link, roles, deactivation ------------------------------
INVITATION_EMAIL = "invitation_email"


def _invitation_clean(*, agency: Agency, email: str, role: str, creditor: Any) -> str:
    email = User.objects.normalize_email(email)
    if User.objects.filter(email__iexact=email).exists():
        raise ValidationError({"email": _("A user with this e-mail address already exists.")})
    pending = Invitation.objects.filter(
        agency=agency,
        email__iexact=email,
        accepted_at__isnull=True,
        revoked_at__isnull=True,
        expires_at__gt=timezone.now(),
    )
    if pending.exists():
        raise ValidationError(
            {"email": _("An invitation to this address is pending: resend it instead.")}
        )
    if role == Role.CREDITOR_USER and creditor is None:
        raise ValidationError({"creditor": _("A creditor user belongs to one creditor.")})
    if role != Role.CREDITOR_USER and creditor is not None:
        raise ValidationError({"creditor": _("Only a creditor user belongs to a creditor.")})
    if creditor is not None and creditor.agency_id != agency.pk:
        raise ValidationError({"creditor": _("Choose one of your agency's creditors.")})
    return email


def _invitation_send(invitation: Invitation) -> None:
    """A new expiry; the e-mail (and its fresh token) goes out after commit, from the outbox."""
    invitation.expires_at = timezone.now() + timedelta(days=Invitation.VALIDITY_DAYS)
    invitation.token_hash = ""  # every earlier link stops working now
    invitation.save(update_fields=["expires_at", "token_hash"])
    outbox_put(
        agency_id=invitation.agency_id,
        kind=INVITATION_EMAIL,
        key=f"invitation:{invitation.pk}:{invitation.expires_at.isoformat()}",
        payload={"invitation_id": invitation.pk},
    )


@transaction.atomic
def invitation_create(
    *,
    agency: Agency,
    email: str,
    role: str,
    actor: User,
    creditor: Any = None,
    first_name: str = "",
    last_name: str = "",
) -> Invitation:
    email = _invitation_clean(agency=agency, email=email, role=role, creditor=creditor)
    invitation = Invitation.objects.create(
        agency=agency, email=email, role=role, creditor=creditor, first_name=first_name,
        last_name=last_name, invited_by=actor, expires_at=timezone.now(),
    )  # fmt: skip
    _invitation_send(invitation)
    config_change_record(
        agency_id=agency.pk, actor=actor, target=ConfigChange.Target.INVITATION,
        target_id=invitation.pk, target_label=email,
        summary=_("Invited as %(role)s") % {"role": Role(role).label},
    )  # fmt: skip
    return invitation


def _invitation_open(invitation: Invitation) -> Invitation:
    locked = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if locked.accepted_at:
        raise ValidationError(_("This invitation was already accepted."))
    if locked.revoked_at:
        raise ValidationError(_("This invitation was revoked."))
    return locked


@transaction.atomic
def invitation_resend(*, invitation: Invitation, actor: User) -> Invitation:
    """A new link valid for another week; the previous one no longer opens anything."""
    invitation = _invitation_open(invitation)
    _invitation_send(invitation)
    config_change_record(
        agency_id=invitation.agency_id, actor=actor, target=ConfigChange.Target.INVITATION,
        target_id=invitation.pk, target_label=invitation.email, summary=_("Invitation resent"),
    )  # fmt: skip
    return invitation


@transaction.atomic
def invitation_revoke(*, invitation: Invitation, actor: User) -> Invitation:
    invitation = _invitation_open(invitation)
    invitation.revoked_at = timezone.now()
    invitation.token_hash = ""
    invitation.save(update_fields=["revoked_at", "token_hash"])
    config_change_record(
        agency_id=invitation.agency_id, actor=actor, target=ConfigChange.Target.INVITATION,
        target_id=invitation.pk, target_label=invitation.email, summary=_("Invitation revoked"),
    )  # fmt: skip
    return invitation


@transaction.atomic
def invitation_issue_token(*, invitation_id: int) -> tuple[Invitation, str] | None:
    """Draw the token the e-mail carries and keep only its hash (``None``: nothing to send)."""
    invitation = (
        Invitation.objects.select_for_update().select_related("agency").get(pk=invitation_id)
    )
    if invitation.status_on(timezone.now()) != Invitation.Status.PENDING:
        return None
    token = secrets.token_urlsafe(32)
    invitation.token_hash = selectors.invitation_token_hash(token)
    invitation.sent_at = timezone.now()
    invitation.save(update_fields=["token_hash", "sent_at"])
    return invitation, token


@transaction.atomic
def invitation_accept(*, token: str, password: str) -> User:
    """The invitee chose a password: their account and membership exist from now on, and the
    link is spent."""
    found = selectors.invitation_by_token(token)
    if found is None:
        raise ValidationError(_("This invitation link is not valid any more."))
    with scopes_disabled():
        invitation = Invitation.objects.select_for_update().get(pk=found.pk)
        if (
            invitation.token_hash != selectors.invitation_token_hash(token)
            or invitation.accepted_at
        ):
            raise ValidationError(_("This invitation link is not valid any more."))
        if User.objects.filter(email__iexact=invitation.email).exists():
            raise ValidationError(_("A user with this e-mail address already exists."))
        user = User.objects.create_user(
            email=invitation.email,
            password=password,
            first_name=invitation.first_name,
            last_name=invitation.last_name,
        )
        membership = Membership.objects.create(
            user=user,
            agency_id=invitation.agency_id,
            role=invitation.role,
            creditor_id=invitation.creditor_id,
        )
        invitation.accepted_at = timezone.now()
        invitation.user = user
        invitation.token_hash = ""
        invitation.save(update_fields=["accepted_at", "user", "token_hash"])
        config_change_record(
            agency_id=invitation.agency_id, actor=user, target=ConfigChange.Target.MEMBERSHIP,
            target_id=membership.pk, target_label=user.email, summary=_("Invitation accepted"),
        )  # fmt: skip
    return user


def _other_admins(membership: Membership) -> bool:
    return (
        Membership.objects.filter(
            agency_id=membership.agency_id, role=Role.ADMIN, user__is_active=True
        )
        .exclude(pk=membership.pk)
        .exists()
    )


@transaction.atomic
def membership_change_role(
    *, membership: Membership, role: str, actor: User, creditor: Any = None
) -> Membership:
    """A new role, written in the audit; the agency always keeps one active administrator."""
    locked = Membership.objects.select_for_update().select_related("user").get(pk=membership.pk)
    if role == Role.CREDITOR_USER and creditor is None:
        raise ValidationError({"creditor": _("A creditor user belongs to one creditor.")})
    if role != Role.CREDITOR_USER:
        creditor = None
    if creditor is not None and creditor.agency_id != locked.agency_id:
        raise ValidationError({"creditor": _("Choose one of your agency's creditors.")})
    if locked.role == Role.ADMIN and role != Role.ADMIN and not _other_admins(locked):
        raise ValidationError({"role": _("The agency must keep at least one administrator.")})
    before = copy.copy(locked)
    locked.role, locked.creditor = role, creditor
    locked.save(update_fields=["role", "creditor"])
    if changes := model_changes(before, locked, ["role", "creditor"]):
        config_change_record(
            agency_id=locked.agency_id, actor=actor, target=ConfigChange.Target.MEMBERSHIP,
            target_id=locked.pk, target_label=locked.user.email, summary=_("Role changed"),
            changes=changes,
        )  # fmt: skip
    return locked


@transaction.atomic
def membership_set_active(*, membership: Membership, active: bool, actor: User) -> Membership:
    """Deactivate (the person can no longer log in; their history stays) or reactivate."""
    locked = Membership.objects.select_for_update().select_related("user").get(pk=membership.pk)
    user = locked.user
    if not active and user.pk == actor.pk:
        raise ValidationError(_("You cannot deactivate your own account."))
    if not active and locked.role == Role.ADMIN and not _other_admins(locked):
        raise ValidationError(_("The agency must keep at least one administrator."))
    if user.is_active == active:
        return locked
    user.is_active = active
    user.save(update_fields=["is_active"])
    config_change_record(
        agency_id=locked.agency_id, actor=actor, target=ConfigChange.Target.MEMBERSHIP,
        target_id=locked.pk, target_label=user.email,
        summary=_("Account reactivated") if active else _("Account deactivated"),
    )  # fmt: skip
    return locked


DOCUMENT_MAX_BYTES = 10 * 1024 * 1024


@transaction.atomic
def agency_document_add(
    *, agency: Agency, kind: str, file: Any, dated: Any, actor: User
) -> AgencyDocument:
    if file.size > DOCUMENT_MAX_BYTES:
        raise ValidationError({"file": _("The file is larger than 10 MB.")})
    document = AgencyDocument(agency=agency, kind=kind, file=file, dated=dated, uploaded_by=actor)
    document.full_clean()
    document.save()
    config_change_record(
        agency_id=agency.pk, actor=actor, target=ConfigChange.Target.AGENCY,
        target_id=agency.pk, target_label=agency.legal_name,
        summary=_("Document added: %(kind)s") % {"kind": document.get_kind_display()},
    )  # fmt: skip
    return document
