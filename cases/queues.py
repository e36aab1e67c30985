"""The agents' queues: which cases need a person, in which order, and "next case".

A queue is a named filter on cases registered by the app that knows the data it reads (calls and
reviews here, confirmations in dunning, promises and instalments in payments, letters in
notices), so this module, below them, never imports them. A filter names its cases as
``pk__in`` a query on the table that drives it (open call tasks, promises…), which PostgreSQL
reads once off that table's index, whatever the number of cases. Within a queue cases are
ordered by a priority score made of parts an agent can read on each row (:data:`PRIORITY_PARTS`):

- amount: 1 point per 250 € of principal still due, at most 40;
- age: 1 point per 30 days since the earliest due date, at most 20;
- promises broken: 15 points each, at most 30;
- no contact: 1 point per 2 days since the last call or contact, at most 15 (15 if never);
- limitation: from 90 days before the earliest limitation date, up to 30 points as it nears.

The total is stored on the case with the day it was computed (``priority``, ``priority_on``) so a
queue is read highest first off an index at a million cases; the parts are recomputed on each
row shown. A payment recorded since the morning shows in the parts at once and in the order the
next morning.

"Next case" hands the top case of a queue to one agent: the row is locked with
``SELECT … FOR UPDATE SKIP LOCKED`` and a :class:`CaseLease` written with an upsert that only
takes a free or expired claim, so two agents never get the same case, however close their clicks.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.db.models import Case as SqlCase
from django.db.models import (
    DateField,
    Exists,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Greatest, Least, TruncDate
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.models import Case, CaseLease, CaseState, Claim
from collectio.access import visible
from collectio.models import Membership, User
from debtors.models import CallTask, ContactPoint

LEASE_DURATION = timedelta(minutes=15)
PAGE_SIZE = 50


@dataclass(frozen=True)
class QueueContext:
    """What a queue's filter may depend on: the agency and the moment it is read."""

    agency_id: int
    now: datetime
    today: date


@dataclass(frozen=True)
class Queue:
    """A queue: either ``members``, a filter on cases, or ``rows``, the rows of the table that
    drives it (with a ``case_id``), counted on that table alone."""

    key: str
    label: Any
    position: int
    members: Callable[[QueueContext], Q] | None = None
    rows: Callable[[QueueContext], QuerySet[Any]] | None = None
    help: Any = ""

    def cases(self, context: QueueContext) -> Q:
        if self.rows is not None:
            return Q(pk__in=self.rows(context).values("case_id"))
        assert self.members is not None, self.key
        return self.members(context)

    def count(self, base: QuerySet[Case], context: QueueContext) -> int:
        if self.rows is not None:
            return self.rows(context).order_by().values("case_id").distinct().count()
        return base.filter(self.cases(context)).count()


QUEUES: dict[str, Queue] = {}


def register_queue(queue: Queue) -> Queue:
    """An app above this one adds its queue at start-up (its ``AppConfig.ready``)."""
    QUEUES[queue.key] = queue
    return queue


def queues() -> list[Queue]:
    return sorted(QUEUES.values(), key=lambda q: q.position)


def _context(membership: Membership, now: datetime | None) -> QueueContext:
    now = now or timezone.now()
    return QueueContext(agency_id=membership.agency_id, now=now, today=timezone.localdate(now))


def _staff_cases(membership: Membership | None) -> QuerySet[Case]:
    if membership is None or not membership.is_agency_staff:
        return Case.objects.none()
    return visible(Case.objects.all(), membership)


def queue_cases(
    *, membership: Membership | None, key: str, now: datetime | None = None
) -> QuerySet[Case]:
    """The cases of queue ``key`` for an agency's staff member (``KeyError``: no such queue)."""
    queue = QUEUES[key]
    if membership is None:
        return Case.objects.none()
    return _staff_cases(membership).filter(queue.cases(_context(membership, now)))


def queue_counts(*, membership: Membership, now: datetime | None = None) -> list[tuple[Queue, int]]:
    """Each queue with how many cases are in it now (one count per queue, on the index of the
    table that drives it)."""
    context = _context(membership, now)
    base = _staff_cases(membership).order_by()
    return [(queue, queue.count(base, context)) for queue in queues()]


# --- filters and search ---------------------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class QueueFilters:
    creditor_id: int | None = None
    agent_id: int | None = None
    state: str = ""
    min_amount: Decimal | None = None
    max_amount: Decimal | None = None
    search: str = ""


class _Digits(Func):
    """A phone number as its digits only, so "06 12 34 56 78" matches "+33612345678"."""

    function = "REGEXP_REPLACE"
    template = "REGEXP_REPLACE(%(expressions)s, '\\D', '', 'g')"


def case_search(text: str) -> Q:
    """Reference, debtor name, SIREN, phone or invoice number, in one box."""
    text = text.strip()
    found = Q(reference__iexact=text) | Q(debtor__name__icontains=text)
    found |= Exists(Claim.objects.filter(case=OuterRef("pk"), invoice_number__iexact=text))
    digits = "".join(c for c in text if c.isdigit())
    if len(digits) == 9 and digits == text.replace(" ", ""):
        found |= Q(debtor__siren=digits)
    if len(digits) >= 6:
        phones = (
            ContactPoint.objects.filter(
                debtor=OuterRef("debtor"), channel=ContactPoint.Channel.PHONE
            )
            .annotate(digits=_Digits(F("value")))
            .filter(digits__endswith=digits[-9:])
        )
        found |= Exists(phones)
    return found


def apply_filters(cases: QuerySet[Case], filters: QueueFilters) -> QuerySet[Case]:
    if filters.creditor_id:
        cases = cases.filter(creditor_id=filters.creditor_id)
    if filters.agent_id:
        cases = cases.filter(assigned_agent_id=filters.agent_id)
    if filters.state:
        cases = cases.filter(state=filters.state)
    if filters.min_amount is not None:
        cases = cases.filter(principal_due__gte=filters.min_amount)
    if filters.max_amount is not None:
        cases = cases.filter(principal_due__lte=filters.max_amount)
    if filters.search:
        cases = cases.filter(case_search(filters.search))
    return cases


# --- the priority score -----------------------------------------------------------------------
class _DaysBetween(Func):
    """``later - earlier`` in whole days, for two dates (PostgreSQL's date subtraction)."""

    arg_joiner = " - "
    template = "(%(expressions)s)"
    output_field = IntegerField()


def _int(value: int) -> Value:
    return Value(value, output_field=IntegerField())


def priority_expressions(*, today: date) -> dict[str, Any]:
    """The score's parts on ``today`` as SQL expressions over the case row (whole days, so the
    score holds for the day); ``priority`` is their sum."""
    on = Value(today, output_field=DateField())
    parts = {
        "p_amount": Least(
            Func(
                F("principal_due") / Value(Decimal(250)),
                function="FLOOR",
                output_field=IntegerField(),
            ),
            _int(40),
        ),
        "p_age": SqlCase(
            When(first_due_date__isnull=True, then=_int(0)),
            default=Least(Greatest(_DaysBetween(on, F("first_due_date")) / 30, _int(0)), _int(20)),
            output_field=IntegerField(),
        ),
        "p_promises": Least(F("promises_broken") * 15, _int(30)),
        "p_contact": SqlCase(
            When(last_contact_at__isnull=True, then=_int(15)),
            default=Least(
                Greatest(_DaysBetween(on, TruncDate("last_contact_at")) / 2, _int(0)),
                _int(15),
            ),
            output_field=IntegerField(),
        ),
        "p_limitation": SqlCase(
            When(limitation_date__isnull=True, then=_int(0)),
            When(limitation_date__gt=today + timedelta(days=90), then=_int(0)),
            default=Least(
                _int(30) - _DaysBetween(F("limitation_date"), on) / 3,
                _int(30),
            ),
            output_field=IntegerField(),
        ),
    }
    return parts


def _score(today: date) -> Any:
    return sum(priority_expressions(today=today).values(), start=_int(0))


PRIORITY_PARTS = (
    ("p_amount", _("Amount"), _("1 point per 250 € of principal still due, at most 40")),
    ("p_age", _("Age"), _("1 point per 30 days since the earliest due date, at most 20")),
    ("p_promises", _("Broken promises"), _("15 points per broken promise, at most 30")),
    ("p_contact", _("No contact"), _("1 point per 2 days since the last contact, 15 if never")),
    (
        "p_limitation",
        _("Limitation"),
        _("Up to 30 points in the 90 days before the limitation date"),
    ),
)


def priority_parts(case: Case) -> list[dict[str, Any]]:
    """The parts of a case's score read from a row annotated by :func:`with_priority`."""
    return [
        {"label": label, "points": getattr(case, name), "rule": rule}
        for name, label, rule in PRIORITY_PARTS
    ]


def with_priority(cases: QuerySet[Case], *, now: datetime | None = None) -> QuerySet[Case]:
    """The score's parts on each row, for the agent to read beside the stored total."""
    return cases.annotate(**priority_expressions(today=timezone.localdate(now or timezone.now())))


def priorities_refresh(*, cases: QuerySet[Case], today: date | None = None) -> int:
    """Store today's score on these cases (one UPDATE): the queues are read in that order off
    ``case_priority_idx``. The beat does every open case each morning; an agent's outcome, a
    promise kept or broken redo their case; a queue redoes its rows not yet scored today."""
    today = today or timezone.localdate()
    return cases.order_by().update(priority=_score(today), priority_on=today)


def _stale(cases: QuerySet[Case], today: date) -> QuerySet[Case]:
    return cases.filter(Q(priority_on__isnull=True) | Q(priority_on__lt=today))


def queue_priorities_refresh(
    *, membership: Membership, key: str, now: datetime | None = None
) -> int:
    """Score the queue's cases not scored today (new cases, or all of them before the
    morning's refresh ran), so its order is today's. The queue page calls it; "next case" reads
    the order as stored, so that claims never wait on a refresh."""
    now = now or timezone.now()
    stale = _stale(queue_cases(membership=membership, key=key, now=now), timezone.localdate(now))
    # Rows another transaction holds (a claim, an outcome) are left for the next read: never wait
    # on them, never hold them long (its own short transaction, before the page is read).
    with transaction.atomic():
        free = stale.select_for_update(skip_locked=True, of=("self",)).values("pk")
        return priorities_refresh(cases=Case.objects.filter(pk__in=free))


def agency_priorities_refresh(*, agency_id: int, today: date) -> int:
    """The morning's pass over an agency's cases (the beat, after the promises' check): all of
    them, so that a queue's stale rows are only the cases opened since."""
    return priorities_refresh(cases=Case.objects.filter(agency_id=agency_id), today=today)


def live_leases(now: datetime) -> QuerySet[CaseLease]:
    return CaseLease.objects.filter(case=OuterRef("pk"), expires_at__gt=now)


def queue_page(
    *,
    membership: Membership,
    key: str,
    filters: QueueFilters,
    now: datetime | None = None,
    limit: int = PAGE_SIZE,
) -> list[Case]:
    """One page of a queue, highest priority first, each row with its score's parts and who
    holds it now (``lease_agent_id``)."""
    now = now or timezone.now()
    cases = apply_filters(queue_cases(membership=membership, key=key, now=now), filters)
    holder = live_leases(now).values("agent_id")
    return list(
        with_priority(cases.select_related("creditor", "debtor", "assigned_agent"), now=now)
        .annotate(lease_agent_id=Subquery(holder[:1]))
        .order_by("-priority", "pk")[:limit]
    )


# --- next case: the claim ---------------------------------------------------------------------
_LEASE_UPSERT = f"""
INSERT INTO {CaseLease._meta.db_table} (agency_id, case_id, agent_id, claimed_at, expires_at)
VALUES (%s, %s, %s, %s, %s)
ON CONFLICT (case_id) DO UPDATE
SET agent_id = EXCLUDED.agent_id, claimed_at = EXCLUDED.claimed_at,
    expires_at = EXCLUDED.expires_at
WHERE {CaseLease._meta.db_table}.expires_at <= EXCLUDED.claimed_at
   OR {CaseLease._meta.db_table}.agent_id = EXCLUDED.agent_id
RETURNING case_id
"""  # noqa: S608 - table names only


def _take(case: Case, agent: User, now: datetime) -> bool:
    """Write the claim unless another agent holds a live one (decided by the row, not by what
    this transaction saw: an agent who claimed and committed a moment ago wins)."""
    with connection.cursor() as cursor:
        cursor.execute(
            _LEASE_UPSERT, [case.agency_id, case.pk, agent.pk, now, now + LEASE_DURATION]
        )
        return cursor.fetchone() is not None


@transaction.atomic
def case_claim_next(
    *,
    membership: Membership,
    key: str,
    filters: QueueFilters | None = None,
    now: datetime | None = None,
) -> Case | None:
    """Hand the top case of a queue to this agent, or ``None`` if the queue has nothing free.

    The agent's earlier claim is released: one case at a time.
    """
    now = now or timezone.now()
    agent = membership.user
    CaseLease.objects.filter(agency_id=membership.agency_id, agent=agent).delete()
    free = apply_filters(
        queue_cases(membership=membership, key=key, now=now), filters or QueueFilters()
    )
    candidates = (
        free.exclude(Exists(live_leases(now)))
        .order_by("-priority", "pk")
        .select_for_update(skip_locked=True, of=("self",))
    )
    skipped: list[int] = []
    for _attempt in range(5):
        case = candidates.exclude(pk__in=skipped).first()
        if case is None:
            return None
        if _take(case, agent, now):
            return case
        skipped.append(case.pk)
    return None


def case_lease_holder(*, case: Case, now: datetime | None = None) -> CaseLease | None:
    now = now or timezone.now()
    return CaseLease.objects.filter(case=case, expires_at__gt=now).select_related("agent").first()


def case_lease_extend(*, case: Case, agent: User, now: datetime | None = None) -> bool:
    """The agent is still on the case: its claim runs on (``False``: it holds none)."""
    now = now or timezone.now()
    return bool(
        CaseLease.objects.filter(case=case, agent=agent, expires_at__gt=now).update(
            expires_at=now + LEASE_DURATION
        )
    )


def case_release(*, case: Case, agent: User) -> None:
    """The agent recorded an outcome or left the case: anyone may be handed it again."""
    CaseLease.objects.filter(case=case, agent=agent).delete()


# --- the queues this app knows ------------------------------------------------------------------
def _calls_due(context: QueueContext) -> QuerySet[CallTask]:
    """Open call tasks due now (a case that ends or is disputed closes its tasks: calls.py)."""
    return CallTask.objects.filter(
        agency_id=context.agency_id, status=CallTask.Status.OPEN, due_at__lte=context.now
    )


register_queue(
    Queue(
        key="calls",
        label=_("Calls due"),
        position=10,
        rows=_calls_due,
        help=_("Scenario calls and callbacks the debtors asked for, due now."),
    )
)
register_queue(
    Queue(
        key="review",
        label=_("New cases to review"),
        position=30,
        members=lambda context: Q(state=CaseState.NEW),
        help=_("Check the dossier, then accept it (collection starts) or decline it."),
    )
)
register_queue(
    Queue(
        key="disputes",
        label=_("Disputes"),
        position=40,
        members=lambda context: Q(state=CaseState.DISPUTED),
        help=_("Every step is suspended until the creditor answers (REQ-A10)."),
    )
)
