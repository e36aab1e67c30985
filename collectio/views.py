"""Account pages: login lockout, the account page and two-factor authentication (TOTP)."""

from __future__ import annotations

import base64
from typing import Any

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.messages.views import SuccessMessageMixin
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django_otp import login as otp_login

from collectio import selectors, services
from collectio.forms import InvitationPasswordForm, LoginForm, TwoFactorTokenForm
from collectio.models import Role, User


class LoginView(auth_views.LoginView):
    template_name = "registration/login.html"
    authentication_form = LoginForm


class PasswordChangeView(SuccessMessageMixin, auth_views.PasswordChangeView):
    template_name = "registration/password_change_form.html"
    success_message = gettext_lazy("Your password was changed.")

    def get_success_url(self) -> str:
        return redirect("account").url


def axes_username(request: HttpRequest, credentials: dict[str, Any] | None) -> str:
    """django-axes counts failures per address as logins compare it: without case."""
    username = (credentials or {}).get("username") or request.POST.get("username", "")
    return User.objects.normalize_email(str(username))


def login_locked_out(
    request: HttpRequest, response: HttpResponse | None, credentials: dict[str, Any] | None
) -> HttpResponse:
    """django-axes refused the attempt: the login page again, saying why and for how long."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    form = LoginForm(request, initial={"username": axes_username(request, credentials)})
    return render(
        request,
        "registration/login.html",
        {"form": form, "locked_out_minutes": minutes, "next": request.POST.get("next", "")},
        status=429,
    )


def _next_url(request: HttpRequest, default: str = "home") -> str:
    target = request.POST.get("next") or request.GET.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return redirect(default).url


def _qr_svg(device: Any) -> str:
    """The enrolment QR code as inline SVG, drawn here: no image service, works offline."""
    image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    return mark_safe(image.to_string(encoding="unicode"))  # noqa: S308 - our own drawing


def _manual_key(device: Any) -> str:
    key = base64.b32encode(device.bin_key).decode()
    return " ".join(key[i : i + 4] for i in range(0, len(key), 4))


# Where each role starts its day: URL names only, so this layer imports no surface.
HOME_BY_ROLE = {
    Role.CREDITOR_USER: "portal:dashboard",
    Role.AGENT: "workspace:queues",
    Role.ADMIN: "workspace:queues",
}


@login_required
def home(request: HttpRequest) -> HttpResponse:
    membership = getattr(request, "membership", None)
    if membership is None:
        return redirect("account")
    return redirect(HOME_BY_ROLE[membership.role])


@login_required
def account(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "registration/account.html",
        {
            "device": selectors.two_factor_device(request.user),
            "two_factor_required": selectors.two_factor_required(request.user),
        },
    )


@login_required
def two_factor_enrol(request: HttpRequest) -> HttpResponse:
    """Scan the code (or type the key), then prove it works with one code."""
    if selectors.two_factor_device(request.user) is not None:
        return redirect("account")
    device = services.two_factor_enrol_start(user=request.user)
    form = TwoFactorTokenForm(request.user, device, data=request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = services.two_factor_enrol_confirm(user=request.user, device=device)
        otp_login(request, device)
        messages.success(request, _("Two-factor authentication is on."))
        return redirect(_next_url(request, "account"))
    return render(
        request,
        "registration/two_factor_enrol.html",
        {
            "form": form,
            "qr_svg": _qr_svg(device),
            "manual_key": _manual_key(device),
            "required": selectors.two_factor_required(request.user),
            "next": request.POST.get("next") or request.GET.get("next", ""),
        },
        status=400 if form.is_bound else 200,
    )


@login_required
def two_factor_verify(request: HttpRequest) -> HttpResponse:
    """The second step of login for a user with an authenticator."""
    device = selectors.two_factor_device(request.user)
    if device is None or request.user.is_verified():
        return redirect(_next_url(request))
    form = TwoFactorTokenForm(request.user, device, data=request.POST or None)
    if request.method == "POST" and form.is_valid():
        otp_login(request, request.user.otp_device)
        return redirect(_next_url(request))
    return render(
        request,
        "registration/two_factor_verify.html",
        {"form": form, "next": request.POST.get("next") or request.GET.get("next", "")},
        status=400 if form.is_bound else 200,
    )


@login_required
@require_POST
def two_factor_disable(request: HttpRequest) -> HttpResponse:
    """Turning the second factor off takes a current code, and the agency's leave."""
    device = selectors.two_factor_device(request.user)
    if device is None:
        return redirect("account")
    form = TwoFactorTokenForm(request.user, device, data=request.POST)
    if form.is_valid():
        try:
            services.two_factor_disable(user=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Two-factor authentication is off."))
    else:
        messages.error(request, " ".join(form.non_field_errors() or form.errors.get("otp_token")))
    return redirect("account")


@never_cache
def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    """The invitee chooses a password and is logged in; a used, revoked or expired link says
    so and opens nothing."""
    invitation = selectors.invitation_by_token(token)
    if invitation is None:
        return render(request, "registration/invitation_accept.html", {"invalid": True}, status=404)
    person = User(
        email=invitation.email, first_name=invitation.first_name, last_name=invitation.last_name
    )
    form = InvitationPasswordForm(person, data=request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.invitation_accept(
                token=token, password=form.cleaned_data["new_password1"]
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, _("Welcome to Collectio: your account is ready."))
            return redirect("home")
    return render(
        request,
        "registration/invitation_accept.html",
        {"form": form, "invitation": invitation},
        status=400 if form.is_bound else 200,
    )
