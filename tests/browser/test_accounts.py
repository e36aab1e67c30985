"""Accounts in a real browser: enrol an authenticator, log in with a code, get locked out."""

from __future__ import annotations

import base64
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.browser.conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def code_for(key: str) -> str:
    return f"{totp(base64.b32decode(key.replace(' ', ''))):06d}"


def test_agent_enrols_an_authenticator_then_logs_in_with_a_code(world, live_server, page):
    log_in(page, live_server.url, world.agent.email)
    page.wait_for_url("**/cases/queues/")
    page.click("a[data-account]")
    page.click("a[href='/account/two-factor/']")
    assert page.locator("[data-qr] svg").count() == 1
    key = page.inner_text("[data-manual-key]")
    page.fill("#id_otp_token", code_for(key))
    page.click("form:has(#id_otp_token) button[type=submit]")
    page.wait_for_url("**/account/")
    assert page.get_attribute("[data-two-factor]", "data-two-factor") == "on"
    assert TOTPDevice.objects.get(user=world.agent).confirmed
    page.click("text=Se déconnecter")
    page.wait_for_url("**/login/")

    # A minute later (the enrolment used the code of its 30 seconds), log in again.
    with time_machine.travel(timezone.now() + timedelta(seconds=65)):
        log_in(page, live_server.url, world.agent.email)
        page.wait_for_url("**/account/two-factor/verify/**")
        page.goto(f"{live_server.url}/cases/")  # no page without the code
        assert "/account/two-factor/verify/" in page.url
        page.fill("#id_otp_token", "000000")
        page.click("form:has(#id_otp_token) button[type=submit]")
        assert "n'est pas le bon" in page.inner_text("main")
    with time_machine.travel(timezone.now() + timedelta(seconds=130)):  # past the throttle
        page.fill("#id_otp_token", code_for(key))
        page.click("form:has(#id_otp_token) button[type=submit]")
        page.wait_for_url("**/cases/")
        assert page.locator("table").count() == 1


def test_five_wrong_passwords_lock_the_login_in_the_page(world, live_server, page):
    for _ in range(5):
        log_in(page, live_server.url, world.agent.email, "not-the-password")
        page.wait_for_load_state()
    assert "verrouillée pendant 15 minutes" in page.inner_text("[data-locked-out]")
    log_in(page, live_server.url, world.agent.email)
    page.wait_for_load_state()
    assert "/login/" in page.url and page.locator("[data-locked-out]").count() == 1
