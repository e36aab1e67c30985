"""The money queues (cases.queues): promises due or broken, instalments missed.

Missed instalments are read from the payment plans as they stand (what fell due before today
against what was received since the plan was agreed); this app's money rules decide the rest.
"""

from __future__ import annotations

from django.db.models import DecimalField, Exists, F, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from cases.models import Case
from cases.queues import Queue, QueueContext, register_queue
from payments.models import Payment, PaymentPlan, PaymentPromise, PlanInstalment


def _promises(context: QueueContext) -> QuerySet[PaymentPromise]:
    due = Q(status=PaymentPromise.Status.PENDING, due_on__lte=context.today)
    # Broken and nobody has called since: a call (any outcome) takes it off the queue.
    called_since = Case.objects.filter(
        pk=OuterRef("case_id"), last_contact_at__date__gte=OuterRef("resolved_on")
    )
    broken = Q(status=PaymentPromise.Status.BROKEN) & ~Exists(called_since)
    return PaymentPromise.objects.filter(Q(agency_id=context.agency_id) & (due | broken))


def _instalments_missed(context: QueueContext) -> QuerySet[PaymentPlan]:
    money = DecimalField(max_digits=14, decimal_places=2)
    fell_due = (
        PlanInstalment.objects.filter(plan=OuterRef("pk"), due_on__lt=context.today)
        .order_by()
        .values("plan")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    received = (
        Payment.objects.filter(case=OuterRef("case"), received_on__gte=OuterRef("agreed_on"))
        .order_by()
        .values("case")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    behind = (
        PaymentPlan.objects.filter(agency_id=context.agency_id, status=PaymentPlan.Status.ACTIVE)
        .annotate(
            fell_due=Coalesce(Subquery(fell_due, output_field=money), Value(0, money)),
            received=Coalesce(Subquery(received, output_field=money), Value(0, money)),
        )
        .filter(fell_due__gt=F("received"))
    )
    return behind


register_queue(
    Queue(
        key="promises",
        label=_("Promises due or broken"),
        position=20,
        rows=_promises,
        help=_("Promises to pay due today, and broken ones nobody has called about since."),
    )
)
register_queue(
    Queue(
        key="instalments",
        label=_("Instalments missed"),
        position=25,
        rows=_instalments_missed,
        help=_("Payment plans behind their schedule."),
    )
)
