"""Letters for agents (preview, download, AR) and the providers' webhooks: thin views."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

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
from rest_framework import serializers
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from cases.access import access_case
from cases.models import Case
from collectio.models import Agency
from collectio.scoping import tenant_scope
from law.interest import RateMissing
from notices import selectors, services
from notices.access import access_notice
from notices.linter import MissingMandatoryBlock
from notices.models import LetterKind, Notice
from notices.serializers import EmailBounceSerializer, PostEventSerializer


def _staff_case(request: HttpRequest, pk: int) -> Case:
    """A case of the member's agency, for agency staff only; anything else is a 404."""
    return access_case(request.membership, pk, staff_only=True)


def _notice(request: HttpRequest, pk: int) -> Notice:
    return access_notice(request.membership, pk)


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
    notice = access_notice(request.membership, pk, staff_only=True)
    try:
        received_on = date.fromisoformat(request.POST.get("received_on", ""))
        services.notice_record_acknowledgement(
            notice=notice, received_on=received_on, actor=request.user
        )
    except (ValueError, ValidationError) as exc:
        return HttpResponseBadRequest("; ".join(getattr(exc, "messages", [_("Invalid date.")])))
    return redirect("workspace:detail", pk=notice.case_id)


# --- provider webhooks ------------------------------------------------------------------------
# Standard Webhooks: each delivery carries an id, a timestamp and an HMAC of both with the body,
# under the agency's own secret; deliveries older than five minutes are refused, and an id is
# applied once (WebhookDelivery). Errors are RFC 9457 problem documents.


def _problem(status: int, title: str, **extra: Any) -> JsonResponse:
    return JsonResponse(
        {"type": "about:blank", "title": title, "status": status, **extra},
        status=status,
        content_type="application/problem+json",
    )


class _Refused(Exception):
    def __init__(self, response: JsonResponse) -> None:
        self.response = response


def _verified_payload(
    request: HttpRequest, agency_slug: str, serializer_class: type[serializers.Serializer]
) -> tuple[Agency, str, dict[str, Any]]:
    """The agency, the delivery id and the checked body of a signed, recent delivery."""
    agency = Agency.objects.filter(slug=agency_slug).first()
    try:
        body = request.body.decode()
        if agency is None:  # answered as a bad signature: agencies are not enumerable
            raise WebhookVerificationError("unknown agency")
        Webhook(agency.webhook_secret).verify(body, dict(request.headers), json_parse=False)
    except (WebhookVerificationError, ValueError) as exc:
        raise _Refused(_problem(403, "Bad signature or stale delivery")) from exc
    try:
        data = json.loads(body)
    except ValueError as exc:
        raise _Refused(_problem(400, "Body is not JSON")) from exc
    serializer = serializer_class(data=data) if isinstance(data, dict) else None
    if serializer is None or not serializer.is_valid():
        errors = serializer.errors if serializer is not None else ["a JSON object is expected"]
        raise _Refused(_problem(400, "Invalid body", errors=errors))
    return agency, request.headers["webhook-id"], serializer.validated_data


def _apply(agency: Agency, delivery_id: str, lookup: dict[str, Any], apply: Any) -> JsonResponse:
    """Find the notice in the agency's own scope, then apply the delivery once."""
    with tenant_scope(agency.pk):
        notice = Notice.objects.filter(agency=agency, **lookup).first()
        if notice is None:
            return _problem(404, "Unknown notice")
        try:
            notice = apply(notice)
        except services.DuplicateDelivery:
            return _problem(409, "Delivery already received", delivery_id=delivery_id)
        except ValidationError as exc:
            return _problem(400, "Refused", detail=" ".join(exc.messages))
    return JsonResponse({"notice": notice.reference})


@csrf_exempt
@require_POST
def post_webhook(request: HttpRequest, agency_slug: str) -> JsonResponse:
    """The registered-mail provider: tracking number once posted, then the AR date."""
    try:
        agency, delivery_id, data = _verified_payload(request, agency_slug, PostEventSerializer)
    except _Refused as refused:
        return refused.response
    if "notice_id" in data:
        lookup: dict[str, Any] = {"pk": data["notice_id"]}
    else:
        lookup = {"tracking_number": data["tracking_number"]}
    return _apply(
        agency,
        delivery_id,
        lookup,
        lambda notice: services.post_webhook_apply(
            notice=notice,
            delivery_id=delivery_id,
            tracking_number=data.get("tracking_number", ""),
            acknowledged_on=data.get("acknowledged_on"),
        ),
    )


@csrf_exempt
@require_POST
def email_bounce_webhook(request: HttpRequest, agency_slug: str) -> JsonResponse:
    """The e-mail provider: ``{"message_id", "reason"}`` when a message bounced."""
    try:
        agency, delivery_id, data = _verified_payload(request, agency_slug, EmailBounceSerializer)
    except _Refused as refused:
        return refused.response
    return _apply(
        agency,
        delivery_id,
        {"provider_reference": data["message_id"]},
        lambda notice: services.email_bounce_webhook_apply(
            notice=notice, delivery_id=delivery_id, reason=data["reason"]
        ),
    )
