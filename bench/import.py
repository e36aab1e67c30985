"""Bulk import benchmark: a creditor's file of N invoice rows, checked then imported whole.

Run against a throwaway database (never the dev one); it refuses a database that already holds
an agency::

    createdb -h 127.0.0.1 -p 54329 -U collectio collectio_bench_import
    export DATABASE_URL=postgres://collectio@127.0.0.1:54329/collectio_bench_import
    .venv/bin/python manage.py migrate
    .venv/bin/python bench/import.py [--rows 10000] [--format xlsx|csv]
    dropdb -h 127.0.0.1 -p 54329 -U collectio collectio_bench_import

The file is what a creditor's accounting export looks like: one invoice per row under the
template's French headers, 70 % companies (a SIREN each) and 30 % private persons, one debtor
in four with two or three invoices (so rows group into fewer cases), French amounts
(``1 250,50``), dates ``DD/MM/YYYY``, e-mails and phones on half the rows; 500 of the companies
are already debtors of the agency (found, not duplicated). The script times what the portal does:
``import_check`` (read, check every row, store the file: the preview) and ``import_execute``
(check again and write every case in one transaction: the Celery task), then checks the counts.
The baseline, measured in the same run, is ``case_submit`` (the one-case form's path) on 200 of
the rows, so the ratio says what the set-based writes buy.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import sys
import time
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[0] = str(ROOT)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "collectio.settings")
os.environ["DEBUG"] = "False"

BASELINE_ROWS = 200


def build_rows(rows: int, known_sirens: list[str]) -> list[list[str]]:
    from bench.data import siren

    rng = random.Random(20261202)
    today = date.today()  # noqa: DTZ011 - the server's calendar day, as the import's
    out: list[list[str]] = []
    debtor = 0
    while len(out) < rows:
        debtor += 1
        company = rng.random() < 0.7
        if company and debtor <= len(known_sirens):
            number = known_sirens[debtor - 1]
        else:
            number = siren(20_000_000 + debtor) if company else ""
        invoices = rng.choice((1, 1, 1, 2, 3))
        for n in range(invoices):
            invoiced = today - timedelta(days=rng.randint(40, 700))
            cents = rng.randint(5_000, 2_500_000)
            out.append(
                [
                    "entreprise" if company else "particulier",
                    number,
                    f"Société {debtor} SARL" if company else f"Durand{debtor}",
                    "" if company else "Alice",
                    f"{rng.randint(1, 200)} rue de la République",
                    "",
                    f"{rng.choice((75, 69, 13, 33, 44, 67, 59, 31))}{rng.randint(0, 999):03d}",
                    "Ville",
                    f"compta{debtor}@exemple.fr" if rng.random() < 0.5 else "",
                    f"06{rng.randint(10_000_000, 99_999_999)}" if rng.random() < 0.5 else "",
                    f"F-{debtor}-{n + 1}",
                    invoiced.strftime("%d/%m/%Y"),
                    (invoiced + timedelta(days=30)).strftime("%d/%m/%Y"),
                    f"{cents // 100:,}".replace(",", " ") + f",{cents % 100:02d}",
                    "B2B" if company else "consommateur",
                    "",
                ]
            )
    return out[:rows]


def to_file(rows: list[list[str]], fmt: str) -> bytes:
    import csv

    import openpyxl
    from django.utils import translation

    from cases.imports import COLUMNS

    with translation.override("fr"):
        header = [str(c.header) for c in COLUMNS]
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, delimiter=";")
        writer.writerows([header, *rows])
        return out.getvalue().encode("utf-8")
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("Factures")
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    binary = io.BytesIO()
    book.save(binary)
    return binary.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--format", choices=("xlsx", "csv"), default="xlsx")
    args = parser.parse_args()

    import django

    django.setup()
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.db import connection

    from bench.data import create_agency, refuse_a_used_database, siren, sql
    from cases.imports import import_check, import_execute, import_parse, import_queue
    from cases.intake import case_submit
    from cases.models import Case, CaseEvent, Claim, Creditor
    from collectio.models import Membership, Role, User
    from collectio.scoping import tenant_scope
    from debtors.models import Debtor

    refuse_a_used_database("bench/import.py")
    bench = create_agency("bench-import")
    with tenant_scope(bench.agency_id):
        known = [siren(30_000_000 + n) for n in range(500)]
        Debtor.objects.bulk_create(
            Debtor(agency_id=bench.agency_id, kind="company", name=f"Connu {n}", siren=number,
                   address_line1="1 rue Connue", postcode="75001", city="Paris")
            for n, number in enumerate(known)
        )  # fmt: skip
        creditor = Creditor.objects.get(pk=bench.creditor_ids[0])
        user = User.objects.create_user(email="client@bench.example", password="x-bench-pass")  # noqa: S106
        Membership.objects.create(
            user=user, agency_id=bench.agency_id, role=Role.CREDITOR_USER, creditor=creditor
        )
        rows = build_rows(args.rows, known)
        content = to_file(rows, args.format)
        print(
            f"{args.rows} rows, {args.format}, {len(content) / 1e6:.1f} MB; "
            f"{os.cpu_count()} CPUs; PostgreSQL {connection.pg_version}",
            flush=True,
        )

        # Baseline: the one-case path, row by row, on the first rows (other invoice numbers).
        parsed = import_parse(
            creditor=creditor,
            name="b." + args.format,
            content=to_file(rows[:BASELINE_ROWS], args.format),
        )
        started = time.perf_counter()
        for debtor, claims in parsed.openings:
            case_submit(
                agency=creditor.agency, creditor=creditor, debtor=debtor,
                claims=[replace(c, invoice_number="B" + c.invoice_number) for c in claims],
                actor=user, notify=False,
            )  # fmt: skip
        baseline = time.perf_counter() - started
        per_row_baseline = baseline / BASELINE_ROWS
        before = Case.objects.count(), Debtor.objects.count(), CaseEvent.objects.count()

        started = time.perf_counter()
        record, parsed = import_check(
            creditor=creditor,
            actor=user,
            file=SimpleUploadedFile(f"impayes.{args.format}", content),
        )
        check = time.perf_counter() - started
        assert not record.errors, record.errors[:5]
        record = import_queue(record=record)
        started = time.perf_counter()
        record = import_execute(record=record)
        execute = time.perf_counter() - started
        assert record.status == "done", record.failure
        cases = Case.objects.count() - before[0]
        claims = Claim.objects.filter(case__creditor=creditor).count()
        debtors = Debtor.objects.count() - before[1]
        events = CaseEvent.objects.count() - before[2]
        print(f"  check (preview): {check:.1f} s", flush=True)
        print(f"  import (one transaction): {execute:.1f} s", flush=True)
        total = check + execute
        print(
            f"  total: {total:.1f} s for {args.rows} rows = {args.rows / total:,.0f} rows/s; "
            f"{cases} cases, {debtors} new debtors, {events} events, {claims} claims in all",
            flush=True,
        )
        print(
            f"  baseline case_submit per case: {per_row_baseline * 1000:.1f} ms per row "
            f"({BASELINE_ROWS} rows in {baseline:.1f} s) -> {args.rows} rows would take "
            f"{per_row_baseline * args.rows:.0f} s; the import is "
            f"{per_row_baseline * args.rows / total:.1f}x faster",
            flush=True,
        )
        assert cases == record.cases_created
        duplicated = sql(
            "SELECT count(*) FROM (SELECT siren FROM debtors_debtor WHERE siren <> '' "
            "GROUP BY agency_id, siren HAVING count(*) > 1) d"
        )[0]
        print(f"  SIRENs held by two debtors: {duplicated}", flush=True)


if __name__ == "__main__":
    main()
