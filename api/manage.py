"""Back-office pages of the API (agency administrators only): keys, webhook subscriptions and
the log of their deliveries, with replay."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, time
from functools import wraps
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from api import services, webhooks
from api.models import ApiKey, WebhookDelivery, WebhookSubscription
from cases.models import Creditor
from collectio.access import access, visible
from collectio.models import Role
from collectio.submissions import AlreadySubmitted, submission_once

View = Callable[..., HttpResponse]
DELIVERIES_SHOWN = 100


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


def _errors_into(form: forms.Form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for name, errors in error.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, error)


def _once(request: HttpRequest, form: forms.Form, write: Callable[[], Any]) -> Any:
    """Apply ``write`` once for this rendered form; its refusal goes into the form."""
    try:
        with submission_once(request):
            return write()
    except AlreadySubmitted:
        messages.info(request, _("This form was already sent: it was applied once."))
    except ValidationError as refused:
        _errors_into(form, refused)
    return None


class BootstrapForm(forms.Form):
    """The shared layout's classes on every widget, ``is-invalid`` on a field in error."""

    def full_clean(self) -> None:
        super().full_clean()
        for name in self.errors:
            if name in self.fields:
                widget = self.fields[name].widget
                widget.attrs["class"] = f"{widget.attrs.get('class', '')} is-invalid".strip()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxSelectMultiple | forms.CheckboxInput):
                css = "form-check-input"
            elif isinstance(widget, forms.Select):
                css = "form-select"
            else:
                css = "form-control"
            widget.attrs.setdefault("class", css)


class ApiKeyForm(BootstrapForm):
    name = forms.CharField(
        label=gettext_lazy("Name"),
        max_length=100,
        help_text=gettext_lazy("Who uses it: the partner and its software (“Sage ERP of Martin”)."),
    )
    creditor = forms.ModelChoiceField(
        label=gettext_lazy("Scope"),
        queryset=Creditor.objects.none(),
        required=False,
        empty_label=gettext_lazy("The whole agency"),
        help_text=gettext_lazy("A creditor's key sees and creates only that creditor's cases."),
    )
    expires_on = forms.DateField(
        label=gettext_lazy("Expires on"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=gettext_lazy("Empty: until revoked. The key stops working at midnight."),
    )

    def __init__(self, *args: Any, membership: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["creditor"].queryset = visible(Creditor.objects.all(), membership)

    def expires_at(self) -> datetime | None:
        day = self.cleaned_data["expires_on"]
        if day is None:
            return None
        return datetime.combine(day, time.min, tzinfo=ZoneInfo(settings.TIME_ZONE))


@admin_only
@require_http_methods(["GET", "POST"])
def key_list(request: HttpRequest) -> HttpResponse:
    membership = request.membership
    form = ApiKeyForm(request.POST or None, membership=membership)
    created = None
    if request.method == "POST" and form.is_valid():
        created = _once(
            request,
            form,
            lambda: services.api_key_create(
                agency=membership.agency,
                name=form.cleaned_data["name"],
                creditor=form.cleaned_data["creditor"],
                expires_at=form.expires_at(),
                actor=request.user,
            ),
        )
        if created is not None:
            form = ApiKeyForm(membership=membership)
    keys = visible(ApiKey.objects.select_related("creditor", "created_by"), membership)
    return render(
        request,
        "api/key_list.html",
        {
            "keys": keys,
            "form": form,
            "created_key": created[0] if created else None,
            "secret": created[1] if created else None,
        },
        status=400 if request.method == "POST" and form.errors else 200,
    )


@admin_only
@require_POST
def key_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    key = access(ApiKey.objects.all(), request.membership, pk, staff_only=True)
    form = forms.Form(request.POST)
    revoked = _once(request, form, lambda: services.api_key_revoke(api_key=key))
    if revoked is not None:
        messages.success(request, _("The key “%(name)s” is revoked.") % {"name": key.name})
    for error in form.non_field_errors():
        messages.error(request, error)
    return redirect("api:manage_keys")


class SubscriptionForm(BootstrapForm):
    url = forms.URLField(
        label=gettext_lazy("URL"),
        max_length=500,
        assume_scheme="https",
        help_text=gettext_lazy("The partner's HTTPS endpoint; each event is POSTed to it."),
    )
    event_types = forms.MultipleChoiceField(
        label=gettext_lazy("Events"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy("None ticked: every event."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["event_types"].choices = [(t, t) for t in webhooks.event_type_choices()]


class NewSubscriptionForm(SubscriptionForm):
    api_key = forms.ModelChoiceField(
        label=gettext_lazy("API key"),
        queryset=ApiKey.objects.none(),
        help_text=gettext_lazy("The subscription receives what this key may see."),
    )
    field_order = ["api_key", "url", "event_types"]

    def __init__(self, *args: Any, membership: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["api_key"].queryset = visible(ApiKey.objects.filter(revoked=False), membership)


class EditSubscriptionForm(SubscriptionForm):
    is_active = forms.BooleanField(label=gettext_lazy("Active"), required=False)


@admin_only
@require_http_methods(["GET", "POST"])
def subscription_list(request: HttpRequest) -> HttpResponse:
    membership = request.membership
    form = NewSubscriptionForm(request.POST or None, membership=membership)
    if request.method == "POST" and form.is_valid():
        created = _once(
            request,
            form,
            lambda: services.webhook_subscription_create(
                api_key=form.cleaned_data["api_key"],
                url=form.cleaned_data["url"],
                event_types=form.cleaned_data["event_types"],
            ),
        )
        if created is not None:
            messages.success(request, _("Subscription created. Give its secret to the partner."))
            return redirect("api:manage_subscription", created.pk)
    subscriptions = visible(WebhookSubscription.objects.select_related("api_key"), membership)
    return render(
        request,
        "api/subscription_list.html",
        {"subscriptions": subscriptions, "form": form},
        status=400 if request.method == "POST" and form.errors else 200,
    )


@admin_only
@require_http_methods(["GET", "POST"])
def subscription_detail(request: HttpRequest, pk: int) -> HttpResponse:
    subscription = access(
        WebhookSubscription.objects.select_related("api_key", "api_key__creditor"),
        request.membership,
        pk,
        staff_only=True,
    )
    initial = {
        "url": subscription.url,
        "event_types": subscription.event_types,
        "is_active": subscription.is_active,
    }
    form = EditSubscriptionForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        saved = _once(
            request,
            form,
            lambda: services.webhook_subscription_update(
                subscription=subscription,
                url=form.cleaned_data["url"],
                event_types=form.cleaned_data["event_types"],
                is_active=form.cleaned_data["is_active"],
            ),
        )
        if saved is not None:
            messages.success(request, _("Subscription saved."))
            return redirect("api:manage_subscription", subscription.pk)
    deliveries = subscription.deliveries.all()[:DELIVERIES_SHOWN]
    return render(
        request,
        "api/subscription_detail.html",
        {"subscription": subscription, "form": form, "deliveries": deliveries},
        status=400 if request.method == "POST" and form.errors else 200,
    )


@admin_only
@require_POST
def subscription_test(request: HttpRequest, pk: int) -> HttpResponse:
    subscription = access(
        WebhookSubscription.objects.all(), request.membership, pk, staff_only=True
    )
    form = forms.Form(request.POST)
    if _once(request, form, lambda: webhooks.webhook_test_send(subscription=subscription)):
        messages.success(request, _("A test event is on its way."))
    return redirect("api:manage_subscription", subscription.pk)


@admin_only
@require_POST
def delivery_replay(request: HttpRequest, pk: int) -> HttpResponse:
    delivery = access(
        WebhookDelivery.objects.select_related("subscription"),
        request.membership,
        pk,
        staff_only=True,
    )
    form = forms.Form(request.POST)
    if _once(request, form, lambda: webhooks.webhook_delivery_replay(delivery=delivery)):
        messages.success(request, _("The event will be sent again now."))
    return redirect("api:manage_subscription", delivery.subscription_id)


urlpatterns = [
    path("keys/", key_list, name="manage_keys"),
    path("keys/<int:pk>/revoke/", key_revoke, name="manage_key_revoke"),
    path("webhooks/", subscription_list, name="manage_subscriptions"),
    path("webhooks/<int:pk>/", subscription_detail, name="manage_subscription"),
    path("webhooks/<int:pk>/test/", subscription_test, name="manage_subscription_test"),
    path("deliveries/<int:pk>/replay/", delivery_replay, name="manage_delivery_replay"),
]
