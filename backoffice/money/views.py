"""The agency's money pages: bank statements in and the matching queue (agents and admins),
remittance runs with their transfer file and statement, the ledger and the funds held
(admins). Thin: the rules are in ``payments.services``; every read by id goes through
``payments.access``, so another agency's row is a 404 like a missing one."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.forms import Form
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from backoffice.money.forms import ExecutedForm, LineResolveForm, PeriodForm, StatementUploadForm
from cases.models import Case, Creditor
from collectio.models import Role
from collectio.money import ZERO
from collectio.submissions import AlreadySubmitted, submission_once
from notices.models import LetterKind, Notice
from payments import selectors, services
from payments.access import access_bank_line, access_remittance, access_statement
from payments.models import BankLine
from payments.services import PAYMENT_EXCEEDS_DUE

PAGE_SIZE = 50


def _staff(request: HttpRequest) -> None:
    if request.membership is None or not request.membership.is_agency_staff:
        raise Http404


def _admin(request: HttpRequest) -> None:
    if request.membership is None or request.membership.role != Role.ADMIN:
        raise Http404


def _once(request: HttpRequest, write: object) -> object | None:
    """Apply a form's write once; ``None`` when it was applied already (a resent form)."""
    try:
        with submission_once(request):
            return write()
    except AlreadySubmitted:
        messages.info(request, _("This form was already sent: it was applied once."))
        return None


def _refuse(form: Form, refused: ValidationError, *, exceeds: str | None = None) -> None:
    """Put a service's refusal on the form: on the field it names when the form has it (a
    payment above what is owed on ``exceeds``, where the agent confirms it), else above."""
    if not hasattr(refused, "error_dict"):
        form.add_error(None, refused)
        return
    for field, errors in refused.error_dict.items():
        for error in errors:
            target = field if field in form.fields else None
            if exceeds and error.code == PAYMENT_EXCEEDS_DUE:
                target = exceeds
            form.add_error(target, error)


# --- bank statements and the queue ------------------------------------------------------------
@login_required
def statement_list(request: HttpRequest) -> HttpResponse:
    """Import a statement, and the statements imported, newest first."""
    _staff(request)
    form = StatementUploadForm()
    status = 200
    if request.method == "POST":
        form = StatementUploadForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                result = _once(
                    request,
                    lambda: services.bank_statement_import(
                        agency=request.membership.agency,
                        filename=upload.name,
                        content=upload.read(),
                        actor=request.user,
                    ),
                )
            except ValidationError as refused:
                form.add_error("file", refused)
            else:
                if result is not None:
                    messages.success(
                        request,
                        _(
                            "%(new)s line(s) imported, %(duplicates)s already known; "
                            "%(matched)s matched and being recorded, %(queued)s to decide."
                        )
                        % {
                            "new": result.new_lines,
                            "duplicates": result.duplicates,
                            "matched": result.matched,
                            "queued": result.queued,
                        },
                    )
                    return redirect("backoffice:money:statement", pk=result.statement.pk)
                return redirect("backoffice:money:statements")
        status = 400
    statements = Paginator(selectors.bank_statements(principal=request.membership), PAGE_SIZE)
    return render(
        request,
        "backoffice/money/statement_list.html",
        {
            "form": form,
            "page": statements.get_page(request.GET.get("page")),
            "queued": selectors.bank_line_queue(principal=request.membership).count(),
        },
        status=status,
    )


@login_required
def statement_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _staff(request)
    statement = access_statement(request.membership, pk)
    return render(
        request,
        "backoffice/money/statement_detail.html",
        {
            "statement": statement,
            "lines": statement.lines.select_related("case", "payment").order_by("booked_on", "pk"),
            "reconciliation": selectors.statement_reconciliation(statement=statement),
        },
    )


def _queue(request: HttpRequest, *, failed: BankLine | None = None, form=None, status=200):
    lines = Paginator(selectors.bank_line_queue(principal=request.membership), PAGE_SIZE)
    page = lines.get_page(request.GET.get("page"))
    forms = {
        line.pk: form
        if failed is not None and line.pk == failed.pk
        else LineResolveForm(
            initial={
                "action": "record",
                "case_reference": line.candidates[0]["reference"] if line.candidates else "",
            },
            prefix=f"line-{line.pk}",
        )
        for line in page
    }
    return render(
        request,
        "backoffice/money/queue.html",
        {"page": page, "rows": [(line, forms[line.pk]) for line in page]},
        status=status,
    )


@login_required
def line_queue(request: HttpRequest) -> HttpResponse:
    """The lines that wait for an agent: unmatched, or matching several cases."""
    _staff(request)
    return _queue(request)


@login_required
@require_POST
def line_resolve(request: HttpRequest, pk: int) -> HttpResponse:
    _staff(request)
    line = access_bank_line(request.membership, pk)
    if line.status not in BankLine.QUEUE:  # decided meanwhile, by someone else or a resent form
        messages.info(request, _("This line was already dealt with."))
        return redirect("backoffice:money:queue")
    form = LineResolveForm(request.POST, prefix=f"line-{line.pk}")
    if form.is_valid():
        data = form.cleaned_data
        case = None
        if data["action"] == "record":
            case = Case.objects.filter(
                agency_id=request.membership.agency_id,
                reference=data["case_reference"].strip().upper(),
            ).first()
            if case is None:
                form.add_error("case_reference", _("No case with this reference."))
        if not form.errors:
            try:
                done = _once(
                    request,
                    lambda: services.bank_line_resolve(
                        line=line,
                        actor=request.user,
                        case=case,
                        excess_owed_to_debtor=data["excess_owed_to_debtor"],
                        note=data["note"],
                    ),
                )
            except ValidationError as refused:
                _refuse(form, refused, exceeds="excess_owed_to_debtor")
            else:
                if done is not None:
                    messages.success(
                        request,
                        _("Line recorded on case %(ref)s.") % {"ref": case.reference}
                        if case
                        else _("Line set aside: not a debtor's payment."),
                    )
                return redirect("backoffice:money:queue")
    return _queue(request, failed=line, form=form, status=400)


# --- remittances ----------------------------------------------------------------------------------
@login_required
def remittance_list(request: HttpRequest) -> HttpResponse:
    _admin(request)
    runs = Paginator(selectors.remittances(principal=request.membership), PAGE_SIZE)
    return render(
        request,
        "backoffice/money/remittance_list.html",
        {"page": runs.get_page(request.GET.get("page"))},
    )


@login_required
@require_POST
def remittance_run(request: HttpRequest) -> HttpResponse:
    """Prepare now, for every creditor, what the weekly run would (the beat does the same)."""
    _admin(request)
    today = timezone.localdate()

    def run_all() -> int:
        prepared = 0
        for creditor in Creditor.objects.filter(agency_id=request.membership.agency_id):
            prepared += (
                services.remittance_prepare(creditor=creditor, on=today, actor=request.user)
                is not None
            )
        return prepared

    try:
        prepared = _once(request, run_all)
    except ValidationError as refused:
        for message in refused.messages:
            messages.error(request, message)
    else:
        if prepared is not None:
            messages.success(
                request,
                _("%(count)s remittance(s) prepared.") % {"count": prepared}
                if prepared
                else _("Nothing to remit: every payment is already in a remittance."),
            )
    return redirect("backoffice:money:remittances")


def _remittance_page(request, remittance, form=None, status=200):
    statement = Notice.objects.filter(
        agency_id=remittance.agency_id,
        kind=LetterKind.REMITTANCE_STATEMENT,
        data__remittance_id=remittance.pk,
    ).first()
    return render(
        request,
        "backoffice/money/remittance_detail.html",
        {
            "remittance": remittance,
            "items": selectors.remittance_items(remittance=remittance),
            "statement": statement if statement and statement.pdf else None,
            "form": form or ExecutedForm(),
        },
        status=status,
    )


@login_required
def remittance_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _admin(request)
    return _remittance_page(request, access_remittance(request.membership, pk))


@login_required
@require_POST
def remittance_executed(request: HttpRequest, pk: int) -> HttpResponse:
    _admin(request)
    remittance = access_remittance(request.membership, pk)
    form = ExecutedForm(request.POST)
    if form.is_valid():
        try:
            done = _once(
                request,
                lambda: services.remittance_mark_executed(
                    remittance=remittance,
                    executed_on=form.cleaned_data["executed_on"],
                    actor=request.user,
                ),
            )
        except ValidationError as refused:
            _refuse(form, refused)
        else:
            if done is not None:
                messages.success(request, _("Transfer recorded as executed."))
            return redirect("backoffice:money:remittance", pk=pk)
    return _remittance_page(request, remittance, form, status=400)


@login_required
def remittance_pain001(request: HttpRequest, pk: int) -> HttpResponse:
    """The SEPA credit transfer file to hand to the agency's bank."""
    _admin(request)
    remittance = access_remittance(request.membership, pk)
    if not remittance.pain001:
        raise Http404
    response = HttpResponse(remittance.pain001, content_type="application/xml")
    response["Content-Disposition"] = f'attachment; filename="{remittance.reference}.xml"'
    return response


@login_required
def remittance_statement(request: HttpRequest, pk: int) -> HttpResponse:
    """The remittance statement the creditor received, as a PDF."""
    _admin(request)
    remittance = access_remittance(request.membership, pk)
    notice = Notice.objects.filter(
        agency_id=remittance.agency_id,
        kind=LetterKind.REMITTANCE_STATEMENT,
        data__remittance_id=remittance.pk,
    ).first()
    if notice is None or not notice.pdf:
        raise Http404
    return FileResponse(
        notice.pdf.open("rb"),
        as_attachment=True,
        filename=f"{remittance.reference}.pdf",
        content_type="application/pdf",
    )


# --- the ledger -----------------------------------------------------------------------------------
@login_required
def ledger(request: HttpRequest) -> HttpResponse:
    """Funds held per creditor and the period's figures, then the ledger's lines."""
    _admin(request)
    start, end = PeriodForm.this_year()
    form = PeriodForm(request.GET or {"start": start, "end": end})
    status = 200
    if form.is_valid():
        start, end = form.cleaned_data["start"], form.cleaned_data["end"]
    else:
        status = 400
    figures = selectors.money_figures(principal=request.membership, start=start, end=end)
    creditor_id = request.GET.get("creditor")
    creditor_id = int(creditor_id) if creditor_id and creditor_id.isdigit() else None
    lines = Paginator(
        selectors.ledger_lines(principal=request.membership, creditor_id=creditor_id), PAGE_SIZE
    )
    totals = {
        name: sum((getattr(f, name) for f in figures), ZERO)
        for name in (
            "collected", "collected_direct", "refunded", "remitted", "commission", "funds_held",
        )
    }  # fmt: skip
    return render(
        request,
        "backoffice/money/ledger.html",
        {
            "form": form,
            "figures": figures,
            "totals": totals,
            "start": start,
            "end": end,
            "creditor_id": creditor_id,
            "page": lines.get_page(request.GET.get("page")),
            "extra_query": "&"
            + urlencode(
                {"start": start.isoformat(), "end": end.isoformat()}
                | ({"creditor": creditor_id} if creditor_id else {})
            ),
        },
        status=status,
    )
