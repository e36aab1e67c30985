"""Bank statements as a bank sends them, for tests and the bench: CAMT.053.001.02 entries."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from xml.sax.saxutils import escape


@dataclass(frozen=True)
class Entry:
    amount: Decimal
    name: str
    info: str
    booked_on: date
    bank_ref: str | None
    debit: bool = False
    iban: str = "FR7630004000031234567890143"


def _entry(e: Entry) -> str:
    ref = f"<AcctSvcrRef>{escape(e.bank_ref)}</AcctSvcrRef>" if e.bank_ref else ""
    side, party = ("DBIT", "Cdtr") if e.debit else ("CRDT", "Dbtr")
    return (
        f'<Ntry><Amt Ccy="EUR">{abs(e.amount):.2f}</Amt><CdtDbtInd>{side}</CdtDbtInd>'
        f"<Sts>BOOK</Sts><BookgDt><Dt>{e.booked_on.isoformat()}</Dt></BookgDt>"
        f"<ValDt><Dt>{e.booked_on.isoformat()}</Dt></ValDt>{ref}"
        "<BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd><SubFmlyCd>ESCT</SubFmlyCd></Fmly>"
        "</Domn></BkTxCd><NtryDtls><TxDtls><Refs><EndToEndId>NOTPROVIDED</EndToEndId></Refs>"
        f"<RltdPties><{party}><Nm>{escape(e.name)}</Nm></{party}><{party}Acct><Id><IBAN>"
        f"{e.iban}</IBAN></Id></{party}Acct></RltdPties>"
        f"<RmtInf><Ustrd>{escape(e.info)}</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>"
    )


def camt053(
    entries: Iterable[Entry], *, account_iban: str, statement_id: str = "STMT-1", on: date
) -> bytes:
    """A whole CAMT.053.001.02 document with the given entries."""
    body = "".join(_entry(e) for e in entries)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt>'
        f"<GrpHdr><MsgId>MSG-{statement_id}</MsgId><CreDtTm>{on.isoformat()}T18:00:00"
        "</CreDtTm></GrpHdr>"
        f"<Stmt><Id>{statement_id}</Id><CreDtTm>{on.isoformat()}T18:00:00</CreDtTm>"
        f"<Acct><Id><IBAN>{account_iban}</IBAN></Id><Ccy>EUR</Ccy></Acct>"
        '<Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">0.00</Amt>'
        f"<CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>{on.isoformat()}</Dt></Dt></Bal>"
        f"{body}</Stmt></BkToCstmrStmt></Document>"
    ).encode()
