"""Accounts: login lockout, password reset, language switch, two-factor, e-mails without case."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from collectio.models import Role, User
from tests import factories

PASSWORD = "secret-pass-123"


def log_in(client, email: str, password: str = PASSWORD, **extra):
    return client.post(reverse("login"), {"username": email, "password": password}, **extra)


def code(device: TOTPDevice) -> str:
    """The code an authenticator app shows now."""
    device.refresh_from_db()
    return f"{totp(device.bin_key, step=device.step, t0=device.t0):06d}"


# --- throttling and lockout (django-axes) ----------------------------------------------------
def test_five_wrong_passwords_lock_the_address_out_even_with_the_right_one(client, world):
    for _ in range(4):
        response = log_in(client, world.agent.email, "wrong-password")
        assert response.status_code == 200
        assert "Wrong e-mail address or password" in response.content.decode()
    locked = log_in(client, world.agent.email, "wrong-password")
    assert locked.status_code == 429
    assert "logging in is locked for 15 minutes" in locked.content.decode()
    # The right password does not open the door during the cool-off, whatever the case.
    response = log_in(client, world.agent.email.upper())
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    # Another address (another person behind another connection) is not locked out.
    assert log_in(client, world.agent.email, REMOTE_ADDR="10.1.2.3").status_code == 302


def test_after_the_cool_off_the_right_password_works_again(client, world):
    for _ in range(5):
        log_in(client, world.agent.email, "wrong-password")
    with time_machine.travel(timezone.now() + timedelta(minutes=16)):
        response = log_in(client, world.agent.email)
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(world.agent.pk)


def test_lockout_is_told_in_french(client, world, settings):
    settings.LANGUAGE_CODE = "fr"
    for _ in range(5):
        response = log_in(client, world.agent.email, "wrong", headers={"accept-language": "fr"})
    assert "verrouillée pendant 15 minutes" in response.content.decode()


# --- password reset by e-mail ----------------------------------------------------------------
def test_password_reset_by_email_then_login_with_the_new_password(client, world):
    response = client.post(reverse("password_reset"), {"email": world.agent.email.upper()})
    assert response.status_code == 302
    (message,) = mail.outbox
    assert message.to == [world.agent.email]
    link = re.search(r"http://testserver(/password-reset/\S+/)", message.body).group(1)
    form = client.get(link, follow=True)
    assert form.status_code == 200 and "Choose a new password" in form.content.decode()
    done = client.post(
        form.redirect_chain[-1][0],
        {"new_password1": "Brand-new-pass-42", "new_password2": "Brand-new-pass-42"},
    )
    assert done.status_code == 302
    assert log_in(client, world.agent.email, "Brand-new-pass-42").status_code == 302
    assert client.get(link).context["validlink"] is False  # used once only


def test_password_reset_mail_is_french_and_silent_for_unknown_addresses(client, world, settings):
    settings.LANGUAGE_CODE = "fr"
    headers = {"accept-language": "fr"}
    page = client.get(reverse("password_reset"), headers=headers).content.decode()
    assert "Réinitialiser votre mot de passe" in page
    client.post(reverse("password_reset"), {"email": "nobody@nowhere.fr"}, headers=headers)
    assert mail.outbox == []
    client.post(reverse("password_reset"), {"email": world.agent.email}, headers=headers)
    (message,) = mail.outbox
    assert "nouveau mot de passe" in message.subject
    assert "Pour choisir un nouveau mot de passe" in message.body


# --- language switch -------------------------------------------------------------------------
@pytest.mark.parametrize("logged_in", [False, True])
def test_language_switch_in_the_layout(client, world, settings, logged_in):
    settings.LANGUAGE_CODE = "fr"
    if logged_in:
        client.force_login(world.agent)
    url = reverse("workspace:list") if logged_in else reverse("login")
    page = client.get(url).content.decode()
    assert f'action="{reverse("set_language")}"' in page and 'value="en"' in page
    assert ("Dossiers" if logged_in else "Mot de passe") in page
    response = client.post(reverse("set_language"), {"language": "en", "next": url})
    assert response.status_code == 302 and response.url == url
    page = client.get(url).content.decode()
    assert ("Cases" if logged_in else "Password") in page
    client.post(reverse("set_language"), {"language": "fr", "next": url})
    assert ("Dossiers" if logged_in else "Mot de passe") in client.get(url).content.decode()


# --- two-factor authentication (TOTP) --------------------------------------------------------
def enrol(client, user: User) -> TOTPDevice:
    page = client.get(reverse("two_factor_enrol"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "<svg" in html and "data-manual-key" in html
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    key = re.search(r"data-manual-key>([A-Z2-7 ]+)<", html).group(1).replace(" ", "")
    assert key == __import__("base64").b32encode(device.bin_key).decode()
    assert client.post(reverse("two_factor_enrol"), {"otp_token": "000000"}).status_code == 400
    with time_machine.travel(timezone.now() + timedelta(seconds=2)):  # django-otp's throttle
        response = client.post(reverse("two_factor_enrol"), {"otp_token": code(device)})
    assert response.status_code == 302
    device.refresh_from_db()
    assert device.confirmed
    return device


def test_user_enrols_then_must_give_a_code_at_login(client, world):
    log_in(client, world.agent.email)
    assert client.get(reverse("account")).context["device"] is None
    device = enrol(client, world.agent)
    assert client.get(reverse("workspace:list")).status_code == 200  # verified by enrolment
    client.post(reverse("logout"))

    response = log_in(client, world.agent.email)
    assert response.status_code == 302
    # The password alone opens no page: every one sends to the code.
    for url in (reverse("workspace:list"), reverse("account"), reverse("admin:index")):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.url.startswith(reverse("two_factor_verify")), url
    wrong = client.post(reverse("two_factor_verify"), {"otp_token": "123456"})
    assert wrong.status_code == 400 and "not the right one" in wrong.content.decode()
    # A later 30-second code (the enrolment used one), after django-otp's throttle.
    with time_machine.travel(timezone.now() + timedelta(seconds=65)):
        response = client.post(
            reverse("two_factor_verify"),
            {"otp_token": code(device), "next": reverse("workspace:list")},
        )
    assert response.status_code == 302 and response.url == reverse("workspace:list")
    assert client.get(reverse("workspace:list")).status_code == 200


def test_a_code_is_accepted_once(client, world):
    log_in(client, world.agent.email)
    device = enrol(client, world.agent)
    used = code(device)  # the enrolment consumed it
    client.post(reverse("logout"))
    log_in(client, world.agent.email)
    assert client.post(reverse("two_factor_verify"), {"otp_token": used}).status_code == 400


def test_user_turns_two_factor_off_with_a_current_code(client, world):
    log_in(client, world.agent.email)
    device = enrol(client, world.agent)
    with time_machine.travel(timezone.now() + timedelta(seconds=65)):
        client.post(reverse("two_factor_disable"), {"otp_token": code(device)})
    assert not TOTPDevice.objects.filter(user=world.agent).exists()


def test_agency_requiring_it_sends_an_admin_without_device_to_enrol_first(client, world):
    world.agency.require_admin_2fa = True
    world.agency.save()
    log_in(client, world.admin.email)
    for url in (reverse("workspace:list"), reverse("admin:index"), reverse("account")):
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith(reverse("two_factor_enrol")), url
    page = client.get(reverse("two_factor_enrol")).content.decode()
    assert "requires two-factor authentication" in page
    device = TOTPDevice.objects.get(user=world.admin)
    client.post(reverse("two_factor_enrol"), {"otp_token": code(device)})
    assert client.get(reverse("admin:index")).status_code == 200
    # Required: it cannot be turned off.
    with time_machine.travel(timezone.now() + timedelta(seconds=65)):
        client.post(reverse("two_factor_disable"), {"otp_token": code(device)})
    assert TOTPDevice.objects.filter(user=world.admin, confirmed=True).exists()
    # Agents of that agency are not forced.
    client.post(reverse("logout"))
    log_in(client, world.agent.email)
    assert client.get(reverse("workspace:list")).status_code == 200


def test_admin_login_page_is_the_throttled_one(client):
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302
    assert response.url == f"{reverse('login')}?next=/admin/"


# --- e-mails without case --------------------------------------------------------------------
def test_emails_differing_by_case_are_one_address(world):
    with pytest.raises((ValidationError, IntegrityError)), transaction.atomic():
        User.objects.create_user(email=world.agent.email.upper(), password=PASSWORD)
    stray = User.objects.create_user(email="Someone.Else@Example.FR", password=PASSWORD)
    assert stray.email == "someone.else@example.fr"
    # Even a write that bypasses the model is refused by the database.
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.filter(pk=stray.pk).update(email=world.agent.email.upper())


def test_login_ignores_the_case_of_the_address(client, world):
    response = log_in(client, "  " + world.agent.email.upper())
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(world.agent.pk)


def test_back_office_refuses_an_address_differing_only_by_case(client, world):
    ops = User.objects.create_superuser(email="ops@example.fr", password=PASSWORD)
    client.force_login(ops)
    response = client.post(
        reverse("admin:collectio_user_add"),
        {
            "email": world.agent.email.upper(),
            "password1": "Another-pass-42",
            "password2": "Another-pass-42",
            "usable_password": "true",
        },
    )
    assert response.status_code == 200
    assert "already exists" in response.content.decode()
    assert User.objects.filter(email__iexact=world.agent.email).count() == 1


def test_admin_of_a_membership_sees_a_readable_constraint_error(client, world):
    """The check constraint is explained in words, not by its name."""
    ops = User.objects.create_superuser(email="ops@example.fr", password=PASSWORD)
    person = User.objects.create_user(email="new.agent@alpha.fr", password=PASSWORD)
    client.force_login(ops)
    response = client.post(
        reverse("admin:collectio_membership_add"),
        {"user": person.pk, "agency": world.agency.pk, "role": Role.CREDITOR_USER},
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "membership_creditor_iff_creditor_user" not in html
    assert "A creditor user needs a creditor" in html


def test_new_user_factory_still_works_for_the_other_agency(world):
    """The world's users are untouched by the normalisation (already lower case)."""
    user = factories.new_user(world.other_agency, Role.AGENT, email="MIXED@Bravo.fr")
    assert user.email == "mixed@bravo.fr"
