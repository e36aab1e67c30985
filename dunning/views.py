"""The agents' list of steps waiting for confirmation."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from dunning import selectors, services
from dunning.access import access_step_execution


def _staff_only(request: HttpRequest) -> None:
    if request.membership is None or not request.membership.is_agency_staff:
        raise Http404


@login_required
def confirmation_list(request: HttpRequest) -> HttpResponse:
    _staff_only(request)
    waiting = selectors.steps_awaiting_confirmation(membership=request.membership)
    return render(request, "dunning/confirmation_list.html", {"waiting": waiting})


@login_required
@require_POST
def confirmation_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    _staff_only(request)
    try:
        execution = access_step_execution(request.membership, pk)
    except Http404:
        # Confirmed meanwhile (a double click, a colleague), cancelled, or never ours: the
        # same answer for each, in the page.
        messages.warning(
            request,
            _("This step is no longer waiting for confirmation: it was confirmed or cancelled."),
        )
        waiting = selectors.steps_awaiting_confirmation(membership=request.membership)
        return render(request, "dunning/confirmation_list.html", {"waiting": waiting}, status=404)
    try:
        services.step_confirm(execution=execution, actor=request.user)
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, " ".join(getattr(error, "messages", [str(error)])))
    else:
        messages.success(request, _("Step confirmed for %(ref)s.") % {"ref": execution.case})
    return redirect("dunning:confirmations")
