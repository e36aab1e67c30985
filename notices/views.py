"""Letters for agents (preview, download, AR) and the providers' webhooks: thin views."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import date
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    JsonResponse,
)
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST
from django_scopes import scopes_disabled

from cases import selectors as case_selectors
from cases.models import Case
from collectio.scoping import tenant_scope
from dunning.interest import RateMissing
from notices import selectors, services
from notices.linter import MissingMandatoryBlock
from notices.models import LetterKind, Notice


def _staff_case(request: HttpRequest, pk: int) -> Case:
    """A case of the member's agency, for agency staff only; anything else is a 404."""
    membership = request.membership
    if membership is None or not membership.is_agency_staff:
        raise Http404
    try:
        return case_selectors.case_get(membership=membership, pk=pk)
    except Case.DoesNotExist as exc:
        raise Http404 from exc


def _notice(request: HttpRequest, pk: int) -> Notice:
    try:
        return selectors.notice_get(membership=request.membership, pk=pk)
    except Notice.DoesNotExist as exc:
        raise Http404 from exc


@login_required
@require_GET
def case_letter_preview(request: HttpRequest, pk: int) -> HttpResponse:
    """The case's next letter (or ``?kind=``) as it would be produced today, watermarked."""
    case = _staff_case(request, pk)
    kind = request.GET.get("kind") or selectors.kind_for_step(case.next_step, case)
    if kind not in LetterKind.values or kind == LetterKind.REMITTANCE_STATEMENT:
        raise Http404
    try:
        pdf = services.notice_preview(case=case, kind=kind)
    except ValidationError as exc:
        raise Http404 from exc
    except (selectors.LetterBlocked, MissingMandatoryBlock, RateMissing) as exc:
        context = {"case": case, "kind_label": LetterKind(kind).label, "reasons": _reasons(exc)}
        return render(request, "notices/preview_refused.html", context, status=409)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="apercu-{case.reference}-{kind}.pdf"'
    return response


def _reasons(refusal: Exception) -> list[str]:
    """Why a letter cannot be produced, as an agent reads it."""
    if isinstance(refusal, selectors.LetterBlocked):
        return refusal.reasons
    if isinstance(refusal, MissingMandatoryBlock):
        return [refusal.reason]
    return [
        _("The %(kind)s rate of %(semester)s is not loaded: no amount can be computed.")
        % {"kind": refusal.kind, "semester": refusal.semester}
    ]


@login_required
@require_GET
def notice_download(request: HttpRequest, pk: int) -> FileResponse:
    notice = _notice(request, pk)
    if not notice.pdf:
        raise Http404
    return FileResponse(
        notice.pdf.open("rb"), as_attachment=True, filename=f"{notice.reference}.pdf"
    )


@login_required
@require_POST
def notice_acknowledge(request: HttpRequest, pk: int) -> HttpResponse:
    """An agent types the AR date of a registered letter."""
    notice = _notice(request, pk)
    if not request.membership.is_agency_staff:
        raise Http404
    try:
        received_on = date.fromisoformat(request.POST.get("received_on", ""))
        services.notice_record_acknowledgement(
            notice=notice, received_on=received_on, actor=request.user
        )
    except (ValueError, ValidationError) as exc:
        return HttpResponseBadRequest("; ".join(getattr(exc, "messages", [_("Invalid date.")])))
    return redirect("cases:detail", pk=notice.case_id)


# --- provider webhooks: signed, cross-tenant lookups said so, then the notice's scope --------
def _signed_payload(request: HttpRequest) -> dict[str, Any] | None:
    secret = getattr(settings, "NOTICES_WEBHOOK_SECRET", "")
    expected = hmac.new(secret.encode(), request.body, hashlib.sha256).hexdigest()
    given = request.headers.get("X-Collectio-Signature", "").removeprefix("sha256=")
    if not secret or not hmac.compare_digest(expected, given):
        return None
    try:
        payload = json.loads(request.body)
    except ValueError:
        return None
    return payload if isinstance(payload, dict) else None


def _find_notice(**lookup: str) -> Notice | None:
    """Providers know a tracking number or a Message-ID, not an agency: look across tenants."""
    if not all(lookup.values()):
        return None
    with scopes_disabled():
        return Notice.objects.filter(**lookup).first()


@csrf_exempt
@require_POST
def post_webhook(request: HttpRequest) -> JsonResponse:
    """The registered-mail provider: ``{"notice_id", "tracking_number"}`` once posted (the id
    comes from the batch manifest), then ``{"tracking_number", "acknowledged_on"}`` once the
    letter was presented or delivered."""
    payload = _signed_payload(request)
    if payload is None:
        return JsonResponse({"error": "bad signature or body"}, status=403)
    tracking = str(payload.get("tracking_number", ""))
    if "notice_id" in payload:
        notice = _find_notice(pk=str(payload["notice_id"]))
    else:
        notice = _find_notice(tracking_number=tracking)
    if notice is None:
        return JsonResponse({"error": "unknown notice"}, status=404)
    with tenant_scope(notice.agency_id):
        try:
            if "notice_id" in payload:
                services.notice_record_tracking(notice=notice, tracking_number=tracking, actor=None)
            if payload.get("acknowledged_on"):
                services.notice_record_acknowledgement(
                    notice=notice,
                    received_on=date.fromisoformat(str(payload["acknowledged_on"])),
                    actor=None,
                )
        except (ValueError, ValidationError) as exc:
            return JsonResponse({"error": str(exc)}, status=400)
    return JsonResponse({"notice": notice.reference})


@csrf_exempt
@require_POST
def email_bounce_webhook(request: HttpRequest) -> JsonResponse:
    """The e-mail provider: ``{"message_id", "reason"}`` when a message bounced."""
    payload = _signed_payload(request)
    if payload is None:
        return JsonResponse({"error": "bad signature or body"}, status=403)
    notice = _find_notice(provider_reference=str(payload.get("message_id", "")))
    if notice is None:
        return JsonResponse({"error": "unknown message"}, status=404)
    with tenant_scope(notice.agency_id):
        try:
            services.notice_record_bounce(notice=notice, reason=str(payload.get("reason", "")))
        except ValidationError as exc:
            return JsonResponse({"error": str(exc)}, status=400)
    return JsonResponse({"notice": notice.reference})
