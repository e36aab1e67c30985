"""The statement of account (décompte) of a case at any date: the one source of every amount.

Letters, the judicial dossier, the screens and the API all read :func:`case_statement`, so they
can never disagree. Payments are replayed in date order: interest accrues on each claim up to the
payment date, then the payment is imputed (REQ-C4) and the next period accrues on what is left.

An invoice is owed only once past due (C. com. L441-10 II, D441-5; C. civ. 1342-10): up to and
including its due date it is *not yet due*, shown as such, bears no interest and no €40
indemnity, and is not in the amount due at that date. The indemnity is owed by an invoice
whose principal was still unpaid when its due date passed.

A payment plan agreed under the "frozen" rule (``Agency.plan_interest``) is an
:class:`InterestPause`: from the agreement date, while the plan is kept, no interest accrues and
no invoice falling due owes its indemnity, so what the debtor owes is the plan's total and the
last instalment paid leaves nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from collectio.money import ZERO
from law.imputation import DEFAULT_ORDER, DebtLine, Payment, impute
from law.interest import (
    RECOVERY_INDEMNITY,
    DayBasis,
    DictRateSource,
    InterestRegime,
    InterestSegment,
    RateKind,
    RateSource,
    b2b_default_rate,
    interest_segments,
    legal_rate_kind,
    semester_of,
    total_interest,
)

if TYPE_CHECKING:
    from cases.models import Case


@dataclass(frozen=True)
class InterestPause:
    """No interest accrues on the days after ``start`` up to ``end`` included (to the end of
    time when ``None``), and an invoice whose first late day falls in it owes no indemnity."""

    start: date
    end: date | None = None

    def covers(self, day: date) -> bool:
        return self.start < day and (self.end is None or day <= self.end)


def accruing_periods(
    start: date, end: date, pauses: Sequence[InterestPause]
) -> list[tuple[date, date]]:
    """The periods (``start`` excluded, ``end`` included) of ``start``..``end`` outside every
    pause, in order."""
    periods, current = [], start
    for pause in sorted(pauses, key=lambda p: p.start):
        if current >= end:
            break
        if pause.end is not None and pause.end <= current:
            continue
        if pause.start > current:
            periods.append((current, min(pause.start, end)))
        current = end if pause.end is None else max(current, min(pause.end, end))
    if current < end:
        periods.append((current, end))
    return periods


@dataclass(frozen=True)
class Accrual:
    """Interest over one segment, with the principal it was computed on."""

    base: Decimal
    segment: InterestSegment


@dataclass(frozen=True)
class ClaimStatement:
    claim_id: int
    invoice_number: str
    invoice_date: date
    due_date: date
    principal: Decimal
    regime: InterestRegime
    interest_from: date | None
    accruals: tuple[Accrual, ...]
    interest: Decimal
    indemnity: Decimal
    paid_interest: Decimal
    paid_principal: Decimal
    paid_indemnity: Decimal
    not_yet_due: bool = False
    """Its due date has not passed on the statement date: shown, never demanded."""

    @property
    def paid(self) -> Decimal:
        return self.paid_interest + self.paid_principal + self.paid_indemnity

    @property
    def balance_principal(self) -> Decimal:
        return self.principal - self.paid_principal

    @property
    def balance_interest(self) -> Decimal:
        return self.interest - self.paid_interest

    @property
    def balance_indemnity(self) -> Decimal:
        return self.indemnity - self.paid_indemnity

    @property
    def balance(self) -> Decimal:
        return self.balance_principal + self.balance_interest + self.balance_indemnity


@dataclass(frozen=True)
class PaymentLine:
    payment_id: int
    received_on: date
    amount: Decimal
    method: str
    unallocated: Decimal


@dataclass(frozen=True)
class Statement:
    """The totals are those of the claims past due on ``on``, the only ones a letter demands;
    the claims not yet due are listed apart and summed in :attr:`not_yet_due`."""

    on: date
    claims: tuple[ClaimStatement, ...]
    payments: tuple[PaymentLine, ...]
    warnings: tuple[str, ...] = field(default=())

    @property
    def due_claims(self) -> tuple[ClaimStatement, ...]:
        return tuple(c for c in self.claims if not c.not_yet_due)

    @property
    def pending_claims(self) -> tuple[ClaimStatement, ...]:
        """The invoices whose due date has not passed on ``on``."""
        return tuple(c for c in self.claims if c.not_yet_due)

    @property
    def principal(self) -> Decimal:
        return sum((c.principal for c in self.due_claims), ZERO)

    @property
    def principal_balance(self) -> Decimal:
        """The principal still owed: what ``Case.principal_due`` stores."""
        return sum((c.balance_principal for c in self.claims), ZERO)

    @property
    def interest(self) -> Decimal:
        return sum((c.interest for c in self.due_claims), ZERO)

    @property
    def indemnity(self) -> Decimal:
        return sum((c.indemnity for c in self.due_claims), ZERO)

    @property
    def paid(self) -> Decimal:
        """Everything received, whatever it was imputed on."""
        return sum((p.amount for p in self.payments), ZERO)

    @property
    def paid_on_due(self) -> Decimal:
        """What the payments settled of the claims past due (the statement's "paid" column)."""
        return sum((c.paid for c in self.due_claims), ZERO)

    @property
    def overpayment(self) -> Decimal:
        return sum((p.unallocated for p in self.payments), ZERO)

    @property
    def balance(self) -> Decimal:
        """The amount due on ``on``: what a letter may demand."""
        return sum((c.balance for c in self.due_claims), ZERO)

    @property
    def interest_balance(self) -> Decimal:
        return sum((c.balance_interest for c in self.due_claims), ZERO)

    @property
    def not_yet_due(self) -> Decimal:
        """What is left of the invoices not yet due: owed later, not demanded now."""
        return sum((c.balance for c in self.pending_claims), ZERO)

    @property
    def outstanding(self) -> Decimal:
        """Everything still to pay, due or not: the case is paid when it reaches zero."""
        return self.balance + self.not_yet_due


@dataclass(frozen=True)
class ClaimTerms:
    """What the engine needs of one claim: plain values, so the engine stays database-free."""

    claim_id: int
    invoice_number: str
    invoice_date: date
    due_date: date
    principal: Decimal
    regime: InterestRegime
    interest_from: date | None
    contract_rate: Decimal | None
    indemnity: Decimal


@dataclass(frozen=True)
class PaymentTerms:
    payment_id: int
    received_on: date
    amount: Decimal
    method: str
    designated: tuple[int, ...] = ()


@dataclass
class _Running:
    terms: ClaimTerms
    accrued_to: date | None
    pauses: Sequence[InterestPause] = ()
    accruals: list[Accrual] = field(default_factory=list)
    interest: Decimal = ZERO
    indemnity: Decimal = ZERO
    fell_due: bool = False
    paid_interest: Decimal = ZERO
    paid_principal: Decimal = ZERO
    paid_indemnity: Decimal = ZERO

    def reach(self, day: date) -> None:
        """Move to ``day``: the first day after the due date, an invoice whose principal is not
        fully paid is late and owes its indemnity (D441-5: per invoice paid late), unless that
        day falls in a kept payment plan that froze what the debtor owes."""
        if not self.fell_due and day > self.terms.due_date:
            self.fell_due = True
            first_late_day = self.terms.due_date + timedelta(days=1)
            frozen = any(pause.covers(first_late_day) for pause in self.pauses)
            if self.paid_principal < self.terms.principal and not frozen:
                self.indemnity = self.terms.indemnity

    def accrue(
        self, to: date, rates: RateSource, creditor_is_private: bool, basis: DayBasis
    ) -> None:
        if self.accrued_to is None or to <= self.accrued_to:
            return
        base = self.terms.principal - self.paid_principal
        for start, end in accruing_periods(self.accrued_to, to, self.pauses):
            segments = interest_segments(
                principal=base,
                start=start,
                end=end,
                regime=self.terms.regime,
                rates=rates,
                creditor_is_private=creditor_is_private,
                contract_rate=self.terms.contract_rate,
                basis=basis,
            )
            self.accruals.extend(Accrual(base, s) for s in segments)
            self.interest += total_interest(segments)
        self.accrued_to = to

    def debt_line(self, rate: Decimal) -> DebtLine:
        return DebtLine(
            claim_id=self.terms.claim_id,
            due_date=self.terms.due_date,
            principal=self.terms.principal - self.paid_principal,
            interest=self.interest - self.paid_interest,
            indemnity=self.indemnity - self.paid_indemnity,
            rate=rate,
        )


def compute_statement(
    *,
    on: date,
    claims: Sequence[ClaimTerms],
    payments: Sequence[PaymentTerms],
    rates: RateSource,
    creditor_is_private: bool = False,
    basis: DayBasis = DayBasis.ACT_365,
    order: Sequence[str] = DEFAULT_ORDER,
    pauses: Sequence[InterestPause] = (),
) -> Statement:
    """Replay payments in date order over the claims and accrue interest up to ``on``, except
    during ``pauses``."""
    running = [_Running(terms=c, accrued_to=c.interest_from, pauses=pauses) for c in claims]
    lines: list[PaymentLine] = []
    for payment in sorted(payments, key=lambda p: (p.received_on, p.payment_id)):
        if payment.received_on > on:
            continue
        for claim in running:
            claim.reach(payment.received_on)
            claim.accrue(payment.received_on, rates, creditor_is_private, basis)
        frozen = any(pause.covers(payment.received_on) for pause in pauses)
        debt_lines = [
            c.debt_line(
                ZERO
                if frozen
                else _current_rate(c.terms, payment.received_on, rates, creditor_is_private)
            )
            for c in running
        ]
        imputation = impute(
            Payment(payment.amount, payment.received_on, payment.designated),
            debt_lines,
            order=order,
        )
        for claim, allocation in zip(running, imputation.allocations, strict=True):
            claim.paid_interest += allocation.interest
            claim.paid_principal += allocation.principal
            claim.paid_indemnity += allocation.indemnity
        lines.append(
            PaymentLine(
                payment.payment_id,
                payment.received_on,
                payment.amount,
                payment.method,
                imputation.unallocated,
            )
        )
    for claim in running:
        claim.reach(on)
        claim.accrue(on, rates, creditor_is_private, basis)
    return Statement(
        on=on,
        claims=tuple(
            ClaimStatement(
                claim_id=c.terms.claim_id,
                invoice_number=c.terms.invoice_number,
                invoice_date=c.terms.invoice_date,
                due_date=c.terms.due_date,
                principal=c.terms.principal,
                regime=c.terms.regime,
                interest_from=c.terms.interest_from,
                accruals=tuple(c.accruals),
                interest=c.interest,
                indemnity=c.indemnity,
                paid_interest=c.paid_interest,
                paid_principal=c.paid_principal,
                paid_indemnity=c.paid_indemnity,
                not_yet_due=not c.fell_due,
            )
            for c in running
        ),
        payments=tuple(lines),
    )


def _current_rate(
    terms: ClaimTerms, on: date, rates: RateSource, creditor_is_private: bool
) -> Decimal:
    """The rate a claim bears on a day: the debt "le plus d'intérêt d'acquitter" ranks first."""
    if (
        terms.regime is InterestRegime.NONE
        or terms.interest_from is None
        or on <= terms.interest_from
    ):
        return ZERO
    if terms.contract_rate is not None:
        return terms.contract_rate
    semester = semester_of(on)
    if terms.regime is InterestRegime.B2B_DEFAULT:
        return b2b_default_rate(semester, rates)
    return rates.rate(legal_rate_kind(creditor_is_private=creditor_is_private), semester)


# --- the database side: load a case, its rates and its payments ------------------------------
def database_rates() -> RateSource:
    """All reference rates in one query; a missing semester still raises RATE_MISSING."""
    from dunning.models import ReferenceRate

    table: dict[str, dict[RateKind, Decimal]] = {}
    for semester, kind, rate in ReferenceRate.objects.values_list("semester", "kind", "rate"):
        table.setdefault(semester, {})[RateKind(kind)] = rate
    return DictRateSource(table)


def claim_terms(case: Case) -> list[ClaimTerms]:
    """Which regime each claim falls under (sections B and C) and from when interest runs."""
    from cases.models import Claim
    from debtors.models import Debtor

    debtor = case.debtor
    terms = []
    for claim in case.claims.all():
        if claim.debt_kind == Claim.DebtKind.B2B and debtor.kind == Debtor.Kind.COMPANY:
            regime = (
                InterestRegime.B2B_CONTRACT
                if claim.contract_rate is not None
                else InterestRegime.B2B_DEFAULT
            )
            interest_from: date | None = claim.due_date
            indemnity = RECOVERY_INDEMNITY
        elif debtor.kind == Debtor.Kind.PUBLIC:
            # REQ-B5: public buyers have their own regime (ECB + 8, CCP R2192-31); not computed.
            regime, interest_from, indemnity = InterestRegime.NONE, None, ZERO
        else:
            # REQ-C1: civil legal interest runs from the formal notice; no indemnity, no fees.
            # A notice cannot put in default a sum not yet due: then from the due date.
            notice = case.formal_notice_received_on
            regime, interest_from, indemnity = (
                InterestRegime.LEGAL,
                max(notice, claim.due_date) if notice else None,
                ZERO,
            )
        terms.append(
            ClaimTerms(
                claim_id=claim.pk,
                invoice_number=claim.invoice_number,
                invoice_date=claim.invoice_date,
                due_date=claim.due_date,
                principal=claim.principal,
                regime=regime,
                interest_from=interest_from,
                contract_rate=claim.contract_rate
                if regime is InterestRegime.B2B_CONTRACT
                else None,
                indemnity=indemnity,
            )
        )
    return terms


def plan_pauses(case: Case) -> tuple[InterestPause, ...]:
    """The periods a payment plan froze what the debtor owes: from its agreement while it is
    kept, to the day it was broken. Read through the case (the plans' app is above this one)."""
    from collectio.models import Agency

    plans = getattr(case, "payment_plans", None)
    if plans is None:  # a data migration's historical case, from before payment plans
        return ()
    return tuple(
        InterestPause(agreed_on, broken_on)
        for agreed_on, broken_on in plans.filter(interest=Agency.PlanInterest.FROZEN).values_list(
            "agreed_on", "broken_on"
        )
    )


def case_statement(
    case: Case,
    *,
    on: date,
    rates: RateSource | None = None,
    planned: Sequence[PaymentTerms] = (),
    planned_pause: InterestPause | None = None,
) -> Statement:
    """The décompte of ``case`` on ``on``, line by line.

    ``planned`` and ``planned_pause`` project a payment plan not yet agreed: its instalments
    as if paid on their dates and, under the "frozen" rule, its pause.
    """
    from debtors.models import Debtor

    payments = [
        PaymentTerms(
            payment_id=p.pk,
            received_on=p.received_on,
            amount=p.amount,
            method=p.method,
            designated=tuple(c.pk for c in p.designated_claims.all()),
        )
        for p in case.payments.prefetch_related("designated_claims")
    ]
    statement = compute_statement(
        on=on,
        claims=claim_terms(case),
        payments=[*payments, *planned],
        rates=rates or database_rates(),
        creditor_is_private=case.creditor.is_private_person,
        basis=DayBasis(case.agency.day_basis),
        order=case.agency.imputation_order.split(","),
        pauses=(*plan_pauses(case), *((planned_pause,) if planned_pause else ())),
    )
    if case.debtor.kind == Debtor.Kind.PUBLIC:
        return replace(
            statement,
            warnings=("Public-sector debtor: late interest (CCP R2192-31) not computed.",),
        )
    return statement
