"""Contact guardrails (legal-fr.md REQ-F1): hours, days and caps refuse a call with the reason."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import time_machine

from cases import calls
from collectio.models import Agency
from debtors.guardrails import call_refusals
from debtors.models import CallOutcome, ContactLogEntry
from tests.workspace.conftest import PARIS, case_to_call


def _refusals(world, at, **kwargs):
    return call_refusals(agency=world.agency, debtor=world.case.debtor, at=at, **kwargs)


@pytest.mark.parametrize(
    ("at", "reason"),
    [
        (datetime(2026, 5, 24, 11, 0, tzinfo=PARIS), "No call on Sundays"),
        (datetime(2026, 5, 25, 11, 0, tzinfo=PARIS), "No call on a public holiday"),
        (datetime(2026, 5, 19, 7, 59, tzinfo=PARIS), "Outside the call hours: 08:00-20:00"),
        (datetime(2026, 5, 19, 20, 0, tzinfo=PARIS), "Outside the call hours: 08:00-20:00"),
    ],
)
def test_calls_outside_the_days_and_hours_are_refused(calling, at, reason):
    refusals = _refusals(calling, at)
    assert len(refusals) == 1 and reason in refusals[0]


def test_saturday_morning_is_fine_by_default(calling):
    assert _refusals(calling, datetime(2026, 5, 23, 9, 0, tzinfo=PARIS)) == []


def test_the_strict_policy_applies_d223_9(calling):
    Agency.objects.filter(pk=calling.agency.pk).update(call_policy=Agency.CallPolicy.STRICT)
    calling.agency.refresh_from_db()
    assert "weekdays only" in _refusals(calling, datetime(2026, 5, 23, 11, tzinfo=PARIS))[0]
    lunch = _refusals(calling, datetime(2026, 5, 19, 13, 30, tzinfo=PARIS))
    assert "10:00-13:00 and 14:00-20:00" in lunch[0]
    assert _refusals(calling, datetime(2026, 5, 19, 14, 0, tzinfo=PARIS)) == []


def test_the_debtors_local_time_decides_overseas(calling):
    """La Réunion is two hours ahead of Paris in May: 18:30 in Paris is 20:30 there."""
    with time_machine.travel(datetime(2026, 5, 19, 10, tzinfo=PARIS), tick=False):
        calling.case = case_to_call(calling.creditor, postcode="97400", city="Saint-Denis")
    assert _refusals(calling, datetime(2026, 5, 19, 17, 30, tzinfo=PARIS)) == []
    late = _refusals(calling, datetime(2026, 5, 19, 18, 30, tzinfo=PARIS))
    assert "now 20:30" in late[0]


def _log(world, at, outcome=CallOutcome.NO_ANSWER, reached=False):
    ContactLogEntry.objects.create(
        agency=world.agency, debtor=world.case.debtor, case=world.case,
        channel=ContactLogEntry.Channel.PHONE, direction=ContactLogEntry.Direction.OUTBOUND,
        outcome=outcome, reached=reached, agent=world.agent, at=at,
    )  # fmt: skip


def test_a_fourth_attempt_in_seven_days_is_refused(calling):
    now = datetime(2026, 5, 19, 10, tzinfo=PARIS)
    for days in (1, 3, 6):
        _log(calling, now - timedelta(days=days))
    refusals = _refusals(calling, now)
    assert refusals == [
        "This debtor was already called 3 times in 7 days, the most the call policy allows "
        "(REQ-F1)."
    ]
    _log(calling, now - timedelta(days=8))  # out of the window: nothing changes
    assert _refusals(calling, now + timedelta(days=1)) == []


def test_one_conversation_per_three_days_unless_the_debtor_asked_for_the_call(calling):
    now = datetime(2026, 5, 19, 10, tzinfo=PARIS)
    _log(calling, now - timedelta(days=2), outcome=CallOutcome.CALLBACK, reached=True)
    assert "one conversation per 3 days" in _refusals(calling, now)[0]
    assert _refusals(calling, now, callback=True) == []
    assert _refusals(calling, now + timedelta(days=1, minutes=1)) == []


def test_a_refused_call_logs_nothing_and_says_why(calling, tuesday):
    tuesday.move_to(datetime(2026, 5, 19, 21, 0, tzinfo=PARIS))
    with pytest.raises(calls.CallRefused) as refused:
        calls.call_start(case=calling.case, contact_point=calling.phone, agent=calling.agent)
    assert "Outside the call hours" in refused.value.reasons[0]
    with pytest.raises(calls.CallRefused):
        calls.call_outcome_record(
            case=calling.case, agent=calling.agent, outcome=CallOutcome.NO_ANSWER
        )
    assert not ContactLogEntry.objects.exists()
