"""The judicial dossier: its PDF bundle and the injonction-de-payer data (REQ-E4, E6)."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest
import time_machine

from cases.models import Case, CaseState
from debtors.models import Debtor
from dunning.statement import case_statement
from notices import dossier, services
from notices.models import Channel, LetterKind
from tests import factories
from tests.notices.conftest import b1_case, pdf_text


def test_lyon_company_with_a_commercial_debt_goes_to_the_tribunal_de_commerce(scoped):
    debtor = factories.new_debtor(scoped.agency, postcode="69003", city="Lyon")
    court = dossier.competent_court(b1_case(scoped.creditor, debtor))
    assert (court["kind"], court["name"]) == (
        "tribunal_de_commerce",
        "Tribunal de commerce de Lyon",
    )
    assert court["cerfa"]["number"].startswith("12946")
    assert any("activités économiques" in w for w in court["warnings"])  # Lyon is a TAE pilot


def test_nantes_consumer_goes_to_the_tribunal_judiciaire(scoped):
    debtor = factories.new_debtor(
        scoped.agency,
        kind=Debtor.Kind.PERSON,
        name="Leroy",
        siren="",
        postcode="44000",
        city="Nantes",
    )
    court = dossier.competent_court(b1_case(scoped.creditor, debtor, debt_kind="consumer"))
    assert (court["kind"], court["name"]) == (
        "tribunal_judiciaire",
        "Tribunal judiciaire de Nantes",
    )
    assert court["cerfa"]["number"].startswith("12948")


@pytest.mark.parametrize(("principal", "eligible"), [("4700.00", True), ("6000.00", False)])
def test_small_claims_eligibility_follows_principal_plus_interest(scoped, principal, eligible):
    """REQ-E6: principal + interest ≤ €5,000, the €40 left out."""
    case = b1_case(scoped.creditor, principal=Decimal(principal))
    statement = case_statement(case, on=date(2025, 6, 15))
    court = dossier.competent_court(case)
    data = dossier.injonction_data(case=case, statement=statement, letters=[], court=court)
    assert data["small_claims"]["eligible"] is eligible
    assert data["prior_amicable_attempt_required"] is False  # tribunal de commerce


def test_dossier_bundle_and_request_data(scoped):
    with time_machine.travel(date(2025, 6, 2)) as traveller:
        case = b1_case(scoped.creditor)
        letters = []
        for kind, channel in (
            (LetterKind.FIRST_REMINDER, Channel.LETTER),
            (LetterKind.FORMAL_NOTICE, Channel.REGISTERED_LETTER),
        ):
            letters.append(
                services.notice_render(
                    notice=services.notice_create(
                        case=case,
                        kind=kind,
                        channel=channel,
                        actor=None,
                        deadline_from_acknowledgement=True,
                    )
                )
            )
            services.print_batch_run(agency_id=case.agency_id)
        Case.objects.filter(pk=case.pk).update(state=CaseState.FORMAL_NOTICE)
        traveller.move_to(date(2025, 6, 5))
        services.notice_record_acknowledgement(
            notice=letters[1], received_on=date(2025, 6, 4), actor=None
        )
        Case.objects.filter(pk=case.pk).update(state=CaseState.JUDICIAL)
        traveller.move_to(date(2025, 6, 15))
        built = dossier.dossier_build(case=case, actor=scoped.agent)

    for letter in letters:
        letter.refresh_from_db()
    data = json.loads(json.dumps(built.request_data))  # JSON through and through
    assert data["court"]["name"] == "Tribunal de commerce de Nantes"
    assert data["cerfa"]["number"] == "12946*02"
    assert data["amounts"] == {
        "principal": "1200.00",
        "interest": "45.83",
        "indemnity": "40.00",
        "paid": "0.00",
        "total": "1285.83",
    }
    assert data["claims"][0]["interest_detail"] == [
        {
            "from": "2025-03-02",
            "to": "2025-06-15",
            "days": 106,
            "rate": "13.150",
            "base": "1200.00",
            "amount": "45.83",
        }
    ]
    assert data["small_claims"] == {
        "eligible": True,
        "principal_plus_interest": "1245.83",
        "ceiling": "5000.00",
        "note": data["small_claims"]["note"],
    }
    assert data["formal_notice"] == {
        "reference": letters[1].reference,
        "sent_on": "2025-06-02",
        "tracking_number": letters[1].tracking_number,
        "acknowledged_on": "2025-06-04",
        "deadline": "2025-06-12",
    }
    assert data["debtor"]["siren"] == case.debtor.siren
    assert data["represented_by"]["mandate_reference"] == case.creditor.mandate_reference
    assert any("L441-10" in line for line in data["basis"])

    text = pdf_text(built.pdf.read())
    assert built.page_count > sum(n.page_count for n in letters)  # summary, then the letters
    for expected in (
        "Dossier de transmission – phase judiciaire",
        "Tribunal de commerce de Nantes",
        "Cerfa n° 12946*02",
        case.creditor.legal_name,
        str(case.debtor),
        "45,83",
        "1 285,83",
        "106 jours au taux annuel de 13,15 %",
        letters[1].tracking_number,
        "04/06/2025",  # the AR
        "Bordereau".upper(),
        "Facture n° FA-2025-0042 du 30/01/2025",
        "La présente lettre vaut mise en demeure",  # the letters themselves are annexed
    ):
        assert expected in text, expected
    assert len(built.sha256) == 64
