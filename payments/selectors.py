"""Reads on money owed and received: what a payment plan must total, a ready schedule, and
what a case received beyond its debt; always given the case (already access-checked)."""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_DOWN, Decimal
from typing import Any, NamedTuple

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import Coalesce, TruncDate, TruncMonth
from django.utils import timezone

from cases.models import TERMINAL_STATES, Case, Creditor
from collectio.access import Principal, visible
from collectio.models import Agency, User
from collectio.money import CENT, ZERO, to_money
from debtors.models import CallTask, ContactLogEntry, Debtor
from dunning.statement import InterestPause, PaymentTerms, case_statement
from payments import bankfiles
from payments.models import (
    BankLine,
    BankStatement,
    LedgerEntry,
    Payment,
    PaymentPlan,
    PaymentPromise,
    PlanInstalment,
    Refund,
    Remittance,
    RemittanceItem,
    Settlement,
)


class Instalment(NamedTuple):
    """One dated amount of a schedule; a plain ``(due_on, amount)`` pair is one too."""

    due_on: date
    amount: Decimal


def payment_plan_owed(
    *, case: Case, instalments: Sequence[Instalment], agreed_on: date, interest: str
) -> Decimal:
    """What these instalments must add up to for the case to owe nothing once the last is paid
    on its date, under the interest rule ``interest`` (``Agency.PlanInterest``).

    *Frozen*: what the debtor owes on ``agreed_on``, invoices not yet due included (the plan
    covers the whole case, so its last instalment closes it). *Accrues*: that, plus the
    interest accruing on what is left until each instalment, as the statement will compute it.
    Raises ``RateMissing`` like the statement.
    """
    planned = [
        PaymentTerms(payment_id=-position, received_on=due_on, amount=amount, method="planned")
        for position, (due_on, amount) in enumerate(instalments, start=1)
    ]
    frozen = interest == Agency.PlanInterest.FROZEN
    projected = case_statement(
        case,
        on=max(due_on for due_on, _ in instalments),
        planned=planned,
        planned_pause=InterestPause(agreed_on) if frozen else None,
    )
    paid = sum((amount for _, amount in instalments), ZERO)
    return paid + projected.outstanding - projected.overpayment


def _split(total: Decimal, due_dates: Sequence[date]) -> list[Instalment]:
    part = (total / len(due_dates)).quantize(CENT, rounding=ROUND_DOWN)
    last = total - part * (len(due_dates) - 1)
    return [Instalment(d, part) for d in due_dates[:-1]] + [Instalment(due_dates[-1], last)]


def payment_plan_schedule(
    *, case: Case, due_dates: Sequence[date], agreed_on: date
) -> list[Instalment]:
    """Equal instalments on ``due_dates`` (the last takes the odd cents) that
    :func:`payment_plan_owed` accepts under the agency's rule: a form's starting point."""
    if not due_dates:
        return []
    interest = case.agency.plan_interest
    total = to_money(case_statement(case, on=agreed_on).outstanding)
    for _ in range(5):  # under "accrues" the interest depends on the amounts: a few rounds
        schedule = _split(total, due_dates)
        owed = payment_plan_owed(
            case=case, instalments=schedule, agreed_on=agreed_on, interest=interest
        )
        if owed == total:
            return schedule
        total, planned = owed, total
    # A cent apart still: the last instalment changes no interest before its date, so it
    # takes the difference.
    last = schedule[-1]
    return [*schedule[:-1], Instalment(last.due_on, last.amount + owed - planned)]


def case_refunds(*, case: Case) -> QuerySet[Refund]:
    """What the case received beyond the debt, owed back or refunded, oldest first."""
    return Refund.objects.filter(case=case, agency_id=case.agency_id).select_related("payment")


# --- matching bank lines to cases -----------------------------------------------------------------
# A case's reference (C-2026-000123) or a letter's (L-2026-000045), as a bank may mangle them:
# dashes lost or turned into spaces, lower case.
REFERENCE = re.compile(r"\b([CL])[-\s/.]?(\d{4})[-\s/.]?(\d{6,7})\b", re.IGNORECASE)
# Confidence (%) of each way of matching; at or above AUTO_RECORD a line is recorded alone.
BY_REFERENCE, BY_REFERENCE_AND_NAME = 90, 100
BY_AMOUNT_AND_NAME, BY_AMOUNT_AND_PART_OF_NAME = 80, 60
AUTO_RECORD = 80
LEGAL_FORMS = frozenset(
    [
        "SA",
        "SAS",
        "SASU",
        "SARL",
        "EURL",
        "SCI",
        "SNC",
        "SCP",
        "SELARL",
        "EI",
        "EIRL",
        "M",
        "MR",
        "MME",
        "MLLE",
        "MONSIEUR",
        "MADAME",
        "ET",
    ]
)

LetterResolver = Callable[[int, Collection[str]], dict[str, int]]
_letter_resolvers: list[LetterResolver] = []


def register_letter_resolver(resolver: LetterResolver) -> None:
    """The letters app (above this one) tells which case each letter reference belongs to:
    ``resolver(agency_id, references) -> {reference: case_id}``."""
    if resolver not in _letter_resolvers:
        _letter_resolvers.append(resolver)


def name_tokens(name: str) -> frozenset[str]:
    """A name as a bank writes it: upper case, no accents, no punctuation, no legal form."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().upper()
    return frozenset(re.findall(r"[A-Z0-9]+", plain)) - LEGAL_FORMS


class LineMatch(NamedTuple):
    """What the matcher found for one line: the case when it is sure enough, the candidates
    otherwise (best first), and how sure it is."""

    case_id: int | None
    matched_by: str
    confidence: int
    candidates: tuple[dict[str, Any], ...]

    @property
    def status(self) -> str:
        if self.case_id is not None:
            return BankLine.Status.MATCHED
        if len(self.candidates) > 1 and self.candidates[0]["confidence"] == self.confidence:
            return BankLine.Status.AMBIGUOUS
        return BankLine.Status.UNMATCHED


def _references(text: str) -> set[str]:
    return {f"{k.upper()}-{year}-{number}" for k, year, number in REFERENCE.findall(text)}


def _name_score(line_tokens: frozenset[str], debtor_tokens: frozenset[str]) -> int:
    if not debtor_tokens or not line_tokens:
        return 0
    if debtor_tokens <= line_tokens:
        return BY_AMOUNT_AND_NAME
    if debtor_tokens & line_tokens:
        return BY_AMOUNT_AND_PART_OF_NAME
    return 0


class _CaseFacts(NamedTuple):
    pk: int
    reference: str
    debtor: str
    tokens: frozenset[str]


def _open_cases(agency_id: int) -> QuerySet[Case]:
    return Case.objects.filter(agency_id=agency_id).exclude(state__in=TERMINAL_STATES)


def _facts(rows: Iterable[tuple[int, str, str, str, str]]) -> dict[int, _CaseFacts]:
    found = {}
    for pk, reference, kind, first_name, name in rows:
        debtor = f"{first_name} {name}" if kind == Debtor.Kind.PERSON and first_name else name
        found[pk] = _CaseFacts(pk, reference, debtor, name_tokens(debtor))
    return found


FACT_FIELDS = ("pk", "reference", "debtor__kind", "debtor__first_name", "debtor__name")


def bank_line_matches(
    *, agency_id: int, lines: Sequence[bankfiles.StatementLine]
) -> list[LineMatch]:
    """Match credits to open cases, set-based (a few queries for the whole file):

    1. a case or letter reference in the remittance information: one case named, it is
       that case (100 % with the debtor's name on the line, else 90 %); several, ambiguous;
    2. otherwise the amount equals what a case has left in principal or an instalment of its
       plan, and the name on the line is the debtor's (80 %) or shares a word with it (60 %).

    Below 80 % a line is not recorded alone: it waits for an agent with its candidates.
    Debits are the agency's own movements and match nothing.
    """
    credits = [line for line in lines if line.amount > ZERO]
    refs = {line.key: _references(line.remittance_info) for line in credits}
    wanted = set().union(*refs.values()) if refs else set()
    by_reference = dict(
        _open_cases(agency_id)
        .filter(reference__in=[r for r in wanted if r.startswith("C-")])
        .values_list("reference", "pk")
    )
    letters = [r for r in wanted if r.startswith("L-")]
    for resolver in _letter_resolvers if letters else ():
        by_reference.update(resolver(agency_id, letters))
    amounts = {line.amount for line in credits if not refs[line.key]}
    by_amount: dict[Decimal, set[int]] = defaultdict(set)
    for pk, amount in (
        _open_cases(agency_id).filter(principal_due__in=amounts).values_list("pk", "principal_due")
    ):
        by_amount[amount].add(pk)
    for pk, amount in PlanInstalment.objects.filter(
        agency_id=agency_id, plan__status=PaymentPlan.Status.ACTIVE, amount__in=amounts
    ).values_list("plan__case_id", "amount"):
        by_amount[amount].add(pk)
    ids = set(by_reference.values())
    for found in by_amount.values():
        ids |= found
    facts = _facts(Case.objects.filter(agency_id=agency_id, pk__in=ids).values_list(*FACT_FIELDS))
    matches = []
    for line in lines:
        if line.amount <= ZERO:
            matches.append(LineMatch(None, "", 0, ()))
            continue
        tokens = name_tokens(line.counterparty)
        scored: dict[int, tuple[int, str]] = {}
        if refs[line.key]:
            for pk in {by_reference[r] for r in refs[line.key] if r in by_reference}:
                sure = _name_score(tokens, facts[pk].tokens) == BY_AMOUNT_AND_NAME
                scored[pk] = (BY_REFERENCE_AND_NAME if sure else BY_REFERENCE, "reference")
        else:
            for pk in by_amount.get(line.amount, ()):
                if score := _name_score(tokens, facts[pk].tokens):
                    scored[pk] = (score, "amount_name")
        ranked = sorted(scored.items(), key=lambda item: (-item[1][0], item[0]))
        candidates = tuple(
            {
                "case_id": pk,
                "reference": facts[pk].reference,
                "debtor": facts[pk].debtor,
                "confidence": score,
            }
            for pk, (score, _) in ranked[:5]
        )
        if not ranked:
            matches.append(LineMatch(None, "", 0, ()))
            continue
        (best, (confidence, matched_by)), *rest = ranked
        unique = not rest or rest[0][1][0] < confidence
        sure = unique and confidence >= AUTO_RECORD
        matches.append(LineMatch(best if sure else None, matched_by, confidence, candidates))
    return matches


# --- payment plans: which instalments are paid ----------------------------------------------------
# Days after an instalment's date before a shortfall breaks the plan: a transfer ordered on
# the day takes a few working days, and a letter may cross a payment (the plan letter says so).
PLAN_GRACE_DAYS = 10


class InstalmentStatus(NamedTuple):
    position: int
    due_on: date
    amount: Decimal
    paid: Decimal

    @property
    def missing(self) -> Decimal:
        return self.amount - self.paid


def plan_instalments(*, plan: PaymentPlan) -> list[InstalmentStatus]:
    """Each instalment and what paid it: the payments received since the plan was agreed,
    in order, fill the instalments in order (an early or larger payment counts for the next)."""
    received = (
        plan.case.payments.filter(received_on__gte=plan.agreed_on).aggregate(total=Sum("amount"))[
            "total"
        ]
        or ZERO
    )
    statuses = []
    for instalment in plan.instalments.order_by("position"):
        paid = min(received, instalment.amount)
        received -= paid
        statuses.append(
            InstalmentStatus(instalment.position, instalment.due_on, instalment.amount, paid)
        )
    return statuses


def plan_first_missed(*, plan: PaymentPlan, today: date) -> InstalmentStatus | None:
    """The first instalment still short once its grace period is over, if any."""
    for status in plan_instalments(plan=plan):
        if status.missing > ZERO and status.due_on + timedelta(days=PLAN_GRACE_DAYS) < today:
            return status
    return None


# --- figures --------------------------------------------------------------------------------------
class MoneyFigures(NamedTuple):
    """One creditor's money over a period, and what the agency holds for it at its end."""

    creditor_id: int
    creditor: str
    collected: Decimal  # received on the dedicated account
    collected_direct: Decimal  # declared as received by the creditor itself
    refunded: Decimal
    remitted: Decimal
    commission: Decimal  # commission and its VAT, taken from the account
    funds_held: Decimal  # the creditor's share of the account at the end of the period


def money_figures(*, principal: Principal | None, start: date, end: date) -> list[MoneyFigures]:
    """Collected, refunded, remitted and commission between ``start`` and ``end`` (included),
    and the funds held on ``end``, per creditor the principal may see: a creditor's user gets
    its own line only. Read from the ledger, so they agree with it to the cent."""
    creditors = visible(Creditor.objects.all(), principal).order_by("legal_name")
    period = Q(booked_on__gte=start, booked_on__lte=end)

    ledger = (
        LedgerEntry.objects.filter(creditor__in=creditors, account=LedgerEntry.Account.BANK)
        .values("creditor_id")
        .annotate(
            collected=Coalesce(
                Sum("amount", filter=period & Q(kind=LedgerEntry.Kind.PAYMENT)), ZERO
            ),
            refunded=Coalesce(
                Sum(-F("amount"), filter=period & Q(kind=LedgerEntry.Kind.REFUND)), ZERO
            ),
            remitted=Coalesce(
                Sum(-F("amount"), filter=period & Q(kind=LedgerEntry.Kind.REMITTANCE)), ZERO
            ),
            commission=Coalesce(
                Sum(-F("amount"), filter=period & Q(kind=LedgerEntry.Kind.COMMISSION)), ZERO
            ),
            held=Coalesce(Sum("amount", filter=Q(booked_on__lte=end)), ZERO),
        )
    )
    by_creditor = {row["creditor_id"]: row for row in ledger}
    direct = dict(
        Payment.objects.filter(
            case__creditor__in=creditors,
            source=Payment.Source.CREDITOR,
            received_on__gte=start,
            received_on__lte=end,
        )
        .values("case__creditor_id")
        .annotate(total=Sum("amount"))
        .values_list("case__creditor_id", "total")
    )
    empty = {
        "collected": ZERO,
        "refunded": ZERO,
        "remitted": ZERO,
        "commission": ZERO,
        "held": ZERO,
    }
    return [
        MoneyFigures(
            creditor_id=creditor.pk,
            creditor=creditor.legal_name,
            collected=(row := by_creditor.get(creditor.pk, empty))["collected"],
            collected_direct=direct.get(creditor.pk, ZERO),
            refunded=row["refunded"],
            remitted=row["remitted"],
            commission=row["commission"],
            funds_held=row["held"],
        )
        for creditor in creditors
    ]


def funds_held(*, creditor: Creditor, on: date) -> Decimal:
    """The creditor's share of the dedicated account at the end of ``on``."""
    return LedgerEntry.objects.filter(
        agency_id=creditor.agency_id,
        creditor=creditor,
        account=LedgerEntry.Account.BANK,
        booked_on__lte=on,
    ).aggregate(total=Coalesce(Sum("amount"), ZERO))["total"]


def ledger_lines(
    *, principal: Principal | None, creditor_id: int | None = None
) -> QuerySet[LedgerEntry]:
    """The ledger as the principal may see it, newest first."""
    lines = visible(LedgerEntry.objects.select_related("creditor"), principal)
    if creditor_id is not None:
        lines = lines.filter(creditor_id=creditor_id)
    return lines.order_by("-booked_on", "-pk")


class Reconciliation(NamedTuple):
    """A statement against what was recorded from it."""

    credits: Decimal
    recorded: Decimal  # credits recorded as payments
    waiting: Decimal  # credits in the queue or being recorded
    other_credits: Decimal  # credits an agent said were not debtors' payments
    debits: Decimal

    @property
    def balanced(self) -> bool:
        return self.credits == self.recorded + self.waiting + self.other_credits


def statement_reconciliation(*, statement: BankStatement) -> Reconciliation:
    """Every credit of a statement is recorded, waiting, or explained: nothing falls between."""
    lines = statement.lines.all()
    total = Coalesce(Sum("amount"), ZERO)
    credits = lines.filter(amount__gt=0)
    return Reconciliation(
        credits=credits.aggregate(t=total)["t"],
        recorded=credits.filter(status=BankLine.Status.MATCHED).aggregate(t=total)["t"],
        waiting=credits.filter(status__in=[*BankLine.QUEUE, BankLine.Status.TO_RECORD]).aggregate(
            t=total
        )["t"],
        other_credits=credits.filter(status=BankLine.Status.IGNORED).aggregate(t=total)["t"],
        debits=lines.filter(amount__lt=0).aggregate(t=total)["t"],
    )


# --- lists for the agency's pages -----------------------------------------------------------------
def bank_statements(*, principal: Principal | None) -> QuerySet[BankStatement]:
    return (
        visible(BankStatement.objects.select_related("imported_by"), principal)
        .annotate(queued=Count("lines", filter=Q(lines__status__in=BankLine.QUEUE)))
        .order_by("-imported_at", "-pk")
    )


def bank_line_queue(*, principal: Principal | None) -> QuerySet[BankLine]:
    """The lines an agent must decide, oldest first."""
    return (
        visible(BankLine.objects.select_related("statement"), principal)
        .filter(status__in=BankLine.QUEUE)
        .order_by("booked_on", "pk")
    )


def remittances(*, principal: Principal | None) -> QuerySet[Remittance]:
    return (
        visible(Remittance.objects.select_related("creditor"), principal)
        .annotate(payments=Count("items"))
        .order_by("-run_on", "-pk")
    )


def remittance_items(*, remittance: Remittance) -> QuerySet[RemittanceItem]:
    return (
        RemittanceItem.objects.filter(remittance=remittance, agency_id=remittance.agency_id)
        .select_related("payment__case__debtor")
        .order_by("payment__case__reference", "payment__received_on", "pk")
    )


class MonthFigures(NamedTuple):
    month: date  # its first day
    collected: Decimal
    refunded: Decimal
    remitted: Decimal
    commission: Decimal


def money_by_month(
    *, principal: Principal | None, start: date, end: date, creditor_id: int | None = None
) -> list[MonthFigures]:
    """The same movements as :func:`money_figures`, month by month (for a chart): every
    creditor the principal may see, or one."""
    lines = visible(LedgerEntry.objects.all(), principal).filter(
        account=LedgerEntry.Account.BANK, booked_on__gte=start, booked_on__lte=end
    )
    if creditor_id is not None:
        lines = lines.filter(creditor_id=creditor_id)

    def moved(kind: str, sign: int) -> Coalesce:
        return Coalesce(Sum(F("amount") * sign, filter=Q(kind=kind)), ZERO)

    rows = (
        lines.annotate(month=TruncMonth("booked_on"))
        .values("month")
        .annotate(
            collected=moved(LedgerEntry.Kind.PAYMENT, 1),
            refunded=moved(LedgerEntry.Kind.REFUND, -1),
            remitted=moved(LedgerEntry.Kind.REMITTANCE, -1),
            commission=moved(LedgerEntry.Kind.COMMISSION, -1),
        )
        .order_by("month")
    )
    return [
        MonthFigures(r["month"], r["collected"], r["refunded"], r["remitted"], r["commission"])
        for r in rows
    ]


@dataclass(frozen=True)
class DayFigures:
    day: date
    calls: int
    reached: int
    promises: int


@dataclass(frozen=True)
class AgentFigures:
    """An agent's own work over a period: what "my day" shows."""

    calls: int
    reached: int
    promises_made: int
    promises_kept: int
    collected: Decimal
    days: list[DayFigures]


def agent_figures(*, agency_id: int, agent: User, start: date, end: date) -> AgentFigures:
    """Calls made, debtors reached, promises taken and kept from ``start`` to ``end`` included,
    and the money received on the agent's kept promises (since each was made)."""
    zone = timezone.get_current_timezone()
    since = datetime.combine(start, datetime.min.time(), zone)
    until = datetime.combine(end + timedelta(days=1), datetime.min.time(), zone)
    calls = ContactLogEntry.objects.filter(
        agency_id=agency_id,
        agent=agent,
        channel=ContactLogEntry.Channel.PHONE,
        direction=ContactLogEntry.Direction.OUTBOUND,
        at__gte=since,
        at__lt=until,
    )
    per_day = {
        row["day"]: row
        for row in calls.annotate(day=TruncDate("at", tzinfo=zone))
        .values("day")
        .annotate(calls=Count("pk"), reached=Count("pk", filter=Q(reached=True)))
    }
    promises = PaymentPromise.objects.filter(agency_id=agency_id, made_by=agent)
    made = dict(
        promises.filter(made_on__range=(start, end))
        .values_list("made_on")
        .annotate(n=Count("pk"))
        .values_list("made_on", "n")
    )
    kept = promises.filter(status=PaymentPromise.Status.KEPT, resolved_on__range=(start, end))
    promised = kept.filter(case=OuterRef("case"), made_on__lte=OuterRef("received_on"))
    collected = (
        Payment.objects.filter(agency_id=agency_id, received_on__lte=end)
        .filter(Exists(promised))
        .aggregate(total=Sum("amount"))["total"]
    )
    days = []
    day = start
    while day <= end:
        row = per_day.get(day, {})
        days.append(
            DayFigures(
                day=day,
                calls=row.get("calls", 0),
                reached=row.get("reached", 0),
                promises=made.get(day, 0),
            )
        )
        day += timedelta(days=1)
    return AgentFigures(
        calls=sum(d.calls for d in days),
        reached=sum(d.reached for d in days),
        promises_made=sum(d.promises for d in days),
        promises_kept=kept.count(),
        collected=to_money(collected or ZERO),
        days=days,
    )


def agent_callbacks_due(*, agency_id: int, agent: User, today: date) -> QuerySet[CallTask]:
    """The callbacks this agent scheduled that fall today or are overdue."""
    zone = timezone.get_current_timezone()
    return (
        CallTask.objects.filter(
            agency_id=agency_id,
            created_by=agent,
            kind=CallTask.Kind.CALLBACK,
            status=CallTask.Status.OPEN,
            due_at__lt=datetime.combine(today + timedelta(days=1), datetime.min.time(), zone),
        )
        .select_related("case__debtor")
        .order_by("due_at")
    )


def agent_promises_due(*, agency_id: int, agent: User, today: date) -> QuerySet[PaymentPromise]:
    return (
        PaymentPromise.objects.filter(
            agency_id=agency_id,
            made_by=agent,
            status=PaymentPromise.Status.PENDING,
            due_on__lte=today,
        )
        .select_related("case__debtor")
        .order_by("due_on")
    )


def settlement_awaiting(*, case: Case) -> Settlement | None:
    """The settlement beyond the convention's bounds that waits for the creditor's answer."""
    return case.settlements.filter(status=Settlement.Status.AWAITING_APPROVAL).first()
