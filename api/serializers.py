"""What the API reads and writes: thin shapes over the models and the statement of account.

Amounts are strings with two decimals (``"1285.83"``), rounded by ``collectio.money`` only;
dates are ISO 8601 (legal dates are days in Europe/Paris).
"""

from __future__ import annotations

import base64
import binascii
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.files.base import ContentFile
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.webhooks import event_type
from cases.events import actor_name, describe
from cases.intake import DocumentInput
from cases.models import Case, CaseDocument, CaseEvent, CaseState, Claim, ClosureCode, Creditor
from cases.services import TRANSITIONS, ClaimInput
from collectio.money import to_money
from collectio.uploads import upload_check
from debtors.models import ContactPoint, Debtor
from debtors.services import DebtorInput, debtor_input_errors
from law.payment_terms import PaymentTerm
from payments.models import Payment


class MoneyField(serializers.DecimalField):
    """Euros as a string with two decimals, rounded half-up to the cent by collectio.money."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_digits", 14)
        kwargs.setdefault("decimal_places", 2)
        super().__init__(**kwargs)

    def to_representation(self, value: Any) -> str:
        return str(to_money(value))


class PositiveMoneyField(MoneyField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", Decimal("0.01"))
        kwargs.setdefault("max_value", Decimal("999999999999.99"))
        super().__init__(**kwargs)


# --- creditors and debtors ---------------------------------------------------------------------
class CreditorSerializer(serializers.ModelSerializer):
    has_valid_mandate = serializers.BooleanField(read_only=True)

    class Meta:
        model = Creditor
        fields = [
            "id",
            "legal_name",
            "siren",
            "siret",
            "vat_number",
            "address_line1",
            "address_line2",
            "postcode",
            "city",
            "country",
            "contact_name",
            "contact_email",
            "has_valid_mandate",
            "mandate_allows_litigation",
            "mandate_allows_payment_plans",
            "created_at",
        ]
        read_only_fields = fields


class ContactPointSerializer(serializers.ModelSerializer):
    class Meta:
        model = ContactPoint
        fields = ["channel", "value", "is_professional"]
        read_only_fields = fields


class DebtorSerializer(serializers.ModelSerializer):
    display_name = serializers.CharField(read_only=True)
    contact_points = ContactPointSerializer(many=True, read_only=True)

    class Meta:
        model = Debtor
        fields = [
            "id",
            "kind",
            "name",
            "first_name",
            "display_name",
            "siren",
            "address_line1",
            "address_line2",
            "postcode",
            "city",
            "country",
            "contact_points",
            "created_at",
        ]
        read_only_fields = fields


class DebtorBriefSerializer(serializers.ModelSerializer):
    display_name = serializers.CharField(read_only=True)

    class Meta:
        model = Debtor
        fields = ["id", "kind", "display_name", "siren"]
        read_only_fields = fields


# --- cases -------------------------------------------------------------------------------------
class ClaimSerializer(serializers.ModelSerializer):
    principal = MoneyField(read_only=True)

    class Meta:
        model = Claim
        fields = [
            "id",
            "invoice_number",
            "invoice_date",
            "due_date",
            "principal",
            "currency",
            "debt_kind",
            "contract_rate",
            "limitation_date",
        ]
        read_only_fields = fields


class CaseSerializer(serializers.ModelSerializer):
    """A case as lists show it: the stored figures, each named for exactly what it is."""

    creditor = serializers.PrimaryKeyRelatedField(read_only=True)
    debtor = DebtorBriefSerializer(read_only=True)
    principal_total = MoneyField(
        read_only=True, help_text=_("The invoices' principal (incl. VAT), as handed over.")
    )
    principal_due = MoneyField(
        read_only=True,
        help_text=_(
            "Principal still owed after imputing the payments. Not the amount due: that "
            "includes interest and indemnities, see amounts_due_today or /balance/."
        ),
    )
    closure_code = serializers.ChoiceField(
        choices=ClosureCode.choices, allow_blank=True, read_only=True, help_text=_("Empty: open.")
    )

    class Meta:
        model = Case
        fields = [
            "id",
            "reference",
            "state",
            "creditor",
            "debtor",
            "principal_total",
            "principal_due",
            "opened_at",
            "accepted_at",
            "closed_at",
            "closure_code",
            "next_action_at",
            "limitation_date",
        ]
        read_only_fields = fields


class AmountsSerializer(serializers.Serializer):
    """The statement of account's totals on one day."""

    on = serializers.DateField()
    principal = MoneyField(help_text=_("Principal of the invoices past due."))
    principal_due = MoneyField(help_text=_("Principal still owed, due or not."))
    interest_accrued = MoneyField(help_text=_("Late interest accrued on the invoices past due."))
    interest_due = MoneyField(help_text=_("Late interest still owed (accrued less paid)."))
    indemnity = MoneyField(help_text=_("Fixed €40 recovery indemnities (L441-10 II)."))
    paid = MoneyField(help_text=_("Everything received."))
    amount_due = MoneyField(help_text=_("What may be demanded on this day."))
    not_yet_due = MoneyField(help_text=_("Owed later: invoices whose due date has not passed."))
    outstanding = MoneyField(help_text=_("Everything still to pay, due or not."))
    overpayment = MoneyField(help_text=_("Received beyond what was owed: the debtor's."))


class NextStepSerializer(serializers.Serializer):
    action = serializers.CharField(allow_null=True)
    label = serializers.CharField(allow_null=True)
    position = serializers.IntegerField(allow_null=True)
    planned_at = serializers.DateTimeField(allow_null=True)
    requires_confirmation = serializers.BooleanField()


class ActionSerializer(serializers.Serializer):
    name = serializers.CharField()
    label = serializers.CharField()
    reason_required = serializers.BooleanField()


class CaseDetailSerializer(CaseSerializer):
    claims = ClaimSerializer(many=True, read_only=True)
    amounts_due_today = serializers.SerializerMethodField()
    next_step = serializers.SerializerMethodField()
    actions = serializers.SerializerMethodField(
        help_text=_("The transitions this key may POST to /transitions/ now.")
    )
    warnings = serializers.SerializerMethodField(
        help_text=_("Why amounts_due_today is null (a legal rate not loaded yet).")
    )

    class Meta(CaseSerializer.Meta):
        fields = [
            *CaseSerializer.Meta.fields,
            "claims",
            "amounts_due_today",
            "next_step",
            "actions",
            "warnings",
        ]
        read_only_fields = fields

    @extend_schema_field(AmountsSerializer(allow_null=True))
    def get_amounts_due_today(self, case: Case) -> dict[str, Any] | None:
        amounts = self.context["amounts"]
        return AmountsSerializer(amounts).data if amounts is not None else None

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_warnings(self, case: Case) -> list[str]:
        return self.context["warnings"]

    @extend_schema_field(NextStepSerializer)
    def get_next_step(self, case: Case) -> dict[str, Any]:
        return NextStepSerializer(self.context["next_step"]).data

    @extend_schema_field(ActionSerializer(many=True))
    def get_actions(self, case: Case) -> list[dict[str, Any]]:
        return self.context["actions"]


class DebtorInputSerializer(serializers.Serializer):
    """The debtor as the creditor knows it: found by SIREN (or name and address), never
    duplicated; created if new."""

    kind = serializers.ChoiceField(choices=Debtor.Kind.choices)
    name = serializers.CharField(max_length=200)
    first_name = serializers.CharField(max_length=100, required=False, default="", allow_blank=True)
    siren = serializers.CharField(max_length=20, required=False, default="", allow_blank=True)
    address_line1 = serializers.CharField(max_length=200)
    address_line2 = serializers.CharField(
        max_length=200, required=False, default="", allow_blank=True
    )
    postcode = serializers.CharField(max_length=10)
    city = serializers.CharField(max_length=100)
    country = serializers.CharField(max_length=2, required=False, default="FR")
    email = serializers.EmailField(required=False, default="", allow_blank=True)
    phone = serializers.CharField(max_length=30, required=False, default="", allow_blank=True)


class ClaimInputSerializer(serializers.Serializer):
    invoice_number = serializers.CharField(max_length=50)
    invoice_date = serializers.DateField()
    due_date = serializers.DateField(
        required=False,
        allow_null=True,
        default=None,
        help_text=_("Printed on the invoice; without it, payment_term gives it."),
    )
    payment_term = serializers.ChoiceField(
        choices=[(t.value, t.value) for t in PaymentTerm], default=PaymentTerm.DEFAULT_30.value
    )
    principal = PositiveMoneyField(help_text=_("Principal incl. VAT, in euros."))
    debt_kind = serializers.ChoiceField(choices=Claim.DebtKind.choices)
    contract_rate = serializers.DecimalField(
        max_digits=6,
        decimal_places=3,
        required=False,
        allow_null=True,
        default=None,
        min_value=Decimal("0"),
        help_text=_("Contractual late-payment rate (%), if any."),
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs.get("due_date") and attrs["due_date"] < attrs["invoice_date"]:
            raise serializers.ValidationError(
                {"due_date": _("The due date cannot come before the invoice date.")}
            )
        return attrs


class DocumentInputSerializer(serializers.Serializer):
    """A file sent inline, in base64, so that a retry with the same body is the same request."""

    kind = serializers.ChoiceField(choices=CaseDocument.Kind.choices, default="invoice")
    invoice_number = serializers.CharField(
        max_length=50,
        required=False,
        default="",
        allow_blank=True,
        help_text=_("Ties the file to this invoice of the case."),
    )
    filename = serializers.CharField(max_length=200)
    content = serializers.CharField(help_text=_("The file, base64-encoded (PDF, JPEG or PNG)."))

    def validate_content(self, value: str) -> bytes:
        try:
            return base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError) as bad:
            raise serializers.ValidationError(_("This is not base64."), code="base64") from bad

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        """The file's real type and size, read from its bytes (``collectio.uploads``)."""
        try:
            upload_check(ContentFile(attrs["content"], name=attrs["filename"]))
        except DjangoValidationError as refused:
            raise serializers.ValidationError(
                {"content": [serializers.ErrorDetail(m, code=refused.code) for m in refused]}
            ) from refused
        return attrs

    def to_input(self, data: dict[str, Any]) -> DocumentInput:
        return DocumentInput(
            file=ContentFile(data["content"], name=data["filename"]),
            kind=data["kind"],
            invoice_number=data["invoice_number"],
        )


class CaseCreateSerializer(serializers.Serializer):
    creditor = serializers.IntegerField(
        required=False,
        help_text=_("The creditor's id: required with an agency key, implied by a creditor key."),
    )
    debtor = DebtorInputSerializer()
    claims = ClaimInputSerializer(many=True, min_length=1, max_length=200)
    notes = serializers.CharField(required=False, default="", allow_blank=True, max_length=5000)
    basis = serializers.CharField(
        required=False,
        default="",
        allow_blank=True,
        max_length=2000,
        help_text=_("The contract or terms of sale the debt rests on."),
    )
    allow_duplicates = serializers.BooleanField(
        default=False,
        help_text=_("Open the case even if an invoice is already in an open case of yours."),
    )
    documents = DocumentInputSerializer(many=True, required=False, default=list, max_length=20)

    def validate_debtor(self, debtor: dict[str, Any]) -> DebtorInput:
        given = DebtorInput(**debtor)
        errors = debtor_input_errors(given)
        if errors:
            raise serializers.ValidationError(errors)
        return given

    def validate_claims(self, claims: list[dict[str, Any]]) -> list[ClaimInput]:
        numbers = [c["invoice_number"].strip() for c in claims]
        if len(set(numbers)) != len(numbers):
            raise serializers.ValidationError(_("The same invoice number is given twice."))
        inputs = [ClaimInput(**c) for c in claims]
        errors: list[dict[str, Any]] = []
        for claim in inputs:
            # The model's own checks (the contract rate's legal floor), per invoice.
            row = Claim(
                invoice_number=claim.invoice_number,
                invoice_date=claim.invoice_date,
                due_date=claim.effective_due_date,
                principal=claim.principal,
                debt_kind=claim.debt_kind,
                contract_rate=claim.contract_rate,
            )
            try:
                row.full_clean(
                    exclude=["case", "agency"], validate_unique=False, validate_constraints=False
                )
                errors.append({})
            except DjangoValidationError as error:
                errors.append(error.message_dict)
        if any(errors):
            raise serializers.ValidationError(errors)
        return inputs

    def validate_documents(self, documents: list[dict[str, Any]]) -> list[DocumentInput]:
        return [DocumentInputSerializer().to_input(d) for d in documents]


class BulkCaseItemSerializer(CaseCreateSerializer):
    """A case of a bulk creation: its files are added afterwards (POST /cases/{id}/documents/),
    so that nothing is stored for a batch that is refused."""

    documents = None


class BulkCaseCreateSerializer(serializers.Serializer):
    cases = serializers.ListField(
        child=BulkCaseItemSerializer(),
        min_length=1,
        max_length=1000,
        help_text=_("Up to 1,000 cases, created all together or not at all."),
    )


class StatementPeriodSerializer(serializers.Serializer):
    from_date = serializers.DateField()
    to_date = serializers.DateField()
    days = serializers.IntegerField()
    rate = serializers.DecimalField(max_digits=8, decimal_places=3, help_text=_("Annual rate (%)."))
    base = MoneyField(help_text=_("Principal the interest ran on."))
    interest = MoneyField()


class StatementClaimSerializer(serializers.Serializer):
    claim = serializers.IntegerField()
    invoice_number = serializers.CharField()
    invoice_date = serializers.DateField()
    due_date = serializers.DateField()
    not_yet_due = serializers.BooleanField()
    regime = serializers.CharField(help_text=_("Which late-interest rule applies."))
    interest_from = serializers.DateField(allow_null=True)
    principal = MoneyField()
    principal_paid = MoneyField()
    principal_due = MoneyField(help_text=_("Principal still due."))
    interest_accrued = MoneyField(help_text=_("Late interest accrued up to the date."))
    interest_paid = MoneyField()
    interest_due = MoneyField(help_text=_("Late interest still owed."))
    indemnity = MoneyField()
    indemnity_paid = MoneyField()
    indemnity_due = MoneyField()
    outstanding = MoneyField()
    periods = StatementPeriodSerializer(many=True)


class StatementPaymentSerializer(serializers.Serializer):
    payment = serializers.IntegerField()
    received_on = serializers.DateField()
    amount = MoneyField()
    method = serializers.CharField()
    imputed = MoneyField(help_text=_("What the payment settled of the debt."))
    unallocated = MoneyField(help_text=_("Beyond what was owed."))


class StatementSerializer(serializers.Serializer):
    case = serializers.IntegerField()
    reference = serializers.CharField()
    at = serializers.DateField()
    claims = StatementClaimSerializer(many=True)
    payments = StatementPaymentSerializer(many=True)
    total = AmountsSerializer()
    warnings = serializers.ListField(child=serializers.CharField())


class EventSerializer(serializers.ModelSerializer):
    type = serializers.SerializerMethodField(help_text=_("The webhook event type of this event."))
    description = serializers.SerializerMethodField(
        help_text=_("One sentence, in the language of Accept-Language (French by default).")
    )
    actor = serializers.SerializerMethodField()
    from_state = serializers.ChoiceField(
        choices=CaseState.choices, allow_blank=True, read_only=True
    )
    to_state = serializers.ChoiceField(choices=CaseState.choices, allow_blank=True, read_only=True)

    class Meta:
        model = CaseEvent
        fields = [
            "id",
            "type",
            "kind",
            "at",
            "actor_kind",
            "actor",
            "transition",
            "from_state",
            "to_state",
            "payload",
            "description",
        ]
        read_only_fields = fields

    def get_type(self, event: CaseEvent) -> str:
        return event_type(event.kind)

    def get_description(self, event: CaseEvent) -> str:
        return describe(event)

    def get_actor(self, event: CaseEvent) -> str:
        return actor_name(event)


class TransitionSerializer(serializers.Serializer):
    name = serializers.ChoiceField(choices=sorted(TRANSITIONS))
    reason = serializers.CharField(required=False, default="", allow_blank=True, max_length=2000)
    code = serializers.ChoiceField(
        choices=ClosureCode.choices,
        required=False,
        help_text=_("For close: why the case is closed."),
    )
    expected_state = serializers.ChoiceField(
        choices=CaseState.choices,
        required=False,
        help_text=_("Refuse (409) if the case is no longer in this state."),
    )


class PaymentSerializer(serializers.ModelSerializer):
    amount = MoneyField(read_only=True)

    class Meta:
        model = Payment
        fields = [
            "id",
            "amount",
            "received_on",
            "method",
            "source",
            "bank_reference",
            "recorded_at",
        ]
        read_only_fields = fields


class PaymentCreateSerializer(serializers.Serializer):
    amount = PositiveMoneyField()
    received_on = serializers.DateField(help_text=_("The day the money was received."))
    method = serializers.ChoiceField(choices=Payment.Method.choices)
    bank_reference = serializers.CharField(
        required=False, default="", allow_blank=True, max_length=100
    )
    excess_owed_to_debtor = serializers.BooleanField(
        default=False,
        help_text=_(
            "Confirm that the debtor paid more than owed (the excess is refunded to them); "
            "without it such a payment is refused."
        ),
    )


class DocumentSerializer(serializers.Serializer):
    id = serializers.CharField(help_text=_("document-<n>, letter-<n> or dossier-<n>."))
    kind = serializers.CharField()
    name = serializers.CharField()
    content_type = serializers.CharField()
    sha256 = serializers.CharField()
    created_at = serializers.DateTimeField()
    download = serializers.CharField(help_text=_("The URL to GET the file from."))


class ProblemFieldSerializer(serializers.Serializer):
    pointer = serializers.CharField(help_text=_("JSON pointer into the request body."))
    detail = serializers.CharField()
    code = serializers.CharField()


class ProblemSerializer(serializers.Serializer):
    """RFC 9457 problem details."""

    type = serializers.CharField(help_text=_("Stable URI of the kind of error."))
    title = serializers.CharField()
    status = serializers.IntegerField()
    detail = serializers.CharField(required=False)
    errors = ProblemFieldSerializer(many=True, required=False)
    reasons = serializers.ListField(child=serializers.CharField(), required=False)
    items = serializers.ListField(
        child=serializers.DictField(),
        required=False,
        help_text=_("Bulk creation: the errors of each item, with its index."),
    )


class BulkCaseResultSerializer(serializers.Serializer):
    cases = CaseSerializer(many=True)
