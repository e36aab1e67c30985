"""``manage.py seed_demo``: idempotent, every state present, coherent timelines, working logins.

Seeding 200 cases and rendering their first letters takes about a minute, so the module seeds
once (twice, to prove idempotence) inside a transaction that is rolled back at the end; each
test runs in a savepoint inside it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from io import StringIO
from itertools import pairwise

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone
from stdnum.fr import siren

from cases.models import ACTIVE_STATES, Case, CaseEvent, CaseState, Claim, Creditor
from collectio.models import Agency, Membership, Role, User
from collectio.scoping import tenant_scope
from debtors.models import ContactPoint, Debtor
from demo.seed import AGENCY_SLUG, OPS_EMAIL, PASSWORD, USERS
from dunning.sweep import sweep_agency
from notices.models import LetterKind, Notice
from notices.selectors import first_letter
from tests.notices.conftest import FILE_BACKENDS

SCOPED = (Membership, Creditor, Debtor, ContactPoint, Case, Claim, CaseEvent)


@dataclass
class Seeded:
    agency: Agency
    counts_first: dict[str, int]
    counts_second: dict[str, int]
    output_first: str
    output_second: str


def _counts() -> dict[str, int]:
    """What the demo owns (other rows may share the test database)."""
    agencies = Agency.objects.filter(slug=AGENCY_SLUG)
    counts = {
        "Agency": agencies.count(),
        "User": User.objects.filter(email__in=[u.email for u in USERS]).count(),
    }
    with tenant_scope(agencies.get().pk):
        counts.update({model.__name__: model.objects.count() for model in SCOPED})
    return counts


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker, tmp_path_factory) -> Iterator[Seeded]:
    fast = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    letters = {"MEDIA_ROOT": tmp_path_factory.mktemp("demo-media"), **FILE_BACKENDS}
    with django_db_blocker.unblock(), override_settings(PASSWORD_HASHERS=fast, **letters):
        outer = transaction.atomic()
        outer.__enter__()
        try:
            first, second = StringIO(), StringIO()
            call_command("seed_demo", stdout=first)
            counts_first = _counts()
            call_command("seed_demo", stdout=second)
            yield Seeded(
                agency=Agency.objects.get(slug=AGENCY_SLUG),
                counts_first=counts_first,
                counts_second=_counts(),
                output_first=first.getvalue(),
                output_second=second.getvalue(),
            )
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture
def demo(seeded: Seeded, db) -> Iterator[Seeded]:
    with tenant_scope(seeded.agency.pk):
        yield seeded


def test_second_run_adds_nothing(demo):
    assert demo.counts_first == demo.counts_second
    assert demo.counts_first["Agency"] == 1
    assert demo.counts_first["User"] == len(USERS)
    assert demo.counts_first["Case"] == 200
    assert "200 case(s) created" in demo.output_first
    assert "0 case(s) created, 200 in all" in demo.output_second


def test_every_state_is_present(demo):
    states = set(Case.objects.values_list("state", flat=True))
    assert states == set(CaseState.values)


def test_summary_prints_counts_and_logins(demo):
    for line in ("Formal notice", "Judicial", PASSWORD, *(u.email for u in USERS)):
        assert line in demo.output_second


def test_agency_and_creditors_may_send_letters(demo):
    agency = demo.agency
    agency.full_clean()
    assert agency.legal_name == "Demo Recouvrement SAS"
    assert agency.missing_prerequisites(timezone.localdate()) == []
    assert agency.dpo_contact and agency.city == "Paris"
    creditors = list(Creditor.objects.all())
    assert len(creditors) == 3
    for creditor in creditors:
        creditor.full_clean()
        assert creditor.has_valid_mandate, creditor.missing_mandate_clauses()


@pytest.mark.parametrize("email", [u.email for u in USERS])
def test_demo_users_log_in(demo, client, email):
    response = client.post(reverse("login"), {"username": email, "password": PASSWORD})
    assert response.status_code == 302
    assert client.session["_auth_user_id"]


def test_roles_and_creditor_users(demo):
    members = {m.user.email: m for m in Membership.objects.select_related("user", "creditor")}
    assert members["admin@demo.collectio.fr"].role == Role.ADMIN
    assert members["admin@demo.collectio.fr"].user.is_staff
    assert {members[f"agent{n}@demo.collectio.fr"].role for n in (1, 2)} == {Role.AGENT}
    client1, client2 = (members[f"client{n}@demo.collectio.fr"] for n in (1, 2))
    assert client1.role == client2.role == Role.CREDITOR_USER
    assert client1.creditor != client2.creditor
    ops = User.objects.get(email=OPS_EMAIL)
    assert ops.is_superuser and not hasattr(ops, "membership")


def test_every_case_has_a_coherent_timeline(demo):
    """Transitions follow each other in time and state; the first letter's events (created,
    sent) sit between them, in the order they happened."""
    now = timezone.now()
    events: dict[int, list[CaseEvent]] = {}
    for event in CaseEvent.objects.order_by("case_id", "at", "pk"):
        events.setdefault(event.case_id, []).append(event)
    for case in Case.objects.all():
        timeline = events.get(case.pk, [])
        assert timeline, case.reference
        assert timeline[0].kind == CaseEvent.Kind.OPENED
        assert timeline[0].at == case.opened_at
        assert timeline[-1].at <= now, case.reference
        moves = [
            e for e in timeline if e.kind in (CaseEvent.Kind.OPENED, CaseEvent.Kind.TRANSITION)
        ]
        for before, after in pairwise(moves):
            assert before.at < after.at, case.reference
            assert after.from_state == before.to_state, case.reference
        assert moves[-1].to_state == case.state, case.reference


def test_case_fields_follow_from_their_state(demo):
    for case in Case.objects.prefetch_related("claims"):
        claims = list(case.claims.all())
        assert 1 <= len(claims) <= 4
        assert case.principal_total == sum(c.principal for c in claims)
        assert all(c.due_date <= case.opened_at.date() for c in claims)
        assert not case.is_time_barred or case.state in (CaseState.NEW, CaseState.CLOSED)
        if case.state in ACTIVE_STATES:
            assert case.assigned_agent is not None and case.next_action_at is not None
            assert case.scenario_id is not None and case.next_step_id is not None
        if case.state == CaseState.PAID:
            assert case.principal_due == 0
        if case.state == CaseState.JUDICIAL:
            assert case.formal_notice_deadline < timezone.localdate()
            approval = case.handoff_approved_at
            assert approval is not None or not case.creditor.handoff_requires_approval
        if case.state in (CaseState.PAID, CaseState.SETTLED, CaseState.CLOSED):
            assert case.closed_at is not None and case.closure_code


def test_debtors_are_companies_with_siren_or_persons(demo):
    kinds = set()
    for debtor in Debtor.objects.all():
        kinds.add(debtor.kind)
        if debtor.kind == Debtor.Kind.COMPANY:
            assert siren.is_valid(debtor.siren)
        else:
            assert debtor.first_name and not debtor.siren
    assert kinds == {Debtor.Kind.COMPANY, Debtor.Kind.PERSON}


def test_creditor_user_sees_only_its_creditors_cases(demo, client):
    client.post(reverse("login"), {"username": "client1@demo.collectio.fr", "password": PASSWORD})
    membership = Membership.objects.get(user__email="client1@demo.collectio.fr")
    page = client.get(reverse("workspace:list")).content.decode()
    own = Case.objects.filter(creditor=membership.creditor)
    others = Case.objects.exclude(creditor=membership.creditor)
    assert own.exists() and others.exists()
    shown = [c.reference for c in Case.objects.all() if c.reference in page]
    assert shown and set(shown) <= set(own.values_list("reference", flat=True))


def test_the_sweep_carries_on_from_the_seeded_states(demo):
    """Open cases point at the step that follows their history: the only cases the sweep stops
    are formal notices of the creditor whose mandate excludes court, which wait for a person."""
    result = sweep_agency(agency_id=demo.agency.pk)
    assert result.executed > 0
    blocked = CaseEvent.objects.filter(kind=CaseEvent.Kind.STEP_BLOCKED).select_related("case")
    assert result.blocked == blocked.count()
    for event in blocked:
        assert not event.case.creditor.mandate_allows_litigation
        assert (
            "The creditor's mandate does not cover judicial proceedings."
            in (event.payload["reasons"])
        )


def test_demo_amounts_compute_today_with_flagged_demo_rates(demo):
    from django.utils import timezone

    from dunning.models import ReferenceRate
    from dunning.statement import case_statement
    from law.interest import semester_of

    current = ReferenceRate.objects.filter(semester=semester_of(timezone.localdate()))
    assert current.exists()
    if current.first().semester > "2026-S1":  # beyond legal-fr.md's table: marked as demo data
        assert all(r.source.startswith("DEMO ONLY") for r in current)
    case = Case.objects.filter(state=CaseState.REMINDER).first()
    assert case_statement(case, on=timezone.localdate()).balance > 0


def test_cases_past_their_first_reminder_have_their_first_letter(demo):
    """R124-4, REQ-A6: the first letter was sent on the day of the first reminder, with a
    reference and a date every later letter recalls; no case went further without one."""
    reminded: dict[int, CaseEvent] = {}
    for event in CaseEvent.objects.filter(transition="send_reminder").order_by("at", "pk"):
        reminded.setdefault(event.case_id, event)
    assert len(reminded) > 100
    for case in Case.objects.select_related("agency"):
        first = first_letter(case)
        if case.pk not in reminded:
            assert first is None, case.reference
            assert case.state not in (CaseState.PHONE_FOLLOWUP, CaseState.FORMAL_NOTICE)
            assert case.state != CaseState.JUDICIAL, case.reference
            continue
        assert first is not None, case.reference
        assert first.sent_on == timezone.localdate(reminded[case.pk].at), case.reference
        assert first.reference.startswith("L-")
    letters = Notice.objects.filter(kind=LetterKind.FIRST_REMINDER)
    assert letters.count() == len(reminded)
    assert all(n.status == Notice.Status.SENT and n.print_batch_id for n in letters)
    assert all(n.sha256 and n.page_count for n in letters)  # produced, not written by hand
    assert not Notice.objects.filter(status=Notice.Status.FAILED).exists()


def test_the_pending_letter_tasks_fail_none(demo):
    """What `make run`'s worker does first: the sweep, each executed step's letters, e-mails
    and SMS, each letter rendered and sent. Not one fails (issue 8, item 18: it was 54)."""
    from collectio.outbox import OutboxMessage
    from tests.outbox import run_outbox

    result = sweep_agency(agency_id=demo.agency.pk)
    assert result.executed > 0
    assert OutboxMessage.objects.filter(kind="step_effects", status="pending").exists()
    run_outbox()
    assert not OutboxMessage.objects.exclude(status=OutboxMessage.Status.DONE).exists()
    assert not Notice.objects.filter(status=Notice.Status.FAILED).exists()
    assert not Notice.objects.filter(status=Notice.Status.DRAFT).exists()
    for kind in (LetterKind.SECOND_REMINDER, LetterKind.FORMAL_NOTICE):
        assert Notice.objects.filter(kind=kind, status__in=["rendered", "sent"]).exists()
