"""Agency figures: cases and principal entrusted, money recovered by creditor and month, the
recovery rate, letters by channel with their failures, each person's activity; the same
figures exported to CSV and to Excel (openpyxl)."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import openpyxl
import pytest
import time_machine
from django.urls import reverse
from django_scopes import scopes_disabled

from backoffice.selectors import agency_figures, month_range
from cases.models import CaseEvent
from notices.models import Channel, LetterKind, Notice
from payments.models import Payment
from tests import factories

PARIS = ZoneInfo("Europe/Paris")
TODAY = date(2026, 6, 15)


def _at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 10, tzinfo=PARIS)


@pytest.fixture
def activity(world):
    """Martin: 1 000 € entrusted in April, 500 € in May, 300 € paid in May and 200 € in June.
    Leroy: 2 000 € in May, nothing paid. Bravo's case and payment must count nowhere."""
    with scopes_disabled():
        april = factories.new_case(
            world.creditor, principal=Decimal("1000.00"), opened_at=_at(date(2026, 4, 2))
        )
        may = factories.new_case(
            world.creditor, principal=Decimal("500.00"), opened_at=_at(date(2026, 5, 31))
        )
        factories.new_case(
            world.other_creditor, principal=Decimal("2000.00"), opened_at=_at(date(2026, 5, 3))
        )
        old = factories.new_case(
            world.creditor, principal=Decimal("9999.00"), opened_at=_at(date(2025, 1, 3))
        )
        for case, day, amount in (
            (april, date(2026, 5, 20), "300.00"),
            (may, date(2026, 6, 1), "200.00"),
            (old, date(2026, 6, 2), "50.00"),
        ):
            Payment.objects.create(
                agency=world.agency,
                case=case,
                amount=Decimal(amount),
                received_on=day,
                method=Payment.Method.TRANSFER,
            )
        bravo = factories.new_case(
            factories.new_creditor(world.other_agency, "Bravo Client"),
            opened_at=_at(date(2026, 5, 3)),
        )
        Payment.objects.create(
            agency=world.other_agency,
            case=bravo,
            amount=Decimal("77.00"),
            received_on=date(2026, 5, 4),
            method=Payment.Method.TRANSFER,
        )
        for n, (channel, status) in enumerate(
            (
                ("letter", "sent"),
                ("letter", "sent"),
                ("email", "failed"),
                ("email", "sent"),
                ("sms", "draft"),
            )
        ):
            sent = {
                "sent_at": _at(date(2026, 5, 2)),
                "rendered_at": _at(date(2026, 5, 2)),
                "body": "x",
            }
            with time_machine.travel(_at(date(2026, 5, 2))):  # created in May
                Notice.objects.create(
                    agency=world.agency, creditor=world.creditor, case=april,
                    reference=f"L-{channel}-{status}-{n}",
                    kind=LetterKind.FIRST_REMINDER, channel=channel, status=status,
                    statement_on=date(2026, 5, 1), **(sent if status == "sent" else {}),
                )  # fmt: skip
        for kind in (
            CaseEvent.Kind.CALL_LOGGED,
            CaseEvent.Kind.CALL_LOGGED,
            CaseEvent.Kind.PAYMENT,
        ):
            CaseEvent.objects.create(
                agency=world.agency, case=april, kind=kind, actor=world.agent,
                actor_kind=CaseEvent.ActorKind.USER, at=_at(date(2026, 5, 20)),
            )  # fmt: skip
    return world


def _figures(world):
    with scopes_disabled(), time_machine.travel(_at(TODAY)):
        return agency_figures(agency_id=world.agency.pk, end=TODAY, months=3)


def test_months_run_back_from_the_current_one():
    assert month_range(date(2026, 2, 10), 3) == [
        date(2025, 12, 1),
        date(2026, 1, 1),
        date(2026, 2, 1),
    ]


def test_entrusted_recovered_and_rate_by_creditor_and_month(activity):
    figures = _figures(activity)
    martin, leroy = figures.creditors
    assert martin.creditor == activity.creditor
    assert (martin.entrusted_cases, martin.entrusted_principal) == (2, Decimal("1500.00"))
    assert martin.recovered == Decimal("550.00")  # the old case's payment was received in June
    assert martin.recovery_rate == Decimal("33.3")  # 500 paid on the 1 500 entrusted
    assert martin.by_month[date(2026, 5, 1)] == {
        "cases": 1,
        "principal": Decimal("500.00"),
        "recovered": Decimal("300.00"),
    }
    assert (leroy.entrusted_principal, leroy.recovered, leroy.recovery_rate) == (
        Decimal("2000.00"),
        0,
        Decimal("0.0"),
    )
    assert figures.totals["rate"] == Decimal("14.3")  # 500 / 3 500


def test_letters_by_channel_and_their_failures(activity):
    letters = {row["channel"]: row for row in _figures(activity).letters}
    assert (letters[Channel.LETTER]["sent"], letters[Channel.EMAIL]["failed"]) == (2, 1)
    assert letters[Channel.SMS]["pending"] == 1
    assert _figures(activity).totals["failed"] == 1


def test_each_persons_activity(activity):
    agents = {row["user"]: row for row in _figures(activity).agents}
    row = agents[activity.agent]
    assert (row["calls"], row["payments"], row["total"], row["cases"]) == (2, 1, 3, 1)
    assert agents[activity.admin]["total"] == 0


@time_machine.travel(_at(TODAY))
def test_the_page_and_its_exports(activity, client):
    client.force_login(activity.admin)
    page = client.get(reverse("backoffice:figures"), {"months": 3}).content.decode()
    assert 'data-chart="chart-recovered"' in page and 'id="chart-recovered"' in page
    assert "1 500,00 €" in " ".join(page.replace("\u202f", " ").replace("\xa0", " ").split())
    exported = client.get(reverse("backoffice:figures_csv"), {"months": 3})
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][0] == "Creditor"
    assert [activity.creditor.legal_name, "2026-05", "1", "500,00", "300,00"] in rows
    workbook = openpyxl.load_workbook(
        io.BytesIO(client.get(reverse("backoffice:figures_xlsx"), {"months": 3}).content)
    )
    sheet = workbook.worksheets[0]
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert [activity.creditor.legal_name, "2026-05", 1, 500, 300] in values
    assert [row[0].value for row in workbook["Activity"].iter_rows()][1:] != []
