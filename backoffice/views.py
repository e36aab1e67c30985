"""The agency administrator's pages: thin, every object read through the access layer.

Only an agency administrator reaches them; anyone else (an agent, a creditor user, someone of
another agency, a platform operator without a membership) gets a 404, as for a page that does
not exist. Each write is one service call in one transaction; a form in error writes nothing.
"""

from __future__ import annotations

import base64
import csv
from collections.abc import Callable
from functools import wraps
from io import BytesIO
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.forms import Form
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from backoffice import exports, selectors
from backoffice.forms import (
    AgencyDocumentForm,
    CreditorForm,
    InvitationForm,
    LetterTemplateForm,
    PrerequisitesForm,
    RoleForm,
    ScenarioCopyForm,
    ScenarioNameForm,
    StepFormSet,
)
from cases import services as case_services
from cases.models import Creditor
from collectio import services as account_services
from collectio.access import access
from collectio.models import AgencyDocument, Invitation, Membership, Role
from dunning import services as dunning_services
from dunning.models import Scenario, Step
from dunning.planning import scenario_schedule
from dunning.selectors import rate_missing_message
from law.calendar import FrenchCalendar
from law.interest import RateMissing
from notices import services as notice_services
from notices.linter import MissingMandatoryBlock, default_wording
from notices.models import LetterKind, LetterTemplate, LetterTemplateVersion
from notices.rendering import pdf_page_images

View = Callable[..., HttpResponse]


def admin_only(view: View) -> View:
    """Agency administrators only; to anyone else the page does not exist."""

    @login_required
    @wraps(view)
    def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        membership = getattr(request, "membership", None)
        if membership is None or membership.role != Role.ADMIN:
            raise Http404
        return view(request, *args, **kwargs)

    return guarded


def _get(request: HttpRequest, model: type, pk: object, **kwargs: Any) -> Any:
    return access(model.objects.all(), request.membership, pk, staff_only=True, **kwargs)


def _errors_into(form: Form, error: ValidationError) -> None:
    """A service's refusal shown where it belongs: on its field, else above the form."""
    if hasattr(error, "error_dict"):
        for name, errors in error.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, error)


def _page(
    request: HttpRequest, template: str, context: dict[str, Any], *, bound: bool = False
) -> HttpResponse:
    return render(request, f"backoffice/{template}", context, status=400 if bound else 200)


# --- creditors --------------------------------------------------------------------------------
@admin_only
@require_GET
def creditor_list(request: HttpRequest) -> HttpResponse:
    creditors = Creditor.objects.filter(agency_id=request.membership.agency_id).order_by(
        "legal_name"
    )
    return _page(request, "creditor_list.html", {"creditors": creditors})


@admin_only
def creditor_create(request: HttpRequest) -> HttpResponse:
    form = CreditorForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            creditor = case_services.creditor_create(
                agency=request.membership.agency, values=form.cleaned_data, actor=request.user
            )
        except ValidationError as error:
            _errors_into(form, error)
        else:
            messages.success(request, _("Creditor %(name)s created.") % {"name": creditor})
            return redirect("backoffice:creditor_edit", pk=creditor.pk)
    return _page(request, "creditor_form.html", {"form": form}, bound=form.is_bound)


@admin_only
def creditor_edit(request: HttpRequest, pk: int) -> HttpResponse:
    creditor = _get(request, Creditor, pk)
    form = CreditorForm(request.POST or None, instance=Creditor.objects.get(pk=creditor.pk))
    if request.method == "POST" and form.is_valid():
        try:
            creditor = case_services.creditor_update(
                creditor=creditor, values=form.cleaned_data, actor=request.user
            )
        except ValidationError as error:
            _errors_into(form, error)
        else:
            messages.success(request, _("Creditor %(name)s saved.") % {"name": creditor})
            return redirect("backoffice:creditor_edit", pk=creditor.pk)
    context = {
        "form": form,
        "creditor": creditor,
        "users": selectors.agency_people(agency_id=creditor.agency_id).filter(creditor=creditor),
        "invitations": selectors.agency_invitations(agency_id=creditor.agency_id).filter(
            creditor=creditor
        ),
        "now": timezone.now(),
        "scenario": Scenario.objects.filter(creditor=creditor).first()
        or Scenario.objects.filter(agency_id=creditor.agency_id, is_default=True).first(),
    }
    return _page(request, "creditor_form.html", context, bound=form.is_bound)


# --- people -----------------------------------------------------------------------------------
def _invite_initial(request: HttpRequest) -> dict[str, Any]:
    """``?creditor=<id>`` (from a creditor's page): a creditor user of that creditor."""
    creditor = request.GET.get("creditor", "")
    if creditor.isdigit():
        return {"role": Role.CREDITOR_USER, "creditor": int(creditor)}
    return {"role": Role.AGENT}


def _people_context(request: HttpRequest, invite: InvitationForm | None = None) -> dict[str, Any]:
    agency = request.membership.agency
    return {
        "members": [
            {
                "membership": m,
                "form": RoleForm(
                    agency=agency,
                    initial={"role": m.role, "creditor": m.creditor_id},
                    prefix=f"m{m.pk}",
                ),
            }
            for m in selectors.agency_people(agency_id=agency.pk)
        ],
        "invitations": selectors.agency_invitations(agency_id=agency.pk),
        "invite_form": invite or InvitationForm(agency=agency, initial=_invite_initial(request)),
        "now": timezone.now(),
    }


@admin_only
def people(request: HttpRequest) -> HttpResponse:
    agency = request.membership.agency
    form = InvitationForm(request.POST or None, agency=agency) if request.method == "POST" else None
    if form is not None and form.is_valid():
        try:
            invitation = account_services.invitation_create(
                agency=agency, actor=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            _errors_into(form, error)
        else:
            messages.success(
                request,
                _("Invitation sent to %(email)s: the link works once, for %(days)s days.")
                % {"email": invitation.email, "days": Invitation.VALIDITY_DAYS},
            )
            return redirect("backoffice:people")
    return _page(request, "people.html", _people_context(request, form), bound=form is not None)


def _invitation_action(
    request: HttpRequest, pk: int, service: Callable[..., Any], done: str
) -> HttpResponse:
    invitation = _get(request, Invitation, pk)
    try:
        service(invitation=invitation, actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, done % {"email": invitation.email})
    return redirect("backoffice:people")


@admin_only
@require_POST
def invitation_resend(request: HttpRequest, pk: int) -> HttpResponse:
    return _invitation_action(
        request, pk, account_services.invitation_resend, _("A new link was sent to %(email)s.")
    )


@admin_only
@require_POST
def invitation_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    return _invitation_action(
        request,
        pk,
        account_services.invitation_revoke,
        _("The invitation of %(email)s is revoked."),
    )


@admin_only
@require_POST
def member_role(request: HttpRequest, pk: int) -> HttpResponse:
    membership = _get(request, Membership, pk)
    form = RoleForm(request.POST, agency=request.membership.agency, prefix=f"m{membership.pk}")
    if form.is_valid():
        try:
            account_services.membership_change_role(
                membership=membership, actor=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(
                request, _("Role of %(email)s saved.") % {"email": membership.user.email}
            )
    else:
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
    return redirect("backoffice:people")


@admin_only
@require_POST
def member_active(request: HttpRequest, pk: int) -> HttpResponse:
    membership = _get(request, Membership, pk)
    active = request.POST.get("active") == "1"
    try:
        account_services.membership_set_active(
            membership=membership, active=active, actor=request.user
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        done = _("%(email)s can log in again.") if active else _("%(email)s can no longer log in.")
        messages.success(request, done % {"email": membership.user.email})
    return redirect("backoffice:people")


# --- the agency's legal prerequisites (REQ-A1) ------------------------------------------------
@admin_only
def agency(request: HttpRequest) -> HttpResponse:
    agency = request.membership.agency
    posted = request.POST if request.method == "POST" else None
    sent = request.POST.get("form")
    form = PrerequisitesForm(posted if sent == "prerequisites" else None, instance=agency)
    document_form = AgencyDocumentForm(
        posted if sent == "document" else None, request.FILES or None
    )
    if sent == "prerequisites" and form.is_valid():
        try:
            account_services.agency_prerequisites_update(
                agency=agency, values=form.cleaned_data, actor=request.user
            )
        except ValidationError as error:
            _errors_into(form, error)
        else:
            messages.success(request, _("The legal prerequisites are saved."))
            return redirect("backoffice:agency")
    if sent == "document" and document_form.is_valid():
        try:
            account_services.agency_document_add(
                agency=agency, actor=request.user, **document_form.cleaned_data
            )
        except ValidationError as error:
            _errors_into(document_form, error)
        else:
            messages.success(request, _("The document is filed."))
            return redirect("backoffice:agency")
    agency.refresh_from_db()
    context = {
        "form": form,
        "document_form": document_form,
        "documents": AgencyDocument.objects.filter(agency=agency).select_related("uploaded_by"),
        "missing": agency.missing_prerequisites(timezone.localdate()),
        "agency": agency,
    }
    return _page(request, "agency.html", context, bound=sent is not None)


@admin_only
@require_GET
def agency_document(request: HttpRequest, pk: int) -> FileResponse:
    document = _get(request, AgencyDocument, pk)
    return FileResponse(document.file.open("rb"), as_attachment=True)


# --- scenarios --------------------------------------------------------------------------------
@admin_only
@require_GET
def scenario_list(request: HttpRequest) -> HttpResponse:
    agency_id = request.membership.agency_id
    return _page(
        request,
        "scenario_list.html",
        {"rows": selectors.scenarios_with_creditors(agency_id=agency_id)},
    )


def _wordings(agency_id: int) -> dict[str, str]:
    """The wording each letter kind would carry: the agency's version in force (versions are
    numbered from 1 without gaps, so their count is the last number), else the shipped one."""
    labels = {}
    for row in selectors.letter_templates(agency_id=agency_id):
        template = row["template"]
        if template is None:
            labels[row["kind"].value] = _("shipped wording")
        elif template.n:
            labels[row["kind"].value] = _("agency's wording v%(n)s") % {"n": template.n}
        else:
            labels[row["kind"].value] = _("agency's wording")
    return labels


def _steps_formset(request: HttpRequest, scenario: Scenario) -> Any:
    kwargs = {"form_kwargs": {"wordings": _wordings(scenario.agency_id)}}
    if request.method == "POST":
        return StepFormSet(request.POST, prefix="steps", **kwargs)
    initial = [
        {
            "id": s.pk,
            **{n: getattr(s, n) for n in dunning_services.STEP_FIELDS},
            "ORDER": s.position,
        }
        for s in scenario.steps.all()
    ]
    return StepFormSet(initial=initial, prefix="steps", **kwargs)


def _kept_steps(formset: Any) -> list[dict[str, object]]:
    kept = [f for f in formset.ordered_forms if not f.cleaned_data.get("DELETE")]
    return [f.step_values() for f in kept]


def _schedule(scenario: Scenario, steps: list[Step]) -> list[Any]:
    """A case accepted today, in metropolitan France (the agency's seat's calendar)."""
    calendar = FrenchCalendar.for_postcode(scenario.agency.postcode)
    return scenario_schedule(steps, accepted_on=timezone.localdate(), calendar=calendar)


@admin_only
def scenario_edit(request: HttpRequest, pk: int) -> HttpResponse:
    scenario = _get(request, Scenario, pk)
    name_form = ScenarioNameForm(request.POST or None, initial={"name": scenario.name})
    formset = _steps_formset(request, scenario)
    problems: list[str] = []
    if request.method == "POST" and name_form.is_valid() and formset.is_valid():
        try:
            dunning_services.scenario_update(
                scenario=scenario,
                name=name_form.cleaned_data["name"],
                steps=_kept_steps(formset),
                actor=request.user,
            )
        except ValidationError as error:
            problems = error.messages
        else:
            messages.success(
                request, _("Scenario saved: open cases follow it from their next step.")
            )
            return redirect("backoffice:scenario_edit", pk=scenario.pk)
    context = {
        "scenario": scenario,
        "name_form": name_form,
        "formset": formset,
        "problems": problems,
        "schedule": _schedule(scenario, list(scenario.steps.all())),
        "copy_form": ScenarioCopyForm(
            agency=request.membership.agency,
            initial={"name": _("Copy of %(name)s") % {"name": scenario.name}},
        ),
        "creditors": next(
            row["creditors"]
            for row in selectors.scenarios_with_creditors(agency_id=scenario.agency_id)
            if row["scenario"].pk == scenario.pk
        ),
    }
    return _page(request, "scenario_form.html", context, bound=request.method == "POST")


@admin_only
@require_POST
def scenario_preview(request: HttpRequest, pk: int) -> HttpResponse:
    """The editor's live check (htmx): the reasons the steps break the case graph, or the dates
    a case opened today would get with them. Nothing is written."""
    scenario = _get(request, Scenario, pk)
    formset = StepFormSet(request.POST, prefix="steps")
    context: dict[str, Any] = {"scenario": scenario, "problems": [], "schedule": []}
    if not formset.is_valid():
        context["problems"] = [_("Some steps have errors: see each step.")]
    else:
        try:
            steps = dunning_services.scenario_validate(
                scenario=scenario, steps=_kept_steps(formset)
            )
        except ValidationError as error:
            context["problems"] = error.messages
        else:
            context["schedule"] = _schedule(scenario, steps)
    return _page(request, "_schedule.html", context)


@admin_only
@require_POST
def scenario_copy(request: HttpRequest, pk: int) -> HttpResponse:
    source = _get(request, Scenario, pk)
    form = ScenarioCopyForm(request.POST, agency=request.membership.agency)
    if form.is_valid():
        try:
            scenario = dunning_services.scenario_copy(
                source=source, actor=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Scenario %(name)s created.") % {"name": scenario.name})
            return redirect("backoffice:scenario_edit", pk=scenario.pk)
    else:
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
    return redirect("backoffice:scenario_edit", pk=source.pk)


# --- letter templates -------------------------------------------------------------------------
def _kind(kind: str) -> LetterKind:
    if kind not in {k.value for k in selectors.EDITABLE_KINDS}:
        raise Http404
    return LetterKind(kind)


@admin_only
@require_GET
def template_list(request: HttpRequest) -> HttpResponse:
    rows = selectors.letter_templates(agency_id=request.membership.agency_id)
    return _page(request, "template_list.html", {"rows": rows})


@admin_only
def template_edit(request: HttpRequest, kind: str) -> HttpResponse:
    kind = _kind(kind)
    agency = request.membership.agency
    template = LetterTemplate.objects.filter(agency=agency, kind=kind).first()
    source = template.body if template else default_wording(kind)
    form = LetterTemplateForm(request.POST or None, initial={"body": source})
    if request.method == "POST" and form.is_valid():
        try:
            version = notice_services.letter_template_save(
                agency=agency, kind=kind, actor=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            _errors_into(form, error)
        else:
            if version is None:
                messages.info(request, _("The wording is unchanged: no new version."))
            else:
                messages.success(
                    request, _("Version %(number)s is now in force.") % {"number": version.number}
                )
            return redirect("backoffice:template_edit", kind=kind.value)
    context = {
        "kind": kind,
        "form": form,
        "template": template,
        "versions": template.versions.select_related("created_by") if template else [],
    }
    return _page(request, "template_form.html", context, bound=form.is_bound)


@admin_only
@require_POST
def template_lint(request: HttpRequest, kind: str) -> HttpResponse:
    """The linter's messages as the wording is typed (htmx)."""
    _kind(kind)
    form = LetterTemplateForm(request.POST)
    form.is_valid()
    return _page(request, "_lint.html", {"errors": form.errors.get("body", [])})


@admin_only
@require_POST
def template_preview(request: HttpRequest, kind: str) -> HttpResponse:
    """The letter with the wording being typed, on a sample case, watermarked: its pages as
    pictures for the editor (htmx), or the PDF itself (``pdf=1``)."""
    kind = _kind(kind)
    form = LetterTemplateForm(request.POST)
    reasons: list[str] = []
    if not form.is_valid():
        reasons = form.errors.get("body", [])
    else:
        try:
            pdf = notice_services.letter_template_preview(
                agency=request.membership.agency, kind=kind, body=form.cleaned_data["body"]
            )
        except MissingMandatoryBlock as refused:
            reasons = [refused.reason]
        except RateMissing as missing:
            reasons = [rate_missing_message(missing)]
    if reasons:
        return _page(request, "_preview.html", {"reasons": reasons})
    if request.POST.get("pdf"):
        response = HttpResponse(pdf, content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="apercu-{kind.value}.pdf"'
        return response
    pages = [base64.b64encode(image).decode() for image in pdf_page_images(pdf)]
    return _page(request, "_preview.html", {"pages": pages})


@admin_only
@require_POST
def template_restore(request: HttpRequest, pk: int) -> HttpResponse:
    version = _get(request, LetterTemplateVersion, pk)
    restored = notice_services.letter_template_restore(version=version, actor=request.user)
    if restored is None:
        messages.info(request, _("This wording is already the one in force."))
    else:
        messages.success(
            request, _("Version %(number)s is now in force.") % {"number": restored.number}
        )
    return redirect("backoffice:template_edit", kind=version.template.kind)


# --- figures ----------------------------------------------------------------------------------
PERIODS = (3, 6, 12, 24)


def _figures(request: HttpRequest) -> tuple[Any, int]:
    try:
        months = int(request.GET.get("months", 12))
    except ValueError:
        months = 12
    months = months if months in PERIODS else 12
    figures = selectors.agency_figures(
        agency_id=request.membership.agency_id, end=timezone.localdate(), months=months
    )
    return figures, months


@admin_only
@require_GET
def figures(request: HttpRequest) -> HttpResponse:
    figures, months = _figures(request)
    context = {
        "figures": figures,
        "totals": figures.totals,
        "months": months,
        "periods": PERIODS,
        "charts": exports.charts(figures),
    }
    return _page(request, "figures.html", context)


@admin_only
@require_GET
def figures_csv(request: HttpRequest) -> HttpResponse:
    """French spreadsheets read semicolons and decimal commas; UTF-8 with its BOM for Excel."""
    figures, months = _figures(request)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="chiffres-{months}-mois.csv"'
    response.write("\ufeff")
    writer = csv.writer(response, delimiter=";")
    writer.writerow(exports.header())
    for row in exports.rows(figures):
        writer.writerow([str(v).replace(".", ",") if not isinstance(v, str) else v for v in row])
    return response


@admin_only
@require_GET
def figures_xlsx(request: HttpRequest) -> HttpResponse:
    figures, months = _figures(request)
    book = exports.figures_workbook(figures)
    out = BytesIO()
    book.save(out)
    response = HttpResponse(
        out.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="chiffres-{months}-mois.xlsx"'
    return response


# --- audit ------------------------------------------------------------------------------------
@admin_only
@require_GET
def audit(request: HttpRequest) -> HttpResponse:
    """Read-only: who changed the configuration, and what happened on cases, searchable."""
    query = request.GET.get("q", "").strip()[:100]
    tab = "events" if request.GET.get("tab") == "events" else "config"
    agency_id = request.membership.agency_id
    rows = (
        selectors.case_events(agency_id=agency_id, query=query)
        if tab == "events"
        else selectors.config_changes(agency_id=agency_id, query=query)
    )
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    return _page(request, "audit.html", {"page": page, "query": query, "tab": tab})
