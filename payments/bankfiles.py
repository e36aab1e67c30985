"""Bank files in and out of the dedicated account: statements read (CAMT.053, CSV) into plain
lines, the SEPA credit transfer (pain.001.001.09) written and checked against its schema.

Pure: no database. CAMT.053 is validated against the official ISO 20022 schema of its version
(vendored under ``payments/schemas``), then read with lxml in one pass, entry by entry (pycamt
searches the whole statement again for each entry: 22 s for 4,000 lines, quadratic). pain.001
is written by sepaxml and validated with lxml against the official schema sepaxml ships, so a
file the bank would reject never leaves.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path

import sepaxml
from django.utils.translation import gettext as _
from lxml import etree
from sepaxml import SepaTransfer

from collectio.money import to_money

SCHEMAS = Path(__file__).resolve().parent / "schemas"
CAMT053_VERSIONS = ("camt.053.001.02", "camt.053.001.08")
PAIN001 = "pain.001.001.09"
PAIN001_XSD = Path(sepaxml.__file__).resolve().parent / "schemas" / f"{PAIN001}.xsd"
MAX_FILE_BYTES = 20 * 1024 * 1024


class BankFileError(ValueError):
    """A file that is not a statement we can read, said in French for the person importing it."""


@dataclass(frozen=True)
class StatementLine:
    """One booked entry, credit (positive) or debit (negative)."""

    key: str
    booked_on: date
    amount: Decimal
    counterparty: str
    counterparty_iban: str
    remittance_info: str


@dataclass(frozen=True)
class ParsedStatement:
    format: str
    identification: str
    account_iban: str
    lines: tuple[StatementLine, ...]


@cache
def _schema(path: Path) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(path)))


def _safe_parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)


def file_sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def _fact_key(prefix: str, facts: Sequence[object], seen: Counter[tuple[object, ...]]) -> str:
    """A key for a line the bank gave no reference to: its facts and how many identical lines
    came before it in the same file (two equal transfers on one day are two lines)."""
    facts = tuple(facts)
    seen[facts] += 1
    digest = hashlib.sha256(repr((*facts, seen[facts])).encode()).hexdigest()[:40]
    return f"{prefix}:{digest}"


# --- CAMT.053 ----------------------------------------------------------------------------------
def parse_camt053(content: bytes) -> ParsedStatement:
    """Validate against the version's XSD, then read every entry's transactions."""
    if len(content) > MAX_FILE_BYTES:
        raise BankFileError(_("The file is larger than 20 MB."))
    try:
        tree = etree.fromstring(content, parser=_safe_parser())
    except etree.XMLSyntaxError as error:
        raise BankFileError(
            _("This file is not valid XML: %(error)s") % {"error": error}
        ) from error
    namespace = etree.QName(tree).namespace or ""
    version = namespace.rsplit(":", 1)[-1]
    if version not in CAMT053_VERSIONS:
        raise BankFileError(
            _("This is not a CAMT.053 statement in a version we read (%(versions)s).")
            % {"versions": ", ".join(CAMT053_VERSIONS)}
        )
    schema = _schema(SCHEMAS / f"{version}.xsd")
    if not schema.validate(tree):
        error = schema.error_log.last_error
        raise BankFileError(
            _("The statement does not follow the %(version)s schema (line %(line)s: %(error)s).")
            % {"version": version, "line": error.line, "error": error.message}
        )
    ns = {"c": namespace}
    lines, seen = [], Counter()
    statements = tree.findall("c:BkToCstmrStmt/c:Stmt", ns)
    iban = statements[0].findtext("c:Acct/c:Id/c:IBAN", "", ns) if statements else ""
    identification = statements[0].findtext("c:Id", "", ns) if statements else ""
    for statement in statements:
        account = statement.findtext("c:Acct/c:Id/c:IBAN", "", ns)
        for entry in statement.iterfind("c:Ntry", ns):
            lines.extend(_camt_entry_lines(entry, ns, account, seen))
    return ParsedStatement("camt053", identification, iban, tuple(lines))


def _text(element: etree._Element, path: str, ns: dict[str, str]) -> str:
    return (element.findtext(path, "", ns) or "").strip()


def _camt_entry_lines(
    entry: etree._Element, ns: dict[str, str], iban: str, seen: Counter[tuple[object, ...]]
) -> list[StatementLine]:
    """The lines of one entry: one per transaction detail (a batch entry has several), or the
    entry itself. Reversals and entries not booked yet are no money received."""
    status = _text(entry, "c:Sts", ns) or _text(entry, "c:Sts/c:Cd", ns)
    if _text(entry, "c:RvslInd", ns) == "true" or status not in ("", "BOOK"):
        return []
    amount_element = entry.find("c:Amt", ns)
    if amount_element is not None and amount_element.get("Ccy") != "EUR":
        raise BankFileError(_("Only statements in euros are read."))
    debit = _text(entry, "c:CdtDbtInd", ns) == "DBIT"
    booked_on = _date(
        _text(entry, "c:BookgDt/c:Dt", ns)
        or _text(entry, "c:BookgDt/c:DtTm", ns)
        or _text(entry, "c:ValDt/c:Dt", ns)
    )
    reference = _text(entry, "c:AcctSvcrRef", ns)
    details = entry.findall("c:NtryDtls/c:TxDtls", ns) or [None]
    lines = []
    for rank, detail in enumerate(details, start=1):
        scope = detail if detail is not None else entry
        total = _text(entry, "c:Amt", ns)
        if detail is not None and len(details) > 1:  # a batch: each transaction its amount
            total = _text(detail, ".//c:AmtDtls/c:TxAmt/c:Amt", ns) or _text(detail, "c:Amt", ns)
        amount = _amount(total)
        party = "c:RltdPties/c:Cdtr" if debit else "c:RltdPties/c:Dbtr"
        name = _text(scope, f"{party}/c:Nm", ns) or _text(scope, f"{party}/c:Pty/c:Nm", ns)
        account = _text(scope, f"{party}Acct/c:Id/c:IBAN", ns)
        end_to_end = _text(scope, "c:Refs/c:EndToEndId", ns)
        info = " ".join(
            text
            for text in (
                *(u.text.strip() for u in scope.findall("c:RmtInf/c:Ustrd", ns) if u.text),
                _text(scope, "c:RmtInf/c:Strd/c:CdtrRefInf/c:Ref", ns),
                _text(entry, "c:AddtlNtryInf", ns),
                end_to_end if end_to_end != "NOTPROVIDED" else "",
            )
            if text
        )
        signed = -amount if debit else amount
        if reference:  # the bank's own reference, plus the transaction's rank in a batch
            key = f"camt:{iban}:{reference}:{rank}"
        else:
            key = _fact_key("camt", (iban, booked_on, signed, name, info), seen)
        lines.append(StatementLine(key[:120], booked_on, signed, name[:200], account[:34], info))
    return lines


# --- CSV ---------------------------------------------------------------------------------------
CSV_COLUMNS = {
    "date": ("date", "date operation", "date d'opération", "date de valeur", "booked_on"),
    "amount": ("montant", "amount", "crédit", "credit"),
    "name": ("nom", "name", "émetteur", "tiers", "counterparty"),
    "info": ("libellé", "libelle", "référence", "reference", "motif", "remittance_info"),
    "iban": ("iban",),
    "bank_reference": ("référence banque", "reference banque", "bank_reference", "id"),
}
REQUIRED_CSV = ("date", "amount", "info")


def _column_map(header: Sequence[str]) -> dict[str, int]:
    normalised = [h.strip().lower().lstrip("\ufeff") for h in header]
    found = {}
    for field, names in CSV_COLUMNS.items():
        for index, name in enumerate(normalised):
            if name in names:
                found[field] = index
                break
    return found


def parse_csv(content: bytes) -> ParsedStatement:
    """A bank's CSV export: one line a movement, a header naming the columns (French or
    English: date, montant, nom, libellé, iban, référence banque), ``;`` or ``,``."""
    if len(content) > MAX_FILE_BYTES:
        raise BankFileError(_("The file is larger than 20 MB."))
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = content.decode("cp1252")
    try:
        dialect = csv.Sniffer().sniff(text.splitlines()[0] if text else "", delimiters=";,\t")
    except csv.Error:
        dialect = csv.excel
    rows = list(csv.reader(io.StringIO(text), dialect))
    if not rows:
        raise BankFileError(_("The file is empty."))
    columns = _column_map(rows[0])
    if missing := [c for c in REQUIRED_CSV if c not in columns]:
        raise BankFileError(
            _("The CSV header lacks the column(s): %(columns)s.")
            % {"columns": ", ".join(CSV_COLUMNS[c][0] for c in missing)}
        )
    lines, seen = [], Counter()
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue

        def cell(field: str, row: list[str] = row) -> str:
            index = columns.get(field)
            return row[index].strip() if index is not None and index < len(row) else ""

        try:
            booked_on, amount = _date(cell("date")), _amount(cell("amount"))
        except BankFileError as error:
            raise BankFileError(
                _("Line %(number)s: %(error)s") % {"number": number, "error": error}
            ) from error
        name, info, iban = cell("name"), cell("info"), cell("iban").replace(" ", "")
        if reference := cell("bank_reference"):
            key = f"csv:{reference}"
        else:
            key = _fact_key("csv", (booked_on, amount, name, info), seen)
        lines.append(StatementLine(key[:120], booked_on, amount, name[:200], iban[:34], info))
    return ParsedStatement("csv", "", "", tuple(lines))


def _amount(text: str | None) -> Decimal:
    cleaned = re.sub(r"[\s\u00a0\u202f€]", "", text or "")
    if "," in cleaned:  # French: 1.234,56 or 1234,56
        cleaned = cleaned.replace(".", "").replace(",", ".")
    try:
        return to_money(Decimal(cleaned))
    except InvalidOperation:
        raise BankFileError(_("“%(text)s” is not an amount.") % {"text": text or ""}) from None


def _date(text: str) -> date:
    for pattern in ("%Y-%m-%d", "%d/%m/%Y", "%d/%m/%y", "%d.%m.%Y"):
        try:
            return datetime.strptime(text.strip()[:10], pattern).date()  # noqa: DTZ007 a date
        except ValueError:
            continue
    raise BankFileError(_("“%(text)s” is not a date.") % {"text": text})


# --- pain.001 ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Transfer:
    name: str
    iban: str
    amount: Decimal
    reference: str
    description: str


def pain001(
    *,
    debtor_name: str,
    debtor_iban: str,
    debtor_bic: str,
    execution_on: date,
    transfers: Sequence[Transfer],
) -> tuple[str, bytes]:
    """One SEPA credit transfer file from the dedicated account: its message id and the XML,
    validated against the official pain.001.001.09 schema (raises ``BankFileError``)."""
    config = {"name": debtor_name, "IBAN": debtor_iban, "batch": True, "currency": "EUR"}
    if debtor_bic:  # without it the bank finds the agent from the IBAN (SEPA "IBAN only")
        config["BIC"] = debtor_bic
    sepa = SepaTransfer(config, schema=PAIN001, clean=True)
    for transfer in transfers:
        sepa.add_payment(
            {
                "name": transfer.name[:70],
                "IBAN": transfer.iban.replace(" ", ""),
                "amount": int(transfer.amount * 100),
                "execution_date": execution_on,
                "description": transfer.description[:140],
                "endtoend_id": re.sub(r"[^A-Za-z0-9-]", "", transfer.reference)[:35],
            }
        )
    xml = sepa.export(validate=False)
    validate_pain001(xml)
    return sepa.msg_id, xml


def validate_pain001(xml: bytes) -> None:
    schema = _schema(PAIN001_XSD)
    if not schema.validate(etree.fromstring(xml, parser=_safe_parser())):
        error = schema.error_log.last_error
        raise BankFileError(
            _("The transfer file does not follow the %(version)s schema: %(error)s")
            % {"version": PAIN001, "error": error.message}
        )
