"""Shared set-up for the sweep tests: an accepted case that is due now."""

from __future__ import annotations

from datetime import datetime, timedelta

from cases.models import Case, CaseState
from tests import factories


def accepted_case(creditor, *, accepted_at: datetime, postcode: str = "75002", **fields) -> Case:
    """A case accepted at ``accepted_at`` and due then, as ``accept`` leaves it; its invoice
    was issued 90 days before and fell due 30 days after that."""
    debtor = factories.new_debtor(creditor.agency, postcode=postcode)
    return factories.new_case(
        creditor,
        debtor,
        state=CaseState.REMINDER,
        invoiced_on=accepted_at.date() - timedelta(days=90),
        accepted_at=accepted_at,
        next_action_at=accepted_at,
        **fields,
    )
