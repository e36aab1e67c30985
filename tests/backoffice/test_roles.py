"""Only the agency's administrators reach the back-office: to an agent, a creditor user or a
user without a membership every page is a 404, as a page that does not exist."""

from __future__ import annotations

import pytest
from django.urls import URLPattern, get_resolver, reverse
from django_scopes import scopes_disabled

from collectio.models import ConfigChange, User
from tests.collectio.test_access import ROUTES
from tests.collectio.test_access import alpha_objects as alpha_objects

PAGES_WITHOUT_ID = {
    "backoffice:creditors": "get",
    "backoffice:creditor_create": "post",
    "backoffice:people": "post",
    "backoffice:agency": "post",
    "backoffice:scenarios": "get",
    "backoffice:templates": "get",
    "backoffice:figures": "get",
    "backoffice:figures_csv": "get",
    "backoffice:figures_xlsx": "get",
    "backoffice:audit": "get",
}
KIND_ROUTES = {"template_edit": "post", "template_lint": "post", "template_preview": "post"}


def _admins_only(route: str) -> bool:
    """The back-office's own routes; the money pages let agents work the matching queue and
    check their roles in tests/payments/test_money_pages.py."""
    return route.startswith("backoffice:") and not route.startswith("backoffice:money:")


def _backoffice_urls(objects) -> list[tuple[str, str]]:
    urls = [(method, reverse(name)) for name, method in PAGES_WITHOUT_ID.items()]
    urls += [
        (m, reverse(f"backoffice:{n}", args=["first_reminder"])) for n, m in KIND_ROUTES.items()
    ]
    urls += [
        (method, reverse(name, args=[objects[kind].pk, *extra]))
        for name, (method, kind, extra) in ROUTES.items()
        if _admins_only(name)
    ]
    return urls


def test_every_backoffice_route_is_listed():
    (backoffice,) = [
        p for p in get_resolver().url_patterns if getattr(p, "namespace", None) == "backoffice"
    ]
    names = {f"backoffice:{p.name}" for p in backoffice.url_patterns if isinstance(p, URLPattern)}
    listed = set(PAGES_WITHOUT_ID) | {f"backoffice:{n}" for n in KIND_ROUTES}
    listed |= {n for n in ROUTES if _admins_only(n)}
    assert names == listed


@pytest.mark.parametrize("who", ["agent", "creditor_user", "nobody"])
def test_everyone_but_the_admins_gets_404(world, alpha_objects, client, who):
    user = (
        User.objects.create_user(email="nobody@example.fr", password="x-secret-pass")
        if who == "nobody"
        else getattr(world, who)
    )
    client.force_login(user)
    data = {"legal_name": "X", "email": "x@example.fr", "role": "admin", "body": "Bonjour"}
    for method, url in _backoffice_urls(alpha_objects):
        response = getattr(client, method)(url, data)
        assert response.status_code == 404, (who, url)
    with scopes_disabled():
        assert not ConfigChange.objects.exists()


def test_anonymous_visitors_are_sent_to_log_in(client):
    response = client.get(reverse("backoffice:creditors"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_the_admin_reaches_every_page(world, admin_client):
    for name, _method in PAGES_WITHOUT_ID.items():
        response = admin_client.get(reverse(name))
        assert response.status_code in (200, 405), name
    response = admin_client.get(reverse("backoffice:template_edit", args=["first_reminder"]))
    assert response.status_code == 200
    assert admin_client.get(reverse("backoffice:template_edit", args=["nope"])).status_code == 404


def test_the_agency_menu_is_shown_to_admins_only(world, admin_client, client):
    page = admin_client.get(reverse("backoffice:creditors")).content.decode()
    assert 'data-nav="backoffice"' in page
    client.force_login(world.agent)
    assert 'data-nav="backoffice"' not in client.get(reverse("workspace:list")).content.decode()
