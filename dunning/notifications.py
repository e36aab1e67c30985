"""Tell the creditor about every payment (R124-5, REQ-A7), by e-mail to its contact."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.utils.translation import gettext as _

from cases.models import Payment
from collectio.money import format_money


def payment_notice_to_creditor(*, payment: Payment) -> bool:
    """Send the notice; False when the creditor has no contact e-mail (flagged on the event)."""
    case = payment.case
    creditor = case.creditor
    if not creditor.contact_email:
        return False
    send_mail(
        subject=_("Payment received on case %(ref)s") % {"ref": case.reference},
        message=_(
            "A payment of %(amount)s € was received on %(date)s for case %(ref)s "
            "(debtor: %(debtor)s). Balance still due: %(balance)s €."
        )
        % {
            "amount": format_money(payment.amount, currency=False),
            "date": payment.received_on.strftime("%d/%m/%Y"),
            "ref": case.reference,
            "debtor": case.debtor.display_name,
            "balance": format_money(case.outstanding_amount, currency=False),
        },
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[creditor.contact_email],
    )
    return True
