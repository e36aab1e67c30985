"""A Tuesday morning in May 2026 (within the call hours, a semester whose rates are shipped), and
cases waiting in the calls queue with their debtor's phone."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django_scopes import scopes_disabled

from cases.models import Case, CaseState
from collectio.scoping import tenant_scope
from debtors.models import CallTask, ContactPoint
from tests import factories

PARIS = ZoneInfo("Europe/Paris")
TUESDAY_10AM = datetime(2026, 5, 19, 10, 0, tzinfo=PARIS)


@pytest.fixture
def tuesday():
    with time_machine.travel(TUESDAY_10AM, tick=False) as traveller:
        yield traveller


@scopes_disabled()
def case_to_call(
    creditor, *, state=CaseState.PHONE_FOLLOWUP, principal=Decimal("1200.00"), **debtor
):
    """A case in the calls queue: an open call task due now, a personal phone."""
    case = factories.new_case(
        creditor,
        factories.new_debtor(creditor.agency, **debtor),
        state=state,
        principal=principal,
    )
    ContactPoint.objects.create(
        agency=case.agency, debtor=case.debtor, channel=ContactPoint.Channel.PHONE,
        value="06 12 34 56 78",
    )  # fmt: skip
    CallTask.objects.create(agency=case.agency, case=case, script="Appeler le débiteur.")
    return Case.objects.select_related("agency", "creditor", "debtor").get(pk=case.pk)


@pytest.fixture
def calling(world, tuesday):
    """One case to call for the agent, in Alpha's scope."""
    with tenant_scope(world.agency.pk):
        world.case = case_to_call(world.creditor)
        world.phone = ContactPoint.objects.get(debtor=world.case.debtor)
        yield world
