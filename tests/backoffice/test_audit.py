"""The audit: configuration changes and case events of the agency, searchable, read-only, and
nothing of another agency."""

from __future__ import annotations

from django.urls import reverse
from django_scopes import scopes_disabled

from cases.models import CaseEvent
from collectio.models import ConfigChange
from tests import factories


def _change(agency, label: str, summary: str, actor=None) -> ConfigChange:
    with scopes_disabled():
        return ConfigChange.objects.create(
            agency=agency, actor=actor, target=ConfigChange.Target.CREDITOR, target_label=label,
            summary=summary, changes=[{"field": "IBAN", "old": "FR76 1", "new": "FR76 2"}],
        )  # fmt: skip


def test_changes_are_listed_and_searched(world, admin_client):
    _change(world.agency, "Boulangerie Martin SAS", "Convention changed", world.admin)
    _change(world.agency, "Menuiserie Leroy", "Creditor changed", world.agent)
    _change(world.other_agency, "Bravo Secret", "Creditor changed", world.charlie)
    url = reverse("backoffice:audit")
    page = admin_client.get(url).content.decode()
    assert "Boulangerie Martin SAS" in page and "Menuiserie Leroy" in page
    assert "Bravo Secret" not in page
    found = admin_client.get(url, {"q": "martin"}).content.decode()
    assert "Boulangerie Martin SAS" in found and "Menuiserie Leroy" not in found
    by_person = admin_client.get(url, {"q": "agent@alpha"}).content.decode()
    assert "Menuiserie Leroy" in by_person and "Boulangerie Martin SAS" not in by_person
    assert "Bravo Secret" not in admin_client.get(url, {"q": "Bravo"}).content.decode()


def test_case_events_are_listed_with_who_did_them(world, admin_client):
    with scopes_disabled():
        case = factories.new_case(world.creditor)
        CaseEvent.objects.create(
            agency=world.agency, case=case, kind=CaseEvent.Kind.CALL_LOGGED, actor=world.agent,
            actor_kind=CaseEvent.ActorKind.USER,
        )  # fmt: skip
        bravo = factories.new_case(factories.new_creditor(world.other_agency, "Bravo Client"))
    page = admin_client.get(reverse("backoffice:audit"), {"tab": "events"}).content.decode()
    assert case.reference in page and 'data-event="call_logged"' in page
    assert reverse("workspace:detail", args=[bravo.pk]) not in page
    calls = admin_client.get(reverse("backoffice:audit"), {"tab": "events", "q": "call made"})
    assert 'data-event="call_logged"' in calls.content.decode()
    assert 'data-event="opened"' not in calls.content.decode()


def test_the_audit_is_read_only(world, admin_client):
    assert admin_client.post(reverse("backoffice:audit")).status_code == 405
