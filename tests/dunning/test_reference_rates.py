"""Reference rates as a maintained dataset (issue 8 item 7, legal-fr.md section 0, REQ-R1).

The shipped file, the data migration that loads it, and ``manage.py import_reference_rates``
reading the ECB Data Portal's series file and a CSV of legal rates. Files only, no network.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
import time_machine
from django.core.management import CommandError, call_command

from cases import services as case_services
from dunning.models import ReferenceRate
from dunning.reference_rates import (
    RateFileError,
    ecb_semester_rows,
    load_shipped,
    parse_ecb_series,
    parse_legal_rates,
    shipped_rows,
)
from dunning.statement import case_statement
from law.interest import RateKind
from tests import factories

DATA = Path(__file__).parent / "data"
ECB_PORTAL = DATA / "ecb_mro_data_portal.csv"
ECB_SDMX = DATA / "ecb_mro_sdmx.csv"
LEGAL_2026_S2 = DATA / "legal_rates_2026_s2.csv"
SEMESTERS = [f"{year}-S{half}" for year in range(2019, 2027) for half in (1, 2)][:-1]


def rate(semester: str, kind: RateKind) -> Decimal:
    return ReferenceRate.objects.get(semester=semester, kind=kind).rate


@pytest.fixture
def rates(db):
    """The table as the data migration leaves it (a transactional test may have flushed it)."""
    if not ReferenceRate.objects.exists():
        load_shipped(ReferenceRate)


def run(*args: str) -> str:
    out = StringIO()
    call_command("import_reference_rates", *args, stdout=out)
    return out.getvalue()


# --- the shipped dataset, loaded by the data migration ----------------------------------------
def test_the_data_migration_loads_the_shipped_file(db):
    from importlib import import_module

    from django.apps import apps

    ReferenceRate.objects.all().delete()
    import_module("dunning.migrations.0007_reference_rates_dataset").load(apps, None)
    assert ReferenceRate.objects.count() == len(shipped_rows()) == 45


def test_every_semester_since_2019_is_loaded_with_its_source(rates):
    rows = ReferenceRate.objects.filter(semester__in=SEMESTERS)
    assert {(r.semester, r.kind) for r in rows} == {
        (s, k.value) for s in SEMESTERS for k in RateKind
    }
    assert all(r.source for r in rows)
    legal = rows.exclude(kind=RateKind.ECB_MRO)
    assert all("Arrêté du" in r.source for r in legal)
    assert all(
        "BCE, décision du Conseil des gouverneurs du" in r.source
        for r in rows
        if r.kind == "ECB_MRO"
    )


@pytest.mark.parametrize(
    ("semester", "private", "other"),
    [
        ("2019-S1", "3.40", "0.86"),
        ("2019-S2", "3.26", "0.87"),
        ("2020-S1", "3.15", "0.87"),
        ("2020-S2", "3.11", "0.84"),
        ("2021-S1", "3.14", "0.79"),
        ("2021-S2", "3.12", "0.76"),
        ("2022-S1", "3.13", "0.76"),
        ("2022-S2", "3.15", "0.77"),
        ("2023-S1", "4.47", "2.06"),
        ("2023-S2", "6.82", "4.22"),
        ("2024-S1", "8.01", "5.07"),
        ("2026-S1", "6.67", "2.62"),
    ],
)
def test_legal_rates_by_arrete(rates, semester, private, other):
    assert rate(semester, RateKind.LEGAL_PRIVATE_CREDITOR) == Decimal(private)
    assert rate(semester, RateKind.LEGAL_OTHER) == Decimal(other)


def test_ecb_rate_in_force_on_each_semesters_first_day(rates):
    # 0.00 % from 16-03-2016 to 27-07-2022: still 0.00 on 1 July 2022.
    assert {rate(s, RateKind.ECB_MRO) for s in SEMESTERS[:8]} == {Decimal("0.000")}
    assert rate("2023-S1", RateKind.ECB_MRO) == Decimal("2.50")  # since 21-12-2022
    assert rate("2023-S2", RateKind.ECB_MRO) == Decimal("4.00")  # since 21-06-2023


def test_shipped_ecb_values_agree_with_the_ecb_series_file():
    derived = {
        r.semester: r.rate
        for r in ecb_semester_rows(parse_ecb_series(ECB_PORTAL.read_text()), today=date(2026, 6, 1))
    }
    shipped = {r.semester: r.rate for r in shipped_rows() if r.kind is RateKind.ECB_MRO}
    assert {s: derived[s] for s in shipped} == shipped


def test_the_2026_s2_gap_is_data_not_code():
    assert "2026-S2" not in {r.semester for r in shipped_rows()}
    interest_py = (Path(__file__).parents[2] / "law" / "interest.py").read_text()
    assert "6.67" not in interest_py and "2.62" not in interest_py


def test_claim_due_in_2022_is_computed(alpha_scope):
    """Issue 8: nothing before 2024 was loaded, so a claim still within its five years failed.

    1,000.00 due 2022-10-31, on 2023-01-31: 61 days at 0.00 + 10 = 10.00 % (16.7123) and
    31 days at 2.50 + 10 = 12.50 % (10.6164) → 27.33, + 40.00.
    """
    case = case_services.case_open(
        agency=alpha_scope.agency,
        creditor=alpha_scope.creditor,
        debtor=factories.new_debtor(alpha_scope.agency),
        claims=[
            case_services.ClaimInput(
                invoice_number="F-2022-10",
                invoice_date=date(2022, 10, 1),
                due_date=date(2022, 10, 31),
                principal=Decimal("1000.00"),
                debt_kind="b2b",
            )
        ],
        actor=None,
    )
    (line,) = case_statement(case, on=date(2023, 1, 31)).claims
    assert [(a.segment.days, a.segment.rate) for a in line.accruals] == [
        (61, Decimal("10.000")),
        (31, Decimal("12.500")),
    ]
    assert line.interest == Decimal("27.33")
    assert line.balance == Decimal("1067.33")


# --- parsing the publishers' files ------------------------------------------------------------
def test_ecb_portal_layout_is_read_newest_first_or_not():
    observations = parse_ecb_series(ECB_PORTAL.read_text())
    assert observations[0] == (date(2008, 10, 15), Decimal("3.750"))
    assert observations[-1] == (date(2025, 6, 11), Decimal("2.150"))
    assert parse_ecb_series(ECB_SDMX.read_text())[-1] == (date(2025, 6, 11), Decimal("2.150"))


def test_ecb_file_with_title_lines_and_a_bom_is_read():
    text = "\ufeffData Source in SDW: null\r\n" + ECB_PORTAL.read_text().replace("\n", "\r\n")
    assert parse_ecb_series(text)[-1] == (date(2025, 6, 11), Decimal("2.150"))


def test_ecb_file_resaved_with_semicolons_and_decimal_commas_is_read():
    text = ECB_PORTAL.read_text().replace('","', '";"').replace("2.15", "2,15")
    assert parse_ecb_series(text)[-1] == (date(2025, 6, 11), Decimal("2.150"))


def test_semesters_begin_after_the_first_observation_and_before_today():
    rows = ecb_semester_rows(parse_ecb_series(ECB_SDMX.read_text()), today=date(2026, 12, 1))
    # The SDMX file starts on 10-05-2023: 2023-S2 is the first semester it can tell.
    assert [r.semester for r in rows] == [
        "2023-S2", "2024-S1", "2024-S2", "2025-S1", "2025-S2", "2026-S1", "2026-S2",
    ]  # fmt: skip
    assert rows[0].rate == Decimal("4.000")
    assert "à compter du 21/06/2023, en vigueur le 01/07/2023" in rows[0].source


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '"DATE","TIME PERIOD","Deposit facility (FM.B.U2.EUR.4F.KR.DFR.LEV)"\n'
            '"2025-06-11","11 Jun 2025","2.00"\n',
            "not the main refinancing operations rate",
        ),
        ("semester;rate\n2026-S2;2.15\n", "no DATE or TIME_PERIOD column"),
        ('"DATE","TIME PERIOD","MRO"\n"2025-06-11","11 Jun 2025","deux"\n', "'deux' is not a rate"),
    ],
)
def test_a_wrong_ecb_file_is_refused(text, message):
    with pytest.raises(RateFileError, match=message):
        parse_ecb_series(text)


def test_legal_rates_csv_accepts_french_decimals():
    (private, other) = parse_legal_rates(LEGAL_2026_S2.read_text())
    assert (private.semester, private.kind, private.rate) == (
        "2026-S2",
        RateKind.LEGAL_PRIVATE_CREDITOR,
        Decimal("6.580"),
    )
    assert other.rate == Decimal("2.710")
    assert other.source.startswith("TEST FIXTURE")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("semester,private_person,other\n2026-S2,6.5,2.6\n", "missing column"),
        ("semester,private_person,other,source\n2026-S3,6.5,2.6,x\n", "not a semester"),
        ("semester,private_person,other,source\n2026-S2,6.5,2.6,\n", "source"),
    ],
)
def test_a_wrong_legal_file_is_refused(text, message):
    with pytest.raises(RateFileError, match=message):
        parse_legal_rates(text)


# --- the command ------------------------------------------------------------------------------
@time_machine.travel(date(2026, 12, 1))
def test_dry_run_shows_what_changes_and_writes_nothing(rates):
    before = list(ReferenceRate.objects.values_list("semester", "kind", "rate", "source"))
    out = run(
        "--ecb", str(ECB_PORTAL), "--legal", str(LEGAL_2026_S2), "--since", "2019-S1", "--dry-run"
    )
    assert "+ 2026-S2 ECB_MRO 2.150 %" in out
    assert "+ 2026-S2 LEGAL_OTHER 2.710 %" in out
    assert "2019-S1" not in out  # equal to the shipped row: no change
    assert "Dry run: 3 rate(s) would change" in out
    assert list(ReferenceRate.objects.values_list("semester", "kind", "rate", "source")) == before


@time_machine.travel(date(2026, 12, 1))
def test_import_is_idempotent(rates):
    first = run("--ecb", str(ECB_PORTAL), "--legal", str(LEGAL_2026_S2))
    assert "23 rate(s) written" in first  # 2009-S1 to 2018-S2 and 2026-S2 ECB, 2 legal rates
    assert rate("2026-S2", RateKind.ECB_MRO) == Decimal("2.15")
    assert rate("2009-S2", RateKind.ECB_MRO) == Decimal("1.00")  # since 13-05-2009
    count = ReferenceRate.objects.count()
    second = run("--ecb", str(ECB_PORTAL), "--legal", str(LEGAL_2026_S2))
    assert second.startswith("0 rate(s) written")
    assert ReferenceRate.objects.count() == count
    # the curated sources of the shipped rows are kept
    assert ReferenceRate.objects.get(semester="2026-S1", kind="ECB_MRO").source.startswith(
        "BCE, décision"
    )


@time_machine.travel(date(2026, 12, 1))
def test_a_bad_file_imports_nothing(rates, tmp_path):
    bad = tmp_path / "legal.csv"
    bad.write_text(
        "semester,private_person,other,source\n2026-S2,6.58,2.71,arrêté\n2027-S1,x,y,z\n"
    )
    with pytest.raises(CommandError, match="nothing was imported"):
        run("--ecb", str(ECB_PORTAL), "--legal", str(bad))
    assert not ReferenceRate.objects.filter(semester="2026-S2").exists()
    with pytest.raises(CommandError, match="Give --ecb"):
        run()


@time_machine.travel(date(2026, 12, 1))
def test_import_replaces_the_demo_copies(rates):
    from demo.seed import _demo_rates_up_to

    assert _demo_rates_up_to(date(2026, 12, 1)) == ["2026-S2"]
    copies = ReferenceRate.objects.filter(semester="2026-S2")
    assert {r.verified for r in copies} == {False}
    assert all(r.source.startswith("DEMO ONLY") for r in copies)
    out = run("--ecb", str(ECB_PORTAL), "--legal", str(LEGAL_2026_S2), "--since", "2026-S2")
    assert "~ 2026-S2 ECB_MRO 2.150 % → 2.150 %" in out  # same value, now a published one
    assert "3 rate(s) written" in out
    assert {r.verified for r in copies.all()} == {True}
    assert not any(r.source.startswith("DEMO ONLY") for r in copies.all())
    assert rate("2026-S2", RateKind.LEGAL_OTHER) == Decimal("2.71")
