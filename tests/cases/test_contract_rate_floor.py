"""A contract rate below 3 x the legal rate is refused at intake and on edit (issue 8 item 2,
legal-fr.md REQ-B2, C. com. L441-10 II: RATE_BELOW_FLOOR)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.forms import modelform_factory

from cases import services
from cases.models import Case, Claim
from dunning.statement import case_statement
from tests import factories


def claim(rate: str | None, due: date, number: str = "F-1") -> services.ClaimInput:
    return services.ClaimInput(
        invoice_number=number,
        invoice_date=due.replace(day=1),
        due_date=due,
        principal=Decimal("1000.00"),
        debt_kind="b2b",
        contract_rate=None if rate is None else Decimal(rate),
    )


def open_case(world, *claims: services.ClaimInput) -> Case:
    return services.case_open(
        agency=world.agency,
        creditor=world.creditor,
        debtor=factories.new_debtor(world.agency),
        claims=list(claims),
        actor=None,
    )


@time_machine.travel(date(2026, 3, 16))
def test_7_50_is_refused_in_2026_s1_with_the_floor(alpha_scope):
    with pytest.raises(ValidationError) as refused:
        open_case(alpha_scope, claim("7.50", date(2026, 2, 15)))
    (message,) = refused.value.message_dict["contract_rate"]
    assert message.startswith("RATE_BELOW_FLOOR: a contract rate of 7.50 % is below the legal")
    assert "floor of 7.86 % in 2026-S1" in message
    assert refused.value.error_dict["contract_rate"][0].code == "RATE_BELOW_FLOOR"
    assert not Case.objects.exists()  # nothing half-written


@time_machine.travel(date(2026, 3, 16))
def test_8_00_is_accepted_in_2026_s1_and_applied(alpha_scope):
    case = open_case(alpha_scope, claim("8.00", date(2026, 2, 15)))
    (line,) = case_statement(case, on=date(2026, 3, 16)).claims
    assert {a.segment.rate for a in line.accruals} == {Decimal("8.000")}


@time_machine.travel(date(2024, 4, 15))
def test_2024_s1_floor_exceeds_the_default_which_stays_valid(alpha_scope):
    with pytest.raises(ValidationError, match=r"floor of 15\.21 % in 2024-S1"):
        open_case(alpha_scope, claim("15.00", date(2024, 3, 1)))
    case = open_case(alpha_scope, claim(None, date(2024, 3, 1)))  # the statutory default
    (line,) = case_statement(case, on=date(2024, 4, 15)).claims
    assert {a.segment.rate for a in line.accruals} == {Decimal("14.50")}


@time_machine.travel(date(2026, 3, 16))
def test_each_semester_the_rate_has_applied_in_must_reach_its_floor(alpha_scope):
    """8.00 % meets 2026-S1's floor (7.86) but not 2025-S2's (8.28), where it applied too."""
    with pytest.raises(ValidationError, match=r"floor of 8\.28 % in 2025-S2"):
        open_case(alpha_scope, claim("8.00", date(2025, 12, 15)))


@time_machine.travel(date(2026, 3, 16))
def test_an_edit_below_the_floor_is_refused(alpha_scope):
    case = open_case(alpha_scope, claim("8.00", date(2026, 2, 15)))
    form_class = modelform_factory(
        Claim,
        fields=[
            "invoice_number",
            "invoice_date",
            "due_date",
            "principal",
            "debt_kind",
            "contract_rate",
        ],
    )
    existing = Claim.objects.get(case=case)
    form = form_class(
        data={
            "invoice_number": existing.invoice_number,
            "invoice_date": existing.invoice_date,
            "due_date": existing.due_date,
            "principal": existing.principal,
            "debt_kind": existing.debt_kind,
            "contract_rate": "7.50",
        },
        instance=existing,
    )
    assert not form.is_valid()
    assert "floor of 7.86 % in 2026-S1" in form.errors["contract_rate"][0]
    assert Claim.objects.get(pk=existing.pk).contract_rate == Decimal("8.000")


@time_machine.travel(date(2026, 12, 1))
def test_a_missing_semester_refuses_only_contract_rates(alpha_scope):
    with pytest.raises(ValidationError, match=r"RATE_MISSING\(2026-S2\).*cannot be checked"):
        open_case(alpha_scope, claim("12.00", date(2026, 11, 1)))
    assert open_case(alpha_scope, claim(None, date(2026, 11, 1)))  # needs no rate to open


@time_machine.travel(date(2026, 3, 16))
def test_the_refusal_reads_in_french(alpha_scope):
    from django.utils import translation

    with translation.override("fr"), pytest.raises(ValidationError) as refused:
        open_case(alpha_scope, claim("7.50", date(2026, 2, 15)))
    (message,) = refused.value.message_dict["contract_rate"]
    assert message == (
        "RATE_BELOW_FLOOR : un taux contractuel de 7,50 % est inférieur au plancher légal de "
        "7,86 % en 2026-S1 (trois fois le taux de l'intérêt légal, art. L441-10 II C. com.)."
    )
