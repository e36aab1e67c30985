"""Uploaded documents, checked by what they contain, never by their name.

A file called ``facture.pdf`` may be anything: its first bytes say what it is (the ``filetype``
library reads the magic numbers, without libmagic). Only PDF, JPEG and PNG are taken, up to
10 MB each, and each is stored through Django's default storage under a random path that
nobody can guess, so it is reachable only through an access-checked download view.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from typing import IO, Any

import filetype
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.storage import default_storage
from django.http import FileResponse
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
# What a document may be, by content: the MIME type read from the bytes and its extension.
ALLOWED_TYPES = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}
_CHUNK = 64 * 1024


@dataclass(frozen=True, kw_only=True)
class CheckedUpload:
    """What an upload turned out to be once read."""

    original_name: str
    content_type: str
    extension: str
    size: int
    sha256: str


def _name(file: Any) -> str:
    return str(getattr(file, "name", "") or "").replace("\\", "/").rsplit("/", 1)[-1][:255]


def upload_check(file: IO[bytes] | Any) -> CheckedUpload:
    """Read the file once: its size, its real type and its SHA-256; a French refusal otherwise.

    Raises ``ValidationError`` (codes ``empty``, ``too_large``, ``file_type``).
    """
    name = _name(file) or _("document")
    file.seek(0)
    head = file.read(8192)
    file.seek(0)
    digest = hashlib.sha256()
    size = 0
    while chunk := file.read(_CHUNK):
        size += len(chunk)
        if size > MAX_UPLOAD_BYTES:
            raise ValidationError(
                _("“%(name)s” is larger than %(limit)s: send a lighter file.")
                % {"name": name, "limit": filesizeformat(MAX_UPLOAD_BYTES)},
                code="too_large",
            )
        digest.update(chunk)
    file.seek(0)
    if size == 0:
        raise ValidationError(_("“%(name)s” is empty.") % {"name": name}, code="empty")
    kind = filetype.guess(head)
    if kind is None or kind.mime not in ALLOWED_TYPES:
        raise ValidationError(
            _(
                "“%(name)s” is not a PDF, JPEG or PNG document (whatever its name says): "
                "send the invoice or contract as a PDF or an image."
            )
            % {"name": name},
            code="file_type",
        )
    return CheckedUpload(
        original_name=name,
        content_type=kind.mime,
        extension=ALLOWED_TYPES[kind.mime],
        size=size,
        sha256=digest.hexdigest(),
    )


def validate_upload(file: Any) -> None:
    """The same check as a form field validator."""
    upload_check(file)


def upload_store(file: IO[bytes] | Any, *, checked: CheckedUpload, folder: str) -> str:
    """Save the checked file under ``folder/<year>/<random>.<ext>`` and return its storage name.

    The name says nothing of the agency, the case or the original file name, and cannot be
    guessed: reaching it takes the download view, which checks who asks.
    """
    return storage_save(file, extension=checked.extension, folder=folder)


def storage_save(file: IO[bytes] | Any, *, extension: str, folder: str) -> str:
    """Save any file under a random name in ``folder`` (imports keep their CSV or XLSX so)."""
    file.seek(0)
    path = f"{folder}/{timezone.now():%Y}/{secrets.token_urlsafe(24)}.{extension}"
    return default_storage.save(path, file if isinstance(file, File) else File(file))


def upload_response(name: str, *, filename: str, content_type: str) -> FileResponse:
    """The stored file as a download, for a view that already checked who asks.

    Sent as an attachment with ``nosniff`` (set site-wide), so a browser never renders an
    uploaded file as a page of this site.
    """
    return FileResponse(
        default_storage.open(name, "rb"),
        as_attachment=True,
        filename=filename,
        content_type=content_type,
    )
