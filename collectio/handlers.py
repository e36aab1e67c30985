"""What the tenancy app does for outbox messages: the invitation e-mail."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from collectio.outbox import OutboxMessage, outbox_handler
from collectio.services import INVITATION_EMAIL, invitation_issue_token


@outbox_handler(INVITATION_EMAIL, label=gettext_lazy("Invitation e-mail"))
def send_invitation(message: OutboxMessage) -> None:
    """Draw the link's token (only its hash is kept) and e-mail it.

    Delivered twice, the second e-mail carries a new link and the first stops working: never
    two valid links at once. Nothing goes out for an invitation revoked or accepted meanwhile.
    """
    issued = invitation_issue_token(invitation_id=message.payload["invitation_id"])
    if issued is None:
        return
    invitation, token = issued
    link = settings.SITE_URL.rstrip("/") + reverse("invitation_accept", args=[token])
    with translation.override("fr"):
        context = {"invitation": invitation, "link": link, "agency": invitation.agency}
        send_mail(
            subject=_("%(agency)s invites you to Collectio") % {"agency": invitation.agency},
            message=render_to_string("registration/invitation_email.txt", context),
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=[invitation.email],
        )
