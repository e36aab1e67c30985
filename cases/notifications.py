"""The creditor's e-mails on the steps its users subscribe to, decided with the event.

An event hook (``cases.events.on_event``) turns the events a creditor cares about into one
outbox message each, in the transaction that wrote the event; the handler e-mails the creditor's
users who want that topic (every topic until a user says otherwise), in French.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cases import events
from cases.models import (
    TERMINAL_STATES,
    Case,
    CaseEvent,
    Creditor,
    NotificationPreference,
)
from collectio.models import Membership, Role, User
from collectio.money import euros
from collectio.outbox import OutboxMessage, outbox_handler, outbox_put

CREDITOR_NOTIFICATION = "cases.creditor_notification"
Topic = NotificationPreference.Topic
FORMAL_NOTICE_LETTER = "formal_notice"

SUBJECTS = {
    Topic.FORMAL_NOTICE_SENT: gettext_lazy("Case %(ref)s: formal notice sent to %(debtor)s"),
    Topic.PAYMENT_RECEIVED: gettext_lazy("Case %(ref)s: payment received from %(debtor)s"),
    Topic.HANDOFF_APPROVAL: gettext_lazy("Case %(ref)s: your approval is needed for court action"),
    Topic.CASE_CLOSED: gettext_lazy("Case %(ref)s closed"),
}


def topics_of(event: CaseEvent) -> list[str]:
    """The topics an event is news of."""
    if event.kind == CaseEvent.Kind.LETTER_SENT:
        if event.payload.get("kind") == FORMAL_NOTICE_LETTER:
            return [Topic.FORMAL_NOTICE_SENT, Topic.HANDOFF_APPROVAL]
    elif event.kind == CaseEvent.Kind.PAYMENT:
        return [Topic.PAYMENT_RECEIVED]
    elif event.kind == CaseEvent.Kind.TRANSITION and event.to_state in TERMINAL_STATES:
        return [Topic.CASE_CLOSED]
    return []


@events.on_event
def decide_creditor_notifications(
    *, event: CaseEvent, agency_id: int, case_ids: Sequence[int], **_: object
) -> None:
    """One message per case and topic that a user of the case's creditor wants (none else)."""
    topics = topics_of(event)
    if not topics:
        return
    stamp = event.pk or event.at.isoformat()
    creditor_of = dict(Case.objects.filter(pk__in=case_ids).values_list("pk", "creditor_id"))
    for topic in topics:
        wanted = _creditors_wanting(agency_id, set(creditor_of.values()), topic)
        for case_id, creditor_id in creditor_of.items():
            if creditor_id in wanted:
                outbox_put(
                    agency_id=agency_id,
                    kind=CREDITOR_NOTIFICATION,
                    key=f"creditor-notification:{topic}:{case_id}:{stamp}",
                    payload={"topic": topic, "case_id": case_id, "event": event.payload},
                    case_id=case_id,
                )


def _creditors_wanting(agency_id: int, creditor_ids: set[int], topic: str) -> set[int]:
    """Creditors with an active user who wants ``topic`` (every topic until a user chooses)."""
    members = Membership.objects.filter(
        agency_id=agency_id,
        creditor_id__in=creditor_ids,
        role=Role.CREDITOR_USER,
        user__is_active=True,
    ).values_list("user_id", "creditor_id")
    chosen = dict(
        NotificationPreference.objects.filter(creditor_id__in=creditor_ids).values_list(
            "user_id", "topics"
        )
    )
    return {c for user_id, c in members if topic in chosen.get(user_id, Topic.values)}


def subscribers(case: Case, topic: str) -> list[str]:
    """The e-mails of the case's creditor users who want this topic."""
    chosen = dict(
        NotificationPreference.objects.filter(creditor_id=case.creditor_id).values_list(
            "user_id", "topics"
        )
    )
    members = Membership.objects.filter(
        agency_id=case.agency_id,
        creditor_id=case.creditor_id,
        role=Role.CREDITOR_USER,
        user__is_active=True,
    ).values_list("user_id", "user__email")
    return sorted(email for user_id, email in members if topic in chosen.get(user_id, Topic.values))


def _body(topic: str, case: Case, event: dict[str, Any]) -> str:
    if topic == Topic.HANDOFF_APPROVAL:
        if (
            not case.creditor.handoff_requires_approval
            or not case.creditor.mandate_allows_litigation
            or case.handoff_approved_at is not None
        ):
            return ""
        text = _(
            "The formal notice was sent to %(debtor)s. If it stays unpaid after its deadline, "
            "the case can go to court only with your approval: you can give it now on the "
            "case page."
        )
    elif topic == Topic.FORMAL_NOTICE_SENT:
        text = _("The formal notice was sent to %(debtor)s.")
    elif topic == Topic.PAYMENT_RECEIVED:
        text = _("%(debtor)s paid %(amount)s. Principal still due: %(due)s.")
    else:
        text = _("The case against %(debtor)s is closed (%(state)s).")
    return text % {
        "debtor": case.debtor.display_name,
        "amount": euros(event.get("amount", "0")),
        "due": euros(case.principal_due),
        "state": case.get_state_display(),
    }


@outbox_handler(
    CREDITOR_NOTIFICATION, label=gettext_lazy("E-mail to the creditor's users about a step")
)
def notify_creditor_users(message: OutboxMessage) -> None:
    topic = message.payload["topic"]
    case = Case.objects.select_related("creditor", "debtor").get(pk=message.payload["case_id"])
    recipients = subscribers(case, topic)
    if not recipients:
        return
    with translation.override("fr"):
        body = _body(topic, case, message.payload.get("event", {}))
        if not body:
            return
        link = settings.SITE_URL.rstrip("/") + reverse("portal:case_detail", args=[case.pk])
        send_mail(
            subject=str(SUBJECTS[topic])
            % {"ref": case.reference, "debtor": case.debtor.display_name},
            message="\n\n".join(
                [
                    body,
                    _("Follow the case: %(link)s") % {"link": link},
                    _("You receive this e-mail because of your notification preferences."),
                ]
            ),
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=recipients,
        )


@transaction.atomic
def notification_preferences_save(
    *, user: User, creditor: Creditor, topics: Sequence[str]
) -> NotificationPreference:
    """What this creditor's user wants to be e-mailed about (an empty list: nothing)."""
    unknown = set(topics) - set(Topic.values)
    if unknown:
        raise ValidationError(_("Unknown notification topic."))
    preference, _created = NotificationPreference.objects.update_or_create(
        user=user,
        defaults={"agency_id": creditor.agency_id, "creditor": creditor, "topics": list(topics)},
    )
    return preference


def notification_topics(*, user: User) -> list[str]:
    """The user's topics; every topic until the user chooses."""
    preference = NotificationPreference.objects.filter(user=user).first()
    return list(preference.topics) if preference else list(Topic.values)
