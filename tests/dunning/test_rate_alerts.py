"""A missing semester of reference rates: banner on staff pages, daily alert to operators, and
only what needs the rate refused (issue 8 item 7, REQ-R1)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.urls import reverse

from cases import services as case_services
from collectio.celery import app
from collectio.models import User
from collectio.money import euros
from dunning.models import ReferenceRate
from dunning.services import reference_rates_alert
from dunning.statement import case_statement
from dunning.tasks import reference_rates_alert as reference_rates_alert_task
from law.interest import RateMissing
from tests import factories

DATA = Path(__file__).parent / "data"
TODAY = date(2026, 12, 1)  # in 2026-S2, which legal-fr.md's table does not reach


def open_case(world, due: date = date(2026, 5, 10)):
    return case_services.case_open(
        agency=world.agency,
        creditor=world.creditor,
        debtor=factories.new_debtor(world.agency),
        claims=[
            case_services.ClaimInput(
                invoice_number="F-2026-0510",
                invoice_date=date(2026, 4, 10),
                due_date=due,
                principal=Decimal("2000.00"),
                debt_kind="b2b",
            )
        ],
        actor=None,
    )


@pytest.fixture
def operator(db):
    return User.objects.create_superuser(email="ops@collectio.example", password="secret-pass-123")


# --- the banner -----------------------------------------------------------------------------
@time_machine.travel(TODAY)
@pytest.mark.parametrize("who", ["agent", "admin"])
def test_every_staff_page_shows_the_missing_semester_and_the_fix(client, alpha_scope, who):
    case = open_case(alpha_scope)
    client.force_login(getattr(alpha_scope, who))
    for url in (
        reverse("workspace:list"),
        reverse("workspace:detail", args=[case.pk]),
        reverse("dunning:confirmations"),
    ):
        page = client.get(url).content.decode()
        assert 'data-rate-gap="2026-S2"' in page, url
        assert "Reference rates for 2026-S2 are missing" in page
        assert "manage.py import_reference_rates --ecb" in page


@time_machine.travel(TODAY)
def test_the_admin_shows_it_to_agency_admins_and_operators(client, alpha_scope, operator):
    for user in (alpha_scope.admin, operator):
        client.force_login(user)
        page = client.get(reverse("admin:index")).content.decode()
        assert 'data-rate-gap="2026-S2"' in page


@time_machine.travel(TODAY)
def test_creditor_users_do_not_see_it(client, alpha_scope):
    client.force_login(alpha_scope.creditor_user)
    page = client.get(reverse("workspace:list")).content.decode()
    assert "data-rate-gap" not in page


@pytest.mark.parametrize(
    ("today", "semesters"),
    [
        (date(2026, 3, 15), []),
        (date(2026, 6, 15), []),  # 16 days before 2026-S2
        (date(2026, 6, 16), ["2026-S2"]),  # 15 days before: looked for from now on
        (date(2026, 7, 1), ["2026-S2"]),
    ],
)
def test_banner_starts_fifteen_days_before_the_semester(client, alpha_scope, today, semesters):
    client.force_login(alpha_scope.agent)
    with time_machine.travel(today):
        page = client.get(reverse("workspace:list")).content.decode()
    assert [s for s in ("2026-S1", "2026-S2") if f'data-rate-gap="{s}"' in page] == semesters
    if today < date(2026, 7, 1) and semesters:
        assert "needed from July 1, 2026, are not loaded yet" in page


@time_machine.travel(TODAY)
def test_demo_copies_are_shown_as_provisional(client, alpha_scope):
    from demo.seed import _demo_rates_up_to

    _demo_rates_up_to(TODAY)
    client.force_login(alpha_scope.agent)
    page = client.get(reverse("workspace:list")).content.decode()
    assert "Reference rates for 2026-S2 are provisional, not published values" in page
    assert "are missing" not in page


# --- only what needs the rate is refused ------------------------------------------------------
@time_machine.travel(TODAY)
def test_case_page_opens_with_the_statement_error_in_place(client, alpha_scope):
    case = open_case(alpha_scope)
    client.force_login(alpha_scope.agent)
    response = client.get(reverse("workspace:detail", args=[case.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert case.reference in page
    assert (
        "RATE_MISSING(2026-S2): the ECB main refinancing operations rate for 2026-S2 is not "
        "loaded, so this amount cannot be computed." in page
    )
    assert 'data-transition="reject"' in page  # the rest of the page works


@time_machine.travel(TODAY)
def test_letter_needing_the_rate_is_blocked_with_the_fix(alpha_scope, settings, tmp_path):
    from notices import services
    from notices.models import Channel, LetterKind, Notice
    from notices.selectors import LetterBlocked
    from tests.notices.conftest import sent_first_letter

    settings.MEDIA_ROOT = tmp_path
    case = open_case(alpha_scope)
    sent_first_letter(case, date(2026, 6, 1))
    notice = services.notice_create(
        case=case, kind=LetterKind.SECOND_REMINDER, channel=Channel.LETTER, actor=None
    )
    with pytest.raises(LetterBlocked, match=r"RATE_MISSING\(2026-S2\)"):
        services.notice_render(notice=notice)
    assert Notice.objects.get(pk=notice.pk).status == Notice.Status.DRAFT  # nothing half-written


# --- the daily alert to platform operators ----------------------------------------------------
@pytest.mark.parametrize(
    ("today", "sent"),
    [(date(2026, 6, 10), False), (date(2026, 6, 16), True), (TODAY, True)],
)
def test_operators_are_alerted_daily_from_fifteen_days_before(world, operator, today, sent):
    factories.new_user(world.agency, "admin", is_staff=True, email="not-an-operator@alpha.fr")
    with time_machine.travel(today):
        assert reference_rates_alert_task() == (1 if sent else 0)
    assert len(mail.outbox) == (1 if sent else 0)
    if sent:
        (message,) = mail.outbox
        assert message.to == ["ops@collectio.example"]
        assert "2026-S2" in message.subject
        assert "legal rate, other cases" in message.body
        assert "manage.py import_reference_rates" in message.body


def test_no_alert_once_the_semester_is_loaded(world, operator):
    with time_machine.travel(TODAY):
        call_command(
            "import_reference_rates",
            "--ecb",
            str(DATA / "ecb_mro_data_portal.csv"),
            "--legal",
            str(DATA / "legal_rates_2026_s2.csv"),
            stdout=StringIO(),
        )
        assert reference_rates_alert(today=TODAY) == []
    assert mail.outbox == []


def test_the_alert_is_on_the_beat_schedule():
    app.finalize()
    schedule = app.conf.beat_schedule
    assert any(e["task"] == "dunning.tasks.reference_rates_alert" for e in schedule.values())


# --- done when: the demo-like statement of today works once 2026-S2 is imported ---------------
@time_machine.travel(TODAY)
def test_todays_statement_works_after_importing_2026_s2(client, alpha_scope):
    case = open_case(alpha_scope)
    with pytest.raises(RateMissing, match=r"RATE_MISSING\(2026-S2\)"):
        case_statement(case, on=TODAY)
    out = StringIO()
    call_command(
        "import_reference_rates",
        "--ecb",
        str(DATA / "ecb_mro_data_portal.csv"),
        "--legal",
        str(DATA / "legal_rates_2026_s2.csv"),
        stdout=out,
    )
    assert not ReferenceRate.objects.filter(source__startswith="DEMO ONLY").exists()
    (line,) = case_statement(case, on=TODAY).claims
    # 2026-05-11 to 06-30: 51 days at 12.15 %; 07-01 to 12-01: 154 days at 2.15 + 10 %.
    assert [(a.segment.days, a.segment.rate) for a in line.accruals] == [
        (51, Decimal("12.150")),
        (154, Decimal("12.150")),
    ]
    assert line.interest == Decimal("136.48")  # 33.9534 + 102.5260
    assert line.balance == Decimal("2176.48")
    client.force_login(alpha_scope.agent)
    page = client.get(reverse("workspace:detail", args=[case.pk])).content.decode()
    assert "RATE_MISSING" not in page and "data-rate-gap" not in page
    assert euros(Decimal("2176.48")) in page  # the one money format, whatever the language


@time_machine.travel(TODAY)
def test_the_banner_is_in_french_by_default(client, alpha_scope, settings):
    settings.LANGUAGE_CODE = "fr"
    client.force_login(alpha_scope.agent)
    page = client.get(reverse("workspace:list"), headers={"accept-language": "fr"}).content.decode()
    assert "Taux de référence manquants pour 2026-S2 : taux des opérations principales" in page
    assert "taux légal, autres cas" in page
    assert "Correction : un opérateur de la plateforme lance" in page
