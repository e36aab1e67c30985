"""What the benches build alike: raw statements on Django's connection, agencies with their
creditors, and debtors inserted set-based. Call after ``django.setup()``."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

CREDITORS = 5


def sql(statement: str, params: dict[str, Any] | None = None) -> Any:
    """Run one statement on Django's connection; return the first row if it has one."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(statement, params or {})
        return cursor.fetchone() if cursor.description else None


@contextmanager
def timed(label: str) -> Iterator[None]:
    started = time.perf_counter()
    yield
    print(f"  {label}: {time.perf_counter() - started:.1f} s", flush=True)


def refuse_a_used_database(script: str) -> None:
    from collectio.models import Agency

    if Agency.objects.exists():
        sys.exit(f"{script}: this database already holds agencies; use a throwaway one")


def siren(n: int) -> str:
    from stdnum import luhn

    body = f"{n:08d}"
    return body + luhn.calc_check_digit(body)


@dataclass(frozen=True)
class BenchAgency:
    """An agency created through the ORM (so it has its default scenario) and its creditors."""

    agency_id: int
    scenario_id: int
    step_ids: list[int]
    creditor_ids: list[int]


def create_agency(slug: str, number: int = 0) -> BenchAgency:
    """Agency ``number`` (SIRENs and IBANs differ between agencies) with its creditors."""
    from django.db import transaction
    from schwifty import IBAN

    from cases.models import Creditor
    from collectio.models import Agency
    from collectio.scoping import tenant_scope
    from dunning.models import Scenario, Step

    base = 9_000_000 + 100 * number
    agency = Agency.objects.create(
        legal_name=f"{slug.title()} Recouvrement",
        slug=slug,
        siren=siren(base),
        address_line1="12 rue de la Paix",
        postcode="75002",
        city="Paris",
        rc_insurer="Hiscox",
        rc_policy_number=f"RCP-{slug.upper()}",
        rc_policy_expires_on=date(2099, 12, 31),
        collection_iban=str(IBAN.generate("FR", bank_code="30006", account_code=f"{base}")),
        prosecutor_declaration_on=date(2024, 1, 15),
        dpo_contact="dpo@example.fr",
    )
    with tenant_scope(agency.pk), transaction.atomic():
        scenario = Scenario.objects.get(agency=agency, is_default=True)
        steps = list(Step.objects.filter(scenario=scenario).order_by("position"))
        creditor_ids = [
            Creditor.objects.create(
                agency=agency,
                legal_name=f"Créancier {n} SAS",
                siren=siren(base + 1 + n),
                address_line1="3 place Bellecour",
                postcode="69002",
                city="Lyon",
                iban=str(IBAN.generate("FR", bank_code="30006", account_code=f"{base + 2 + n}")),
                mandate_reference=f"MAND-{n}",
                mandate_signed_on=date(2025, 1, 10),
                mandate_sums_basis="Factures impayées transmises par le créancier",
                mandate_insurance_terms="RC Pro Hiscox",
                mandate_fee_terms="15 % des sommes encaissées",
                mandate_remittance_terms="Reversement sous 30 jours",
            ).pk
            for n in range(CREDITORS)
        ]
    return BenchAgency(agency.pk, scenario.pk, [s.pk for s in steps], creditor_ids)


def insert_debtors(agency_id: int, count: int, now: datetime) -> None:
    """Three in five are companies (SIREN, unique per agency); postcodes spread over
    metropolitan departments (Alsace-Moselle included) and 3 % La Réunion."""
    sql(
        """
        INSERT INTO debtors_debtor (agency_id, kind, name, first_name, siren,
            consents_to_electronic_registered_mail, address_line1, address_line2,
            postcode, city, country, created_at)
        SELECT %(agency)s,
            CASE WHEN d %% 5 < 3 THEN 'company' ELSE 'person' END,
            'Débiteur ' || d,
            CASE WHEN d %% 5 < 3 THEN '' ELSE 'Camille' END,
            CASE WHEN d %% 5 < 3 THEN lpad(d::text, 9, '0') ELSE '' END,
            false, d || ' rue de la République', '',
            CASE WHEN d %% 100 < 3 THEN '974' || lpad((d %% 100)::text, 2, '0')
                 ELSE lpad((1 + d %% 95)::text, 2, '0')
                      || lpad((d * 7 %% 1000)::text, 3, '0') END,
            'Ville', 'FR', %(now)s - interval '30 days'
        FROM generate_series(1, %(debtors)s) AS d
        """,
        {"agency": agency_id, "debtors": count, "now": now},
    )
