"""The creditor's pages: thin views over the services and selectors of the apps below.

Every page is for a creditor's user only (anyone else: 404) and reads rows through the access
layer, so another creditor's or agency's case, document, draft or import is a 404 exactly like
an id that does not exist. Every form that writes carries a one-time token.
"""

from __future__ import annotations

import csv
import io
import itertools
from collections.abc import Callable
from typing import Any

import openpyxl
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django_fsm import ConcurrentTransition

from cases import imports, intake, selectors, services
from cases.access import access_case, access_case_document, access_case_import, access_intake_draft
from cases.models import ACTIVE_STATES, TERMINAL_STATES, Case, CaseImport, CaseState
from cases.notifications import notification_preferences_save, notification_topics
from cases.tasks import import_progress, import_run
from collectio.models import Membership, Role
from collectio.submissions import AlreadySubmitted, submission_once
from collectio.uploads import upload_response
from debtors.services import debtor_find
from dunning.selectors import rate_missing_message
from dunning.statement import Statement, case_statement
from law.interest import RateMissing
from payments import services as payment_services
from payments.figures import creditor_figures
from payments.models import Payment
from payments.next_step import case_next_step, handoff_approval_asked
from payments.selectors import settlement_awaiting
from portal.forms import (
    CaseFilterForm,
    ClaimFormSet,
    DebtorForm,
    DirectPaymentForm,
    DocumentForm,
    HandoffForm,
    HoldForm,
    ImportForm,
    IntakeForms,
    NotificationForm,
    ReasonForm,
    SettlementAnswerForm,
)

PAGE_SIZE = 25
EXPORT_MAX = 50_000


def _member(request: HttpRequest) -> Membership:
    """The creditor's user; anyone else finds no portal (404, as for a page that is not there)."""
    membership = getattr(request, "membership", None)
    if membership is None or membership.role != Role.CREDITOR_USER:
        raise Http404
    return membership


def _once(request: HttpRequest, write: Callable[[], Any]) -> bool:
    """Apply ``write`` once for the form it came from (``False``: it was applied already)."""
    try:
        with submission_once(request):
            write()
    except AlreadySubmitted:
        messages.info(request, _("This form was already sent: it was applied once."))
        return False
    return True


# --- dashboard -------------------------------------------------------------------------------
@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    member = _member(request)
    today = timezone.localdate()
    figures = creditor_figures(principal=member, today=today)
    chart = {
        "type": "bar",
        "data": {
            "labels": [m.start.strftime("%m/%Y") for m in figures.months],
            "datasets": [
                {
                    "label": _("Entrusted (€)"),
                    "data": [float(m.entrusted) for m in figures.months],
                    "backgroundColor": "#9bb7d8",
                },
                {
                    "label": _("Recovered (€)"),
                    "data": [float(m.recovered) for m in figures.months],
                    "backgroundColor": "#2e8b57",
                },
            ],
        },
        "options": {
            "responsive": True,
            "maintainAspectRatio": False,
            "scales": {"y": {"beginAtZero": True}},
            "plugins": {"legend": {"position": "bottom"}},
        },
    }
    waiting = selectors.case_list(membership=member).filter(
        state=CaseState.FORMAL_NOTICE,
        handoff_approved_at__isnull=True,
        creditor__handoff_requires_approval=True,
        creditor__mandate_allows_litigation=True,
    )
    return render(
        request,
        "portal/dashboard.html",
        {
            "figures": figures,
            "chart": chart,
            "approvals": waiting[:5],
            "approvals_count": waiting.count(),
            "recent": selectors.case_list(membership=member).order_by("-opened_at")[:5],
        },
    )


# --- cases list and export -------------------------------------------------------------------
def _filtered(request: HttpRequest, member: Membership) -> tuple[CaseFilterForm, Any]:
    form = CaseFilterForm(request.GET or None)
    filters = form.filters() if form.is_bound else {}
    return form, selectors.case_search(membership=member, **filters)


@login_required
def case_list(request: HttpRequest) -> HttpResponse:
    member = _member(request)
    form, cases = _filtered(request, member)
    page = Paginator(cases.prefetch_related("claims"), PAGE_SIZE).get_page(request.GET.get("page"))
    counts = selectors.case_state_counts(membership=member)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "portal/case_list.html",
        {
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "states": [(value, label, counts.get(value, 0)) for value, label in CaseState.choices],
            "open_count": sum(n for s, n in counts.items() if s not in TERMINAL_STATES),
            "total_count": sum(counts.values()),
            "current_state": request.GET.get("state", ""),
        },
    )


EXPORT_HEADERS = [
    "Reference",
    "Debtor",
    "SIREN",
    "Invoices",
    "State",
    "Opened on",
    "Principal",
    "Principal still due",
]


def _export_rows(cases: Any) -> list[list[Any]]:
    return [
        [
            case.reference,
            case.debtor.display_name,
            case.debtor.siren,
            ", ".join(c.invoice_number for c in case.claims.all()),
            case.get_state_display(),
            timezone.localdate(case.opened_at),
            case.principal_total,
            case.principal_due,
        ]
        for case in cases.prefetch_related("claims")[:EXPORT_MAX]
    ]


@login_required
@require_GET
def case_export(request: HttpRequest, fmt: str) -> HttpResponse:
    """The filtered list as CSV (French Excel: semicolons, comma decimals) or XLSX."""
    member = _member(request)
    _form, cases = _filtered(request, member)
    headers = [_(h) for h in EXPORT_HEADERS]
    rows = _export_rows(cases)
    stamp = timezone.localdate().isoformat()
    if fmt == "xlsx":
        book = openpyxl.Workbook(write_only=True)
        sheet = book.create_sheet(_("Cases")[:31])
        sheet.append(headers)
        for row in rows:
            sheet.append(row)
        out = io.BytesIO()
        book.save(out)
        response = HttpResponse(
            out.getvalue(),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    elif fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, delimiter=";")
        writer.writerow(headers)
        for row in rows:
            writer.writerow(
                [
                    str(v).replace(".", ",") if i >= 6 else v.strftime("%d/%m/%Y") if i == 5 else v
                    for i, v in enumerate(row)
                ]
            )
        response = HttpResponse(
            ("\ufeff" + out.getvalue()).encode("utf-8"), content_type="text/csv; charset=utf-8"
        )
    else:
        raise Http404
    response["Content-Disposition"] = f'attachment; filename="dossiers-{stamp}.{fmt}"'
    return response


# --- intake: a new case, drafts --------------------------------------------------------------
def _intake_page(
    request: HttpRequest, member: Membership, forms: IntakeForms, *, status: int = 200, **extra: Any
) -> HttpResponse:
    return render(
        request,
        "portal/case_new.html",
        {
            "forms": forms,
            "drafts": selectors.intake_drafts(membership=member)[:10],
            **extra,
        },
        status=status,
    )


def _draft_label(forms: IntakeForms) -> str:
    data = forms.debtor.data
    name = (data.get("debtor-name") or "").strip()
    number = (data.get("claims-0-invoice_number") or "").strip()
    return " · ".join(p for p in (name, number) if p) or _("Case without a debtor yet")


def _intake(request: HttpRequest, draft: Any = None) -> HttpResponse:
    member = _member(request)
    if request.method != "POST":
        initial = _draft_initial(draft.data) if draft else None
        return _intake_page(request, member, IntakeForms(initial=initial), draft=draft)
    forms = IntakeForms(request.POST, request.FILES)
    if "save_draft" in request.POST:
        saved = intake.intake_draft_save(
            creditor=member.creditor,
            actor=request.user,
            data=forms.draft_data(),
            label=_draft_label(forms),
            draft=draft,
        )
        messages.success(
            request,
            _(
                "Draft saved. Files are not kept in a draft: attach them when you hand the "
                "case over."
            ),
        )
        return redirect("portal:draft_resume", pk=saved.pk)
    if not forms.is_valid():
        return _intake_page(request, member, forms, status=400, draft=draft)
    debtor = forms.debtor.debtor_input()
    duplicates = intake.case_duplicates(
        agency=member.agency,
        creditor=member.creditor,
        debtor=debtor,
        invoice_numbers=[c.invoice_number for c in forms.claim_inputs()],
    )
    confirmed = forms.case.cleaned_data.get("confirm_duplicates")
    if duplicates and not confirmed:
        forms.case.ask_to_confirm_duplicates()
        return _intake_page(request, member, forms, status=409, duplicates=duplicates, draft=draft)
    opened: list[Case] = []

    def submit() -> None:
        opened.append(
            intake.case_submit(
                agency=member.agency,
                creditor=member.creditor,
                debtor=debtor,
                claims=forms.claim_inputs(),
                documents=forms.documents(),
                actor=request.user,
                notes=forms.case.cleaned_data.get("notes", ""),
                basis=forms.case.cleaned_data.get("basis", ""),
                allow_duplicates=bool(confirmed),
            )
        )
        if draft is not None:
            intake.intake_draft_delete(draft=draft)

    try:
        if not _once(request, submit):
            return redirect("portal:case_list")
    except ValidationError as refused:
        _errors_onto(forms, refused)
        return _intake_page(request, member, forms, status=400, draft=draft)
    case = opened[0]
    messages.success(
        request,
        _("Case %(ref)s handed over to the agency. You are told of every step.")
        % {"ref": case.reference},
    )
    return redirect("portal:case_detail", pk=case.pk)


def _errors_onto(forms: IntakeForms, refused: ValidationError) -> None:
    """A refusal from the service, shown where it belongs (or above the form)."""
    if hasattr(refused, "error_dict"):
        for field, errors in refused.error_dict.items():
            target = forms.debtor if field in forms.debtor.fields else forms.case
            target.add_error(field if field in target.fields else None, errors)
    else:
        forms.case.add_error(None, refused)


def _draft_initial(data: dict[str, Any]) -> dict[str, Any]:
    """A draft's fields as the three forms' initial values."""
    debtor = {k.removeprefix("debtor-"): v for k, v in data.items() if k.startswith("debtor-")}
    case = {k.removeprefix("case-"): v for k, v in data.items() if k.startswith("case-")}
    case.pop("confirm_duplicates", None)
    count = int(data.get("claims-TOTAL_FORMS") or 1)
    claims = [
        {
            field: data.get(f"claims-{i}-{field}", "")
            for field in ("invoice_number", "invoice_date", "due_date", "principal")
        }
        for i in range(min(count, 50))
    ]
    return {"debtor": debtor, "case": case, "claims": claims}


@login_required
def case_new(request: HttpRequest) -> HttpResponse:
    return _intake(request)


@login_required
def draft_resume(request: HttpRequest, pk: int) -> HttpResponse:
    member = _member(request)
    draft = access_intake_draft(member, pk)
    if draft.created_by_id != request.user.pk:
        raise Http404
    return _intake(request, draft)


@login_required
@require_POST
def draft_delete(request: HttpRequest, pk: int) -> HttpResponse:
    member = _member(request)
    draft = access_intake_draft(member, pk)
    if draft.created_by_id != request.user.pk:
        raise Http404
    intake.intake_draft_delete(draft=draft)
    messages.success(request, _("Draft deleted."))
    return redirect("portal:case_new")


@login_required
@require_GET
def claim_row(request: HttpRequest) -> HttpResponse:
    """One more invoice row for the intake form (htmx)."""
    _member(request)
    try:
        index = max(0, min(int(request.GET.get("index", "0")), 49))
    except ValueError:
        index = 0
    form = ClaimFormSet(prefix="claims").empty_form
    form.prefix = f"claims-{index}"
    return render(request, "portal/partials/claim_row.html", {"claim": form, "index": index})


@login_required
@require_GET
def debtor_lookup(request: HttpRequest) -> HttpResponse:
    """What the SIREN typed says (htmx): invalid, a debtor already in the creditor's cases, or
    new. A debtor known only through another creditor's cases is not named."""
    member = _member(request)
    form = DebtorForm(
        {"debtor-kind": "company", "debtor-siren": request.GET.get("debtor-siren", "")},
        prefix="debtor",
    )
    form.is_valid()
    siren_errors = form.errors.get("siren")
    known = None
    if not siren_errors and form.cleaned_data.get("siren"):
        found = debtor_find(agency=member.agency, debtor=form.as_input(form.cleaned_data))
        if (
            found is not None
            and selectors.case_list(membership=member).filter(debtor=found).exists()
        ):
            known = found
    return render(
        request,
        "portal/partials/siren_check.html",
        {"errors": siren_errors, "known": known, "siren": form.cleaned_data.get("siren", "")},
    )


# --- the case page and its actions -----------------------------------------------------------
def _statement(case: Case) -> tuple[Statement | None, str]:
    try:
        return case_statement(case, on=timezone.localdate()), ""
    except RateMissing as missing:
        return None, rate_missing_message(missing)


def _case_context(request: HttpRequest, case: Case, **forms: Any) -> dict[str, Any]:
    statement, statement_error = _statement(case)
    # Each invoice's line with the interest rates it ran at (one per semester, or the contract's).
    lines = [
        (line, sorted({a.segment.rate for a in line.accruals}))
        for line in (statement.claims if statement else ())
    ]
    open_case = case.state not in TERMINAL_STATES
    return {
        "case": case,
        "statement": statement,
        "statement_error": statement_error,
        "lines": lines,
        "claims": selectors.case_claims(case=case),
        "events": selectors.case_timeline(case=case),
        "documents": selectors.case_documents(case=case),
        "next_step": case_next_step(case=case),
        "can_approve": handoff_approval_asked(case),
        "can_hold": case.state in ACTIVE_STATES,
        "can_withdraw": open_case,
        "can_declare_payment": open_case,
        "handoff_form": forms.get("handoff_form") or HandoffForm(),
        "settlement": settlement_awaiting(case=case),
        "settlement_form": forms.get("settlement_form") or SettlementAnswerForm(),
        "hold_form": forms.get("hold_form") or HoldForm(),
        "withdraw_form": forms.get("withdraw_form") or ReasonForm(auto_id="id_withdraw_%s"),
        "document_form": forms.get("document_form") or DocumentForm(),
        "payment_form": forms.get("payment_form")
        or DirectPaymentForm(
            initial={"received_on": timezone.localdate(), "method": Payment.Method.TRANSFER}
        ),
        "open_action": forms.get("open_action", ""),
    }


@login_required
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    member = _member(request)
    case = access_case(member, pk)
    return render(request, "portal/case_detail.html", _case_context(request, case))


def _case_page(request: HttpRequest, pk: int, *, status: int, **forms: Any) -> HttpResponse:
    case = access_case(_member(request), pk)
    return render(
        request, "portal/case_detail.html", _case_context(request, case, **forms), status=status
    )


def _act(
    request: HttpRequest,
    pk: int,
    *,
    form: Any,
    name: str,
    write: Callable[[Case], Any],
    done: str,
) -> HttpResponse:
    """Run one creditor action: the form, then the service once; refusals shown on the page."""
    case = access_case(_member(request), pk)
    if not form.is_valid():
        return _case_page(request, pk, status=400, **{f"{name}_form": form, "open_action": name})
    try:
        if _once(request, lambda: write(case)):
            messages.success(request, done)
    except (services.CaseTransitionError, ConcurrentTransition, ValidationError) as refused:
        reasons = (
            getattr(refused, "reasons", None)
            or getattr(refused, "messages", None)
            or [str(refused)]
        )
        if isinstance(refused, ValidationError) and hasattr(refused, "error_dict"):
            form.add_error(None, refused)
            form._style()
        else:
            for reason in reasons:
                messages.error(request, reason)
        return _case_page(request, pk, status=409, **{f"{name}_form": form, "open_action": name})
    except PermissionDenied as refused:
        raise Http404 from refused
    return redirect("portal:case_detail", pk=pk)


@login_required
@require_POST
def case_handoff(request: HttpRequest, pk: int) -> HttpResponse:
    form = HandoffForm(request.POST)
    return _act(
        request,
        pk,
        form=form,
        name="handoff",
        write=lambda case: services.case_approve_handoff(
            case=case, actor=request.user, reason=form.cleaned_data.get("reason", "")
        ),
        done=_("Judicial handoff approved: the agency may go to court once the deadline passes."),
    )


@login_required
@require_POST
def case_hold(request: HttpRequest, pk: int) -> HttpResponse:
    form = HoldForm(request.POST)
    return _act(
        request,
        pk,
        form=form,
        name="hold",
        write=lambda case: services.case_transition(
            case=case,
            transition="hold",
            actor=request.user,
            expected_state=request.POST.get("expected_state"),
            reason=form.cleaned_data["reason"],
            until=form.cleaned_data["until"],
        ),
        done=_("Case put on hold."),
    )


@login_required
@require_POST
def case_settlement(request: HttpRequest, pk: int) -> HttpResponse:
    form = SettlementAnswerForm(request.POST)

    def answer(case: Case) -> None:
        settlement = settlement_awaiting(case=case)
        if settlement is None:
            raise ValidationError(_("No settlement is waiting for your answer on this case."))
        payment_services.settlement_approve(
            settlement=settlement,
            actor=request.user,
            approve=form.cleaned_data["decision"] == "approve",
        )

    return _act(
        request, pk, form=form, name="settlement", write=answer, done=_("Your answer was recorded.")
    )


@login_required
@require_POST
def case_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    form = ReasonForm(request.POST, auto_id="id_withdraw_%s")
    return _act(
        request,
        pk,
        form=form,
        name="withdraw",
        write=lambda case: services.case_transition(
            case=case,
            transition="withdraw",
            actor=request.user,
            expected_state=request.POST.get("expected_state"),
            reason=form.cleaned_data["reason"],
        ),
        done=_("Case withdrawn."),
    )


@login_required
@require_POST
def case_document(request: HttpRequest, pk: int) -> HttpResponse:
    form = DocumentForm(request.POST, request.FILES)
    return _act(
        request,
        pk,
        form=form,
        name="document",
        write=lambda case: intake.case_document_add(
            case=case,
            file=form.cleaned_data["file"],
            kind=form.cleaned_data["kind"],
            actor=request.user,
        ),
        done=_("Document added to the case."),
    )


@login_required
@require_POST
def case_payment(request: HttpRequest, pk: int) -> HttpResponse:
    """A payment the debtor made to the creditor directly: recorded as such, never remitted."""
    form = DirectPaymentForm(request.POST)
    return _act(
        request,
        pk,
        form=form,
        name="payment",
        write=lambda case: payment_services.payment_record(
            case=case,
            actor=request.user,
            source=Payment.Source.CREDITOR,
            **form.cleaned_data,
        ),
        done=_("Payment recorded. Thank you for telling the agency."),
    )


@login_required
@require_GET
def document_download(request: HttpRequest, pk: int) -> HttpResponse:
    document = access_case_document(_member(request), pk)
    return upload_response(
        document.file.name, filename=document.original_name, content_type=document.content_type
    )


# --- bulk import -----------------------------------------------------------------------------
@login_required
def import_new(request: HttpRequest) -> HttpResponse:
    member = _member(request)
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            record, _parsed = imports.import_check(
                creditor=member.creditor, actor=request.user, file=form.cleaned_data["file"]
            )
        except ValidationError as refused:
            form.add_error("file", refused)
            form._style()
        else:
            return redirect("portal:import_detail", pk=record.pk)
    return render(
        request,
        "portal/import_new.html",
        {
            "form": form,
            "columns": imports.COLUMNS,
            "recent": selectors.case_imports(membership=member)[:10],
        },
        status=400 if form.is_bound and form.errors else 200,
    )


@login_required
@require_GET
def import_template(request: HttpRequest, fmt: str) -> HttpResponse:
    _member(request)
    if fmt not in imports.FORMATS:
        raise Http404
    content_type = (
        "text/csv; charset=utf-8"
        if fmt == "csv"
        else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response = HttpResponse(imports.import_template(fmt), content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="modele-import-dossiers.{fmt}"'
    return response


def _import_context(record: CaseImport) -> dict[str, Any]:
    preview: list[dict[str, str]] = []
    if record.status == CaseImport.Status.CHECKED:
        with default_storage.open(record.file.name, "rb") as handle:
            # The stored cells hold one row a line: the header and the rows the preview shows.
            head = b"".join(itertools.islice(handle, imports.PREVIEW_ROWS + 1))
            try:
                preview = imports.import_parse(
                    creditor=record.creditor, name="cells.csv", content=head
                ).preview
            except ValidationError:
                preview = []
    wrong = {e["row"] for e in record.errors}
    return {
        "record": record,
        "preview": [
            (
                int(row["row"]),
                [row.get(c.key, "") for c in imports.COLUMNS],
                int(row["row"]) in wrong,
            )
            for row in preview
        ],
        "columns": imports.COLUMNS,
        "previous": imports.import_previous(
            creditor=record.creditor, sha256=record.sha256, exclude=record.pk
        ),
        "progress": import_progress(record.pk)
        if record.status in (CaseImport.Status.QUEUED, CaseImport.Status.RUNNING)
        else None,
    }


@login_required
def import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    record = access_case_import(_member(request), pk)
    return render(request, "portal/import_detail.html", _import_context(record))


@login_required
@require_GET
def import_status(request: HttpRequest, pk: int) -> HttpResponse:
    """The progress bar (htmx polling every second while the import runs)."""
    record = access_case_import(_member(request), pk)
    return render(request, "portal/partials/import_status.html", _import_context(record))


@login_required
@require_POST
def import_run_view(request: HttpRequest, pk: int) -> HttpResponse:
    member = _member(request)
    record = access_case_import(member, pk)
    try:
        with transaction.atomic():
            queued = imports.import_queue(record=record)
            transaction.on_commit(
                lambda: import_run.delay(agency_id=member.agency_id, import_id=queued.pk)
            )
    except ValidationError as refused:
        for message in refused.messages:
            messages.error(request, message)
        return render(request, "portal/import_detail.html", _import_context(record), status=409)
    return redirect("portal:import_detail", pk=pk)


# --- notification preferences ----------------------------------------------------------------
@login_required
def notifications(request: HttpRequest) -> HttpResponse:
    member = _member(request)
    topics = notification_topics(user=request.user)
    form = NotificationForm(request.POST or None, initial={"topics": topics})
    if request.method == "POST" and form.is_valid():
        notification_preferences_save(
            user=request.user, creditor=member.creditor, topics=form.cleaned_data["topics"]
        )
        messages.success(request, _("Your notification preferences are saved."))
        return redirect("portal:notifications")
    return render(request, "portal/notifications.html", {"form": form})
