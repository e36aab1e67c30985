"""The reference rates as a maintained dataset: the shipped file and the published sources.

Three inputs, one shape (:class:`RateRow`):

- ``dunning/data/reference_rates_fr.csv``, shipped with the code: every semester since 2019-S1,
  each row with the arrêté and its Journal officiel, or the ECB decision, it comes from;
- the ECB's series file for the main refinancing operations rate, as downloaded from the ECB
  Data Portal (series ``FM.B.U2.EUR.4F.KR.MRR_FR.LEV``): one row per rate change, from which
  the rate in force on 1 January / 1 July of each semester is derived (L441-10 II);
- a simple CSV of the two legal rates of each arrêté (``semester,private_person,other,source``).

Parsing is pure; :func:`apply_rows` writes through the model it is given, so the data migration
(historical model) and ``manage.py import_reference_rates`` (real model) share it.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path

from law.interest import DictRateSource, RateKind, semester_bounds, semester_of

SHIPPED_DATASET = Path(__file__).resolve().parent / "data" / "reference_rates_fr.csv"
ECB_MRO_SERIES = "FM.B.U2.EUR.4F.KR.MRR_FR.LEV"
RATE_PLACES = Decimal("0.001")  # ReferenceRate.rate has three decimal places
_SERIES_KEY = re.compile(r"\b([A-Z0-9]+(?:\.[A-Z0-9_]+){4,})\b")
_MISSING_VALUES = {"", "-", "NAN", "NA", "N/A"}


class RateFileError(ValueError):
    """A rate file that cannot be read as what it claims to be; nothing is imported from it."""


@dataclass(frozen=True)
class RateRow:
    semester: str
    kind: RateKind
    rate: Decimal
    source: str
    verified: bool = True
    note: str = ""


@dataclass(frozen=True)
class RateChange:
    """What an import does to one (semester, kind): ``before`` is None for a new row."""

    row: RateRow
    before: Decimal | None
    before_source: str = ""

    def __str__(self) -> str:
        label = f"{self.row.semester} {self.row.kind.value}"
        if self.before is None:
            return f"+ {label} {self.row.rate} % ({self.row.source})"
        return (
            f"~ {label} {self.before} % → {self.row.rate} % "
            f"({self.row.source}; was: {self.before_source or '—'})"
        )


def _rate(text: str, where: str) -> Decimal:
    cleaned = text.strip().replace("%", "").replace(",", ".").strip()
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise RateFileError(f"{where}: {text!r} is not a rate") from None
    if not value.is_finite() or not Decimal(-5) <= value < Decimal(100):
        raise RateFileError(f"{where}: {text!r} is not a plausible annual rate in percent")
    return value.quantize(RATE_PLACES)


def _semester(text: str, where: str) -> str:
    semester = text.strip().upper()
    try:
        semester_bounds(semester)
    except ValueError:
        raise RateFileError(f"{where}: {text!r} is not a semester such as 2026-S2") from None
    return semester


def _delimiter(sample: str) -> str:
    """Commas, or semicolons for a file re-saved by a French spreadsheet (decimal commas)."""
    return ";" if sample.count(";") > sample.count(",") else ","


def _dict_rows(text: str, required: Sequence[str], name: str) -> list[tuple[int, dict[str, str]]]:
    """Rows of a headed CSV (comma or semicolon), keyed by lower-case column name."""
    text = text.lstrip("\ufeff")
    reader = csv.DictReader(io.StringIO(text), delimiter=_delimiter(text.split("\n", 1)[0]))
    header = [(column or "").strip().lower() for column in reader.fieldnames or []]
    missing = [column for column in required if column not in header]
    if missing:
        raise RateFileError(f"{name}: missing column(s) {', '.join(missing)}")
    return [
        (number, {(k or "").strip().lower(): (v or "").strip() for k, v in row.items()})
        for number, row in enumerate(reader, start=2)
        if any((v or "").strip() for v in row.values() if isinstance(v, str))
    ]


# --- the shipped dataset ----------------------------------------------------------------------
def parse_dataset(text: str, name: str = "dataset") -> list[RateRow]:
    """``semester,kind,rate,verified,source,note``: one row per published rate."""
    rows = []
    for number, row in _dict_rows(text, ("semester", "kind", "rate", "source"), name):
        where = f"{name} line {number}"
        try:
            kind = RateKind(row["kind"].upper())
        except ValueError:
            raise RateFileError(f"{where}: unknown kind {row['kind']!r}") from None
        rows.append(
            RateRow(
                semester=_semester(row["semester"], where),
                kind=kind,
                rate=_rate(row["rate"], where),
                source=row["source"],
                verified=row.get("verified", "true").lower() in ("true", "1", "yes", "oui"),
                note=row.get("note", ""),
            )
        )
    return rows


@cache
def shipped_rows() -> tuple[RateRow, ...]:
    return tuple(parse_dataset(SHIPPED_DATASET.read_text(encoding="utf-8"), SHIPPED_DATASET.name))


def shipped_rate_source() -> DictRateSource:
    """The shipped dataset as a rate source, for code that needs no database (samples, tests)."""
    table: dict[str, dict[RateKind, Decimal]] = {}
    for row in shipped_rows():
        table.setdefault(row.semester, {})[row.kind] = row.rate
    return DictRateSource(table)


# --- the ECB's series file --------------------------------------------------------------------
def _parse_day(text: str) -> date | None:
    try:
        return date.fromisoformat(text.strip()[:10])
    except ValueError:
        return None


def parse_ecb_series(text: str, name: str = "ECB file") -> list[tuple[date, Decimal]]:
    """The observations (date, rate) of the MRO series, oldest first.

    Tolerates the layouts the ECB Data Portal produces: the web download (``"DATE","TIME
    PERIOD","<title> (FM.B.U2.EUR.4F.KR.MRR_FR.LEV)"``, possibly after a few title lines) and the
    SDMX-CSV of its API (``KEY,…,TIME_PERIOD,OBS_VALUE,…``). A file of another series is refused.
    """
    text = text.lstrip("\ufeff")
    lines = list(csv.reader(io.StringIO(text), delimiter=_delimiter(text)))
    header_at = next(
        (
            i
            for i, line in enumerate(lines)
            if {c.strip().upper() for c in line} & {"DATE", "TIME_PERIOD", "TIME PERIOD"}
        ),
        None,
    )
    if header_at is None:
        raise RateFileError(f"{name}: no DATE or TIME_PERIOD column")
    header = [c.strip() for c in lines[header_at]]
    upper = [c.upper() for c in header]
    keys = {key for cell in lines[: header_at + 1] for key in _SERIES_KEY.findall(" ".join(cell))}
    if "KEY" in upper:
        key_column = upper.index("KEY")
        keys |= {
            line[key_column].strip() for line in lines[header_at + 1 :] if len(line) > key_column
        }
    keys.discard("")
    if keys - {ECB_MRO_SERIES}:
        raise RateFileError(
            f"{name}: series {', '.join(sorted(keys - {ECB_MRO_SERIES}))}, "
            f"not the main refinancing operations rate {ECB_MRO_SERIES}"
        )
    if "OBS_VALUE" in upper:
        value_column = upper.index("OBS_VALUE")
    else:
        value_column = next(
            (i for i, c in enumerate(header) if ECB_MRO_SERIES in c), len(header) - 1
        )
    body = [line for line in lines[header_at + 1 :] if any(c.strip() for c in line)]
    date_columns = [i for i, c in enumerate(upper) if c in ("DATE", "TIME_PERIOD", "TIME PERIOD")]
    date_column = next(
        (i for i in date_columns if body and _parse_day(body[0][i]) is not None), None
    )
    if date_column is None:
        raise RateFileError(f"{name}: no column of ISO dates (YYYY-MM-DD)")
    observations = []
    for number, line in enumerate(body, start=header_at + 2):
        value = line[value_column].strip() if len(line) > value_column else ""
        if value.upper() in _MISSING_VALUES:
            continue
        day = _parse_day(line[date_column])
        if day is None:
            raise RateFileError(f"{name} line {number}: {line[date_column]!r} is not a date")
        observations.append((day, _rate(value, f"{name} line {number}")))
    if not observations:
        raise RateFileError(f"{name}: no observation")
    return sorted(observations)


def next_semester(semester: str) -> str:
    year, half = int(semester[:4]), semester[-1]
    return f"{year}-S2" if half == "1" else f"{year + 1}-S1"


def _semesters(first: str, last: str) -> Iterable[str]:
    semester = first
    while semester <= last:
        yield semester
        semester = next_semester(semester)


def ecb_semester_rows(
    observations: Sequence[tuple[date, Decimal]], *, today: date
) -> list[RateRow]:
    """The rate in force on each semester's first day (L441-10 II), for every semester that
    began between the first observation and ``today``: a later one is not known yet."""
    first_day = observations[0][0]
    start = semester_of(first_day)
    if semester_bounds(start)[0] < first_day:  # the file starts inside that semester
        start = next_semester(start)
    rows = []
    for semester in _semesters(start, semester_of(today)):
        begins = semester_bounds(semester)[0]
        since, rate = max((d, r) for d, r in observations if d <= begins)
        in_french = f"{rate:.2f}".replace(".", ",")
        rows.append(
            RateRow(
                semester=semester,
                kind=RateKind.ECB_MRO,
                rate=rate,
                source=(
                    f"BCE, série {ECB_MRO_SERIES} : {in_french} % "
                    f"à compter du {since:%d/%m/%Y}, en vigueur le {begins:%d/%m/%Y}"
                ),
            )
        )
    return rows


# --- the legal rates CSV ----------------------------------------------------------------------
def parse_legal_rates(text: str, name: str = "legal rates file") -> list[RateRow]:
    """``semester,private_person,other,source``: the two rates of one arrêté per line."""
    rows = []
    for number, row in _dict_rows(text, ("semester", "private_person", "other", "source"), name):
        where = f"{name} line {number}"
        semester = _semester(row["semester"], where)
        if not row["source"]:
            raise RateFileError(f"{where}: the source (arrêté and Journal officiel) is required")
        for kind, column in (
            (RateKind.LEGAL_PRIVATE_CREDITOR, "private_person"),
            (RateKind.LEGAL_OTHER, "other"),
        ):
            rows.append(RateRow(semester, kind, _rate(row[column], where), row["source"]))
    return rows


# --- writing ----------------------------------------------------------------------------------
def apply_rows(
    model: type, rows: Iterable[RateRow], *, write: bool, curated: bool = False
) -> list[RateChange]:
    """Create or correct the rows that differ from ``rows``, so importing twice changes nothing
    the second time. An equal, verified row keeps its source, unless ``rows`` is the curated
    dataset (whose sources then replace any other); an unverified row (a demo copy, a
    provisional value) is always replaced by a verified one.
    """
    rows = list(rows)
    seen = [(r.semester, r.kind.value) for r in rows]
    if len(set(seen)) != len(seen):
        duplicate = next(s for s in seen if seen.count(s) > 1)
        raise RateFileError(f"{duplicate[0]} {duplicate[1]} is given twice")
    existing = {
        (r.semester, r.kind): r
        for r in model.objects.filter(semester__in={r.semester for r in rows})
    }
    changes = []
    for row in rows:
        current = existing.get((row.semester, row.kind.value))
        if (
            current is not None
            and current.rate == row.rate
            and (current.verified or not row.verified)
            and not (curated and (current.source, current.note) != (row.source, row.note))
        ):
            continue
        changes.append(
            RateChange(
                row,
                before=None if current is None else current.rate,
                before_source="" if current is None else current.source,
            )
        )
        if write:
            model.objects.update_or_create(
                semester=row.semester,
                kind=row.kind.value,
                defaults={
                    "rate": row.rate,
                    "source": row.source[:300],
                    "verified": row.verified,
                    "note": row.note,
                },
            )
    return changes


def load_shipped(model: type) -> list[RateChange]:
    """Write the shipped dataset (the data migration, and tests whose database was flushed)."""
    return apply_rows(model, shipped_rows(), write=True, curated=True)
