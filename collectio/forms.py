"""Account forms: login (one message whatever the cause) and the two-factor code."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm, SetPasswordForm
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy
from django_otp.forms import OTPAuthenticationFormMixin
from django_otp.plugins.otp_totp.models import TOTPDevice


class LoginForm(AuthenticationForm):
    """Django's form, with a message that reads well in French and says what is compared."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _(
            "Wrong e-mail address or password. The password is case-sensitive, the address is not."
        ),
    }


class TwoFactorTokenForm(OTPAuthenticationFormMixin, forms.Form):
    """A six-digit code checked against one device, with django-otp's throttling."""

    otp_token = forms.CharField(
        label=_("Code from the authenticator app"),
        max_length=6,
        min_length=6,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "pattern": "[0-9]{6}"}
        ),
    )
    otp_error_messages = {
        **OTPAuthenticationFormMixin.otp_error_messages,
        "token_required": _("Enter the six-digit code shown by your authenticator app."),
        "invalid_token": _("This code is not the right one. Check the time on your phone."),
        "n_failed_attempts": ngettext_lazy(
            "Too many wrong codes (%(failure_count)d): wait a moment before trying again.",
            "Too many wrong codes (%(failure_count)d): wait a moment before trying again.",
            "failure_count",
        ),
        "verification_not_allowed": _("Code checking is paused: try again in a moment."),
    }

    def __init__(self, user: Any, device: TOTPDevice, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.device = device

    def _chosen_device(self, user: Any) -> TOTPDevice:
        # Locked (django-otp verifies inside a transaction): one code cannot be used twice.
        return TOTPDevice.objects.select_for_update().get(pk=self.device.pk, user=user)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if not self.errors:
            self.clean_otp(self.user)
        return cleaned


class BootstrapMixin:
    """Bootstrap's classes on every widget, and ``is-invalid`` on the fields in error, so that
    ``layout/form_field.html`` shows each error under its field."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[call-arg]
        for field in self.fields.values():  # type: ignore[attr-defined]
            widget = field.widget
            if isinstance(widget, forms.RadioSelect | forms.CheckboxInput):  # and multiple boxes
                css = "form-check-input"
            elif isinstance(widget, forms.Select):
                css = "form-select"
            else:
                css = "form-control"
            widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()

    def add_error(self, field: str | None, error: Any) -> None:
        # Every error goes through here: the fields' own, clean()'s, and a service's refusal.
        super().add_error(field, error)  # type: ignore[misc]
        for name in self.errors:  # type: ignore[attr-defined]
            if name in self.fields:  # type: ignore[attr-defined]
                attrs = self.fields[name].widget.attrs  # type: ignore[attr-defined]
                if "is-invalid" not in attrs.get("class", ""):
                    attrs["class"] = f"{attrs.get('class', '')} is-invalid"
                attrs["aria-invalid"] = "true"


class InvitationPasswordForm(BootstrapMixin, SetPasswordForm):
    """The password an invitee chooses, checked by the same validators as any other."""
