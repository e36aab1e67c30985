"""``manage.py import_reference_rates``: load published rates from the files their publishers
give, so a new semester is data entered by an operator, never a code change.

    manage.py import_reference_rates --ecb ECB-MRO.csv --legal taux-legaux.csv [--dry-run]

``--ecb``: the series FM.B.U2.EUR.4F.KR.MRR_FR.LEV downloaded from the ECB Data Portal
(data.ecb.europa.eu, "Main refinancing operations - fixed rate tenders", CSV); the rate in force
on 1 January / 1 July is derived for every semester begun by today. Download it after the
semester has begun. ``--legal``: ``semester,private_person,other,source`` (the arrêté and its
Journal officiel date), one line per arrêté.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from dunning.reference_rates import (
    RateFileError,
    ecb_semester_rows,
    parse_ecb_series,
    parse_legal_rates,
)
from dunning.services import reference_rates_import
from law.interest import semester_bounds


def _read(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8-sig")
    except OSError as error:
        raise CommandError(f"{path}: {error.strerror}") from error
    except UnicodeDecodeError as error:
        raise CommandError(f"{path}: not a UTF-8 text file") from error


class Command(BaseCommand):
    help = "Import the ECB main refinancing rate series and the legal rates (idempotent)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--ecb", help="ECB Data Portal CSV of FM.B.U2.EUR.4F.KR.MRR_FR.LEV")
        parser.add_argument("--legal", help="CSV: semester,private_person,other,source")
        parser.add_argument("--since", help="ignore semesters before this one, e.g. 2019-S1")
        parser.add_argument(
            "--dry-run", action="store_true", help="print what would change, write nothing"
        )

    def handle(
        self,
        *args: Any,
        ecb: str | None,
        legal: str | None,
        since: str | None,
        dry_run: bool,
        **options: Any,
    ) -> None:
        if not ecb and not legal:
            raise CommandError("Give --ecb FILE, --legal FILE, or both.")
        if since:
            try:
                semester_bounds(since.upper())
            except ValueError as error:
                raise CommandError(f"--since {since}: not a semester such as 2019-S1") from error
        try:
            rows = []
            if ecb:
                observations = parse_ecb_series(_read(ecb), Path(ecb).name)
                rows += ecb_semester_rows(observations, today=timezone.localdate())
            if legal:
                rows += parse_legal_rates(_read(legal), Path(legal).name)
            if since:
                rows = [row for row in rows if row.semester >= since.upper()]
            changes = reference_rates_import(rows=rows, dry_run=dry_run)
        except RateFileError as error:
            raise CommandError(f"{error}; nothing was imported.") from error
        for change in changes:
            self.stdout.write(str(change))
        unchanged = len(rows) - len(changes)
        if dry_run:
            self.stdout.write(
                f"Dry run: {len(changes)} rate(s) would change, {unchanged} unchanged; "
                "nothing was written."
            )
        else:
            self.stdout.write(f"{len(changes)} rate(s) written, {unchanged} unchanged.")
