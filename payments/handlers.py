"""What the payments app does for outbox messages: tell the creditor of a payment (R124-5),
record a matched bank line."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cases import events
from cases.models import CaseEvent
from collectio.models import User
from collectio.money import euros
from collectio.outbox import OutboxMessage, outbox_handler, reconnecting
from payments.models import BankLine, Payment
from payments.services import BANK_LINE_RECORD, CREDITOR_PAYMENT_NOTICE, bank_line_record


@outbox_handler(
    CREDITOR_PAYMENT_NOTICE, label=gettext_lazy("E-mail to the creditor about a payment")
)
def notify_creditor_of_payment(message: OutboxMessage) -> None:
    """E-mail the creditor's contact, then record that it was told, and only then.

    A creditor without a contact e-mail is flagged on the case for an agent instead.
    """
    payment = Payment.objects.select_related("case__creditor", "case__debtor").get(
        pk=message.payload["payment_id"]
    )
    case, creditor = payment.case, payment.case.creditor
    told = CaseEvent.objects.filter(
        case=case, kind=CaseEvent.Kind.CREDITOR_NOTIFIED, payload__payment_id=payment.pk
    )
    if told.exists():  # a second delivery of the same message
        return
    if not creditor.contact_email:
        events.creditor_not_notified(
            case=case, payment_id=payment.pk, reason=_("the creditor has no contact e-mail")
        )
        return
    with translation.override("fr"):
        send_mail(
            subject=_("Payment received on case %(ref)s") % {"ref": case.reference},
            message=_(
                "A payment of %(amount)s was received on %(date)s for case %(ref)s "
                "(debtor: %(debtor)s). Principal still due: %(due)s."
            )
            % {
                "amount": euros(payment.amount),
                "date": payment.received_on.strftime("%d/%m/%Y"),
                "ref": case.reference,
                "debtor": case.debtor.display_name,
                "due": euros(case.principal_due),
            },
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=[creditor.contact_email],
        )
    # The e-mail has left: record it even if the database dropped meanwhile, or a second
    # delivery of this message would send it again.
    reconnecting(
        lambda: events.creditor_notified(
            case=case,
            payment_id=payment.pk,
            recipient=creditor.contact_email,
            amount=payment.amount,
        )
    )


@outbox_handler(
    BANK_LINE_RECORD, label=gettext_lazy("Recording payments from a bank statement"), batch=2
)
def record_bank_lines(message: OutboxMessage) -> None:
    """Each matched line, one ``payment_record`` in its own transaction; a second delivery
    (after a crash halfway) finds the lines done so far recorded and goes on with the rest."""
    actor_id = message.payload.get("actor_id")
    actor = User.objects.filter(pk=actor_id).first() if actor_id else None
    for line in BankLine.objects.filter(pk__in=message.payload["line_ids"]).order_by("pk"):
        bank_line_record(line=line, actor=actor)
