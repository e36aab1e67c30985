"""The letters' queues (cases.queues): mail that came back, letters that failed, registered
letters whose acknowledgement of receipt is still to be entered."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import F, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from cases.models import TERMINAL_STATES
from cases.queues import Queue, QueueContext, register_queue
from notices.models import Channel, Notice

# A registered letter's acknowledgement usually comes back within this many days of sending.
ACKNOWLEDGEMENT_EXPECTED_DAYS = 5


def _notices(context: QueueContext) -> QuerySet[Notice]:
    return Notice.objects.filter(agency_id=context.agency_id, case__isnull=False)


def _cases(notices: QuerySet[Notice]) -> QuerySet[Notice]:
    return notices.exclude(case__state__in=TERMINAL_STATES)


def _returned(context: QueueContext) -> QuerySet[Notice]:
    """Returned since the last contact: a call (or an e-mail received) takes it off the queue."""
    unseen = _notices(context).filter(
        Q(bounced_at__gt=F("case__last_contact_at"))
        | Q(bounced_at__isnull=False, case__last_contact_at__isnull=True)
    )
    return _cases(unseen)


def _failed(context: QueueContext) -> QuerySet[Notice]:
    return _cases(_notices(context).filter(status=Notice.Status.FAILED))


def _awaiting_acknowledgement(context: QueueContext) -> QuerySet[Notice]:
    waiting = _notices(context).filter(
        channel=Channel.REGISTERED_LETTER,
        status=Notice.Status.SENT,
        acknowledged_on__isnull=True,
        sent_at__lt=context.now - timedelta(days=ACKNOWLEDGEMENT_EXPECTED_DAYS),
    )
    return _cases(waiting)


register_queue(
    Queue(
        key="returned",
        label=_("Returned mail"),
        position=60,
        rows=_returned,
        help=_("Letters and e-mails that came back: find another address or call."),
    )
)
register_queue(
    Queue(
        key="failed_letters",
        label=_("Failed letters"),
        position=70,
        rows=_failed,
        help=_("Letters that could not be produced or sent."),
    )
)
register_queue(
    Queue(
        key="acknowledgements",
        label=_("Acknowledgements to enter"),
        position=80,
        rows=_awaiting_acknowledgement,
        help=_(
            "Registered letters sent more than %(days)s days ago without their acknowledgement "
            "date: the deadline counts from it."
        )
        % {"days": ACKNOWLEDGEMENT_EXPECTED_DAYS},
    )
)
