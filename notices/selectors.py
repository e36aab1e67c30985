"""Reads for letters: what blocks a letter, the first letter, and everything a letter says."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date
from itertools import groupby
from typing import Any

from django.db.models import QuerySet, Sum
from django.db.models.functions import Coalesce
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from cases.models import TERMINAL_STATES, Case, Creditor
from collectio.access import visible
from collectio.models import Agency, Membership
from collectio.money import ZERO, euros
from debtors.models import ContactPoint, Debtor
from dunning.models import Action, Step
from dunning.selectors import rate_missing_message
from dunning.statement import (
    PaymentTerms,
    Statement,
    case_statement,
    claim_terms,
    compute_statement,
    database_rates,
    plan_pauses,
)
from law.calendar import FrenchCalendar, debtor_deadline
from law.interest import DayBasis, RateMissing
from notices import content
from notices.linter import default_wording, forbidden_wording, render_wording
from notices.models import (
    AFTER_FIRST_LETTER_KINDS,
    DEBTOR_KINDS,
    DOCUMENT_CHANNELS,
    Channel,
    LetterKind,
    LetterTemplate,
    Notice,
)
from notices.templatetags.letters import longdate
from payments.models import Payment, PaymentPlan, Remittance, RemittanceItem

DEFAULT_DEADLINE_DAYS = 8
# Kinds that press for payment: refused on a time-barred debt (REQ-D4).
DUNNING_KINDS = frozenset(
    {
        LetterKind.FIRST_REMINDER,
        LetterKind.SECOND_REMINDER,
        LetterKind.FORMAL_NOTICE,
        LetterKind.JUDICIAL_HANDOFF,
    }
)
# Kinds whose letter carries the case's statement of account.
STATEMENT_KINDS = DUNNING_KINDS | {LetterKind.PAYMENT_PLAN}


class LetterBlocked(Exception):
    """``LETTER_BLOCKED``: the law forbids producing this letter now; the reasons say why."""

    code = "LETTER_BLOCKED"

    def __init__(self, reasons: Sequence[str]) -> None:
        self.reasons = list(reasons)
        super().__init__(f"{self.code}: {'; '.join(self.reasons)}")


def first_letter(case: Case) -> content.FirstLetter | None:
    """The case's first letter that left: every later contact recalls it (REQ-A6).

    A first reminder counts once sent on a channel that carries the letter itself; an e-mail
    that bounced does not count.
    """
    notice = (
        Notice.objects.filter(
            case=case,
            agency_id=case.agency_id,
            kind=LetterKind.FIRST_REMINDER,
            status=Notice.Status.SENT,
            channel__in=DOCUMENT_CHANNELS,
            bounced_at__isnull=True,
        )
        .order_by("sent_at", "pk")
        .only("reference", "sent_at")
        .first()
    )
    if notice is None:
        return None
    return content.FirstLetter(notice.reference, timezone.localdate(notice.sent_at))


def debtor_contact(debtor: Debtor, channel: str) -> str:
    """The address to write to: personal details before professional ones (REQ-F2)."""
    wanted = ContactPoint.Channel.PHONE if channel == Channel.SMS else ContactPoint.Channel.EMAIL
    point = (
        ContactPoint.objects.filter(debtor=debtor, agency_id=debtor.agency_id, channel=wanted)
        .order_by("is_professional", "pk")
        .first()
    )
    return point.value if point else ""


def letter_blockers(
    *, agency: Agency, creditor: Creditor, kind: str, channel: str, case: Case | None, on: date
) -> list[str]:
    """Why this letter may not be produced on ``on`` (empty: it may)."""
    reasons = []
    if missing := agency.missing_prerequisites(on):
        reasons.append(
            _("The agency lacks its legal prerequisites (R124-2): %(missing)s.")
            % {"missing": ", ".join(missing)}
        )
    if missing := creditor.missing_mandate_clauses():
        reasons.append(
            _("The creditor's collection mandate is incomplete (R124-3): %(missing)s.")
            % {"missing": ", ".join(missing)}
        )
    reasons.extend(_lookalike_wording(agency, creditor))
    if case is None:
        return reasons
    debtor = case.debtor
    if (
        channel == Channel.ELECTRONIC_REGISTERED_LETTER
        and debtor.kind == Debtor.Kind.PERSON
        and not debtor.consents_to_electronic_registered_mail
    ):
        reasons.append(
            _("A private person must consent in advance to electronic registered mail (CPCE L100).")
        )
    if channel in (Channel.EMAIL, Channel.SMS, Channel.ELECTRONIC_REGISTERED_LETTER) and not (
        debtor_contact(debtor, channel)
    ):
        reasons.append(_("The debtor has no contact point for this channel."))
    if kind in AFTER_FIRST_LETTER_KINDS and first_letter(case) is None:
        reasons.append(_("The first letter has not been sent yet (R124-4)."))
    if kind in DUNNING_KINDS and case.is_time_barred:
        reasons.append(_("The debt is time-barred: no letter may present it as due."))
    if kind in DUNNING_KINDS and not case.has_claim_past_due(on):
        reasons.append(
            _("No invoice is past due on %(date)s: a letter may not demand any.")
            % {"date": formats.date_format(on, "SHORT_DATE_FORMAT")}
        )
    return reasons


def _lookalike_wording(agency: Agency, creditor: Creditor) -> list[str]:
    """REQ-A9 on what the agency typed about itself and the creditor, which every letter prints
    in full: even as plain text, "HUISSIER DE JUSTICE – SAISIE IMMINENTE" in the creditor's
    name makes the letter read as an enforcement act (art. 433-13 C. pén.)."""
    fields = (
        (_("The creditor's name"), creditor.legal_name),
        (_("The creditor's basis of the sums due"), creditor.mandate_sums_basis),
        (_("The agency's name"), agency.legal_name),
    )
    return [
        _("%(field)s carries wording no letter may carry (REQ-A9): %(terms)s.")
        % {"field": field, "terms": ", ".join(f"« {t} »" for t in found)}
        for field, text in fields
        if (found := forbidden_wording(text))
    ]


def kind_for_step(step: Step | None, case: Case) -> str:
    """The letter a step sends (``None``: the case's next letter, for a preview): the step's
    template if it names a kind, else what its action implies."""
    if step is not None and step.letter_template in LetterKind.values:
        return step.letter_template
    if step is not None and step.action == Action.FORMAL_NOTICE:
        return LetterKind.FORMAL_NOTICE
    if step is not None and step.action == Action.JUDICIAL_HANDOFF:
        return LetterKind.JUDICIAL_HANDOFF
    if first_letter(case) is None:
        return LetterKind.FIRST_REMINDER
    return LetterKind.SECOND_REMINDER


def payment_deadline(*, case: Case, start: date, days: int) -> date:
    """A period granted to the debtor, on the debtor's calendar (REQ-E2, REQ-G3)."""
    return debtor_deadline(start, days, calendar=FrenchCalendar.for_postcode(case.debtor.postcode))


def wording_source(agency_id: int, kind: str) -> str:
    """The agency's wording for a kind, or the shipped default."""
    template = LetterTemplate.objects.filter(agency_id=agency_id, kind=kind).first()
    if template is not None:
        return template.body
    return default_wording(kind)


def payment_receipt(case: Case, payment: Payment) -> content.Receipt:
    """How one payment was imputed and what remained once it was (REQ-A8).

    The statement is replayed twice on the payment date, without and with this payment (and
    those before it), so the imputation shown is exactly the one the statement applies.
    """
    ordered = list(case.payments.prefetch_related("designated_claims"))
    upto = ordered[: ordered.index(payment) + 1]
    terms = [
        PaymentTerms(
            payment_id=p.pk,
            received_on=p.received_on,
            amount=p.amount,
            method=p.method,
            designated=tuple(c.pk for c in p.designated_claims.all()),
        )
        for p in upto
    ]
    claims = claim_terms(case)
    rates = database_rates()
    pauses = plan_pauses(case)

    def replay(payments: list[PaymentTerms]) -> Statement:
        return compute_statement(
            on=payment.received_on,
            claims=claims,
            payments=payments,
            rates=rates,
            creditor_is_private=case.creditor.is_private_person,
            basis=DayBasis(case.agency.day_basis),
            order=case.agency.imputation_order.split(","),
            pauses=pauses,
        )

    return content.receipt(
        amount=payment.amount,
        received_on=payment.received_on,
        method=payment.method,
        before=replay(terms[:-1]),
        after=replay(terms),
    )


def payment_plan(case: Case, plan_id: int | None, statement: Statement) -> content.Plan:
    """The plan a letter states; without one (a preview), what the agency's rule would say of
    a plan agreed on the statement's date for everything owed, before its instalments."""
    if plan_id is None:
        return content.Plan(
            agreed_on=statement.on,
            total=statement.outstanding,
            interest=case.agency.plan_interest,
            instalments=(),
        )
    plan = PaymentPlan.objects.get(pk=plan_id, agency_id=case.agency_id, case=case)
    return content.Plan(
        agreed_on=plan.agreed_on,
        total=plan.total,
        interest=plan.interest,
        instalments=tuple(
            content.Instalment(i.due_on, i.amount) for i in plan.instalments.order_by("position")
        ),
    )


def remittance(creditor: Creditor, start: date, end: date) -> content.Remittance:
    """Payments collected for a creditor over a period, per case, with the agency's commission.

    What a payment brought beyond the debt is the debtor's (a ``Refund``): neither remitted nor
    charged a commission.
    """
    payments = (
        Payment.objects.filter(
            agency_id=creditor.agency_id, case__creditor=creditor, received_on__range=(start, end)
        )
        .annotate(owed_back=Coalesce(Sum("refunds__amount"), ZERO))
        .select_related("case__debtor")
        .order_by("case__reference", "received_on", "pk")
    )
    rows = tuple(
        content.remittance_row(
            case_reference=reference,
            debtor_name=group[0].case.debtor.display_name,
            amounts=[p.amount - p.owed_back for p in group],
            rate=creditor.commission_rate,
        )
        for reference, group in (
            (r, list(g)) for r, g in groupby(payments, lambda p: p.case.reference)
        )
    )
    return content.Remittance(start, end, creditor.commission_rate, rows)


def remittance_of_run(remittance: Remittance) -> content.Remittance:
    """A remittance run as its statement shows it: its payments per case, the commission it
    charged on each, the VAT, and what the creditor received itself (not transferred)."""
    items = (
        RemittanceItem.objects.filter(remittance=remittance, agency_id=remittance.agency_id)
        .select_related("payment__case__debtor")
        .order_by("payment__case__reference", "payment__received_on", "pk")
    )
    rows = []
    for reference, group in groupby(items, lambda i: i.payment.case.reference):
        group = list(group)
        rows.append(
            content.RemittanceRow(
                case_reference=reference,
                debtor_name=group[0].payment.case.debtor.display_name,
                payments=len(group),
                collected=sum((i.amount for i in group), ZERO),
                commission=sum((i.commission for i in group), ZERO),
                direct=sum((i.amount for i in group if not i.remitted), ZERO),
            )
        )
    days = [i.payment.received_on for i in items] or [remittance.run_on]
    return content.Remittance(
        min(days),
        max(days),
        remittance.commission_rate,
        tuple(rows),
        vat_rate=remittance.vat_rate,
        vat=remittance.vat,
        reference=remittance.reference,
    )


def notice_context(notice: Notice, *, preview: bool = False) -> dict[str, Any]:
    """Everything ``notice``'s letter says, read from the case at the notice's statement date.

    Amounts need the reference rates of every day they cover: without one, the letter is
    ``LETTER_BLOCKED`` with the rate to import, rather than failed for a retry to fail again.
    """
    try:
        return _notice_context(notice, preview=preview)
    except RateMissing as missing:
        raise LetterBlocked([rate_missing_message(missing)]) from missing


def _notice_context(notice: Notice, *, preview: bool) -> dict[str, Any]:
    case = notice.case
    agency = notice.agency
    creditor = notice.creditor
    statement = (
        case_statement(case, on=notice.statement_on) if notice.kind in STATEMENT_KINDS else None
    )
    first = first_letter(case) if case is not None and notice.kind in DEBTOR_KINDS else None
    data = notice.data
    receipt = (
        payment_receipt(case, case.payments.get(pk=data["payment_id"]))
        if notice.kind == LetterKind.PAYMENT_RECEIPT
        else None
    )
    values = content.wording_values(
        debtor_name=case.debtor.display_name if case else creditor.legal_name,
        creditor_name=creditor.legal_name,
        agency_name=agency.legal_name,
        case_reference=case.reference if case else "",
        total_due=euros(statement.balance) if statement else "",
        deadline=longdate(notice.deadline),
        letter_date=longdate(notice.statement_on),
        first_letter=first,
        first_letter_date=longdate(first.sent_on) if first else "",
    )
    return content.letter_context(
        kind=notice.kind,
        agency=agency,
        creditor=creditor,
        case=case,
        debtor=case.debtor if case else None,
        reference=notice.reference,
        letter_date=notice.statement_on,
        channel=notice.channel,
        wording=render_wording(wording_source(agency.pk, notice.kind), values),
        preview=preview,
        statement=statement,
        first_letter=first,
        deadline=notice.deadline,
        deadline_days=notice.deadline_days,
        deadline_from_acknowledgement=notice.deadline_from_acknowledgement,
        receipt=receipt,
        plan=payment_plan(case, data.get("plan_id"), statement)
        if notice.kind == LetterKind.PAYMENT_PLAN
        else None,
        remittance=(
            remittance_of_run(Remittance.objects.get(pk=data["remittance_id"]))
            if data.get("remittance_id")
            else remittance(
                creditor,
                date.fromisoformat(data["period_start"]),
                date.fromisoformat(data["period_end"]),
            )
        )
        if notice.kind == LetterKind.REMITTANCE_STATEMENT
        else None,
    )


# --- member-facing reads --------------------------------------------------------------------
def notice_list(*, membership: Membership | None) -> QuerySet[Notice]:
    return visible(Notice.objects.select_related("case", "creditor", "print_batch"), membership)


def case_notices(*, case: Case) -> QuerySet[Notice]:
    return Notice.objects.filter(case=case, agency_id=case.agency_id).order_by("created_at", "pk")


def cases_of_letter_references(agency_id: int, references: Collection[str]) -> dict[str, int]:
    """Which open case each letter reference belongs to, for matching bank lines (a debtor
    often pays with the reference of the letter it received)."""
    return dict(
        Notice.objects.filter(agency_id=agency_id, reference__in=references, case__isnull=False)
        .exclude(case__state__in=TERMINAL_STATES)
        .values_list("reference", "case_id")
    )
