"""The restructuring migrations keep every row and every amount: payments move to their app,
events get their own kinds, the stored balance becomes the principal still due."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from dunning.models import ReferenceRate
from dunning.reference_rates import load_shipped

BEFORE = [
    ("collectio", "0003_referencesequence"),
    ("cases", "0006_case_sweep_idx"),
    ("dunning", "0002_reference_rates"),
    ("notices", "0003_delete_noticesequence"),
    ("payments", None),
]
PARIS = ZoneInfo("Europe/Paris")


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor.loader.project_state([t for t in targets if t[1]]).apps


def _latest():
    executor = MigrationExecutor(connection)
    return executor.loader.graph.leaf_nodes()


def _seed(apps):
    """Rows as the previous release wrote them, notes and payments included."""
    Agency = apps.get_model("collectio", "Agency")
    User = apps.get_model("collectio", "User")
    Creditor = apps.get_model("cases", "Creditor")
    Debtor = apps.get_model("debtors", "Debtor")
    Case = apps.get_model("cases", "Case")
    Claim = apps.get_model("cases", "Claim")
    Payment = apps.get_model("cases", "Payment")
    Designation = apps.get_model("cases", "PaymentDesignation")
    CaseEvent = apps.get_model("cases", "CaseEvent")
    address = dict(address_line1="1 rue de la Paix", postcode="75002", city="Paris")
    agency = Agency.objects.create(legal_name="Alpha", slug="alpha", siren="732829320", **address)
    agent = User.objects.create(email="agent@alpha.fr")
    creditor = Creditor.objects.create(
        agency=agency, legal_name="Martin SAS", siren="552100554",
        iban="FR7630006000011234567890189", **address,
    )  # fmt: skip
    debtor = Debtor.objects.create(
        agency=agency, kind="company", name="Garage", siren="443061841", **address
    )
    cases = []
    for n in range(3):
        case = Case.objects.create(
            agency=agency, creditor=creditor, debtor=debtor, reference=f"C-2025-{n:06}",
            state="reminder", principal_total=Decimal("1200.00"),
            outstanding_amount=Decimal("1200.00"),
            opened_at=datetime(2025, 3, 1, 10, tzinfo=PARIS),
        )  # fmt: skip
        claim = Claim.objects.create(
            agency=agency, case=case, invoice_number=f"F-{n}", invoice_date=date(2025, 1, 15),
            due_date=date(2025, 3, 1), principal=Decimal("1200.00"), debt_kind="b2b",
        )  # fmt: skip
        cases.append(case)
        if n:  # two cases with a payment, one of them designated
            payment = Payment.objects.create(
                agency=agency, case=case, amount=Decimal("600.00"), received_on=date(2025, 6, 15),
                method="transfer",
            )  # fmt: skip
            # The old figure was the balance at the payment, interest and €40 included.
            Case.objects.filter(pk=case.pk).update(outstanding_amount=Decimal("685.83"))
            if n == 2:
                Designation.objects.create(agency=agency, payment=payment, claim=claim)
        for what in ("created", "sent", "acknowledged", "call_task_done", "judicial_dossier"):
            CaseEvent.objects.create(
                agency=agency, case=case, actor=agent if what == "acknowledged" else None,
                kind="note", payload={"event": what, "notice": "L-1", "kind": "first_reminder"},
            )  # fmt: skip
        CaseEvent.objects.create(
            agency=agency, case=case, kind="note", payload={"handoff_approved": True}
        )
        CaseEvent.objects.create(
            agency=agency, case=case, kind="note", payload={"notice_received_on": "2025-06-01"}
        )
    return cases


def _totals(apps, payment_app):
    Payment = apps.get_model(payment_app, "Payment")
    Designation = apps.get_model(payment_app, "PaymentDesignation")
    Claim = apps.get_model("cases", "Claim")
    CaseEvent = apps.get_model("cases", "CaseEvent")
    return {
        "payments": Payment.objects.count(),
        "paid": sum(p.amount for p in Payment.objects.all()),
        "designations": Designation.objects.count(),
        "claims": Claim.objects.count(),
        "principal": sum(c.principal for c in Claim.objects.all()),
        "events": CaseEvent.objects.count(),
    }


@pytest.mark.django_db(transaction=True)
def test_the_restructuring_keeps_every_row_and_amount():
    latest = _latest()
    if not ReferenceRate.objects.exists():  # a transactional test flushed the data migration
        load_shipped(ReferenceRate)
    try:
        old = _migrate(BEFORE)
        cases = _seed(old)
        before = _totals(old, "cases")
        new = _migrate(latest)
        assert _totals(new, "payments") == before
        Case = new.get_model("cases", "Case")
        CaseEvent = new.get_model("cases", "CaseEvent")
        # legal-fr.md C4 (i): €600 on 2025-06-15 pays 45.83 of interest, then 554.17 of principal.
        assert [Case.objects.get(pk=c.pk).principal_due for c in cases] == [
            Decimal("1200.00"), Decimal("645.83"), Decimal("645.83"),
        ]  # fmt: skip
        kinds = sorted(CaseEvent.objects.filter(case_id=cases[0].pk).values_list("kind", flat=True))
        assert kinds == sorted([
            "letter_created", "letter_sent", "letter_acknowledged", "call_logged", "dossier_built",
            "handoff_approved", "notice_received",
        ])  # fmt: skip
        by_user = CaseEvent.objects.filter(kind="letter_acknowledged")
        assert set(by_user.values_list("actor_kind", flat=True)) == {"user"}
        assert set(
            CaseEvent.objects.exclude(pk__in=by_user).values_list("actor_kind", flat=True)
        ) == {"system"}
        ContentType = new.get_model("contenttypes", "ContentType")
        assert ContentType.objects.filter(app_label="payments", model="payment").exists()
    finally:
        _migrate(latest)
