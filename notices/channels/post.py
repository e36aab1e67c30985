"""Post: the day's letters go to a print house as one PDF behind a cover index."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from notices.channels import load_backend, outbox_dir, write_whole
from notices.models import Channel


@dataclass(frozen=True)
class Submission:
    provider_reference: str
    # Notice reference -> tracking number, for registered letters numbered at submission.
    tracking_numbers: dict[str, str]


class PostBackend(Protocol):
    def submit(self, *, name: str, pdf: bytes, manifest: Sequence[dict[str, Any]]) -> Submission:
        """Hand one print batch over; raise :class:`notices.channels.ChannelError` if refused.

        ``name`` is the batch's idempotency reference: a batch submitted again under the same
        name (after a crash between the hand-over and its record) is not posted a second
        time, and the first submission is returned.
        """
        ...


def backend() -> PostBackend:
    return load_backend("NOTICES_POST_BACKEND", "notices.channels.post.PrintDropBackend")


def _manifest_json(manifest: Sequence[dict[str, Any]]) -> bytes:
    return json.dumps(list(manifest), ensure_ascii=False, indent=2).encode()


class PrintDropBackend:
    """Drop the batch and its manifest where the print house collects them (a storage prefix
    synchronised by SFTP or S3). Its tracking numbers come back later, through the provider
    webhook or typed by an agent."""

    def submit(self, *, name: str, pdf: bytes, manifest: Sequence[dict[str, Any]]) -> Submission:
        prefix = getattr(settings, "NOTICES_PRINT_DROP_PREFIX", "print-drop")
        pdf_name, manifest_name = f"{prefix}/{name}.pdf", f"{prefix}/{name}.json"
        # The PDF goes last: once it is there, the batch was handed over whole.
        if not default_storage.exists(pdf_name):
            if default_storage.exists(manifest_name):  # left by a crash before the PDF
                default_storage.delete(manifest_name)
            default_storage.save(manifest_name, ContentFile(_manifest_json(manifest)))
            pdf_name = default_storage.save(pdf_name, ContentFile(pdf))
        return Submission(provider_reference=pdf_name, tracking_numbers={})


class FilePostBackend:
    """Development: write the batch under ``MEDIA_ROOT/outbox/post`` and number each
    registered letter at once, as a provider with an API would."""

    def submit(self, *, name: str, pdf: bytes, manifest: Sequence[dict[str, Any]]) -> Submission:
        folder = outbox_dir("post")
        if not (folder / f"{name}.pdf").exists():  # posted once, whatever the retries
            write_whole(folder / f"{name}.json", _manifest_json(manifest))
            write_whole(folder / f"{name}.pdf", pdf)
        return Submission(
            # Relative to MEDIA_ROOT, like the drop backend's storage name: paths stay short.
            provider_reference=f"outbox/post/{name}.pdf",
            tracking_numbers={
                item["reference"]: "DEV" + item["reference"].replace("-", "")
                for item in manifest
                if item["channel"] == Channel.REGISTERED_LETTER
            },
        )
