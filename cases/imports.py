"""Bulk import of invoices from a CSV or XLSX file: every row checked, then all or nothing.

The file has one invoice per row under French headers (:data:`COLUMNS`, the template the portal
offers). Rows naming the same debtor become one case. Checking reads the whole file and reports
each problem by row, column and reason, writing nothing but the import record; importing checks
again and writes every case in one transaction (``cases_open_many``), or none. The same file
(by SHA-256) imported twice for a creditor is refused the second time.
"""

from __future__ import annotations

import csv
import hashlib
import io
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import openpyxl
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.template.defaultfilters import filesizeformat
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cases import events
from cases.intake import CASE_SUBMITTED, Channel, open_invoices
from cases.models import CaseImport, Claim, Creditor, validate_claim_contract_rate
from cases.services import ClaimInput, cases_open_many
from collectio.models import User
from collectio.outbox import outbox_put
from collectio.uploads import MAX_UPLOAD_BYTES, storage_save
from debtors.models import ContactPoint, Debtor
from debtors.services import DebtorInput, debtor_input_errors

IMPORTS_FOLDER = "case-imports"
MAX_ROWS = 20_000
PREVIEW_ROWS = 50
FORMATS = ("csv", "xlsx")


@dataclass(frozen=True)
class Column:
    key: str
    header: Any  # lazy French header, as in the template
    required: bool = False
    example: str = ""


COLUMNS = [
    Column("debtor_kind", gettext_lazy("Debtor type"), True, "entreprise"),
    Column("siren", gettext_lazy("SIREN"), False, "552100554"),
    Column("name", gettext_lazy("Legal name or surname"), True, "Garage Dupont SARL"),
    Column("first_name", gettext_lazy("First name"), False, ""),
    Column("address_line1", gettext_lazy("Address"), True, "8 avenue Jean Jaurès"),
    Column("address_line2", gettext_lazy("Address (continued)"), False, ""),
    Column("postcode", gettext_lazy("Postcode"), True, "44000"),
    Column("city", gettext_lazy("City"), True, "Nantes"),
    Column("email", gettext_lazy("E-mail"), False, "compta@garage-dupont.fr"),
    Column("phone", gettext_lazy("Phone"), False, "02 40 00 00 00"),
    Column("invoice_number", gettext_lazy("Invoice number"), True, "F-2026-0042"),
    Column("invoice_date", gettext_lazy("Invoice date"), True, "15/01/2026"),
    Column("due_date", gettext_lazy("Due date"), False, "14/02/2026"),
    Column("principal", gettext_lazy("Amount incl. VAT"), True, "1 250,00"),
    Column("debt_kind", gettext_lazy("Kind of debt"), False, "B2B"),
    Column("contract_rate", gettext_lazy("Contract rate (%)"), False, ""),
]
# The words a creditor may write in the two choice columns, in either language.
DEBTOR_KINDS = {
    "entreprise": Debtor.Kind.COMPANY,
    "société": Debtor.Kind.COMPANY,
    "societe": Debtor.Kind.COMPANY,
    "company": Debtor.Kind.COMPANY,
    "particulier": Debtor.Kind.PERSON,
    "person": Debtor.Kind.PERSON,
    "organisme public": Debtor.Kind.PUBLIC,
    "public": Debtor.Kind.PUBLIC,
}
DEBT_KINDS = {
    "b2b": Claim.DebtKind.B2B,
    "professionnel": Claim.DebtKind.B2B,
    "consommateur": Claim.DebtKind.CONSUMER,
    "consumer": Claim.DebtKind.CONSUMER,
    "b2c": Claim.DebtKind.CONSUMER,
}


@dataclass(frozen=True)
class RowError:
    row: int  # as the spreadsheet numbers it: the header is row 1
    column: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "message": self.message}


@dataclass
class Parsed:
    """The rows of a file, ready to open, or the reasons they are not."""

    rows: int = 0
    errors: list[RowError] = field(default_factory=list)
    # One entry per case to open: the debtor as described and its invoices.
    openings: list[tuple[DebtorInput, list[ClaimInput]]] = field(default_factory=list)
    preview: list[dict[str, str]] = field(default_factory=list)


def _header_key(text: str) -> str | None:
    """The column a header names, in French (the template's) or English, or by its key."""
    wanted = " ".join(str(text or "").split()).casefold()
    for column in COLUMNS:
        names = {column.key}
        for language in ("fr", "en"):
            with translation.override(language):
                names.add(str(column.header).casefold())
        if wanted in names:
            return column.key
    return None


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().strftime("%d/%m/%Y")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return " ".join(str(value).split())


def _read_csv(content: bytes) -> Iterator[list[str]]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = content.decode("cp1252")  # what Excel in French saves as "CSV"
    first = text.split("\n", 1)[0]
    delimiter = max(";,\t", key=first.count)  # the header's separator: no cell holds one
    yield from csv.reader(io.StringIO(text), delimiter=delimiter)


def _read_xlsx(content: bytes) -> Iterator[list[Any]]:
    book = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    try:
        for row in book.worksheets[0].iter_rows(values_only=True):
            yield list(row)
    finally:
        book.close()


def file_format(name: str, content: bytes) -> str:
    """``csv`` or ``xlsx`` by what the file is; a French refusal for anything else."""
    if len(content) > MAX_UPLOAD_BYTES:
        raise ValidationError(
            _("The file is larger than %(limit)s: split it in several files.")
            % {"limit": filesizeformat(MAX_UPLOAD_BYTES)},
            code="too_large",
        )
    if not content:
        raise ValidationError(_("The file is empty."), code="empty")
    if content[:4] == b"PK\x03\x04":
        try:
            with zipfile.ZipFile(io.BytesIO(content)) as archive:
                if "xl/workbook.xml" in archive.namelist():
                    return "xlsx"
        except zipfile.BadZipFile:
            pass
    elif b"\x00" not in content[:8192]:
        return "csv"
    raise ValidationError(
        _("This is not a CSV or XLSX file: save the sheet as Excel (.xlsx) or CSV."),
        code="file_type",
    )


def _day(value: str) -> date:
    for pattern in ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y"):
        try:
            day = datetime.strptime(value, pattern).date()  # noqa: DTZ007 - a calendar day
        except ValueError:
            continue
        if day.year >= 1900:
            return day
    raise ValueError(value)


def _postcode(value: str) -> str:
    """A spreadsheet reads 01000 as the number 1000: give it back its five digits."""
    return value.zfill(5) if value.isdigit() and len(value) == 4 else value


def _amount(value: str) -> Decimal:
    cleaned = value.replace("€", "").replace("\u202f", "").replace("\xa0", "").replace(" ", "")
    if "," in cleaned:
        cleaned = cleaned.replace(".", "").replace(",", ".")
    return Decimal(cleaned)


class _Row:
    """One row's cells and the errors found in them."""

    def __init__(self, number: int, cells: dict[str, str], errors: list[RowError]) -> None:
        self.number, self.cells, self._errors = number, cells, errors
        self.ok = True

    def refuse(self, key: str, message: str) -> None:
        self._errors.append(RowError(self.number, _header(key), message))
        self.ok = False

    def parse(self, key: str, convert: Callable[[str], Any], message: str) -> Any:
        value = self.cells.get(key, "")
        if not value:
            return None
        try:
            return convert(value)
        except (ValueError, InvalidOperation, KeyError):
            self.refuse(key, message % {"value": value})
            return None


def _debtor_key(debtor: DebtorInput | Debtor) -> tuple[str, ...]:
    """Who a row names: a SIREN, or a person's name and address (as ``debtor_find`` matches)."""
    siren = debtor.compact_siren if isinstance(debtor, DebtorInput) else debtor.siren
    if siren:
        return ("siren", siren)
    return tuple(
        v.strip().casefold()
        for v in (
            debtor.kind,
            debtor.name,
            debtor.first_name,
            debtor.address_line1,
            debtor.postcode,
        )
    )


def _header(key: str) -> str:
    return next(str(c.header) for c in COLUMNS if c.key == key)


def _check_row(row: _Row, today: date) -> tuple[DebtorInput, ClaimInput] | None:
    cells = row.cells
    for column in COLUMNS:
        if column.required and not cells.get(column.key):
            row.refuse(column.key, _("This column is required."))
    kind = row.parse(
        "debtor_kind",
        lambda v: DEBTOR_KINDS[v.casefold()],
        _("“%(value)s” is not a debtor type: write entreprise, particulier or organisme public."),
    )
    debt_kind = row.parse(
        "debt_kind",
        lambda v: DEBT_KINDS[v.casefold()],
        _("“%(value)s” is not a kind of debt: write B2B or consommateur."),
    )
    invoiced = row.parse("invoice_date", _day, _("“%(value)s” is not a date (DD/MM/YYYY)."))
    due = row.parse("due_date", _day, _("“%(value)s” is not a date (DD/MM/YYYY)."))
    principal = row.parse(
        "principal", _amount, _("“%(value)s” is not an amount (for example 1 250,00).")
    )
    rate = row.parse("contract_rate", _amount, _("“%(value)s” is not a rate (for example 12,5)."))
    if invoiced and invoiced > today:
        row.refuse("invoice_date", _("The invoice date is in the future."))
    if invoiced and due and due < invoiced:
        row.refuse("due_date", _("The due date cannot come before the invoice date."))
    if principal is not None and (principal <= 0 or principal != round(principal, 2)):
        row.refuse("principal", _("The amount must be above zero, in euros and cents."))
    if cells.get("email"):
        try:
            validate_email(cells["email"])
        except ValidationError:
            row.refuse(
                "email", _("“%(value)s” is not an e-mail address.") % {"value": cells["email"]}
            )
    debtor = DebtorInput(
        kind=kind or "",
        name=cells.get("name", ""),
        first_name=cells.get("first_name", ""),
        siren=cells.get("siren", ""),
        address_line1=cells.get("address_line1", ""),
        address_line2=cells.get("address_line2", ""),
        postcode=_postcode(cells.get("postcode", "")),
        city=cells.get("city", ""),
        email=cells.get("email", ""),
        phone=cells.get("phone", ""),
    )
    if kind:
        for key, messages in debtor_input_errors(debtor).items():
            if key != "kind" and cells.get(key):  # an empty required cell is reported already
                for message in messages:
                    row.refuse(key, message)
    if not row.ok:
        return None
    claim = ClaimInput(
        invoice_number=cells["invoice_number"],
        invoice_date=invoiced,
        due_date=due,
        principal=principal,
        debt_kind=debt_kind
        or (Claim.DebtKind.CONSUMER if kind == Debtor.Kind.PERSON else Claim.DebtKind.B2B),
        contract_rate=rate,
    )
    if rate is not None:
        try:
            validate_claim_contract_rate(rate, due_date=claim.effective_due_date, on=today)
        except ValidationError as error:
            for message in error.message_dict.get("contract_rate", error.messages):
                row.refuse("contract_rate", message)
            return None
    return debtor, claim


def import_parse(*, creditor: Creditor, name: str, content: bytes) -> Parsed:
    """Read and check every row; nothing is written."""
    kind = file_format(name, content)
    reader = _read_xlsx(content) if kind == "xlsx" else _read_csv(content)
    parsed = Parsed()
    try:
        header = next(reader)
    except StopIteration:
        parsed.errors.append(RowError(1, "", _("The file has no header row.")))
        return parsed
    keys = [_header_key(_text(cell)) for cell in header]
    missing = [str(c.header) for c in COLUMNS if c.required and c.key not in keys]
    if missing:
        parsed.errors.append(
            RowError(
                1,
                "",
                _("Columns missing from the header: %(columns)s. Start from the template.")
                % {"columns": ", ".join(missing)},
            )
        )
        return parsed
    today = timezone.localdate()
    groups: dict[tuple[str, ...], tuple[DebtorInput, list[ClaimInput], dict[str, int]]] = {}
    for number, values in enumerate(reader, start=2):
        cells = {k: _text(v) for k, v in zip(keys, values, strict=False) if k}
        if not any(cells.values()):
            continue
        parsed.rows += 1
        if parsed.rows > MAX_ROWS:
            parsed.errors.append(
                RowError(
                    number, "", _("More than %(max)s rows: split the file.") % {"max": MAX_ROWS}
                )
            )
            break
        if len(parsed.preview) < PREVIEW_ROWS:
            parsed.preview.append({"row": str(number), **cells})
        row = _Row(number, cells, parsed.errors)
        checked = _check_row(row, today)
        if checked is None:
            continue
        debtor, claim = checked
        key = _debtor_key(debtor)
        _debtor, claims, seen = groups.setdefault(key, (debtor, [], {}))
        if claim.invoice_number in seen:
            row.refuse(
                "invoice_number",
                _("Invoice %(number)s of this debtor is already on row %(row)s.")
                % {"number": claim.invoice_number, "row": seen[claim.invoice_number]},
            )
            continue
        seen[claim.invoice_number] = number
        claims.append(claim)
    parsed.openings = [(debtor, claims) for debtor, claims, _seen in groups.values()]
    _check_duplicates(creditor, parsed, groups)
    return parsed


def _existing_debtors(agency_id: int, keys: Sequence[tuple[str, ...]]) -> dict[Any, Debtor]:
    """The agency's debtors these keys name, in two queries whatever the file's size."""
    found: dict[tuple[str, ...], Debtor] = {}
    sirens = [k[1] for k in keys if k[0] == "siren"]
    for debtor in Debtor.objects.filter(agency_id=agency_id, siren__in=sirens):
        found[("siren", debtor.siren)] = debtor
    postcodes = {k[4] for k in keys if k[0] != "siren"}
    people = Debtor.objects.filter(agency_id=agency_id, siren="", postcode__in=postcodes)
    for debtor in people.order_by("pk"):
        found.setdefault(_debtor_key(debtor), debtor)
    return found


def _check_duplicates(creditor: Creditor, parsed: Parsed, groups: dict[Any, Any]) -> None:
    """An invoice already in an open case of this creditor is a row error."""
    existing = _existing_debtors(creditor.agency_id, list(groups))
    key_of = {debtor.pk: key for key, debtor in existing.items()}
    for debtor_id, duplicate in open_invoices(
        agency=creditor.agency,
        creditor=creditor,
        debtor_ids=list(key_of),
        invoice_numbers=[c.invoice_number for _d, claims, _s in groups.values() for c in claims],
    ):
        seen = groups[key_of[debtor_id]][2]
        if duplicate.invoice_number in seen:
            parsed.errors.append(
                RowError(
                    seen[duplicate.invoice_number],
                    _header("invoice_number"),
                    _("Invoice %(number)s is already in the open case %(case)s.")
                    % {"number": duplicate.invoice_number, "case": duplicate.case_reference},
                )
            )
    parsed.errors.sort(key=lambda e: (e.row, e.column))


def import_previous(
    *, creditor: Creditor, sha256: str, exclude: int | None = None
) -> CaseImport | None:
    """The import of this very file that already went through, if any."""
    return (
        CaseImport.objects.filter(creditor=creditor, sha256=sha256, status=CaseImport.Status.DONE)
        .exclude(pk=exclude)
        .order_by("-finished_at")
        .first()
    )


def as_csv(name: str, content: bytes) -> bytes:
    """The sheet as the import reads it: a CSV of its cells as text, row for row (blank rows
    kept, so row numbers stay the spreadsheet's). Checking it again at import time then costs
    a CSV read, not a second XLSX parse (three quarters of the time on 10,000 rows)."""
    reader = _read_xlsx(content) if file_format(name, content) == "xlsx" else _read_csv(content)
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    for values in reader:
        writer.writerow([_text(v) for v in values])
    return out.getvalue().encode("utf-8")


@transaction.atomic
def import_check(*, creditor: Creditor, actor: User, file: Any) -> tuple[CaseImport, Parsed]:
    """Store the file's cells and their check (the preview); nothing else is written."""
    content = file.read()
    name = str(getattr(file, "name", "") or "import")[:255]
    cells = as_csv(name, content)
    parsed = import_parse(creditor=creditor, name="cells.csv", content=cells)
    stored = storage_save(io.BytesIO(cells), extension="csv", folder=IMPORTS_FOLDER)
    record = CaseImport.objects.create(
        agency_id=creditor.agency_id,
        creditor=creditor,
        uploaded_by=actor,
        file=stored,
        original_name=name.replace("\\", "/").rsplit("/", 1)[-1],
        sha256=hashlib.sha256(content).hexdigest(),
        rows=parsed.rows,
        errors=[e.as_dict() for e in parsed.errors[:1000]],
    )
    return record, parsed


@transaction.atomic
def import_queue(*, record: CaseImport) -> CaseImport:
    """Mark a clean, new file as queued; the caller enqueues the task after commit."""
    locked = CaseImport.objects.select_for_update().get(pk=record.pk)
    if locked.status != CaseImport.Status.CHECKED:
        raise ValidationError(_("This import was started already."))
    if locked.errors:
        raise ValidationError(_("Fix the errors in the file and upload it again."))
    previous = import_previous(creditor=locked.creditor, sha256=locked.sha256, exclude=locked.pk)
    if previous is not None:
        raise ValidationError(
            _("This very file was imported on %(day)s (%(count)s cases): it is not imported twice.")
            % {"day": previous.finished_at.strftime("%d/%m/%Y"), "count": previous.cases_created},
            code="already_imported",
        )
    locked.status = CaseImport.Status.QUEUED
    locked.save(update_fields=["status"])
    return locked


def import_execute(
    *, record: CaseImport, progress: Callable[[int, int], None] | None = None
) -> CaseImport:
    """Import every row in one transaction, or none; the record says how it ended."""
    record = CaseImport.objects.select_related("creditor__agency", "uploaded_by").get(pk=record.pk)
    if record.status not in (CaseImport.Status.QUEUED, CaseImport.Status.RUNNING):
        return record
    CaseImport.objects.filter(pk=record.pk).update(status=CaseImport.Status.RUNNING)
    with default_storage.open(record.file.name, "rb") as handle:
        content = handle.read()
    try:
        with transaction.atomic():
            created = _import_rows(record=record, content=content, progress=progress)
    except (ValidationError, IntegrityError) as refused:
        reason = (
            " ".join(refused.messages)
            if isinstance(refused, ValidationError)
            else _("A debtor of the file was entered meanwhile: start the import again.")
        )
        errors = refused.row_errors if isinstance(refused, FileChanged) else []
        CaseImport.objects.filter(pk=record.pk).update(
            status=CaseImport.Status.FAILED,
            failure=reason,
            finished_at=timezone.now(),
            errors=[e.as_dict() for e in errors[:1000]],
        )
    else:
        CaseImport.objects.filter(pk=record.pk).update(
            status=CaseImport.Status.DONE, cases_created=created, finished_at=timezone.now()
        )
    record.refresh_from_db()
    return record


class FileChanged(ValidationError):
    """Rows that were right at the preview are wrong now: nothing is imported."""

    def __init__(self, row_errors: list[RowError]) -> None:
        super().__init__(_("The file has errors now: see the rows below."))
        self.row_errors = row_errors


def _import_rows(
    *, record: CaseImport, content: bytes, progress: Callable[[int, int], None] | None
) -> int:
    creditor, actor = record.creditor, record.uploaded_by
    parsed = import_parse(creditor=creditor, name="cells.csv", content=content)
    if parsed.errors:  # the data moved since the preview (an invoice entered meanwhile)
        raise FileChanged(parsed.errors)
    debtors = _debtors_for(creditor, [d for d, _c in parsed.openings])
    total, done = len(parsed.openings), 0
    cases = []
    for start in range(0, total, 1000):
        chunk = parsed.openings[start : start + 1000]
        cases += cases_open_many(
            agency=creditor.agency,
            creditor=creditor,
            openings=[(debtors[_debtor_key(d)], claims) for d, claims in chunk],
            actor=actor,
        )
        done += len(chunk)
        if progress is not None:
            progress(done, total)
    events.cases_submitted(cases=cases, actor=actor, channel=Channel.IMPORT)
    outbox_put(
        agency_id=creditor.agency_id,
        kind=CASE_SUBMITTED,
        key=f"case-import:{record.pk}",
        payload={"case_ids": [c.pk for c in cases]},
    )
    return len(cases)


def _debtors_for(creditor: Creditor, described: Sequence[DebtorInput]) -> dict[Any, Debtor]:
    """Every debtor the file names, found or created in a few statements (never twice), with
    the contact points the file gives."""
    agency_id = creditor.agency_id
    wanted = {_debtor_key(d): d for d in described}
    found = _existing_debtors(agency_id, list(wanted))
    new = {
        key: Debtor(
            agency_id=agency_id,
            kind=d.kind,
            name=d.name.strip(),
            first_name=d.first_name.strip(),
            siren=d.compact_siren,
            address_line1=d.address_line1.strip(),
            address_line2=d.address_line2.strip(),
            postcode=d.postcode.strip(),
            city=d.city.strip(),
            country=d.country or "FR",
        )
        for key, d in wanted.items()
        if key not in found
    }
    Debtor.objects.bulk_create(list(new.values()), batch_size=2000)
    found.update(new)
    contacts = [
        ContactPoint(
            agency_id=agency_id,
            debtor=found[key],
            channel=channel,
            value=value,
            is_professional=d.kind != Debtor.Kind.PERSON,
        )
        for key, d in wanted.items()
        for channel, value in (
            (ContactPoint.Channel.EMAIL, d.email.strip().lower()),
            (ContactPoint.Channel.PHONE, "".join(d.phone.split())),
        )
        if value
    ]
    ContactPoint.objects.bulk_create(contacts, batch_size=2000, ignore_conflicts=True)
    return found


def import_template(fmt: str) -> bytes:
    """The French template: the headers, one example row."""
    with translation.override("fr"):
        return _template(fmt)


def _template(fmt: str) -> bytes:
    headers = [str(c.header) for c in COLUMNS]
    example = [c.example for c in COLUMNS]
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, delimiter=";")
        writer.writerows([headers, example])
        return ("\ufeff" + out.getvalue()).encode("utf-8")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = _("Invoices")[:31]
    sheet.append(headers)
    sheet.append(example)
    for index, column in enumerate(COLUMNS, start=1):
        letter = openpyxl.utils.get_column_letter(index)
        sheet.column_dimensions[letter].width = max(14, len(str(column.header)) + 2)
        sheet[f"{letter}1"].font = openpyxl.styles.Font(bold=True)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
