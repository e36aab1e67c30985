"""The back-office pages of the API: keys shown once, revoked for good; subscriptions and their
delivery log, with replay. Agency administrators only."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from django.urls import reverse
from django_scopes import scopes_disabled

from api.models import ApiKey, WebhookDelivery, WebhookSubscription
from collectio.outbox import OutboxMessage
from tests import factories
from tests.api.conftest import client_for

pytestmark = pytest.mark.time_machine(datetime(2026, 3, 2, 10, tzinfo=UTC))


@pytest.fixture
def admin(client, world):
    client.force_login(world.admin)
    return client


def _secret(html: str) -> str:
    found = re.search(r'id="new-key"[^>]*value="([^"]+)"', html)
    return found.group(1) if found else ""


def test_an_admin_creates_a_key_shown_once_that_works(admin, world):
    response = admin.post(
        reverse("api:manage_keys"),
        {"name": "Sage de Martin", "creditor": world.creditor.pk, **factories.once()},
    )
    assert response.status_code == 200
    secret = _secret(response.content.decode())
    assert secret.count(".") == 1
    with scopes_disabled():
        key = ApiKey.objects.get(name="Sage de Martin")
    assert key.creditor == world.creditor and secret.split(".")[1] not in key.hashed_key
    assert secret not in admin.get(reverse("api:manage_keys")).content.decode()
    assert client_for(secret).get(reverse("api:case_list")).status_code == 200


def test_a_key_form_with_errors_writes_nothing(admin, world):
    response = admin.post(
        reverse("api:manage_keys"), {"name": "", "expires_on": "2020-01-01", **factories.once()}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "is-invalid" in html and "invalid-feedback" in html
    expired = admin.post(
        reverse("api:manage_keys"), {"name": "Old", "expires_on": "2020-01-01", **factories.once()}
    )
    assert "The expiry must be in the future." in expired.content.decode()
    with scopes_disabled():
        assert not ApiKey.objects.exists()


def test_one_form_creates_one_key(admin):
    data = {"name": "Twice", **factories.once()}
    admin.post(reverse("api:manage_keys"), data)
    again = admin.post(reverse("api:manage_keys"), data)
    assert not _secret(again.content.decode())
    with scopes_disabled():
        assert ApiKey.objects.filter(name="Twice").count() == 1


def test_revoked_keys_stop_working(admin, world, keys):
    with scopes_disabled():
        key = ApiKey.objects.get(prefix=keys.agency.partition(".")[0])
    response = admin.post(reverse("api:manage_key_revoke", args=[key.pk]), factories.once())
    assert response.status_code == 302
    assert client_for(keys.agency).get(reverse("api:case_list")).status_code == 401
    page = admin.get(reverse("api:manage_keys")).content.decode()
    assert f'data-key="{key.pk}"' in page and "Revoked" in page


@pytest.mark.parametrize("who", ["agent", "creditor_user", "charlie"])
def test_only_the_agencys_admins_see_the_pages(client, world, keys, who):
    with scopes_disabled():
        key = ApiKey.objects.get(prefix=keys.agency.partition(".")[0])
    client.force_login(getattr(world, who))
    for url in (reverse("api:manage_keys"), reverse("api:manage_subscriptions")):
        page = client.get(url)
        if who == "charlie":  # his own agency's pages, without a row of Alpha's
            assert f'data-key="{key.pk}"' not in page.content.decode()
        else:
            assert page.status_code == 404
    revoke = client.post(reverse("api:manage_key_revoke", args=[key.pk]), factories.once())
    assert revoke.status_code == 404
    with scopes_disabled():
        assert not ApiKey.objects.get(pk=key.pk).revoked


def test_subscriptions_with_their_secret_log_and_replay(admin, world, keys):
    with scopes_disabled():
        key = ApiKey.objects.get(prefix=keys.creditor.partition(".")[0])
    bad = admin.post(
        reverse("api:manage_subscriptions"),
        {"api_key": key.pk, "url": "ftp://x", **factories.once()},
    )
    assert bad.status_code == 400 and "is-invalid" in bad.content.decode()
    created = admin.post(
        reverse("api:manage_subscriptions"),
        {
            "api_key": key.pk,
            "url": "http://127.0.0.1:9/hooks",
            "event_types": ["case.created", "payment.recorded"],
            **factories.once(),
        },
    )
    assert created.status_code == 302
    with scopes_disabled():
        subscription = WebhookSubscription.objects.get()
    assert subscription.event_types == ["case.created", "payment.recorded"]
    page = admin.get(reverse("api:manage_subscription", args=[subscription.pk])).content.decode()
    assert subscription.secret in page
    with scopes_disabled():
        delivery = WebhookDelivery.objects.create(
            agency=world.agency, subscription=subscription, message_id="msg_x",
            event_type="case.created", status=WebhookDelivery.Status.FAILED, attempts=14,
            last_status_code=500, payload={"type": "case.created"},
        )  # fmt: skip
    page = admin.get(reverse("api:manage_subscription", args=[subscription.pk])).content.decode()
    assert f'data-delivery="{delivery.pk}" data-status="failed"' in page and "HTTP 500" in page
    replayed = admin.post(
        reverse("api:manage_delivery_replay", args=[delivery.pk]), factories.once()
    )
    assert replayed.status_code == 302
    with scopes_disabled():
        delivery.refresh_from_db()
        assert delivery.status == "pending"
        assert OutboxMessage.objects.filter(kind="api.webhook_send").count() == 1
    test = admin.post(
        reverse("api:manage_subscription_test", args=[subscription.pk]), factories.once()
    )
    assert test.status_code == 302
    with scopes_disabled():
        assert WebhookDelivery.objects.filter(event_type="webhook.test").exists()
    edited = admin.post(
        reverse("api:manage_subscription", args=[subscription.pk]),
        {"url": "http://127.0.0.1:9/other", "is_active": "", **factories.once()},
    )
    assert edited.status_code == 302
    with scopes_disabled():
        subscription.refresh_from_db()
    assert (subscription.url, subscription.is_active, subscription.event_types) == (
        "http://127.0.0.1:9/other",
        False,
        [],
    )


def test_public_urls_only_in_production(settings, world, keys):
    settings.API_WEBHOOKS_ALLOW_PRIVATE = False
    from django.core.exceptions import ValidationError

    from api.webhooks import validate_webhook_url

    for url in ("http://erp.example.fr/hooks", "https://127.0.0.1/hooks", "https://10.0.0.3/x"):
        with pytest.raises(ValidationError):
            validate_webhook_url(url)
    validate_webhook_url("https://93.184.215.14/hooks")
