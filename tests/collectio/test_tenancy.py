"""Tenancy: every tenant row carries its agency, queries fail closed, nobody sees across tenants.

Alpha is the agency under test; Bravo's admin Charlie, a user without membership and the user of
Alpha's other creditor must each see nothing of Alpha's (or the first creditor's) rows, on every
model, selector, page and admin screen, exactly as if the rows did not exist.
"""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

import pytest
from django.apps import apps
from django.db import models
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django_scopes import ScopeError, scopes_disabled

from api.models import ApiKey, IdempotentRequest, WebhookSubscription
from api.models import WebhookDelivery as ApiDelivery
from cases import models as case_models
from cases import selectors
from cases.access import access_case
from cases.models import Case, CaseEvent, CaseLease, CaseState, Claim, Creditor
from collectio.access import visible
from collectio.models import Agency, AgencyDocument, ConfigChange, Invitation, Role, User
from collectio.outbox import OutboxMessage
from collectio.scoping import tenant_scope
from collectio.submissions import FormSubmission
from debtors.models import CallTask, ContactLogEntry, ContactPoint, Debtor
from dunning.models import Deadline, ReferenceRate, Scenario, StepExecution
from notices.models import (
    Channel,
    JudicialDossier,
    LetterKind,
    LetterTemplate,
    LetterTemplateVersion,
    Notice,
    PrintBatch,
    WebhookDelivery,
)
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
from tests import factories

PROJECT_APPS = (
    "collectio", "cases", "debtors", "dunning", "payments", "notices", "workspace", "api",
)  # fmt: skip
# Models that are not owned by one agency. Adding a model here needs a reason next to it.
NOT_TENANT_OWNED = {
    "collectio.Agency",  # the tenant itself
    "collectio.User",  # a login; its agency comes from its Membership
    "dunning.ReferenceRate",  # published legal rates, the same for every agency
}
# The ``populated`` fixture gives every tenant model rows in both agencies, so the checks below
# bite: ``test_fixture_populates_every_tenant_model_in_both_agencies`` fails for a new model
# until the fixture creates its rows.


def _label(model: type[models.Model]) -> str:
    return f"{model._meta.app_label}.{model.__name__}"


def project_models() -> list[type[models.Model]]:
    return [m for label in PROJECT_APPS for m in apps.get_app_config(label).get_models()]


def tenant_models() -> list[type[models.Model]]:
    return [m for m in project_models() if _label(m) not in NOT_TENANT_OWNED]


TENANT_MODELS = tenant_models()


# --- the invariant over every model ----------------------------------------------------------
def test_exemptions_name_existing_models():
    """A stale exemption would hide nothing, but a typo would hide a real model."""
    labels = {_label(m) for m in project_models()}
    assert {"collectio.Agency", "collectio.User"} <= labels
    assert NOT_TENANT_OWNED - labels <= {"dunning.ReferenceRate"}


@pytest.mark.parametrize("model", TENANT_MODELS, ids=_label)
def test_tenant_model_has_a_non_null_agency_foreign_key(model):
    try:
        field = model._meta.get_field("agency")
    except Exception:  # FieldDoesNotExist
        pytest.fail(f"{_label(model)} has no `agency` field (or add it to NOT_TENANT_OWNED)")
    assert isinstance(field, models.ForeignKey), f"{_label(model)}.agency is not a ForeignKey"
    assert field.related_model is Agency
    assert not field.null, f"{_label(model)}.agency is nullable"


@pytest.mark.parametrize("model", TENANT_MODELS, ids=_label)
def test_tenant_model_queries_fail_outside_a_scope(model, db):
    for manager in (model.objects, model._default_manager):
        for query in (
            lambda m: list(m.all()),
            lambda m: m.count(),
            lambda m: m.filter(pk=1).first(),
            lambda m: m.get(pk=1),
            lambda m: list(m.values_list("pk", flat=True)),
        ):
            with pytest.raises(ScopeError):
                query(manager)


def test_exists_also_fails_outside_a_scope(world):
    factories.new_case(world.creditor)
    with pytest.raises(ScopeError):
        Case.objects.exists()


# --- rows in both agencies -------------------------------------------------------------------
def _populate(agency: Agency, creditor: Creditor, name: str) -> Case:
    """One row of every tenant model for this agency and creditor."""
    with scopes_disabled():
        debtor = factories.new_debtor(agency, name=name)
        ContactPoint.objects.create(
            agency=agency, debtor=debtor, channel="email", value=f"{name.split()[0]}@example.fr"
        )
        case = factories.new_case(creditor, debtor)
        payment = Payment.objects.create(
            agency=agency, case=case, amount=Decimal("10.00"), received_on=date(2026, 1, 5),
            method=Payment.Method.TRANSFER,
        )  # fmt: skip
        payment.designated_claims.set(case.claims.all(), through_defaults={"agency": agency})
        plan = PaymentPlan.objects.create(
            agency=agency, case=case, agreed_on=date(2026, 1, 5), total=Decimal("100.00"),
            interest=Agency.PlanInterest.FROZEN,
        )  # fmt: skip
        PlanInstalment.objects.create(
            agency=agency, plan=plan, position=1, due_on=date(2026, 2, 5), amount=Decimal("100")
        )
        Refund.objects.create(agency=agency, case=case, payment=payment, amount=Decimal("1.00"))
        statement = BankStatement.objects.create(
            agency=agency, format="csv", filename="r.csv", sha256=f"{case.pk:064d}"
        )
        BankLine.objects.create(
            agency=agency, statement=statement, line_key=f"csv:{case.pk}", payment=payment,
            booked_on=date(2026, 1, 5), amount=Decimal("10.00"), status=BankLine.Status.MATCHED,
            case=case,
        )  # fmt: skip
        remittance = Remittance.objects.create(
            agency=agency, creditor=creditor, reference=f"R-2026-{case.pk:06d}",
            run_on=date(2026, 1, 6), commission_rate=15, vat_rate=20, collected=10, direct=0,
            commission=Decimal("1.50"), vat=Decimal("0.30"), net=Decimal("8.20"),
            execution_on=date(2026, 1, 6),
        )  # fmt: skip
        RemittanceItem.objects.create(
            agency=agency, remittance=remittance, payment=payment, amount=Decimal("10.00"),
            commission=Decimal("1.50"), remitted=True,
        )  # fmt: skip
        posting = uuid.uuid4()
        for account, amount in (("bank", Decimal("10")), ("creditor", Decimal("-10"))):
            LedgerEntry.objects.create(
                agency=agency, creditor=creditor, posting=posting, booked_on=date(2026, 1, 5),
                account=account, kind="payment", amount=amount, source=f"payment:{payment.pk}",
            )  # fmt: skip
        Settlement.objects.create(
            agency=agency, case=case, amount=Decimal("50"), owed=Decimal("100"),
            proposed_on=date(2026, 1, 5), reason="Accord", status=Settlement.Status.AGREED,
        )  # fmt: skip
        Scenario.objects.create(agency=agency, name=f"Scénario {name}")
        step = Scenario.objects.get(agency=agency, is_default=True).steps.first()
        execution = StepExecution.objects.create(
            agency=agency, case=case, step=step, status=StepExecution.Status.DONE,
            planned_for=timezone.now(),
        )  # fmt: skip
        Deadline.objects.create(
            agency=agency, case=case, kind=Deadline.Kind.REMITTANCE, starts_on=date(2026, 1, 5),
            due_on=date(2026, 2, 5), amount=Decimal("10.00"), payment_id=payment.pk,
        )  # fmt: skip
        task = CallTask.objects.create(
            agency=agency, case=case, step_execution=execution, script="Appeler le débiteur."
        )
        ContactLogEntry.objects.create(
            agency=agency, debtor=debtor, case=case, call_task=task, channel="phone",
            direction="outbound", outcome="no_answer",
        )  # fmt: skip
        user = User.objects.filter(membership__agency=agency).first()
        CaseLease.objects.create(agency=agency, case=case, agent=user, expires_at=timezone.now())
        PaymentPromise.objects.create(
            agency=agency, case=case, amount=Decimal("10.00"), due_on=date(2026, 1, 9),
            made_on=date(2026, 1, 5),
        )  # fmt: skip
        batch = PrintBatch.objects.create(agency=agency)
        notice = Notice.objects.create(
            agency=agency, creditor=creditor, case=case, kind=LetterKind.FIRST_REMINDER,
            channel=Channel.LETTER, reference=f"L-{name[-3:]}", statement_on=date(2026, 1, 5),
            print_batch=batch,
        )  # fmt: skip
        template, _created = LetterTemplate.objects.get_or_create(
            agency=agency, kind=LetterKind.FIRST_REMINDER, defaults={"body": "<p>Bonjour,</p>"}
        )
        LetterTemplateVersion.objects.create(
            agency=agency, template=template, number=template.versions.count() + 1, body="x"
        )
        staff = User.objects.filter(membership__agency=agency).first()
        Invitation.objects.create(
            agency=agency, email=f"invite-{case.pk}@example.fr", role=Role.AGENT,
            invited_by=staff, expires_at=timezone.now(),
        )  # fmt: skip
        ConfigChange.objects.create(
            agency=agency, actor=staff, target=ConfigChange.Target.CREDITOR,
            target_id=creditor.pk, target_label=creditor.legal_name, summary="Creditor changed",
        )  # fmt: skip
        AgencyDocument.objects.create(
            agency=agency, kind=AgencyDocument.Kind.INSURANCE, file="agency-documents/x.pdf",
            dated=date(2026, 1, 5), uploaded_by=staff,
        )  # fmt: skip
        JudicialDossier.objects.create(
            agency=agency, case=case, statement_on=date(2026, 1, 5), pdf="dossiers/x.pdf",
            sha256="0" * 64, page_count=1, request_data={},
        )  # fmt: skip
        WebhookDelivery.objects.create(
            agency=agency, delivery_id=f"msg_{case.pk}", endpoint="post", notice=notice
        )
        OutboxMessage.objects.create(
            agency=agency, kind="step_effects", key=f"case:{case.pk}", case_id=case.pk
        )
        FormSubmission.objects.create(
            agency=agency, user=User.objects.filter(membership__agency=agency).first(),
            token=uuid.uuid4(),
        )  # fmt: skip
        case_models.CaseDocument.objects.create(
            agency=agency, case=case, kind="invoice", file="case-documents/x.pdf",
            original_name="facture.pdf", content_type="application/pdf", size=10, sha256="0" * 64,
        )  # fmt: skip
        api_key, _secret = ApiKey.new(agency=agency, creditor=creditor, name=f"ERP {name}")
        api_key.save()
        subscription = WebhookSubscription.objects.create(
            agency=agency, api_key=api_key, url="https://erp.example.fr/hooks"
        )
        ApiDelivery.objects.create(
            agency=agency, subscription=subscription, message_id=f"msg_api_{case.pk}",
            event_type="case.created", case_id=case.pk,
        )  # fmt: skip
        IdempotentRequest.objects.create(
            agency=agency, owner=f"key:{api_key.prefix}", key="k", method="POST", path="/",
            body_sha256="0" * 64,
        )  # fmt: skip
        creditor_user = (
            User.objects.filter(membership__creditor=creditor).first()
            or User.objects.filter(membership__agency=agency).first()
        )
        case_models.IntakeDraft.objects.create(
            agency=agency, creditor=creditor, created_by=creditor_user, data={"debtor-name": name}
        )
        case_models.CaseImport.objects.create(
            agency=agency, creditor=creditor, uploaded_by=creditor_user, file="case-imports/x.csv",
            original_name="x.csv", sha256="0" * 64,
        )  # fmt: skip
        case_models.NotificationPreference.objects.create(
            agency=agency, creditor=creditor,
            user=factories.new_user(agency, "creditor_user", creditor=creditor), topics=[],
        )  # fmt: skip
    return case


@pytest.fixture
def populated(world):
    """Alpha: a case per creditor (plus a debtor shared by both). Bravo: one case."""
    with scopes_disabled():
        bravo_creditor = factories.new_creditor(world.other_agency, "Bravo Client SARL")
    world.case = _populate(world.agency, world.creditor, "Garage Alpha Un")
    world.other_case = _populate(world.agency, world.other_creditor, "Garage Alpha Deux")
    world.bravo_case = _populate(world.other_agency, bravo_creditor, "Garage Bravo")
    world.bravo_creditor = bravo_creditor
    return world


def _ids(model: type[models.Model], agency: Agency) -> set[int]:
    with scopes_disabled():
        return set(model.objects.filter(agency=agency).values_list("pk", flat=True))


def test_fixture_populates_every_tenant_model_in_both_agencies(populated):
    assert len(TENANT_MODELS) >= 19
    for model in TENANT_MODELS:
        assert _ids(model, populated.agency), _label(model)
        assert _ids(model, populated.other_agency), _label(model)


@pytest.mark.parametrize("model", TENANT_MODELS, ids=_label)
def test_other_agency_sees_none_of_alphas_rows(populated, model):
    alpha_ids = _ids(model, populated.agency)
    charlie = populated.charlie.membership
    with tenant_scope(populated.other_agency.pk):
        assert not model.objects.filter(pk__in=alpha_ids).exists()
        assert not model.objects.exclude(agency=populated.other_agency).exists()
        assert set(model.objects.values_list("pk", flat=True)) == _ids(
            model, populated.other_agency
        )
        assert not visible(model.objects.all(), charlie).filter(pk__in=alpha_ids).exists()
    # Even inside the wrong scope, narrowing by Charlie's membership leaves no Alpha row.
    with tenant_scope(populated.agency.pk):
        assert not visible(model.objects.all(), charlie).exists()


@pytest.mark.parametrize("model", TENANT_MODELS, ids=_label)
def test_no_agency_and_no_membership_see_nothing(populated, model):
    assert _ids(model, populated.agency)
    with tenant_scope(None):
        assert list(model.objects.all()) == []
    with tenant_scope(populated.agency.pk):
        assert list(visible(model.objects.all(), None)) == []


def test_creditor_user_sees_only_its_creditors_rows(populated):
    w = populated
    member = w.creditor_user.membership
    with scopes_disabled():
        shared = factories.new_debtor(w.agency, name="Débiteur Commun SA")
        own_shared = factories.new_case(w.creditor, shared)
        other_shared = factories.new_case(w.other_creditor, shared)
    with tenant_scope(w.agency.pk):
        assert list(selectors.creditor_list(membership=member)) == [w.creditor]
        cases = set(selectors.case_list(membership=member))
        assert cases == {w.case, own_shared}
        for foreign in (w.other_case, other_shared):
            with pytest.raises(Http404):
                access_case(member, foreign.pk)
        own = access_case(member, w.case.pk)
        assert set(selectors.case_claims(case=own)) == set(Claim.objects.filter(case=w.case))
        assert {e.case_id for e in selectors.case_timeline(case=own)} == {w.case.pk}

        def seen(model: type[models.Model]) -> set[int]:
            return set(visible(model.objects.all(), member).values_list("pk", flat=True))

        own_cases = {w.case.pk, own_shared.pk}
        assert seen(Claim) == set(
            Claim.objects.filter(case__in=own_cases).values_list("pk", flat=True)
        )
        assert seen(CaseEvent) == set(
            CaseEvent.objects.filter(case__in=own_cases).values_list("pk", flat=True)
        )
        assert seen(Payment) == set(
            Payment.objects.filter(case__in=own_cases).values_list("pk", flat=True)
        )
        # The shared debtor is visible through the user's own case, the other one's is not.
        assert seen(Debtor) == {w.case.debtor_id, shared.pk}
        assert seen(ContactPoint) == set(
            ContactPoint.objects.filter(debtor=w.case.debtor_id).values_list("pk", flat=True)
        )
        # Agency-level rows are not a creditor's business.
        assert seen(Scenario) == set()


# --- pages -----------------------------------------------------------------------------------
def _detail(case: Case) -> str:
    return reverse("workspace:detail", args=[case.pk])


def _transition(case: Case, name: str = "withdraw") -> str:
    return reverse("workspace:transition", args=[case.pk, name])


def _state(case: Case) -> str:
    with scopes_disabled():
        return Case.objects.get(pk=case.pk).state


@pytest.mark.parametrize("outsider", ["charlie", "other_creditor_user", "nobody"])
def test_outsiders_get_404_exactly_as_for_a_missing_case(populated, client, outsider):
    w = populated
    if outsider == "nobody":
        user = User.objects.create_user(email="nobody@example.fr", password="x-secret-pass")
    else:
        user = getattr(w, outsider)
    client.force_login(user)
    missing = Case(pk=w.case.pk + 10_000)
    for url in (_detail(w.case), _detail(missing)):
        assert client.get(url).status_code == 404, url
    for url in (_transition(w.case), _transition(missing)):
        assert client.post(url).status_code == 404, url
    assert _state(w.case) == CaseState.NEW


@pytest.mark.parametrize("outsider", ["charlie", "other_creditor_user", "nobody"])
def test_case_list_shows_outsiders_none_of_the_cases(populated, client, outsider):
    w = populated
    user = (
        User.objects.create_user(email="nobody@example.fr", password="x-secret-pass")
        if outsider == "nobody"
        else getattr(w, outsider)
    )
    client.force_login(user)
    response = client.get(reverse("workspace:list"))
    assert response.status_code == 200
    assert _detail(w.case) not in response.content.decode()


def test_anonymous_is_sent_to_login(populated, client):
    login = reverse("login")
    for response in (
        client.get(reverse("workspace:list")),
        client.get(_detail(populated.case)),
        client.post(_transition(populated.case)),
    ):
        assert response.status_code == 302
        assert response.url.startswith(f"{login}?next=")
    assert _state(populated.case) == CaseState.NEW


@pytest.mark.parametrize("insider", ["creditor_user", "agent", "admin"])
def test_own_creditor_user_and_agency_staff_reach_the_case(populated, client, insider):
    w = populated
    client.force_login(getattr(w, insider))
    page = client.get(reverse("workspace:list")).content.decode()
    assert _detail(w.case) in page
    assert _detail(w.bravo_case) not in page
    assert client.get(_detail(w.case)).status_code == 200
    response = client.post(
        _transition(w.case, "withdraw"),
        {"expected_state": CaseState.NEW, "reason": "réglé en direct", **factories.once()},
    )
    assert response.status_code == 302
    assert response.url == _detail(w.case)
    assert _state(w.case) == CaseState.CLOSED


def test_creditor_users_list_holds_only_its_creditors_cases(populated, client):
    client.force_login(populated.creditor_user)
    page = client.get(reverse("workspace:list")).content.decode()
    assert _detail(populated.case) in page
    assert _detail(populated.other_case) not in page
    assert populated.other_creditor.legal_name not in page


def test_creditor_user_may_not_fire_a_staff_transition(populated, client):
    client.force_login(populated.creditor_user)
    response = client.post(_transition(populated.case, "accept"), factories.once())
    assert response.status_code == 403
    assert _state(populated.case) == CaseState.NEW


# --- admin -----------------------------------------------------------------------------------
def _admin_url(model: type[models.Model], action: str, *args: object) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{action}", args=args)


@pytest.mark.parametrize(
    ("model", "alpha_row", "bravo_row"),
    [
        (Case, "case", "bravo_case"),
        (Creditor, "creditor", "bravo_creditor"),
        (Debtor, "case.debtor", "bravo_case.debtor"),
    ],
)
def test_agency_admin_changelists_hold_only_its_agency(
    populated, client, model, alpha_row, bravo_row
):
    def row(path: str) -> models.Model:
        obj = populated
        for part in path.split("."):
            obj = getattr(obj, part)
        return obj

    alpha, bravo = row(alpha_row), row(bravo_row)
    client.force_login(populated.admin)
    page = client.get(_admin_url(model, "changelist"))
    assert page.status_code == 200
    html = page.content.decode()
    assert _admin_url(model, "change", alpha.pk) in html
    assert _admin_url(model, "change", bravo.pk) not in html


@pytest.mark.parametrize("action", ["change", "history"])
def test_agency_admin_on_another_agencys_case_is_told_it_does_not_exist(populated, client, action):
    """Django admin answers an object outside get_queryset() with a redirect to the index and
    a "does not exist" warning: the very answer it gives for an id that was never used."""
    client.force_login(populated.admin)
    answers = []
    for pk in (populated.bravo_case.pk, populated.bravo_case.pk + 10_000):
        response = client.get(_admin_url(Case, action, pk), follow=True)
        assert response.redirect_chain == [(reverse("admin:index"), 302)]
        (message,) = [str(m) for m in response.context["messages"]]
        assert str(pk) in message
        answers.append(message.replace(str(pk), "<id>"))
    assert answers[0] == answers[1]


def test_no_case_is_deleted_through_the_admin_whoever_owns_it(populated, client):
    """Cases end through transitions; another agency's case answers like a missing one."""
    client.force_login(populated.admin)
    for pk in (populated.bravo_case.pk, populated.bravo_case.pk + 10_000, populated.case.pk):
        response = client.post(_admin_url(Case, "delete", pk), {"post": "yes"})
        assert response.status_code == 403
    with scopes_disabled():
        assert Case.objects.filter(pk__in=[populated.bravo_case.pk, populated.case.pk]).count() == 2


def test_superuser_sees_every_agency(populated, client):
    ops = User.objects.create_superuser(email="ops@example.fr", password="x-secret-pass")
    client.force_login(ops)
    html = client.get(_admin_url(Case, "changelist")).content.decode()
    for case in (populated.case, populated.other_case, populated.bravo_case):
        assert _admin_url(Case, "change", case.pk) in html
    assert client.get(_admin_url(Case, "change", populated.bravo_case.pk)).status_code == 200


def test_agent_and_creditor_user_cannot_use_the_admin(populated, client):
    for user in (populated.agent, populated.creditor_user):
        client.force_login(user)
        for url in (reverse("admin:index"), _admin_url(Case, "changelist")):
            response = client.get(url)
            assert response.status_code == 302
            assert response.url.startswith(reverse("admin:login"))


def test_staff_flag_without_the_admin_role_is_not_enough(populated, client):
    """is_staff lets a user through the admin's door; only role admin opens tenant screens."""
    staff_agent = factories.new_user(populated.agency, Role.AGENT, is_staff=True)
    client.force_login(staff_agent)
    assert client.get(_admin_url(Case, "changelist")).status_code == 403
    assert client.get(_admin_url(Case, "change", populated.case.pk)).status_code == 403


def test_agency_admin_cannot_reach_agencies_users_or_global_rates(populated, client):
    client.force_login(populated.admin)
    for model in (Agency, User, ReferenceRate):
        assert client.get(_admin_url(model, "changelist")).status_code == 403


def test_admin_forms_offer_no_user_of_another_agency(populated, client):
    client.force_login(populated.admin)
    pages = [
        client.get(_admin_url(Case, "change", populated.case.pk)).content.decode(),
        client.get(_admin_url(apps.get_model("collectio.Membership"), "add")).content.decode(),
    ]
    for html in pages:
        assert populated.charlie.email not in html
