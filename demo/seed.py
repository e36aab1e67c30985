"""Demo data for ``manage.py seed_demo``: one agency, its creditors and users, ~200 cases.

Everything is keyed on stable identifiers (agency slug, e-mails, SIRENs, invoice numbers) and
generated from a fixed seed, so a second run finds what the first one made and adds nothing.
Cases are opened with ``cases.services.case_open`` and moved along legal paths with
``cases.services.case_transition``, so every case carries a coherent timeline of events; the
timestamps are then spread over the past months so the timeline reads like real work, and each
open case points at the default scenario's next step, so the sweep carries on from there.
Faker's output depends on its version: identities may differ after an upgrade, the keys do not.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from faker import Faker
from schwifty import IBAN
from stdnum import luhn

from cases import services
from cases.models import (
    ACTIVE_STATES,
    Case,
    CaseEvent,
    CaseState,
    Claim,
    ClosureCode,
    Creditor,
)
from collectio.models import Agency, Membership, Role, User
from collectio.scoping import tenant_scope
from debtors.models import ContactPoint, Debtor
from demo.portal import seed_portal
from demo.workspace import seed_workspace
from dunning.models import Action, ReferenceRate, Scenario
from dunning.models import Step as ScenarioStep
from dunning.reference_rates import load_shipped, next_semester
from law.calendar import FrenchCalendar, debtor_deadline
from law.interest import semester_of

SEED = 20260101
PASSWORD = "collectio-demo"  # noqa: S105 - published demo password, printed by `make run`
AGENCY_SLUG = "demo"
OPS_EMAIL = "ops@collectio.localhost"
FORMAL_NOTICE_DAYS = 8  # legal-fr.md REQ-E1: default deadline, calendar days
POSTAL_DELAY_DAYS = 2  # first presentation of the registered letter after sending

S = CaseState

# How many demo cases end in each state; every state is represented.
STATE_COUNTS: dict[str, int] = {
    S.NEW: 20,
    S.REMINDER: 40,
    S.PHONE_FOLLOWUP: 25,
    S.FORMAL_NOTICE: 20,
    S.JUDICIAL: 12,
    S.PAYMENT_PLAN: 15,
    S.DISPUTED: 10,
    S.ON_HOLD: 8,
    S.PAID: 25,
    S.SETTLED: 10,
    S.CLOSED: 15,
}


def siren_from(body: str) -> str:
    """A SIREN: eight digits and their Luhn key."""
    return body + luhn.calc_check_digit(body)


def siret_from(siren: str, establishment: str = "0001") -> str:
    """Head-office SIRET: SIREN, four establishment digits and the Luhn key of all fourteen."""
    body = siren + establishment
    return body + luhn.calc_check_digit(body)


def vat_from(siren: str) -> str:
    """French intra-community VAT number: key = (12 + 3 × (SIREN mod 97)) mod 97."""
    return f"FR{(12 + 3 * (int(siren) % 97)) % 97:02d}{siren}"


def iban_for(bank_code: str, account_code: str) -> IBAN:
    return IBAN.generate("FR", bank_code=bank_code, account_code=account_code)


@dataclass(frozen=True)
class CreditorSpec:
    legal_name: str
    siren_body: str
    address_line1: str
    postcode: str
    city: str
    bank_code: str
    account_code: str
    contact_name: str
    contact_email: str
    invoice_prefix: str
    consumer_share: float  # share of its debtors who are private persons
    weight: int  # share of the demo cases
    commission_rate: Decimal
    allows_litigation: bool
    handoff_requires_approval: bool


CREDITORS = (
    CreditorSpec(
        legal_name="Imprimerie Moreau SAS",
        siren_body="51234567",
        address_line1="14 rue de la Charité",
        postcode="69002",
        city="Lyon",
        bank_code="30002",
        account_code="00004512873",
        contact_name="Marc Moreau",
        contact_email="compta@imprimerie-moreau.example.fr",
        invoice_prefix="IMO",
        consumer_share=0.05,
        weight=45,
        commission_rate=Decimal("15.00"),
        allows_litigation=True,
        handoff_requires_approval=True,
    ),
    CreditorSpec(
        legal_name="Menuiserie Lefèvre et Fils SARL",
        siren_body="42876153",
        address_line1="7 rue de Saint-Malo",
        postcode="35000",
        city="Rennes",
        bank_code="15589",
        account_code="00008841205",
        contact_name="Isabelle Lefèvre",
        contact_email="gestion@menuiserie-lefevre.example.fr",
        invoice_prefix="MLF",
        consumer_share=0.25,
        weight=35,
        commission_rate=Decimal("12.00"),
        allows_litigation=True,
        handoff_requires_approval=False,
    ),
    CreditorSpec(
        legal_name="Fibre Atlantique SAS",
        siren_body="80345912",
        address_line1="5 quai de la Fosse",
        postcode="44000",
        city="Nantes",
        bank_code="10278",
        account_code="00020331964",
        contact_name="Nadia Benali",
        contact_email="recouvrement@fibre-atlantique.example.fr",
        invoice_prefix="FAT",
        consumer_share=0.9,
        weight=20,
        commission_rate=Decimal("20.00"),
        allows_litigation=False,
        handoff_requires_approval=True,
    ),
)


@dataclass(frozen=True)
class UserSpec:
    email: str
    first_name: str
    last_name: str
    role: str | None  # None: platform operator, no agency
    creditor_index: int | None = None


USERS = (
    UserSpec("admin@demo.collectio.fr", "Claire", "Dubois", Role.ADMIN),
    UserSpec("agent1@demo.collectio.fr", "Julien", "Marchand", Role.AGENT),
    UserSpec("agent2@demo.collectio.fr", "Sophie", "Garnier", Role.AGENT),
    UserSpec("client1@demo.collectio.fr", "Marc", "Moreau", Role.CREDITOR_USER, 0),
    UserSpec("client2@demo.collectio.fr", "Isabelle", "Lefèvre", Role.CREDITOR_USER, 1),
    UserSpec(OPS_EMAIL, "Ops", "Collectio", None),
)


# --- the plan: everything is drawn from the seed before the database is touched ---------------
@dataclass(frozen=True)
class DebtorSpec:
    kind: str
    name: str
    first_name: str
    siren: str
    address_line1: str
    postcode: str
    city: str
    email: str
    phone: str

    def lookup(self) -> dict[str, Any]:
        """The natural key: SIREN for a company, name and address for a person."""
        if self.siren:
            return {"siren": self.siren}
        return {
            "kind": self.kind,
            "name": self.name,
            "first_name": self.first_name,
            "address_line1": self.address_line1,
            "postcode": self.postcode,
        }


@dataclass(frozen=True)
class Move:
    """One transition of a demo case's path."""

    transition: str
    gap_days: int  # days since the previous event
    arguments: dict[str, Any] = field(default_factory=dict)


@dataclass
class CasePlan:
    creditor_index: int
    debtor: DebtorSpec
    target: str
    steps: list[Move]
    slack_days: int  # days between the last event and today
    claims: list[services.ClaimInput] = field(default_factory=list)
    paid_share: Decimal = Decimal(0)  # part of the principal already paid (plans, settlements)
    agent_index: int = 0
    event_hours: list[int] = field(default_factory=list)

    @property
    def key(self) -> str:
        """The first invoice number: stable across runs and unique in the agency."""
        return self.claims[0].invoice_number

    @property
    def age_days(self) -> int:
        return sum(step.gap_days for step in self.steps) + self.slack_days


TRADES = (
    "Boulangerie",
    "Garage",
    "Transports",
    "Plomberie",
    "Restaurant",
    "Pharmacie",
    "Cabinet",
    "Boucherie",
    "Électricité",
    "Librairie",
    "Agence",
    "Fromagerie",
    "Hôtel",
    "Maçonnerie",
)


def _fictional_phone(rng: random.Random) -> str:
    """Numbers ARCEP reserves for fiction (01 99 00 …, 06 39 98 …): nobody gets a demo SMS."""
    prefix = rng.choice(["+33 6 39 98", "+33 1 99 00"])
    return f"{prefix} {rng.randint(0, 99):02d} {rng.randint(0, 99):02d}"


def _debtor_pool(fake: Faker, rng: random.Random) -> tuple[list[DebtorSpec], list[DebtorSpec]]:
    companies: list[DebtorSpec] = []
    persons: list[DebtorSpec] = []
    sirens: set[str] = {siren_from(c.siren_body) for c in CREDITORS}
    while len(companies) < 90:
        siren = siren_from(f"{rng.randint(30_000_000, 99_999_999)}")
        if siren in sirens:
            continue
        sirens.add(siren)
        companies.append(
            DebtorSpec(
                kind=Debtor.Kind.COMPANY,
                name=f"{rng.choice(TRADES)} {fake.last_name()} {fake.company_suffix()}",
                first_name="",
                siren=siren,
                address_line1=fake.street_address(),
                postcode=fake.postcode(),
                city=fake.city(),
                email=fake.safe_email(),
                phone=_fictional_phone(rng),
            )
        )
    for _ in range(70):
        persons.append(
            DebtorSpec(
                kind=Debtor.Kind.PERSON,
                name=fake.last_name(),
                first_name=fake.first_name(),
                siren="",
                address_line1=fake.street_address(),
                postcode=fake.postcode(),
                city=fake.city(),
                email=fake.safe_email(),
                phone=_fictional_phone(rng),
            )
        )
    return companies, persons


def _active_steps(target: str, rng: random.Random) -> list[Move]:
    """Accept, then reminders and escalations up to ``target``, with the odd pause on the way.

    Nothing escalates before the first reminder, the first letter every later step recalls
    (R124-4): a case is sent 0 to 2 reminders, at least one if it goes further."""
    escalating = target in (S.PHONE_FOLLOWUP, S.FORMAL_NOTICE)
    reminders = max(rng.randint(0, 2), 1 if escalating else 0)
    steps = [Move("accept", rng.randint(1, 3))]
    steps += [Move("send_reminder", rng.randint(8, 12)) for _ in range(reminders)]
    if escalating:
        steps.append(Move("escalate", rng.randint(10, 15)))
    if target == S.FORMAL_NOTICE:
        steps.append(Move("escalate", rng.randint(7, 14)))
    if rng.random() < 0.15:
        pause, back = rng.choice(
            [("hold", "resume"), ("open_dispute", "reject_dispute"), ("agree_plan", "break_plan")]
        )
        steps += [Move(pause, rng.randint(2, 6)), Move(back, rng.randint(10, 30))]
    return steps


def _judicial_steps(rng: random.Random) -> list[Move]:
    # After the formal notice deadline (8 days from presentation, moved past holidays).
    return [*_active_steps(S.FORMAL_NOTICE, rng), Move("hand_off", rng.randint(16, 30))]


def _steps_for(target: str, litigation: bool, rng: random.Random) -> list[Move]:
    """A legal path from ``new`` to ``target`` (see docs/state-machine.md)."""
    active = rng.choice(ACTIVE_STATES)
    if target == S.NEW:
        return []
    if target in ACTIVE_STATES:
        return _active_steps(target, rng)
    if target == S.JUDICIAL:
        return _judicial_steps(rng)
    if target == S.PAYMENT_PLAN:
        return [*_active_steps(active, rng), Move("agree_plan", rng.randint(2, 8))]
    if target == S.DISPUTED:
        return [*_active_steps(active, rng), Move("open_dispute", rng.randint(2, 8))]
    if target == S.ON_HOLD:
        return [*_active_steps(active, rng), Move("hold", rng.randint(2, 8))]
    if target == S.PAID:
        variants: list[Callable[[], list[Move]]] = [
            lambda: [Move("mark_paid", rng.randint(2, 6))],  # paid on the agency's first call
            lambda: [*_active_steps(active, rng), Move("mark_paid", rng.randint(3, 15))],
            lambda: [
                *_active_steps(active, rng),
                Move("agree_plan", rng.randint(2, 8)),
                Move("mark_paid", rng.randint(60, 120)),
            ],
        ]
        if litigation:
            variants.append(lambda: [*_judicial_steps(rng), Move("mark_paid", rng.randint(30, 90))])
        return rng.choice(variants)()
    if target == S.SETTLED:
        variants = [
            lambda: [
                *_active_steps(active, rng),
                Move("agree_plan", rng.randint(2, 8)),
                Move("mark_settled", rng.randint(45, 90)),
            ],
            lambda: [
                *_active_steps(S.FORMAL_NOTICE, rng),
                Move("mark_settled", rng.randint(5, 20)),
            ],
        ]
        if litigation:
            variants.append(
                lambda: [*_judicial_steps(rng), Move("mark_settled", rng.randint(30, 90))]
            )
        return rng.choice(variants)()
    if target == S.CLOSED:
        code = rng.choice([ClosureCode.UNRECOVERABLE, ClosureCode.INSOLVENCY])
        return rng.choice(
            [
                lambda: [Move("reject", rng.randint(1, 4))],
                lambda: [Move("withdraw", rng.randint(1, 10))],
                lambda: [*_active_steps(active, rng), Move("withdraw", rng.randint(3, 20))],
                lambda: [
                    *_active_steps(active, rng),
                    Move("close", rng.randint(5, 30), {"code": code}),
                ],
                lambda: [
                    *_active_steps(active, rng),
                    Move("open_dispute", rng.randint(2, 8)),
                    Move("uphold_dispute", rng.randint(7, 21)),
                ],
            ]
        )()
    raise ValueError(f"no demo path to {target!r}")


def _money(rng: random.Random, low: int, high: int) -> Decimal:
    """A log-uniform amount in euros: many small invoices, a few large ones."""
    cents = int(math.exp(rng.uniform(math.log(low * 100), math.log(high * 100))))
    return Decimal(cents).scaleb(-2)


def _claims(
    spec: CreditorSpec, debtor: DebtorSpec, opened_on: date, serial: int, rng: random.Random
) -> list[services.ClaimInput]:
    consumer = debtor.kind == Debtor.Kind.PERSON
    count = rng.choices([1, 2, 3, 4], weights=[50, 25, 15, 10])[0]
    first_due = opened_on - timedelta(days=rng.randint(20, 180))
    claims = []
    for n in range(count):
        due = first_due - timedelta(days=30 * (count - 1 - n) + rng.randint(0, 5))
        terms = rng.choice([15, 30]) if consumer else rng.choice([30, 45, 60])
        claims.append(
            services.ClaimInput(
                invoice_number=f"{spec.invoice_prefix}-{serial:05d}-{n + 1}",
                invoice_date=due - timedelta(days=terms),
                due_date=due,
                principal=_money(rng, 25, 900) if consumer else _money(rng, 180, 18_000),
                debt_kind=Claim.DebtKind.CONSUMER if consumer else Claim.DebtKind.B2B,
            )
        )
    return claims


def build_plan(today: date) -> list[CasePlan]:
    """The demo cases, fully determined by ``SEED`` (and ``today`` for the dates)."""
    fake = Faker("fr_FR")
    fake.seed_instance(SEED)
    rng = random.Random(SEED)
    companies, persons = _debtor_pool(fake, rng)
    targets = [state for state, count in STATE_COUNTS.items() for _ in range(count)]
    rng.shuffle(targets)
    serials = [10_000 * (i + 1) for i in range(len(CREDITORS))]
    plans = []
    for target in targets:
        eligible = [
            i
            for i, c in enumerate(CREDITORS)
            if c.allows_litigation or target != S.JUDICIAL  # no judicial phase without mandate
        ]
        index = rng.choices(eligible, weights=[CREDITORS[i].weight for i in eligible])[0]
        spec = CREDITORS[index]
        debtor = rng.choice(persons if rng.random() < spec.consumer_share else companies)
        steps = _steps_for(target, spec.allows_litigation, rng)
        plan = CasePlan(
            creditor_index=index,
            debtor=debtor,
            target=target,
            steps=steps,
            slack_days=rng.randint(1, 5) if target == S.NEW else rng.randint(1, 20),
            agent_index=rng.randint(0, 1),
            event_hours=[rng.randint(8, 18) for _ in range(len(steps) + 1)],
        )
        if target in (S.PAYMENT_PLAN, S.SETTLED):
            plan.paid_share = Decimal(rng.randint(10, 60)) / 100
        serials[index] += 1
        opened_on = today - timedelta(days=plan.age_days)
        plan.claims = _claims(spec, debtor, opened_on, serials[index], rng)
        plans.append(plan)
    return plans


# --- writing it ------------------------------------------------------------------------------
@dataclass
class SeedResult:
    agency: Agency
    created_cases: int
    state_counts: dict[str, int]


def _upsert_agency(today: date) -> Agency:
    iban = iban_for("30004", "00019876543")
    agency, _ = Agency.objects.update_or_create(
        slug=AGENCY_SLUG,
        defaults=dict(
            legal_name="Demo Recouvrement SAS",
            siren=siren_from("83245719"),
            address_line1="24 rue de Richelieu",
            postcode="75001",
            city="Paris",
            email="contact@demo.collectio.fr",
            phone="+33 1 99 00 12 34",
            rc_insurer="Hiscox France",
            rc_policy_number="RCP-DEMO-2026-0147",
            rc_policy_expires_on=date(today.year + 1, 12, 31),
            collection_iban=str(iban),
            collection_bic=str(iban.bic) if iban.bic else "",
            prosecutor_declaration_on=date(2024, 3, 1),
            dpo_contact="dpo@demo.collectio.fr",
        ),
    )
    agency.full_clean()
    return agency


def _upsert_creditors(agency: Agency) -> list[Creditor]:
    creditors = []
    for spec in CREDITORS:
        siren = siren_from(spec.siren_body)
        creditor, _ = Creditor.objects.update_or_create(
            agency=agency,
            siren=siren,
            defaults=dict(
                legal_name=spec.legal_name,
                siret=siret_from(siren),
                vat_number=vat_from(siren),
                address_line1=spec.address_line1,
                postcode=spec.postcode,
                city=spec.city,
                iban=str(iban_for(spec.bank_code, spec.account_code)),
                contact_name=spec.contact_name,
                contact_email=spec.contact_email,
                commission_rate=spec.commission_rate,
                mandate_reference=f"MAND-DEMO-{spec.invoice_prefix}",
                mandate_signed_on=date(2025, 1, 6),
                mandate_sums_basis=(
                    "Factures impayées transmises par le créancier, détaillées par facture : "
                    "principal, intérêts de retard et indemnité forfaitaire."
                ),
                mandate_insurance_terms="RC professionnelle Hiscox France n° RCP-DEMO-2026-0147",
                mandate_fee_terms=(
                    f"{spec.commission_rate} % HT des sommes encaissées, à la charge du créancier"
                ),
                mandate_remittance_terms=(
                    "Reversement mensuel, au plus tard un mois après encaissement"
                ),
                mandate_allows_litigation=spec.allows_litigation,
                mandate_allows_payment_plans=True,
                handoff_requires_approval=spec.handoff_requires_approval,
            ),
        )
        creditor.full_clean()
        creditors.append(creditor)
    return creditors


def _upsert_users(agency: Agency, creditors: list[Creditor]) -> dict[str, User]:
    users = {}
    for spec in USERS:
        user = User.objects.filter(email=spec.email).first()
        fields = dict(
            first_name=spec.first_name,
            last_name=spec.last_name,
            is_staff=spec.role in (Role.ADMIN, None),
            is_superuser=spec.role is None,
        )
        if user is None:
            user = User.objects.create_user(email=spec.email, password=PASSWORD, **fields)
        else:
            for name, value in fields.items():
                setattr(user, name, value)
            # Re-hashing every run would log out every open demo session; only repair.
            if not user.check_password(PASSWORD):
                user.set_password(PASSWORD)
            user.save()
        if spec.role is not None:
            creditor = creditors[spec.creditor_index] if spec.creditor_index is not None else None
            Membership.objects.update_or_create(
                user=user, defaults=dict(agency=agency, role=spec.role, creditor=creditor)
            )
        users[spec.email] = user
    return users


def _upsert_debtor(agency: Agency, spec: DebtorSpec) -> Debtor:
    debtor, created = Debtor.objects.get_or_create(
        agency=agency,
        **spec.lookup(),
        defaults=dict(
            kind=spec.kind,
            name=spec.name,
            first_name=spec.first_name,
            address_line1=spec.address_line1,
            postcode=spec.postcode,
            city=spec.city,
        ),
    )
    if created:
        for channel, value in (
            (ContactPoint.Channel.EMAIL, spec.email),
            (ContactPoint.Channel.PHONE, spec.phone),
        ):
            ContactPoint.objects.create(agency=agency, debtor=debtor, channel=channel, value=value)
    return debtor


def _prepare(case: Case, step: Move) -> None:
    """Set what a transition's conditions need; ``cases.services`` has no service for it yet."""
    cases = Case.objects.filter(pk=case.pk)
    if step.transition == "hand_off":
        # Placeholders that satisfy the gate now; _backdate() writes the real dates.
        cases.update(
            formal_notice_deadline=timezone.localdate() - timedelta(days=1),
            handoff_approved_at=timezone.now(),
        )
    elif step.transition == "mark_paid":
        cases.update(principal_due=Decimal("0.00"))


@dataclass
class DunningPolicy:
    """The agency's default scenario, to point each seeded case at the step that comes next."""

    scenario: Scenario | None
    steps: list[ScenarioStep]

    @classmethod
    def load(cls) -> DunningPolicy:
        scenario = Scenario.objects.filter(is_default=True).first()
        steps = list(ScenarioStep.objects.filter(scenario=scenario).order_by("position"))
        return cls(scenario, steps)

    def next_step(self, state: str, reminders_sent: int) -> ScenarioStep | None:
        """The step the sweep runs next from ``state``, as if it had run the earlier ones."""
        reminders = [s for s in self.steps if s.action == Action.REMINDER]
        if state == S.REMINDER and reminders_sent < len(reminders):
            return reminders[reminders_sent]
        following = {
            S.REMINDER: Action.PHONE_FOLLOWUP,
            S.PHONE_FOLLOWUP: Action.FORMAL_NOTICE,
            S.FORMAL_NOTICE: Action.JUDICIAL_HANDOFF,
        }
        return next((s for s in self.steps if s.action == following.get(state)), None)


def _at(day: date, hour: int, minute: int) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def _backdate(
    case: Case, plan: CasePlan, agent: User | None, policy: DunningPolicy, today: date
) -> None:
    """Spread the timeline over the past and set what follows from it, so the sweep and the
    screens carry on from a plausible history."""
    events = list(CaseEvent.objects.filter(case=case).order_by("pk"))
    if len(events) != len(plan.steps) + 1:
        raise RuntimeError(f"{case.reference}: {len(events)} events for {len(plan.steps)} steps")
    day = today - timedelta(days=plan.age_days)
    for index, (event, hour) in enumerate(zip(events, plan.event_hours, strict=True)):
        if index:
            day += timedelta(days=plan.steps[index - 1].gap_days)
        event.at = _at(day, hour, (case.pk * 7 + index * 13) % 60)
    CaseEvent.objects.bulk_update(events, ["at"])

    updates: dict[str, Any] = {"opened_at": events[0].at}
    accepted = [e for e in events if e.transition == "accept"]
    if accepted:
        updates["accepted_at"] = accepted[0].at
        updates["assigned_agent"] = agent
    if case.closed_at is not None:
        updates["closed_at"] = events[-1].at
    notices = [e for e in events if e.transition == "escalate" and e.to_state == S.FORMAL_NOTICE]
    if notices:
        presented = timezone.localdate(notices[0].at) + timedelta(days=POSTAL_DELAY_DAYS)
        calendar = FrenchCalendar.for_postcode(case.debtor.postcode)
        updates["formal_notice_received_on"] = presented
        updates["formal_notice_deadline"] = debtor_deadline(
            presented, FORMAL_NOTICE_DAYS, calendar=calendar
        )
    working_state = case.resume_state or case.state
    if working_state in ACTIVE_STATES and policy.scenario is not None:
        reminders = sum(1 for e in events if e.transition == "send_reminder")
        updates["scenario"] = policy.scenario
        updates["next_step"] = policy.next_step(working_state, reminders)
    handoffs = [e for e in events if e.transition == "hand_off"]
    if handoffs:
        approval_needed = case.creditor.handoff_requires_approval
        updates["handoff_approved_at"] = (
            handoffs[0].at - timedelta(days=1) if approval_needed else None
        )
    if case.state in ACTIVE_STATES:
        # Due again some days after the last step: a few are due now, the rest later.
        updates["next_action_at"] = events[-1].at + timedelta(days=10)
    if plan.paid_share:
        updates["principal_due"] = case.principal_total - (
            case.principal_total * plan.paid_share
        ).quantize(Decimal("0.01"))
    Case.objects.filter(pk=case.pk).update(**updates)


def _seed_case(
    agency: Agency,
    creditors: list[Creditor],
    plan: CasePlan,
    agents: list[User],
    policy: DunningPolicy,
    today: date,
) -> None:
    debtor = _upsert_debtor(agency, plan.debtor)
    case = services.case_open(
        agency=agency,
        creditor=creditors[plan.creditor_index],
        debtor=debtor,
        claims=plan.claims,
        actor=None,
    )
    for step in plan.steps:
        _prepare(case, step)
        case = services.case_transition(
            case=case, transition=step.transition, actor=None, **step.arguments
        )
    if case.state != plan.target:
        raise RuntimeError(f"{case.reference} reached {case.state}, planned {plan.target}")
    case = Case.objects.select_related("creditor", "debtor").get(pk=case.pk)
    _backdate(case, plan, agents[plan.agent_index], policy, today)


POSTED_AT_HOUR = 19  # the day's print batch leaves once the day's steps are done


def _seed_first_letters(agency: Agency) -> None:
    """Give every case past its first reminder the first letter it was sent (R124-4), which
    every later letter, call and SMS recalls (REQ-A6).

    The letter is produced by the letters' services as the first reminder step would have:
    created on the reminder's day (the law's gates asked for that day), rendered from the
    statement of that day, and posted in that day's print batch. Only its timestamps are then
    set back to the reminder's, as ``_backdate`` does for the timeline. Cases that already have
    a first reminder (a second run, or the sweep's own) are left alone.
    """
    from notices import services as letters
    from notices.models import Channel, LetterKind, Notice

    with_letter = Notice.objects.filter(agency=agency, kind=LetterKind.FIRST_REMINDER)
    first_reminders: dict[int, datetime] = {}
    for case_id, at in (
        CaseEvent.objects.filter(agency=agency, transition="send_reminder")
        .exclude(case_id__in=with_letter.values("case_id"))
        .order_by("at", "pk")
        .values_list("case_id", "at")
    ):
        first_reminders.setdefault(case_id, at)
    by_day: dict[date, list[tuple[int, datetime]]] = {}
    for case_id, at in first_reminders.items():
        by_day.setdefault(timezone.localdate(at), []).append((case_id, at))
    for day, reminders in sorted(by_day.items()):
        with transaction.atomic():
            for case_id, at in reminders:
                case = Case.objects.select_related("agency", "creditor", "debtor").get(pk=case_id)
                notice = letters.notice_render(
                    notice=letters.notice_create(
                        kind=LetterKind.FIRST_REMINDER,
                        channel=Channel.LETTER,
                        case=case,
                        actor=None,
                        on=day,
                    )
                )
                Notice.objects.filter(pk=notice.pk).update(created_at=at, rendered_at=at)
                CaseEvent.objects.filter(case_id=case_id, payload__notice_id=notice.pk).update(
                    at=at
                )
            letters.print_batch_run(agency_id=agency.pk, at=_at(day, POSTED_AT_HOUR, 0))


@transaction.atomic
def _demo_rates_up_to(today: date) -> list[str]:
    """Let the demo compute amounts after the last published semester of legal-fr.md.

    Reference rates are legal data imported by the platform operator
    (``manage.py import_reference_rates``); a missing semester is an error (REQ-R1). For the demo
    only, each missing semester up to today repeats the last known one, unverified and with a
    source that says so: staff pages show them as provisional until the import replaces them.
    Returns the semesters filled that way.
    """
    if not ReferenceRate.objects.exists():
        load_shipped(ReferenceRate)
    known = dict.fromkeys(ReferenceRate.objects.values_list("semester", flat=True))
    last = max(known)
    filled = []
    semester = last
    while semester < semester_of(today):
        semester = next_semester(semester)
        if semester in known:
            continue
        for rate in ReferenceRate.objects.filter(semester=last):
            ReferenceRate.objects.create(
                semester=semester,
                kind=rate.kind,
                rate=rate.rate,
                verified=False,
                source=f"DEMO ONLY: copy of {last}, replace with the published rate",
            )
        filled.append(semester)
    return filled


def seed_demo() -> SeedResult:
    """Create (or complete) the demo agency; safe to run again."""
    today = timezone.localdate()
    _demo_rates_up_to(today)
    agency = _upsert_agency(today)
    with tenant_scope(agency.pk):
        creditors = _upsert_creditors(agency)
        users = _upsert_users(agency, creditors)
        agents = [users["agent1@demo.collectio.fr"], users["agent2@demo.collectio.fr"]]
        policy = DunningPolicy.load()
        existing = set(Claim.objects.filter(agency=agency).values_list("invoice_number", flat=True))
        created = 0
        for plan in build_plan(today):
            if plan.key in existing:
                continue
            _seed_case(agency, creditors, plan, agents, policy, today)
            created += 1
        _seed_first_letters(agency)
        seed_portal(agency)
        seed_workspace(agency=agency, agents=agents, today=today)
        counts = dict(Case.objects.values_list("state").annotate(n=Count("pk")).order_by())
    return SeedResult(
        agency=agency,
        created_cases=created,
        state_counts={state: counts.get(state, 0) for state in CaseState.values},
    )
