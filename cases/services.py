"""Every write on cases: one function per use case, atomic, writing its CaseEvent."""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import ConcurrentTransition

from cases import events
from cases.models import (
    Case,
    CaseState,
    Claim,
    Creditor,
    mandate_allows_litigation,
    staff_or_own_creditor,
    transition_blockers,
)
from collectio import services as config_services
from collectio.models import Agency, ConfigChange, User
from collectio.money import to_money
from collectio.references import next_reference, next_references
from collectio.scoping import tenant_scope
from debtors.models import Debtor
from law.payment_terms import PaymentTerm, due_date_for
from law.prescription import DebtType, Interruption, InterruptionKind, limitation_date

_ALL_TRANSITIONS = list(
    Case._meta.get_field("state").get_all_transitions(Case)  # type: ignore[attr-defined]
)
TRANSITIONS = frozenset(t.name for t in _ALL_TRANSITIONS)
# Ending or suspending a case on someone's word: the timeline must say why (their reason).
REASON_REQUIRED = frozenset(t.name for t in _ALL_TRANSITIONS if t.custom.get("reason_required"))


TransitionHook = Callable[..., None]
TRANSITION_HOOKS: dict[str, list[TransitionHook]] = {}


def on_transition(name: str) -> Callable[[TransitionHook], TransitionHook]:
    """Register what an app above this one does, in the same transaction, once ``name`` fired:
    ``hook(case=..., from_state=..., actor=...)`` (a payment plan is broken with its case)."""
    if name not in TRANSITIONS:
        raise ValueError(f"{name!r} is not a case transition")

    def register(hook: TransitionHook) -> TransitionHook:
        if hook not in TRANSITION_HOOKS.setdefault(name, []):
            TRANSITION_HOOKS[name].append(hook)
        return hook

    return register


class CaseTransitionError(Exception):
    """A transition refused, with the reasons a person can act on."""

    def __init__(self, transition: str, reasons: Sequence[str]) -> None:
        self.transition = transition
        self.reasons = list(reasons)
        super().__init__(f"{transition}: {'; '.join(self.reasons)}")


@dataclass(frozen=True, kw_only=True)
class ClaimInput:
    """One invoice handed over. Without a printed due date, ``payment_term`` gives it
    (L441-10 I); without either, the legal default of 30 days applies."""

    invoice_number: str
    invoice_date: date
    principal: Decimal
    debt_kind: str
    due_date: date | None = None
    payment_term: PaymentTerm | str = PaymentTerm.DEFAULT_30
    contract_rate: Decimal | None = None

    @property
    def effective_due_date(self) -> date:
        return self.due_date or due_date_for(self.payment_term, self.invoice_date)


@transaction.atomic
def case_open(
    *,
    agency: Agency,
    creditor: Creditor,
    debtor: Debtor,
    claims: Sequence[ClaimInput],
    actor: User | None,
) -> Case:
    """Open a case in state ``new`` with its claims; the agency decides later to accept it."""
    if creditor.agency_id != agency.pk or debtor.agency_id != agency.pk:
        raise ValidationError(_("Creditor and debtor must belong to the agency."))
    if not claims:
        raise ValidationError(_("A case needs at least one invoice."))
    case = _new_case(
        agency=agency,
        creditor=creditor,
        debtor=debtor,
        claims=claims,
        reference=next_reference(agency_id=agency.pk, prefix="C", year=timezone.localdate().year),
    )
    case.save()
    rows = _new_claims(case, claims)
    for row in rows:
        row.full_clean(exclude=["case", "agency"], validate_unique=False)
    Claim.objects.bulk_create(rows)
    case_refresh_limitation(case=case)
    case.refresh_from_db()
    events.case_opened(case=case, actor=actor, claims=len(rows), principal=case.principal_total)
    return case


def _new_case(
    *,
    agency: Agency,
    creditor: Creditor,
    debtor: Debtor,
    claims: Sequence[ClaimInput],
    reference: str,
) -> Case:
    principal = to_money(sum((c.principal for c in claims), Decimal(0)))
    return Case(
        agency=agency,
        creditor=creditor,
        debtor=debtor,
        reference=reference,
        principal_total=principal,
        principal_due=principal,
        first_due_date=min(c.effective_due_date for c in claims),
    )


def _new_claims(case: Case, claims: Sequence[ClaimInput]) -> list[Claim]:
    return [
        Claim(
            agency_id=case.agency_id,
            case=case,
            invoice_number=c.invoice_number,
            invoice_date=c.invoice_date,
            due_date=c.effective_due_date,
            principal=to_money(c.principal),
            debt_kind=c.debt_kind,
            contract_rate=c.contract_rate,
        )
        for c in claims
    ]


@transaction.atomic
def cases_open_many(
    *,
    agency: Agency,
    creditor: Creditor,
    openings: Sequence[tuple[Debtor, Sequence[ClaimInput]]],
    actor: User | None,
) -> list[Case]:
    """Open many cases at once (a bulk import), each as ``case_open`` would, in a few statements.

    The claims must have been checked already (the import checks every row before it writes).
    """
    if creditor.agency_id != agency.pk or any(d.agency_id != agency.pk for d, _c in openings):
        raise ValidationError(_("Creditor and debtor must belong to the agency."))
    if any(not claims for _d, claims in openings):
        raise ValidationError(_("A case needs at least one invoice."))
    references = next_references(
        agency_id=agency.pk, prefix="C", year=timezone.localdate().year, count=len(openings)
    )
    cases = [
        _new_case(agency=agency, creditor=creditor, debtor=d, claims=c, reference=r)
        for (d, c), r in zip(openings, references, strict=True)
    ]
    rows: list[Claim] = []
    for case, (_debtor, claims) in zip(cases, openings, strict=True):
        made = _new_claims(case, claims)  # tied to the case once it is saved below
        for claim in made:
            claim.limitation_date = _claim_limitation(claim, [])
        case.limitation_date = min(c.limitation_date for c in made)
        rows.extend(made)
    Case.objects.bulk_create(cases, batch_size=2000)
    Claim.objects.bulk_create(rows, batch_size=2000)
    events.cases_opened(cases=cases, claims=[len(c) for _d, c in openings], actor=actor)
    return cases


# --- prescription -----------------------------------------------------------------------------
def _debt_type(claim: Claim) -> DebtType:
    return DebtType.CONSUMER if claim.debt_kind == Claim.DebtKind.CONSUMER else DebtType.COMMERCIAL


def _limitation_start(claim: Claim) -> date:
    """L218-2 runs from the service; without that date take the earlier of invoice and due date
    (the conservative reading of REQ-D1)."""
    return min(claim.invoice_date, claim.due_date)


def _claim_limitation(claim: Claim, interruptions: Sequence[Interruption]) -> date:
    return limitation_date(
        debt_type=_debt_type(claim), starts_on=_limitation_start(claim), interruptions=interruptions
    )


def case_refresh_limitation(*, case: Case, plans_signed_on: Sequence[date] = ()) -> None:
    """Recompute each claim's limitation date from its interruptions (payments and signed
    payment plans are acknowledgements, C. civ. 2240) and keep the earliest on the case."""
    interruptions = [
        Interruption(InterruptionKind.PARTIAL_PAYMENT, on)
        for on in case.payments.values_list("received_on", flat=True)
    ] + [Interruption(InterruptionKind.SIGNED_PLAN, on) for on in plans_signed_on]
    claims = list(case.claims.all())
    for claim in claims:
        claim.limitation_date = _claim_limitation(claim, interruptions)
    Claim.objects.bulk_update(claims, ["limitation_date"])
    Case.objects.filter(pk=case.pk).update(
        limitation_date=min((c.limitation_date for c in claims), default=None)
    )


@transaction.atomic
def case_transition(
    *,
    case: Case,
    transition: str,
    actor: User | None,
    expected_state: str | None = None,
    reason: str = "",
    **arguments: Any,
) -> Case:
    """Fire one transition under a row lock and record it; the only way a case changes state.

    ``actor=None`` is the system (the sweep); a person must hold the transition's permission.
    ``expected_state`` is the state the person saw: if the case moved since, the click is refused
    rather than applied to a state they never saw. A person who withdraws, settles, disputes or
    closes gives the ``reason``, kept in the event.
    """
    if transition not in TRANSITIONS:
        raise CaseTransitionError(transition, [_("Unknown action.")])
    locked = Case.objects.select_for_update().select_related("creditor").get(pk=case.pk)
    if expected_state is not None and locked.state != expected_state:
        raise ConcurrentTransition(_("The case changed meanwhile; reload it and try again."))
    method = getattr(locked, transition)
    meta = method._django_fsm
    if not meta.has_transition(locked.state):
        raise CaseTransitionError(transition, transition_blockers(locked, transition))
    # django-fsm's has_transition_perm() also checks conditions; ask the permission alone here.
    if actor is not None and not meta.has_transition_perm(locked, locked.state, actor):
        raise PermissionDenied(_("You may not do this on this case."))
    blockers = transition_blockers(locked, transition)
    if actor is not None and transition in REASON_REQUIRED and not reason.strip():
        blockers.append(_("Give the reason for this action."))
    if blockers:
        raise CaseTransitionError(transition, blockers)
    from_state = locked.state
    try:
        method(**arguments)
    except (TypeError, ValueError) as error:  # missing or wrong arguments, e.g. a closure code
        raise CaseTransitionError(transition, [_("Invalid details for this action.")]) from error
    locked.save()
    events.state_changed(
        case=locked,
        actor=actor,
        transition=transition,
        from_state=from_state,
        to_state=locked.state,
        reason=reason.strip(),
        details={k: str(v) for k, v in arguments.items()},
    )
    for hook in TRANSITION_HOOKS.get(transition, ()):
        hook(case=locked, from_state=from_state, actor=actor)
    return locked


@transaction.atomic
def case_approve_handoff(*, case: Case, actor: User, reason: str = "") -> Case:
    """The creditor's instruction to go to court (REQ-E3), from its user or recorded by staff.

    Only a case under formal notice can be handed off, and only under a mandate that covers
    judicial proceedings: an approval given earlier would be an instruction nobody can act on.
    """
    locked = Case.objects.select_for_update().select_related("creditor").get(pk=case.pk)
    if not staff_or_own_creditor(locked, actor):
        raise PermissionDenied(_("You may not do this on this case."))
    refusals = []
    if locked.state != CaseState.FORMAL_NOTICE:
        refusals.append(
            _(
                "The judicial handoff can be approved only once the formal notice is sent; "
                "this case is at “%(state)s”."
            )
            % {"state": locked.get_state_display()}
        )
    if not mandate_allows_litigation(locked):
        refusals.append(str(mandate_allows_litigation.message))
    if refusals:
        raise ValidationError(refusals)
    if locked.handoff_approved_at is None:
        locked.handoff_approved_at = timezone.now()
        Case.objects.filter(pk=locked.pk).update(handoff_approved_at=locked.handoff_approved_at)
        events.handoff_approved(case=locked, actor=actor, reason=reason.strip())
    return locked


# --- creditors and their convention (R124-3), from the agency's back-office -------------------
CREDITOR_FIELDS = (
    "legal_name", "siren", "siret", "vat_number", "is_private_person", "address_line1",
    "address_line2", "postcode", "city", "country", "iban", "contact_name", "contact_email",
    "contact_phone", "commission_rate", "mandate_reference", "mandate_signed_on",
    "mandate_sums_basis", "mandate_insurance_terms", "mandate_fee_terms",
    "mandate_remittance_terms", "mandate_allows_receiving_funds", "mandate_allows_litigation",
    "mandate_allows_payment_plans",
    "plan_max_months", "settlement_min_percent", "handoff_requires_approval",
)  # fmt: skip


def _creditor_write(
    *, creditor: Creditor, before: Creditor | None, values: dict[str, Any], actor: User
) -> Creditor:
    for name, value in values.items():
        if name not in CREDITOR_FIELDS:
            raise ValueError(f"{name} is not a creditor field the agency edits")
        setattr(creditor, name, value)
    taken = Creditor.objects.filter(agency_id=creditor.agency_id, siren=creditor.siren)
    if taken.exclude(pk=creditor.pk).exists():  # said on the field, not above the form
        (unique,) = [c for c in Creditor._meta.constraints if c.name == "creditor_unique_siren"]
        raise ValidationError({"siren": unique.get_violation_error_message()})
    creditor.full_clean()
    creditor.save()
    changes = config_services.model_changes(before, creditor, list(CREDITOR_FIELDS))
    if before is None:
        summary = _("Creditor created")
    elif {"mandate_signed_on", "mandate_reference"} & {
        n for n in values if getattr(before, n) != getattr(creditor, n)
    }:
        summary = _("Convention changed")
    else:
        summary = _("Creditor changed")
    config_services.config_change_record(
        agency_id=creditor.agency_id, actor=actor, target=ConfigChange.Target.CREDITOR,
        target_id=creditor.pk, target_label=creditor.legal_name, summary=summary,
        changes=changes,
    )  # fmt: skip
    return creditor


@transaction.atomic
def creditor_create(*, agency: Agency, values: dict[str, Any], actor: User) -> Creditor:
    return _creditor_write(
        creditor=Creditor(agency=agency), before=None, values=values, actor=actor
    )


@transaction.atomic
def creditor_update(*, creditor: Creditor, values: dict[str, Any], actor: User) -> Creditor:
    """Convention changes apply from now on: what was sent under the old terms stays as sent."""
    locked = Creditor.objects.select_for_update().get(pk=creditor.pk)
    return _creditor_write(creditor=locked, before=copy.copy(locked), values=values, actor=actor)


def case_resume_due_holds(*, on: date) -> int:
    """Resume every case held until ``on`` or earlier (the creditor's hold ended); each in its
    own transaction, so one refusal does not keep the others on hold."""
    due = Case.objects.filter(state=CaseState.ON_HOLD, hold_until__lte=on).values_list(
        "pk", "agency_id"
    )
    resumed = 0
    for pk, agency_id in due:
        with tenant_scope(agency_id):
            try:
                case_transition(case=Case(pk=pk), transition="resume", actor=None)
            except CaseTransitionError:
                continue
        resumed += 1
    return resumed


@transaction.atomic
def case_note_add(*, case: Case, actor: User, text: str) -> None:
    """A note an agent typed on the case; it reads in the timeline as typed."""
    text = text.strip()
    if not text:
        raise ValidationError({"text": _("Write the note.")})
    events.note_added(case=case, actor=actor, text=text)
