"""Intake: a creditor hands a case over (portal form, bulk import, REST API), in one transaction.

``case_submit`` finds or creates the debtor (never a second debtor for one SIREN), opens the case
in ``new`` through ``case_open``, stores the documents checked by content, records what the
creditor said, and decides the e-mail that tells the agency a case is waiting. Either all of it
is written or nothing is (a stored file whose transaction rolled back is deleted again).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils.translation import gettext as _

from cases import events
from cases.models import (
    NON_TERMINAL_STATES,
    Case,
    CaseDocument,
    Claim,
    Creditor,
    IntakeDraft,
)
from cases.services import ClaimInput, case_open
from collectio.models import Agency, User
from collectio.outbox import outbox_put
from collectio.uploads import CheckedUpload, upload_check, upload_store
from debtors.models import Debtor
from debtors.services import DebtorInput, debtor_find, debtor_match

CASE_SUBMITTED = "cases.case_submitted"
DUPLICATE = "duplicate"
DOCUMENTS_FOLDER = "case-documents"


class Channel:
    """How the case came in (the event says it)."""

    PORTAL = "portal"
    IMPORT = "import"
    API = "api"


@dataclass(frozen=True, kw_only=True)
class DocumentInput:
    """One file handed over; ``invoice_number`` ties it to that invoice of the case."""

    file: Any
    kind: str = CaseDocument.Kind.OTHER
    invoice_number: str = ""


@dataclass(frozen=True)
class Duplicate:
    """An invoice already in an open case of this creditor against this debtor."""

    invoice_number: str
    case_id: int
    case_reference: str


def case_duplicates(
    *,
    agency: Agency,
    creditor: Creditor,
    debtor: DebtorInput | Debtor,
    invoice_numbers: Sequence[str],
) -> list[Duplicate]:
    """Invoices of this creditor already in one of its open cases against the same debtor."""
    found = debtor if isinstance(debtor, Debtor) else debtor_find(agency=agency, debtor=debtor)
    if found is None:
        return []
    return [
        d
        for _debtor_id, d in open_invoices(
            agency=agency,
            creditor=creditor,
            debtor_ids=[found.pk],
            invoice_numbers=invoice_numbers,
        )
    ]


def open_invoices(
    *,
    agency: Agency,
    creditor: Creditor,
    debtor_ids: Sequence[int],
    invoice_numbers: Sequence[str],
) -> list[tuple[int, Duplicate]]:
    """``(debtor id, duplicate)`` for each of these invoice numbers already in an open case of
    this creditor against one of these debtors (one query, for a whole import)."""
    numbers = {n.strip() for n in invoice_numbers if n and n.strip()}
    if not debtor_ids or not numbers:
        return []
    rows = (
        Claim.objects.filter(
            agency=agency,
            case__creditor=creditor,
            case__debtor_id__in=debtor_ids,
            case__state__in=NON_TERMINAL_STATES,
            invoice_number__in=numbers,
        )
        .order_by("invoice_number", "case_id")
        .values_list("case__debtor_id", "invoice_number", "case_id", "case__reference")
    )
    return [(debtor_id, Duplicate(*rest)) for debtor_id, *rest in rows]


def duplicates_message(duplicates: Sequence[Duplicate]) -> str:
    return " ".join(
        _("Invoice %(number)s is already in the open case %(case)s.")
        % {"number": d.invoice_number, "case": d.case_reference}
        for d in duplicates
    )


def _check_documents(documents: Sequence[DocumentInput]) -> list[CheckedUpload]:
    checked, errors = [], []
    for document in documents:
        if document.kind not in CaseDocument.Kind.values:
            errors.append(_("Unknown kind of document: %(kind)s.") % {"kind": document.kind})
            continue
        try:
            checked.append(upload_check(document.file))
        except ValidationError as error:
            errors.extend(error.messages)
    if errors:
        raise ValidationError({"documents": errors})
    return checked


def _store_document(
    *,
    case: Case,
    document: DocumentInput,
    checked: CheckedUpload,
    actor: User | Any | None,
    claim: Claim | None,
    stored: list[str],
) -> CaseDocument:
    name = upload_store(document.file, checked=checked, folder=DOCUMENTS_FOLDER)
    stored.append(name)
    return CaseDocument.objects.create(
        agency_id=case.agency_id,
        case=case,
        claim=claim,
        kind=document.kind,
        file=name,
        original_name=checked.original_name,
        content_type=checked.content_type,
        size=checked.size,
        sha256=checked.sha256,
        uploaded_by=actor if isinstance(actor, User) else None,
    )


@contextmanager
def _files_kept_only_on_success() -> Iterator[list[str]]:
    """Storage has no rollback: the files written by a write that failed are deleted again.

    (A caller's outer transaction that rolls back later leaves them behind: bulk imports carry
    no files.)
    """
    stored: list[str] = []
    try:
        yield stored
    except BaseException:
        for name in stored:
            default_storage.delete(name)
        raise


def case_submit(
    *,
    agency: Agency,
    creditor: Creditor,
    debtor: DebtorInput,
    claims: Sequence[ClaimInput],
    actor: User | Any | None,
    documents: Sequence[DocumentInput] = (),
    notes: str = "",
    basis: str = "",
    channel: str = Channel.PORTAL,
    allow_duplicates: bool = False,
    notify: bool = True,
) -> Case:
    """Open the case a creditor hands over, in ``new``, with its debtor, invoices and documents.

    An invoice already in an open case of this creditor against the same debtor is refused
    (``ValidationError`` code ``duplicate``) unless the creditor confirmed it
    (``allow_duplicates``). ``basis`` is the contract or terms that ground the debt; ``notes``
    what the creditor wants the agency to know. ``notify=False`` leaves the agency's e-mail to
    the caller (a bulk import sends one for the whole file).
    """
    if creditor.agency_id != agency.pk:
        raise ValidationError(_("Creditor and debtor must belong to the agency."))
    numbers = [c.invoice_number.strip() for c in claims]
    if len(set(numbers)) != len(numbers):
        raise ValidationError({"claims": [_("The same invoice number is given twice.")]})
    checked = _check_documents(documents)
    with _files_kept_only_on_success() as stored, transaction.atomic():
        found, _created = debtor_match(agency=agency, debtor=debtor)
        if not allow_duplicates:
            duplicates = case_duplicates(
                agency=agency, creditor=creditor, debtor=found, invoice_numbers=numbers
            )
            if duplicates:
                raise ValidationError(duplicates_message(duplicates), code=DUPLICATE)
        case = case_open(agency=agency, creditor=creditor, debtor=found, claims=claims, actor=actor)
        by_number = {c.invoice_number: c for c in case.claims.all()}
        for document, check in zip(documents, checked, strict=True):
            _store_document(
                case=case,
                document=document,
                checked=check,
                actor=actor,
                claim=by_number.get(document.invoice_number.strip()),
                stored=stored,
            )
        events.case_submitted(
            case=case, actor=actor, channel=channel, documents=len(documents), basis=basis.strip()
        )
        if notes.strip():
            events.note_added(case=case, actor=actor, text=notes.strip())
        if notify:
            outbox_put(
                agency_id=agency.pk,
                kind=CASE_SUBMITTED,
                key=f"case-submitted:{case.pk}",
                payload={"case_ids": [case.pk]},
                case_id=case.pk,
            )
    return case


def case_document_add(
    *, case: Case, file: Any, kind: str, actor: User | Any | None, claim: Claim | None = None
) -> CaseDocument:
    """A document added later to a case, with its event."""
    document = DocumentInput(file=file, kind=kind)
    (checked,) = _check_documents([document])
    if claim is not None and claim.case_id != case.pk:
        raise ValidationError(_("This invoice is not in this case."))
    with _files_kept_only_on_success() as stored, transaction.atomic():
        row = _store_document(
            case=case, document=document, checked=checked, actor=actor, claim=claim, stored=stored
        )
        events.document_added(
            case=case, actor=actor, document_id=row.pk, kind=row.kind, name=row.original_name
        )
    return row


@transaction.atomic
def intake_draft_save(
    *,
    creditor: Creditor,
    actor: User,
    data: dict[str, Any],
    label: str,
    draft: IntakeDraft | None = None,
) -> IntakeDraft:
    """Keep what the creditor typed so far (never files), to finish the case later."""
    if draft is None:
        draft = IntakeDraft(agency_id=creditor.agency_id, creditor=creditor, created_by=actor)
    elif draft.creditor_id != creditor.pk:
        raise ValidationError(_("This draft belongs to another creditor."))
    draft.data = data
    draft.label = label[:200]
    draft.save()
    return draft


def intake_draft_delete(*, draft: IntakeDraft) -> None:
    draft.delete()
