"""People: invitations by a one-time link that expires (its token stored hashed), resent,
revoked; accepted by choosing a password; roles changed and accounts deactivated, logged."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from collectio.models import ConfigChange, Invitation, Membership, Role, User
from collectio.selectors import invitation_token_hash
from tests import factories
from tests.outbox import run_outbox

LINK = re.compile(r"http://[^/]+(/invitation/[^/\s]+/)")


def _invite(client, **fields) -> object:
    data = {"email": "Nouvelle.Agente@Alpha.fr", "first_name": "Inès", "role": "agent"}
    data.update(fields)
    return client.post(reverse("backoffice:people"), data)


def _link(mailoutbox, index: int = -1) -> str:
    return LINK.search(mailoutbox[index].body).group(1)


def _invitation() -> Invitation:
    with scopes_disabled():
        return Invitation.objects.get()


def test_an_invitation_is_e_mailed_with_a_link_whose_token_is_stored_hashed(
    world, admin_client, mailoutbox
):
    response = _invite(admin_client)
    assert response.status_code == 302
    assert not mailoutbox  # sent from the outbox, after commit
    run_outbox()
    (mail,) = mailoutbox
    assert mail.to == ["nouvelle.agente@alpha.fr"]
    assert "Alpha Recouvrement" in mail.subject
    token = _link(mailoutbox).split("/")[2]
    invitation = _invitation()
    assert invitation.token_hash == invitation_token_hash(token) != token
    with scopes_disabled():
        change = ConfigChange.objects.get(target=ConfigChange.Target.INVITATION)
    assert change.actor == world.admin


def test_the_invitee_chooses_a_password_is_logged_in_and_the_link_is_spent(
    world, admin_client, client, mailoutbox
):
    _invite(admin_client)
    run_outbox()
    link = _link(mailoutbox)
    page = client.get(link)
    assert page.status_code == 200 and "Alpha Recouvrement" in page.content.decode()
    response = client.post(
        link,
        {
            "new_password1": "Un-mot-de-passe-solide-42",
            "new_password2": "Un-mot-de-passe-solide-42",
        },
    )
    assert response.status_code == 302
    user = User.objects.get(email="nouvelle.agente@alpha.fr")
    with scopes_disabled():
        membership = Membership.objects.get(user=user)
        invitation = Invitation.objects.get()
    assert (membership.agency, membership.role, membership.creditor) == (
        world.agency,
        "agent",
        None,
    )
    assert user.first_name == "Inès" and user.check_password("Un-mot-de-passe-solide-42")
    assert invitation.accepted_at and invitation.user == user and invitation.token_hash == ""
    assert client.get(reverse("account")).status_code == 200  # logged in
    again = client.post(
        link, {"new_password1": "Autre-mot-de-passe-77", "new_password2": "Autre-mot-de-passe-77"}
    )
    assert again.status_code == 404 and "data-invitation-invalid" in again.content.decode()
    assert User.objects.filter(email="nouvelle.agente@alpha.fr").count() == 1


def test_a_link_expires_after_seven_days(world, admin_client, client, mailoutbox):
    _invite(admin_client)
    run_outbox()
    link = _link(mailoutbox)
    with time_machine.travel(timezone.now() + timedelta(days=7, minutes=1)):
        response = client.post(
            link, {"new_password1": "Un-mot-de-passe-42!", "new_password2": "Un-mot-de-passe-42!"}
        )
    assert response.status_code == 404
    assert not User.objects.filter(email="nouvelle.agente@alpha.fr").exists()


def test_resending_voids_the_earlier_link(world, admin_client, client, mailoutbox):
    _invite(admin_client)
    run_outbox()
    first = _link(mailoutbox)
    with time_machine.travel(timezone.now() + timedelta(days=6)):
        admin_client.post(reverse("backoffice:invitation_resend", args=[_invitation().pk]))
        run_outbox()
        second = _link(mailoutbox)
        assert first != second
        assert client.get(first).status_code == 404
    with time_machine.travel(timezone.now() + timedelta(days=12)):  # a week after the resend
        assert client.get(second).status_code == 200


def test_a_revoked_invitation_opens_nothing_and_cannot_be_resent(
    world, admin_client, client, mailoutbox
):
    _invite(admin_client)
    run_outbox()
    link = _link(mailoutbox)
    admin_client.post(reverse("backoffice:invitation_revoke", args=[_invitation().pk]))
    assert client.get(link).status_code == 404
    response = admin_client.post(
        reverse("backoffice:invitation_resend", args=[_invitation().pk]), follow=True
    )
    assert "This invitation was revoked." in response.content.decode()
    run_outbox()
    assert len(mailoutbox) == 1


def test_a_revoked_invitation_sends_nothing_if_revoked_before_the_e_mail_left(
    world, admin_client, mailoutbox
):
    _invite(admin_client)
    admin_client.post(reverse("backoffice:invitation_revoke", args=[_invitation().pk]))
    run_outbox()
    assert not mailoutbox


def test_another_agencys_admin_cannot_touch_the_invitation(world, admin_client, client, mailoutbox):
    _invite(admin_client)
    client.force_login(world.charlie)
    pk = _invitation().pk
    assert client.post(reverse("backoffice:invitation_revoke", args=[pk])).status_code == 404
    assert client.post(reverse("backoffice:invitation_resend", args=[pk])).status_code == 404
    assert _invitation().revoked_at is None


def test_a_creditor_user_is_invited_for_one_of_the_agencys_creditors(
    world, admin_client, client, mailoutbox
):
    _invite(
        admin_client, email="compta@martin.fr", role="creditor_user", creditor=world.creditor.pk
    )
    run_outbox()
    client.post(
        _link(mailoutbox),
        {"new_password1": "Un-mot-de-passe-42!", "new_password2": "Un-mot-de-passe-42!"},
    )
    with scopes_disabled():
        membership = Membership.objects.get(user__email="compta@martin.fr")
    assert membership.creditor == world.creditor and membership.role == Role.CREDITOR_USER


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"email": "pas-une-adresse"}, "Saisissez une adresse e-mail valide."),
        ({"email": "AGENT@alpha.fr"}, "Un utilisateur possède déjà cette adresse e-mail."),
        ({"role": "creditor_user"}, "Un utilisateur créancier appartient à un créancier."),
        ({"role": "boss"}, "Sélectionnez un choix valide."),
        ({"creditor": "CREDITOR"}, "Seul un utilisateur créancier appartient à un créancier."),
        ({"role": "creditor_user", "creditor": "BRAVO"}, "Sélectionnez un choix valide."),
        (
            {"email": "PENDING"},
            "Une invitation à cette adresse est en attente : renvoyez-la plutôt.",
        ),
    ],
)
def test_bad_invitations_are_refused_in_french_and_nothing_is_written(
    world, french_client, fields, message
):
    if fields.get("creditor") == "CREDITOR":
        fields["creditor"] = world.creditor.pk
    if fields.get("creditor") == "BRAVO":
        fields["creditor"] = factories.new_creditor(world.other_agency, "Bravo Client").pk
    if fields.get("email") == "PENDING":
        with scopes_disabled():
            Invitation.objects.create(
                agency=world.agency, email="deja@alpha.fr", role="agent", invited_by=world.admin,
                expires_at=timezone.now() + timedelta(days=1),
            )  # fmt: skip
        fields["email"] = "Deja@alpha.fr"
    with scopes_disabled():
        before = Invitation.objects.count()
    response = _invite(french_client, **fields)
    assert response.status_code == 400
    assert message in unescape(response.content.decode())
    with scopes_disabled():
        assert Invitation.objects.count() == before
        assert not ConfigChange.objects.exists()


def test_a_weak_password_is_refused_in_french_and_no_account_is_made(
    world, admin_client, mailoutbox
):
    _invite(admin_client)
    run_outbox()
    invitee = Client(headers={"accept-language": "fr"})
    response = invitee.post(_link(mailoutbox), {"new_password1": "1234", "new_password2": "1234"})
    assert response.status_code == 400
    assert "Ce mot de passe est trop court." in unescape(response.content.decode())
    assert not User.objects.filter(email="nouvelle.agente@alpha.fr").exists()


def test_role_changes_are_logged_and_the_last_admin_stays(world, admin_client, french_client):
    membership = world.agent.membership
    url = reverse("backoffice:member_role", args=[membership.pk])
    admin_client.post(url, {f"m{membership.pk}-role": "admin"})
    with scopes_disabled():
        assert Membership.objects.get(pk=membership.pk).role == Role.ADMIN
        change = ConfigChange.objects.get(target=ConfigChange.Target.MEMBERSHIP)
    assert change.changes == [
        {"field": "role", "old": "Collection agent", "new": "Agency administrator"}
    ]
    # Two admins now; back to one, then the last one may not step down.
    admin_client.post(url, {f"m{membership.pk}-role": "agent"})
    own = world.admin.membership
    response = french_client.post(
        reverse("backoffice:member_role", args=[own.pk]), {f"m{own.pk}-role": "agent"}, follow=True
    )
    assert "L'agence doit garder au moins un administrateur." in unescape(response.content.decode())
    with scopes_disabled():
        assert Membership.objects.get(pk=own.pk).role == Role.ADMIN


def test_a_deactivated_person_can_no_longer_log_in(world, admin_client, client):
    membership = world.agent.membership
    admin_client.post(reverse("backoffice:member_active", args=[membership.pk]), {"active": "0"})
    world.agent.refresh_from_db()
    assert not world.agent.is_active
    login = {"username": "agent@alpha.fr", "password": "secret-pass-123"}
    assert client.post(reverse("login"), login).status_code == 200  # the form again, refused
    with scopes_disabled():
        assert ConfigChange.objects.get().summary == "Account deactivated"
    response = admin_client.post(
        reverse("backoffice:member_active", args=[world.admin.membership.pk]), {"active": "0"}
    )
    world.admin.refresh_from_db()
    assert response.status_code == 302 and world.admin.is_active  # never oneself


def test_the_creditor_page_invites_someone_of_that_creditor(world, admin_client):
    page = admin_client.get(reverse("backoffice:creditor_edit", args=[world.creditor.pk]))
    link = f"{reverse('backoffice:people')}?creditor={world.creditor.pk}"
    assert link in page.content.decode()
    form = admin_client.get(link).context["invite_form"]
    assert (
        form["role"].value() == Role.CREDITOR_USER and form["creditor"].value() == world.creditor.pk
    )
