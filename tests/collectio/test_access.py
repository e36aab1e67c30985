"""The access layer's 404 table: every route that takes an object id answers 404 to a user of
another agency, to the user of another creditor of the same agency and to a user without a
membership, exactly as for an id that does not exist, and changes nothing."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.http import Http404
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from api.models import ApiKey, WebhookDelivery, WebhookSubscription
from cases.access import access_case
from cases.models import Case, CaseDocument, CaseEvent, CaseImport, CaseLease, Creditor, IntakeDraft
from collectio.access import access, visible
from collectio.models import AgencyDocument, ConfigChange, Invitation, Membership, Role, User
from collectio.scoping import tenant_scope
from debtors.models import CallTask, ContactLogEntry, ContactPoint
from dunning.models import Deadline, Scenario, StepExecution
from notices.models import Channel, LetterKind, LetterTemplate, LetterTemplateVersion, Notice
from payments.models import BankLine, BankStatement, Payment, PaymentPromise, Refund, Remittance
from tests import factories

NAMESPACES = ("workspace", "notices", "dunning", "api", "backoffice", "portal")
# route name -> (method, the kind of object its ``pk`` names, extra URL arguments)
ROUTES = {
    "workspace:detail": ("get", "case", ()),
    "workspace:transition": ("post", "case", ("withdraw",)),
    "workspace:payment_create": ("post", "case", ()),
    "workspace:settlement_propose": ("post", "case", ()),
    "workspace:plan_agree": ("post", "case", ()),
    "workspace:refund_refunded": ("post", "refund", ()),
    "workspace:handoff_approve": ("post", "case", ()),
    "workspace:judicial_step": ("post", "case", ()),
    "workspace:deadline_done": ("post", "deadline", ()),
    "workspace:review": ("post", "case", ()),
    "workspace:leave": ("post", "case", ()),
    "workspace:call_start": ("post", "case", (1,)),
    "workspace:outcome": ("post", "case", ()),
    "workspace:promise": ("post", "case", ()),
    "workspace:third_party": ("get", "case", ()),
    "workspace:contact_wrong": ("post", "case", (1,)),
    "workspace:note": ("post", "case", ()),
    "notices:case_preview": ("get", "case", ()),
    "notices:download": ("get", "notice", ()),
    "notices:acknowledge": ("post", "notice", ()),
    "dunning:confirm": ("post", "execution", ()),
    "api:creditor_detail": ("get", "creditor", ()),
    "api:debtor_detail": ("get", "debtor", ()),
    "api:case_detail": ("get", "case", ()),
    "api:case_balance": ("get", "case", ()),
    "api:case_events": ("get", "case", ()),
    "api:case_transition": ("post", "case", ()),
    "api:case_payments": ("post", "case", ()),
    "api:case_documents": ("get", "case", ()),
    "api:case_document": ("get", "case", ("document-1",)),
    "api:manage_key_revoke": ("post", "api_key", ()),
    "api:manage_subscription": ("get", "subscription", ()),
    "api:manage_subscription_test": ("post", "subscription", ()),
    "api:manage_delivery_replay": ("post", "delivery", ()),
    "backoffice:creditor_edit": ("post", "creditor", ()),
    "backoffice:member_role": ("post", "membership", ()),
    "backoffice:member_active": ("post", "membership", ()),
    "backoffice:invitation_resend": ("post", "invitation", ()),
    "backoffice:invitation_revoke": ("post", "invitation", ()),
    "backoffice:agency_document": ("get", "document", ()),
    "backoffice:scenario_edit": ("post", "scenario", ()),
    "backoffice:scenario_preview": ("post", "scenario", ()),
    "backoffice:scenario_copy": ("post", "scenario", ()),
    "backoffice:template_restore": ("post", "version", ()),
    "backoffice:money:statement": ("get", "statement", ()),
    "backoffice:money:line_resolve": ("post", "bank_line", ()),
    "backoffice:money:remittance": ("get", "remittance", ()),
    "backoffice:money:remittance_executed": ("post", "remittance", ()),
    "backoffice:money:remittance_pain001": ("get", "remittance", ()),
    "backoffice:money:remittance_statement": ("get", "remittance", ()),
    "portal:case_detail": ("get", "case", ()),
    "portal:case_handoff": ("post", "case", ()),
    "portal:case_hold": ("post", "case", ()),
    "portal:case_withdraw": ("post", "case", ()),
    "portal:case_settlement": ("post", "case", ()),
    "portal:case_document": ("post", "case", ()),
    "portal:case_payment": ("post", "case", ()),
    "portal:document_download": ("get", "case_document", ()),
    "portal:draft_resume": ("get", "draft", ()),
    "portal:draft_delete": ("post", "draft", ()),
    "portal:import_detail": ("get", "import", ()),
    "portal:import_status": ("get", "import", ()),
    "portal:import_run": ("post", "import", ()),
}


def _routes_with_an_id(resolver: URLResolver, prefix: str = "") -> set[str]:
    found = set()
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            found |= _routes_with_an_id(
                pattern, f"{prefix}{pattern.namespace}:" if pattern.namespace else prefix
            )
        elif isinstance(pattern, URLPattern) and "pk" in pattern.pattern.converters:
            found.add(f"{prefix}{pattern.name}")
    return {name for name in found if name.split(":")[0] in NAMESPACES}


def test_the_table_covers_every_route_that_takes_an_id():
    assert _routes_with_an_id(get_resolver()) == set(ROUTES)


@pytest.fixture
def alpha_objects(world):
    """One object of each kind in Alpha, for the first creditor."""
    with scopes_disabled():
        case = factories.new_case(world.creditor)
        step = Scenario.objects.get(agency=world.agency, is_default=True).steps.first()
        execution = StepExecution.objects.create(
            agency=world.agency, case=case, step=step,
            status=StepExecution.Status.AWAITING_CONFIRMATION, planned_for=timezone.now(),
        )  # fmt: skip
        notice = Notice.objects.create(
            agency=world.agency, creditor=world.creditor, case=case,
            kind=LetterKind.FORMAL_NOTICE, channel=Channel.REGISTERED_LETTER, reference="L-1",
            statement_on=date(2026, 1, 5), status=Notice.Status.SENT, sent_at=timezone.now(),
            rendered_at=timezone.now(), pdf="notices/x.pdf",
        )  # fmt: skip
        deadline = Deadline.objects.create(
            agency=world.agency, case=case, kind=Deadline.Kind.REMITTANCE,
            starts_on=date(2026, 1, 5), due_on=date(2026, 2, 5), amount=10,
        )  # fmt: skip
        payment = Payment.objects.create(
            agency=world.agency, case=case, amount=Decimal("10.00"), received_on=date(2026, 1, 6),
            method=Payment.Method.TRANSFER,
        )  # fmt: skip
        refund = Refund.objects.create(
            agency=world.agency, case=case, payment=payment, amount=Decimal("1.00")
        )
        api_key, _secret = ApiKey.new(agency=world.agency, creditor=world.creditor, name="ERP")
        api_key.save()
        subscription = WebhookSubscription.objects.create(
            agency=world.agency, api_key=api_key, url="https://erp.example.fr/hooks"
        )
        delivery = WebhookDelivery.objects.create(
            agency=world.agency, subscription=subscription, message_id="msg_1",
            event_type="case.created", status=WebhookDelivery.Status.FAILED,
        )  # fmt: skip
        invitation = Invitation.objects.create(
            agency=world.agency, email="new@alpha.fr", role=Role.AGENT, invited_by=world.admin,
            expires_at=timezone.now() + timedelta(days=7),
        )  # fmt: skip
        document = AgencyDocument.objects.create(
            agency=world.agency, kind=AgencyDocument.Kind.INSURANCE, dated=date(2026, 1, 5),
            file=SimpleUploadedFile("attestation.pdf", b"%PDF-1.4 test"),
        )  # fmt: skip
        template = LetterTemplate.objects.create(
            agency=world.agency, kind=LetterKind.FIRST_REMINDER, body="Bonjour"
        )
        version = LetterTemplateVersion.objects.create(
            agency=world.agency, template=template, number=1, body="Madame, Monsieur"
        )
        statement = BankStatement.objects.create(
            agency=world.agency, format="camt053", filename="s.xml", sha256="0" * 64
        )
        bank_line = BankLine.objects.create(
            agency=world.agency, statement=statement, line_key="k-1", booked_on=date(2026, 1, 6),
            amount=Decimal("10.00"), status=BankLine.Status.UNMATCHED,
        )  # fmt: skip
        remittance = Remittance.objects.create(
            agency=world.agency, creditor=world.creditor, reference="R-2026-000001",
            run_on=date(2026, 1, 7), commission_rate=15, vat_rate=20, collected=10, direct=0,
            commission=Decimal("1.50"), vat=Decimal("0.30"), net=Decimal("8.20"),
            execution_on=date(2026, 1, 7), pain001="<Document/>",
        )  # fmt: skip
        case_document = CaseDocument.objects.create(
            agency=world.agency, case=case, kind=CaseDocument.Kind.INVOICE,
            file="case-documents/x.pdf", original_name="f.pdf", content_type="application/pdf",
            size=1, sha256="0" * 64,
        )  # fmt: skip
        draft = IntakeDraft.objects.create(
            agency=world.agency, creditor=world.creditor, created_by=world.creditor_user, data={}
        )
        case_import = CaseImport.objects.create(
            agency=world.agency, creditor=world.creditor, uploaded_by=world.creditor_user,
            file="case-imports/x.csv", original_name="x.csv", sha256="0" * 64,
        )  # fmt: skip
    return {
        "case": case, "notice": notice, "execution": execution, "deadline": deadline,
        "refund": refund, "creditor": world.creditor, "debtor": case.debtor, "api_key": api_key,
        "subscription": subscription, "delivery": delivery,
        "membership": world.agent.membership,
        "invitation": invitation, "document": document, "version": version,
        "scenario": step.scenario,
        "statement": statement, "bank_line": bank_line, "remittance": remittance,
        "case_document": case_document, "draft": draft, "import": case_import,
    }  # fmt: skip


def _state(world, objects):
    with scopes_disabled():
        case = Case.objects.get(pk=objects["case"].pk)
        return (
            case.state,
            case.handoff_approved_at,
            CaseEvent.objects.filter(case=case).count(),
            Notice.objects.get(pk=objects["notice"].pk).acknowledged_on,
            StepExecution.objects.filter(pk=objects["execution"].pk).count(),
            Deadline.objects.get(pk=objects["deadline"].pk).status,
            Deadline.objects.filter(case=case).count(),
            Payment.objects.filter(case=case).count(),
            Refund.objects.get(pk=objects["refund"].pk).status,
            Notice.objects.filter(case=case).count(),
            ApiKey.objects.get(pk=objects["api_key"].pk).revoked,
            WebhookDelivery.objects.get(pk=objects["delivery"].pk).status,
            WebhookDelivery.objects.count(),
            ConfigChange.objects.count(),
            Invitation.objects.values_list("expires_at", "revoked_at").get(),
            Creditor.objects.get(pk=objects["creditor"].pk).legal_name,
            Membership.objects.get(pk=objects["membership"].pk).role,
            Scenario.objects.filter(agency=world.agency).count(),
            LetterTemplateVersion.objects.count(),
            BankLine.objects.get(pk=objects["bank_line"].pk).status,
            Remittance.objects.get(pk=objects["remittance"].pk).status,
            CaseDocument.objects.filter(case=case).count(),
            IntakeDraft.objects.filter(pk=objects["draft"].pk).count(),
            CaseImport.objects.get(pk=objects["import"].pk).status,
            ContactLogEntry.objects.count(),
            PaymentPromise.objects.count(),
            CaseLease.objects.count(),
            CallTask.objects.count(),
            ContactPoint.objects.filter(marked_wrong_at__isnull=False).count(),
        )


@pytest.mark.parametrize("outsider", ["charlie", "other_creditor_user", "nobody"])
@pytest.mark.parametrize("route", sorted(ROUTES))
def test_outsiders_get_404_as_for_a_missing_id(world, alpha_objects, client, outsider, route):
    method, kind, extra = ROUTES[route]
    user = (
        User.objects.create_user(email="nobody@example.fr", password="x-secret-pass")
        if outsider == "nobody"
        else getattr(world, outsider)
    )
    client.force_login(user)
    before = _state(world, alpha_objects)
    data = {
        "received_on": "2026-01-06", "amount": "10", "method": "transfer", "reason": "x",
        "step": "ordonnance", "on": "2026-01-06",
        "refunded_on": "2026-01-07", "executed_on": "2026-01-07", "plan-TOTAL_FORMS": "1",
        "plan-INITIAL_FORMS": "0",
        "plan-0-due_on": "2099-01-01", "plan-0-amount": "10", **factories.once(),
        "legal_name": "Changed", f"m{world.agent.membership.pk}-role": "admin", "active": "0",
        "name": "Copie", "steps-TOTAL_FORMS": "0", "steps-INITIAL_FORMS": "0",
        "until": "2099-01-01", "kind": "other",
        "outcome": "no_answer", "text": "x", "decision": "reject", "due_on": "2099-01-01",
    }  # fmt: skip
    for pk in (alpha_objects[kind].pk, alpha_objects[kind].pk + 10_000):
        url = reverse(route, args=[pk, *extra])
        response = getattr(client, method)(url, data) if method == "post" else client.get(url)
        assert response.status_code == 404, (route, pk)
    assert _state(world, alpha_objects) == before


@pytest.mark.parametrize(
    "route",
    [
        "notices:case_preview",
        "notices:acknowledge",
        "dunning:confirm",
        "workspace:judicial_step",
        "workspace:deadline_done",
        "workspace:refund_refunded",
        "workspace:settlement_propose",
        "api:creditor_detail",
        "api:manage_key_revoke",
        "api:manage_subscription",
        "api:manage_delivery_replay",
        "backoffice:money:statement",
        "backoffice:money:line_resolve",
        "backoffice:money:remittance",
        "backoffice:money:remittance_executed",
        "backoffice:money:remittance_pain001",
        "backoffice:money:remittance_statement",
        "workspace:review",
        "workspace:leave",
        "workspace:call_start",
        "workspace:outcome",
        "workspace:promise",
        "workspace:third_party",
        "workspace:contact_wrong",
        "workspace:note",
    ],
)
def test_staff_only_routes_are_404_for_the_cases_own_creditor_user(
    world, alpha_objects, client, route
):
    method, kind, extra = ROUTES[route]
    client.force_login(world.creditor_user)
    url = reverse(route, args=[alpha_objects[kind].pk, *extra])
    data = {"refunded_on": "2026-01-07", **factories.once()}
    response = getattr(client, method)(url, data) if method == "post" else client.get(url)
    assert response.status_code == 404


def test_access_returns_the_row_or_404_and_locks_it_for_a_write(world, alpha_objects):
    case = alpha_objects["case"]
    with tenant_scope(world.agency.pk):
        assert access_case(world.creditor_user.membership, case.pk) == case
        with pytest.raises(Http404):
            access_case(world.other_creditor_user.membership, case.pk)
        with pytest.raises(Http404):
            access_case(world.agent.membership, "not-a-number")
        with transaction.atomic():
            locked = access_case(world.creditor_user.membership, case.pk, for_write=True)
            assert locked == case
            with pytest.raises(Http404):
                access_case(world.other_creditor_user.membership, case.pk, for_write=True)


def test_visible_gives_a_creditor_nothing_of_agency_level_rows(world, alpha_objects):
    with tenant_scope(world.agency.pk):
        assert not visible(Scenario.objects.all(), world.creditor_user.membership).exists()
        assert visible(Scenario.objects.all(), world.agent.membership).exists()
        with pytest.raises(Http404):
            access(Scenario.objects.all(), world.creditor_user.membership, 1)
