"""An invoice is owed only once past due (issue 8 item 1; C. com. L441-10 II, D441-5, REQ-B4).

Up to and including its due date an invoice is not yet due: the statement shows it as such and
neither charges the €40 nor counts it in the amount due; letters show it and never demand it; a
case whose invoices are all not yet due cannot be sent a demand.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from cases import services as case_services
from cases.models import Case, CaseEvent, CaseState, claim_past_due
from collectio.money import euros
from dunning.planning import PARIS
from dunning.statement import case_statement
from dunning.sweep import sweep_agency
from notices import services as notice_services
from notices.models import Channel, LetterKind
from notices.selectors import LetterBlocked
from payments.models import Payment
from payments.services import payment_record
from tests import factories
from tests.notices.conftest import notice_text, sent_first_letter

B1 = ("FA-2025-0042", date(2025, 1, 30), date(2025, 3, 1), "1200.00")  # legal-fr.md REQ-B3
LATER = ("FA-2025-0630", date(2025, 5, 31), date(2025, 6, 30), "500.00")


def open_case(world, *invoices, **case_fields) -> Case:
    case = case_services.case_open(
        agency=world.agency,
        creditor=world.creditor,
        debtor=factories.new_debtor(world.agency),
        claims=[
            case_services.ClaimInput(
                invoice_number=number,
                invoice_date=issued,
                due_date=due,
                principal=Decimal(principal),
                debt_kind="b2b",
            )
            for number, issued, due, principal in invoices
        ],
        actor=None,
    )
    if case_fields:
        Case.objects.filter(pk=case.pk).update(**case_fields)
    return Case.objects.select_related("agency", "creditor", "debtor").get(pk=case.pk)


def paris(*args: int) -> datetime:
    return datetime(*args, tzinfo=PARIS)


def sweep_at(world, moment: datetime):
    with time_machine.travel(moment, tick=False):
        return sweep_agency(agency_id=world.agency.pk)


def pay(case, amount, on):
    Payment.objects.create(
        agency_id=case.agency_id, case=case, amount=Decimal(amount), received_on=on, method="cheque"
    )


# --- the statement ----------------------------------------------------------------------------
def test_invoice_not_yet_due_carries_nothing_and_is_not_owed(alpha_scope):
    """The issue's example: due 2026-06-30, read on 2026-05-15."""
    case = open_case(alpha_scope, ("F-2026-0630", date(2026, 5, 1), date(2026, 6, 30), "1000.00"))
    statement = case_statement(case, on=date(2026, 5, 15))
    (line,) = statement.claims
    assert line.not_yet_due
    assert (line.interest, line.indemnity) == (Decimal("0"), Decimal("0"))
    assert statement.balance == Decimal("0")
    assert statement.indemnity == Decimal("0")
    assert statement.not_yet_due == Decimal("1000.00")
    assert statement.outstanding == Decimal("1000.00")


def test_on_its_due_date_it_is_still_not_due_and_the_day_after_it_is(alpha_scope):
    case = open_case(alpha_scope, LATER)
    assert case_statement(case, on=date(2025, 6, 30)).claims[0].not_yet_due
    after = case_statement(case, on=date(2025, 7, 1))
    (line,) = after.claims
    assert not line.not_yet_due
    assert line.indemnity == Decimal("40.00")
    assert line.interest == Decimal("0.17")  # one day at 12.15 % on 500.00
    assert after.balance == Decimal("540.17")


def test_only_the_past_due_invoice_is_demanded(alpha_scope):
    """B1 is reproduced to the cent beside an invoice that falls due later."""
    case = open_case(alpha_scope, B1, LATER)
    statement = case_statement(case, on=date(2025, 6, 15))
    assert [c.not_yet_due for c in statement.claims] == [False, True]
    assert statement.interest == Decimal("45.83")
    assert statement.indemnity == Decimal("40.00")  # one late invoice, not two
    assert statement.balance == Decimal("1285.83")
    assert statement.not_yet_due == Decimal("500.00")
    assert statement.outstanding == Decimal("1785.83")


@pytest.mark.parametrize("paid_on", [date(2025, 2, 20), date(2025, 3, 1)])
def test_an_invoice_paid_by_its_due_date_owes_no_indemnity(alpha_scope, paid_on):
    case = open_case(alpha_scope, B1)
    pay(case, "1200.00", paid_on)
    statement = case_statement(case, on=date(2025, 6, 15))
    assert statement.indemnity == Decimal("0")
    assert statement.balance == Decimal("0")


def test_an_invoice_paid_one_day_late_owes_the_indemnity(alpha_scope):
    case = open_case(alpha_scope, B1)
    pay(case, "1200.00", date(2025, 3, 2))
    statement = case_statement(case, on=date(2025, 6, 15))
    assert statement.indemnity == Decimal("40.00")
    # The day's interest (0.43) is paid first, so 0.43 of principal stays and bears 0.02 more.
    assert statement.balance == Decimal("40.45")


def test_a_payment_goes_to_due_invoices_first_and_does_not_close_the_case(alpha_scope):
    case = open_case(alpha_scope, B1, LATER, state=CaseState.REMINDER)
    with time_machine.travel(date(2025, 6, 16)):
        payment_record(
            case=case,
            amount=Decimal("1285.83"),
            received_on=date(2025, 6, 15),
            method="transfer",
            actor=alpha_scope.agent,
        )
    case.refresh_from_db()
    assert case.state == CaseState.REMINDER  # the June invoice is still to be paid
    assert case.principal_due == Decimal("500.00")
    assert CaseEvent.objects.get(case=case, kind="payment").payload["balance"] == "500.00"


def test_legal_interest_runs_from_the_notice_only_on_what_was_due(alpha_scope):
    """C2 beside an invoice due after the notice: the notice cannot put it in default."""
    from debtors.models import Debtor

    debtor = factories.new_debtor(alpha_scope.agency, kind=Debtor.Kind.PERSON, siren="")
    case = case_services.case_open(
        agency=alpha_scope.agency,
        creditor=alpha_scope.creditor,
        debtor=debtor,
        claims=[
            case_services.ClaimInput(
                invoice_number="C2",
                invoice_date=date(2025, 5, 1),
                due_date=date(2025, 6, 1),
                principal=Decimal("850.00"),
                debt_kind="consumer",
            ),
            case_services.ClaimInput(
                invoice_number="C3",
                invoice_date=date(2025, 11, 1),
                due_date=date(2025, 12, 31),
                principal=Decimal("850.00"),
                debt_kind="consumer",
            ),
        ],
        actor=None,
    )
    Case.objects.filter(pk=case.pk).update(formal_notice_received_on=date(2025, 10, 10))
    case = Case.objects.select_related("agency", "creditor", "debtor").get(pk=case.pk)
    c2, c3 = case_statement(case, on=date(2026, 1, 20)).claims
    assert c2.interest == Decimal("6.49")  # REQ-C2
    assert c3.interest_from == date(2025, 12, 31)
    assert c3.interest == Decimal("1.22")  # 20 days of 2026 at 2.62 %, nothing before


# --- a case with nothing past due cannot be sent a demand -------------------------------------
@time_machine.travel(date(2026, 5, 15))
def test_accept_is_refused_while_no_invoice_is_past_due(alpha_scope):
    case = open_case(alpha_scope, ("F-2026-0630", date(2026, 5, 1), date(2026, 6, 30), "1000.00"))
    with pytest.raises(case_services.CaseTransitionError) as refused:
        case_services.case_transition(case=case, transition="accept", actor=alpha_scope.agent)
    assert refused.value.reasons == [str(claim_past_due.message)]
    assert "No invoice is past due yet" in refused.value.reasons[0]
    assert Case.objects.get(pk=case.pk).state == CaseState.NEW


@time_machine.travel(date(2026, 5, 15))
def test_accept_is_allowed_once_one_invoice_is_past_due(alpha_scope):
    case = open_case(
        alpha_scope,
        ("F-2026-0430", date(2026, 4, 1), date(2026, 4, 30), "300.00"),
        ("F-2026-0630", date(2026, 5, 1), date(2026, 6, 30), "1000.00"),
    )
    accepted = case_services.case_transition(
        case=case, transition="accept", actor=alpha_scope.agent
    )
    assert accepted.state == CaseState.REMINDER


@time_machine.travel(date(2026, 5, 15))
def test_the_case_page_says_why_accept_is_refused(client, alpha_scope):
    case = open_case(alpha_scope, ("F-2026-0630", date(2026, 5, 1), date(2026, 6, 30), "1000.00"))
    client.force_login(alpha_scope.agent)
    page = client.get(reverse("workspace:detail", args=[case.pk])).content.decode()
    assert 'data-transition="accept"' not in page
    assert "Not yet due" in page
    assert f"data-not-yet-due-total>{euros(Decimal('1000.00'))}" in page
    response = client.post(
        reverse("workspace:transition", args=[case.pk, "accept"]),
        {"expected_state": "new", **factories.once()},
    )
    assert response.status_code == 409
    assert "No invoice is past due yet" in response.content.decode()


def test_the_sweep_waits_for_the_due_date_instead_of_demanding(alpha_scope):
    """A case accepted before this rule existed: its reminder waits, it is not blocked."""
    case = open_case(
        alpha_scope,
        ("F-2026-0630", date(2026, 5, 1), date(2026, 6, 30), "1000.00"),
        state=CaseState.REMINDER,
        accepted_at=paris(2026, 5, 14, 10),
        next_action_at=paris(2026, 5, 14, 10),
    )
    result = sweep_at(alpha_scope, paris(2026, 5, 20, 9))
    assert (result.executed, result.blocked) == (0, 0)
    assert not CaseEvent.objects.filter(case=case, kind="step_blocked").exists()
    assert sweep_at(alpha_scope, paris(2026, 7, 2, 9)).executed == 1


# --- letters ------------------------------------------------------------------------------------
def test_formal_notice_shows_the_later_invoice_and_demands_only_the_due_one(
    alpha_scope, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    case = open_case(alpha_scope, B1, LATER)
    sent_first_letter(case, date(2025, 5, 2))
    notice = notice_services.notice_create(
        case=case,
        kind=LetterKind.FORMAL_NOTICE,
        channel=Channel.REGISTERED_LETTER,
        actor=None,
        on=date(2025, 6, 15),
        deadline_days=8,
    )
    text = notice_text(notice_services.notice_render(notice=notice))
    assert "Nous vous mettons en demeure de régler la somme de 1 285,83 €" in text
    assert "FA-2025-0042 30/01/2025 01/03/2025 1 200,00 45,83 40,00" in text
    assert "Total 1 200,00 45,83 40,00 0,00 1 285,83" in text
    assert "FACTURES NON ÉCHUES AU 15 JUIN 2025" in text.upper()
    assert "FA-2025-0630 31/05/2025 30/06/2025 500,00 0,00 500,00" in text
    assert "payable au plus tard le 30/06/2025, elle ne vous est pas réclamée" in text
    assert "1 785,83" not in text and "80,00" not in text


@pytest.mark.parametrize(
    "kind", [LetterKind.FIRST_REMINDER, LetterKind.FORMAL_NOTICE], ids=lambda k: k.value
)
def test_no_demand_letter_for_a_case_with_nothing_past_due(alpha_scope, kind):
    case = open_case(alpha_scope, LATER)
    if kind != LetterKind.FIRST_REMINDER:
        sent_first_letter(case, date(2025, 5, 2))
    with pytest.raises(LetterBlocked, match="No invoice is past due on 06/15/2025"):
        notice_services.notice_create(
            case=case, kind=kind, channel=Channel.LETTER, actor=None, on=date(2025, 6, 15)
        )
