"""What the cases app does for outbox messages: tell the agency that cases were handed over."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cases.intake import CASE_SUBMITTED
from cases.models import Case
from collectio.models import Agency, Membership, Role
from collectio.money import euros
from collectio.outbox import OutboxMessage, outbox_handler


def agency_recipients(agency_id: int) -> list[str]:
    """The agency's own address, else its administrators'."""
    agency = Agency.objects.get(pk=agency_id)
    if agency.email:
        return [agency.email]
    return sorted(
        Membership.objects.filter(
            agency_id=agency_id, role=Role.ADMIN, user__is_active=True
        ).values_list("user__email", flat=True)
    )


@outbox_handler(CASE_SUBMITTED, label=gettext_lazy("E-mail to the agency about cases handed over"))
def notify_agency_of_submission(message: OutboxMessage) -> None:
    """One e-mail per submission (a bulk import's cases in one), so the agency reviews them."""
    cases = list(
        Case.objects.filter(agency_id=message.agency_id, pk__in=message.payload["case_ids"])
        .select_related("creditor", "debtor")
        .order_by("reference")
    )
    recipients = agency_recipients(message.agency_id)
    if not cases or not recipients:
        return
    creditor = cases[0].creditor
    with translation.override("fr"):
        lines = [
            f"- {case.reference} · {case.debtor.display_name} · {euros(case.principal_total)}"
            for case in cases[:50]
        ]
        if len(cases) > 50:
            lines.append(_("… and %(count)s more.") % {"count": len(cases) - 50})
        send_mail(
            subject=_("%(creditor)s handed over %(count)s case(s) to review")
            % {"creditor": creditor.legal_name, "count": len(cases)},
            message="\n".join(
                [
                    _(
                        "%(creditor)s handed over these cases; they wait in “New” for you to "
                        "accept them:"
                    )
                    % {"creditor": creditor.legal_name},
                    "",
                    *lines,
                ]
            ),
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=recipients,
        )
