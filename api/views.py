"""The REST API, /api/v1/: thin views over the services and selectors, on one base view."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import QuerySet
from django.http import FileResponse, Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransition
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request
from rest_framework.response import Response

from api import selectors, services
from api.base import TenantView
from api.problems import PROBLEM_JSON, django_validation_detail, problem
from api.serializers import (
    BulkCaseCreateSerializer,
    BulkCaseResultSerializer,
    CaseCreateSerializer,
    CaseDetailSerializer,
    CaseSerializer,
    CreditorSerializer,
    DebtorSerializer,
    DocumentInputSerializer,
    DocumentSerializer,
    EventSerializer,
    PaymentCreateSerializer,
    PaymentSerializer,
    ProblemSerializer,
    StatementSerializer,
    TransitionSerializer,
)
from cases.access import access_case
from cases.models import Case, CaseState
from cases.services import CaseTransitionError, case_transition
from collectio.access import access
from dunning.selectors import rate_missing_message
from dunning.statement import case_statement
from law.interest import RateMissing
from payments.models import Payment
from payments.services import payment_record

PROBLEM = OpenApiResponse(ProblemSerializer, description=_("Problem details (RFC 9457)."))


def problems(*codes: int) -> dict[tuple[int, str], OpenApiResponse]:
    return {(code, PROBLEM_JSON): PROBLEM for code in codes}


ERRORS = problems(400, 401, 403, 404, 406, 422, 429)
WRITE_ERRORS = {**ERRORS, **problems(409, 415)}
IDEMPOTENCY = OpenApiParameter(
    "Idempotency-Key",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description=_(
        "Any unique string (a UUID): a retry with the same key and body gets the first "
        "response, for 24 hours; the same key with another body is refused (422)."
    ),
)


CASE_EXAMPLE = OpenApiExample(
    "A company's unpaid invoice",
    request_only=True,
    value={
        "creditor": 12,
        "debtor": {
            "kind": "company", "name": "Garage Dupont SARL", "siren": "732829320",
            "address_line1": "4 rue des Lilas", "postcode": "69003", "city": "Lyon",
            "email": "compta@garage-dupont.fr",
        },
        "claims": [{
            "invoice_number": "F-2026-0042", "invoice_date": "2026-01-05",
            "due_date": "2026-02-04", "principal": "1200.00", "debt_kind": "b2b",
        }],
        "basis": "General terms of sale v3, signed 2025-06-01.",
        "documents": [{
            "kind": "invoice", "invoice_number": "F-2026-0042", "filename": "F-2026-0042.pdf",
            "content": "JVBERi0xLjcK...",
        }],
    },
)  # fmt: skip


class Cursor(CursorPagination):
    """Stable pages at any size: the cursor is opaque, follow ``next``."""

    ordering = "-pk"
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


class Chronological(Cursor):
    ordering = "pk"


def _rate_missing(missing: RateMissing) -> Response:
    return problem("rate-missing", detail=rate_missing_message(missing))


# --- creditors ---------------------------------------------------------------------------------
class AgencyKeyOnly(TenantView):
    """Creditors are the agency's business: a creditor's key may not list them."""

    def check_permissions(self, request: Request) -> None:
        super().check_permissions(request)
        if self.principal is not None and not self.principal.is_agency_staff:
            raise PermissionDenied(_("Only an agency key may read the creditors."))


@extend_schema_view(
    get=extend_schema(
        tags=["creditors"],
        operation_id="creditors_list",
        responses={200: CreditorSerializer(many=True), **ERRORS},
    )
)
class CreditorList(AgencyKeyOnly):
    """The agency's creditors (agency keys only)."""

    serializer_class = CreditorSerializer
    pagination_class = Cursor

    def get_queryset(self) -> QuerySet:
        return selectors.creditor_list(principal=self.principal)

    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


@extend_schema(tags=["creditors"], responses={200: CreditorSerializer, **ERRORS})
class CreditorDetail(TenantView):
    """One of the agency's creditors (to a creditor's key, none exists)."""

    serializer_class = CreditorSerializer

    def get(self, request: Request, pk: int) -> Response:
        creditor = access(
            selectors.creditor_list(principal=self.principal), self.principal, pk, staff_only=True
        )
        return Response(self.get_serializer(creditor).data)


# --- debtors -----------------------------------------------------------------------------------
@extend_schema_view(
    get=extend_schema(
        tags=["debtors"],
        operation_id="debtors_list",
        responses={200: DebtorSerializer(many=True), **ERRORS},
    )
)
class DebtorList(TenantView):
    """The debtors of the cases this key sees."""

    serializer_class = DebtorSerializer
    pagination_class = Cursor

    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(selectors.debtor_list(principal=self.principal))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


@extend_schema(tags=["debtors"], responses={200: DebtorSerializer, **ERRORS})
class DebtorDetail(TenantView):
    serializer_class = DebtorSerializer

    def get(self, request: Request, pk: int) -> Response:
        debtor = access(selectors.debtor_list(principal=self.principal), self.principal, pk)
        return Response(self.get_serializer(debtor).data)


# --- cases -------------------------------------------------------------------------------------
class CaseFilters(serializers.Serializer):
    state = serializers.MultipleChoiceField(choices=CaseState.choices, required=False)
    creditor = serializers.IntegerField(required=False, min_value=1)
    reference = serializers.CharField(required=False, max_length=20)
    updated_since = serializers.DateTimeField(
        required=False,
        help_text=_("Cases with an event (any change) at or after this instant."),
    )


CASE_FILTERS = [
    OpenApiParameter(
        "state", OpenApiTypes.STR, many=True, enum=CaseState.values, explode=True,
        description=_("One or more states (repeat the parameter)."),
    ),
    OpenApiParameter("creditor", OpenApiTypes.INT, description=_("A creditor's id.")),
    OpenApiParameter("reference", OpenApiTypes.STR, description=_("The case reference.")),
    OpenApiParameter(
        "updated_since", OpenApiTypes.DATETIME,
        description=_("Only cases where something happened since (ISO 8601)."),
    ),
]  # fmt: skip


class CaseCollection(TenantView):
    serializer_class = CaseSerializer
    pagination_class = Cursor

    @extend_schema(
        tags=["cases"],
        operation_id="cases_list",
        parameters=CASE_FILTERS,
        responses={200: CaseSerializer(many=True), **ERRORS},
    )
    def get(self, request: Request) -> Response:
        """The cases this key sees, newest first, filtered."""
        filters = CaseFilters(data=request.query_params)
        filters.is_valid(raise_exception=True)
        given = filters.validated_data
        cases = selectors.case_list(
            principal=self.principal,
            states=sorted(given.get("state") or []),
            creditor_id=given.get("creditor"),
            reference=given.get("reference"),
            updated_since=given.get("updated_since"),
        )
        page = self.paginate_queryset(cases)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(
        tags=["cases"],
        request=CaseCreateSerializer,
        parameters=[IDEMPOTENCY],
        responses={201: CaseSerializer, **WRITE_ERRORS},
        examples=[CASE_EXAMPLE],
    )
    def post(self, request: Request) -> Response:
        """Hand a case over: the debtor (found by SIREN, or name and address, else created), the
        invoices and their PDFs (base64). It opens in ``new``; the agency accepts it."""
        given = CaseCreateSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        case = services.case_create(
            principal=self.principal, actor=self.actor, data=given.validated_data
        )
        response = Response(CaseSerializer(case).data, status=status.HTTP_201_CREATED)
        response["Location"] = reverse("api:case_detail", args=[case.pk])
        return response


@extend_schema(
    tags=["cases"],
    request=BulkCaseCreateSerializer,
    parameters=[IDEMPOTENCY],
    responses={201: BulkCaseResultSerializer, **WRITE_ERRORS},
)
class CaseBulkCreate(TenantView):
    """Up to 1,000 cases in one request, all created or none: a refusal lists the errors of
    every item, each pointer naming the item (``#/cases/3/claims/0/principal``)."""

    serializer_class = BulkCaseCreateSerializer

    def post(self, request: Request) -> Response:
        given = BulkCaseCreateSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        try:
            cases = services.case_create_bulk(
                principal=self.principal, actor=self.actor, items=given.validated_data["cases"]
            )
        except services.BulkRefused as refused:
            raise serializers.ValidationError(
                {
                    "cases": {
                        index: django_validation_detail(error)
                        for index, error in refused.errors.items()
                    }
                }
            ) from refused
        return Response(
            {"cases": CaseSerializer(cases, many=True).data}, status=status.HTTP_201_CREATED
        )


def case_for(view: TenantView, pk: int) -> Case:
    return access_case(view.principal, pk)


def detail_context(case: Case, principal: Any) -> dict[str, Any]:
    """What the case page of a partner needs beyond the row; without a legal rate the amounts
    cannot be computed (REQ-R1): they are null and ``warnings`` says why."""
    try:
        amounts = selectors.statement_totals(case_statement(case, on=timezone.localdate()))
        warnings = []
    except RateMissing as missing:
        amounts, warnings = None, [rate_missing_message(missing)]
    return {
        "amounts": amounts,
        "warnings": warnings,
        "next_step": selectors.case_next_step(case),
        "actions": selectors.case_actions(case, principal),
    }


@extend_schema(tags=["cases"], responses={200: CaseDetailSerializer, **ERRORS})
class CaseDetail(TenantView):
    """A case with its invoices, the amounts due today (statement of account) and what comes
    next."""

    serializer_class = CaseDetailSerializer

    def get(self, request: Request, pk: int) -> Response:
        case = access(selectors.case_detail_queryset(principal=self.principal), self.principal, pk)
        return Response(
            CaseDetailSerializer(case, context=detail_context(case, self.principal)).data
        )


class BalanceQuery(serializers.Serializer):
    at = serializers.DateField(required=False, help_text=_("YYYY-MM-DD; today by default."))


@extend_schema(
    tags=["cases"],
    parameters=[
        OpenApiParameter(
            "at", OpenApiTypes.DATE, description=_("The day of the statement; today by default.")
        )
    ],
    responses={200: StatementSerializer, **ERRORS, **problems(409)},
)
class CaseBalance(TenantView):
    """The statement of account (décompte) on any day: per invoice and in total, principal
    still due, interest accrued and still owed, each period with its rate, indemnities,
    payments imputed, outstanding."""

    serializer_class = StatementSerializer

    def get(self, request: Request, pk: int) -> Response:
        query = BalanceQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        case = access(selectors.case_detail_queryset(principal=self.principal), self.principal, pk)
        on: date = query.validated_data.get("at") or timezone.localdate()
        try:
            balance = selectors.case_balance(case=case, on=on)
        except RateMissing as missing:
            return _rate_missing(missing)
        return Response(StatementSerializer(balance).data)


@extend_schema_view(
    get=extend_schema(
        tags=["cases"],
        operation_id="cases_events_list",
        responses={200: EventSerializer(many=True), **ERRORS},
    )
)
class CaseEvents(TenantView):
    """The case's timeline, oldest first: the same typed events the webhooks send."""

    serializer_class = EventSerializer
    pagination_class = Chronological

    def get(self, request: Request, pk: int) -> Response:
        case = case_for(self, pk)
        page = self.paginate_queryset(selectors.case_events(case=case))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


@extend_schema(
    tags=["cases"],
    request=TransitionSerializer,
    parameters=[IDEMPOTENCY],
    responses={200: CaseSerializer, **WRITE_ERRORS},
    examples=[
        OpenApiExample(
            "Withdraw", value={"name": "withdraw", "reason": "Paid the creditor directly."},
            request_only=True,
        ),
        OpenApiExample(
            "Refused",
            value={
                "type": "/api/problems/transition-refused/", "title": "The case cannot take "
                "this action now.", "status": 409, "transition": "accept",
                "reasons": ["No invoice is past due yet."],
            },
            response_only=True, status_codes=["409"],
        ),
    ],
)  # fmt: skip
class CaseTransitions(TenantView):
    """Fire a transition of the case's state machine (its ``name``, with the ``reason`` where
    one is required). Refused with 409 and the reasons when the case cannot take it now."""

    serializer_class = TransitionSerializer

    def post(self, request: Request, pk: int) -> Response:
        case = case_for(self, pk)
        given = self.get_serializer(data=request.data)
        given.is_valid(raise_exception=True)
        data = given.validated_data
        arguments = {"code": data["code"]} if "code" in data else {}
        try:
            changed = case_transition(
                case=case,
                transition=data["name"],
                actor=self.actor,
                reason=data["reason"],
                expected_state=data.get("expected_state"),
                **arguments,
            )
        except CaseTransitionError as refused:
            return problem(
                "transition-refused", transition=refused.transition, reasons=refused.reasons
            )
        except ConcurrentTransition as moved:
            return problem("conflict", detail=str(moved))
        return Response(CaseSerializer(changed).data)


class CasePayments(TenantView):
    serializer_class = PaymentSerializer
    pagination_class = Cursor

    @extend_schema(
        tags=["payments"],
        operation_id="cases_payments_list",
        responses={200: PaymentSerializer(many=True), **ERRORS},
    )
    def get(self, request: Request, pk: int) -> Response:
        """The payments received for the case, newest first."""
        case = case_for(self, pk)
        page = self.paginate_queryset(selectors.case_payments(case=case))
        return self.get_paginated_response(PaymentSerializer(page, many=True).data)

    @extend_schema(
        tags=["payments"],
        request=PaymentCreateSerializer,
        parameters=[IDEMPOTENCY],
        responses={201: PaymentSerializer, **WRITE_ERRORS},
    )
    def post(self, request: Request, pk: int) -> Response:
        """Record money received from the debtor on the day it was received; it is imputed on
        the invoices as the law says, and the case is closed when nothing is left."""
        case = case_for(self, pk)
        given = PaymentCreateSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        payment = payment_record(
            case=case, actor=self.actor, source=Payment.Source.API, **given.validated_data
        )
        return Response(PaymentSerializer(payment).data, status=status.HTTP_201_CREATED)


class CaseDocuments(TenantView):
    serializer_class = DocumentSerializer

    @extend_schema(
        tags=["documents"],
        operation_id="cases_documents_list",
        responses={200: DocumentSerializer(many=True), **ERRORS},
    )
    def get(self, request: Request, pk: int) -> Response:
        """The documents of a case: those handed over (invoices, contract…), the letters sent
        (PDF/A) and the judicial dossiers."""
        case = case_for(self, pk)
        documents = selectors.case_documents(case=case, principal=self.principal)
        return Response(DocumentSerializer([d.as_dict(case) for d in documents], many=True).data)

    @extend_schema(
        tags=["documents"],
        request=DocumentInputSerializer,
        parameters=[IDEMPOTENCY],
        responses={201: DocumentSerializer, **WRITE_ERRORS},
    )
    def post(self, request: Request, pk: int) -> Response:
        """Add a document to a case (base64 in JSON; PDF, JPEG or PNG, checked by content)."""
        case = case_for(self, pk)
        given = DocumentInputSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        document = services.document_add(case=case, actor=self.actor, data=given.validated_data)
        return Response(
            DocumentSerializer(selectors.case_document(document).as_dict(case)).data,
            status=status.HTTP_201_CREATED,
        )


@extend_schema_view(
    get=extend_schema(
        tags=["documents"],
        operation_id="cases_documents_download",
        responses={
            (200, "application/pdf"): OpenApiResponse(
                OpenApiTypes.BINARY, description=_("The file.")
            ),
            **ERRORS,
        },
    )
)
class CaseDocumentDownload(TenantView):
    """One document's file, as stored (its SHA-256 is in the list)."""

    def get(self, request: Request, pk: int, document: str) -> FileResponse:
        case = case_for(self, pk)
        found = next(
            (
                d
                for d in selectors.case_documents(case=case, principal=self.principal)
                if d.id == document
            ),
            None,
        )
        if found is None or not found.file:
            raise Http404
        return FileResponse(
            found.file.open("rb"),
            as_attachment=True,
            filename=found.name,
            content_type=found.content_type,
        )
