from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.utils import timezone

from cases import services
from cases.models import Case, CaseEvent, CaseState, Claim
from tests import factories


def _claim(number: str, principal: str = "100.00", **overrides) -> services.ClaimInput:
    fields = dict(
        invoice_number=number,
        invoice_date=date(2025, 1, 15),
        due_date=date(2025, 3, 16),
        principal=Decimal(principal),
        debt_kind="b2b",
    )
    fields.update(overrides)
    return services.ClaimInput(**fields)


def test_open_creates_case_claims_event_and_sequential_references(alpha_scope):
    w = alpha_scope
    debtor = factories.new_debtor(w.agency)
    first = services.case_open(
        agency=w.agency,
        creditor=w.creditor,
        debtor=debtor,
        claims=[_claim("F-1", "1200.00"), _claim("F-2", "34.505")],
        actor=w.creditor_user,
    )
    second = services.case_open(
        agency=w.agency, creditor=w.creditor, debtor=debtor, claims=[_claim("F-3")], actor=None
    )
    year = timezone.localdate().year
    assert first.reference == f"C-{year}-000001"
    assert second.reference == f"C-{year}-000002"
    assert first.state == CaseState.NEW
    assert first.principal_total == Decimal("1234.51") == first.principal_due
    assert Claim.objects.filter(case=first).count() == 2
    assert CaseEvent.objects.get(case=first).kind == CaseEvent.Kind.OPENED


def test_references_are_numbered_per_agency(world):
    from collectio.scoping import tenant_scope

    with tenant_scope(world.other_agency.pk):
        from django_scopes import scopes_disabled

        with scopes_disabled():
            creditor_b = factories.new_creditor(world.other_agency)
        opened = factories.new_case(creditor_b)
    assert opened.reference.endswith("-000001")


def test_bad_claim_rolls_back_the_whole_case(alpha_scope):
    w = alpha_scope
    debtor = factories.new_debtor(w.agency)
    with pytest.raises((ValidationError, IntegrityError)):
        services.case_open(
            agency=w.agency,
            creditor=w.creditor,
            debtor=debtor,
            claims=[_claim("F-1"), _claim("F-2", due_date=date(2024, 1, 1))],
            actor=None,
        )
    assert not Case.objects.exists()


def test_creditor_of_another_agency_is_refused(world):
    from django_scopes import scopes_disabled

    with scopes_disabled():
        foreign = factories.new_creditor(world.other_agency)
        with pytest.raises(ValidationError):
            services.case_open(
                agency=world.agency,
                creditor=foreign,
                debtor=factories.new_debtor(world.agency),
                claims=[_claim("F-1")],
                actor=None,
            )


@pytest.mark.parametrize(
    ("invoice_date", "term", "due"),
    [  # legal-fr.md REQ-B1
        (date(2025, 1, 15), "days_60", date(2025, 3, 16)),
        (date(2025, 1, 15), "eom_45_a", date(2025, 3, 31)),
        (date(2025, 1, 15), "eom_45_b", date(2025, 3, 17)),
        (date(2025, 11, 20), "days_60", date(2026, 1, 19)),
        (date(2025, 11, 20), "eom_45_a", date(2026, 1, 31)),
        (date(2025, 11, 20), "eom_45_b", date(2026, 1, 14)),
        (date(2025, 11, 20), "default_30", date(2025, 12, 20)),
    ],
)
def test_an_invoice_without_a_printed_due_date_takes_it_from_its_terms(
    alpha_scope, invoice_date, term, due
):
    w = alpha_scope
    case = services.case_open(
        agency=w.agency,
        creditor=w.creditor,
        debtor=factories.new_debtor(w.agency),
        claims=[_claim("F-1", invoice_date=invoice_date, due_date=None, payment_term=term)],
        actor=None,
    )
    assert Claim.objects.get(case=case).due_date == due


def test_a_printed_due_date_wins_over_the_terms(alpha_scope):
    w = alpha_scope
    case = services.case_open(
        agency=w.agency,
        creditor=w.creditor,
        debtor=factories.new_debtor(w.agency),
        claims=[_claim("F-1", due_date=date(2025, 2, 1), payment_term="days_60")],
        actor=None,
    )
    assert Claim.objects.get(case=case).due_date == date(2025, 2, 1)
