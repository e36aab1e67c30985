"""The bank statement journey in a real browser: an agent imports a CAMT.053, sees what was
matched, and records the line that matched nothing on its case from the queue."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import timezone
from django_scopes import scopes_disabled

from cases.models import CaseState
from payments.models import BankLine, Payment
from tests import factories
from tests.browser.conftest import log_in
from tests.browser.test_money_entry import current_rates  # noqa: F401  (a fixture)
from tests.payments.camt import Entry, camt053

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.usefixtures("current_rates")
def test_agent_imports_a_statement_and_records_the_unmatched_line(
    world, live_server, page, tmp_path
):
    today = timezone.localdate()
    with scopes_disabled():
        case = factories.new_case(world.creditor, principal=Decimal("800.00"),
                                  state=CaseState.REMINDER)  # fmt: skip
        file = tmp_path / "releve.xml"
        file.write_bytes(camt053(
            [Entry(Decimal("120.00"), "PAYEUR", f"REGLT {case.reference}", today, "BR-1"),
             Entry(Decimal("45.00"), "QUELQU UN", "ACOMPTE", today, "BR-2")],
            account_iban=world.agency.collection_iban, on=today,
        ))  # fmt: skip
    log_in(page, live_server.url, world.agent.email)
    page.wait_for_url("**/cases/queues/")
    page.goto(f"{live_server.url}/backoffice/money/statements/")
    page.set_input_files("input[type=file]", str(file))
    page.click("main form button[type=submit]")
    page.wait_for_url("**/backoffice/money/statements/*/")
    assert "1 ligne(s) rapprochée(s)" not in page.inner_text(".messages")
    assert "2 ligne(s) importée(s)" in page.inner_text(".messages")
    assert page.locator("#lines tr[data-status='to_record']").count() == 1
    assert page.locator("#lines tr[data-status='unmatched']").count() == 1

    page.click("text=Lignes à traiter")
    card = page.locator("article[data-status='unmatched']")
    card.locator("input[name$='case_reference']").fill("C-0000-000000")
    card.locator("button[type=submit]").click()
    assert "Aucun dossier ne porte cette référence." in page.inner_text(".invalid-feedback")
    card = page.locator("article[data-status='unmatched']")
    card.locator("input[name$='case_reference']").fill(case.reference)
    card.locator("button[type=submit]").click()
    page.wait_for_url("**/backoffice/money/queue/")
    assert f"Ligne enregistrée sur le dossier {case.reference}." in page.inner_text(".messages")
    with scopes_disabled():
        line = BankLine.objects.get(line_key__contains="BR-2")
        assert line.status == BankLine.Status.MATCHED
        assert Payment.objects.get(pk=line.payment_id).amount == Decimal("45.00")
