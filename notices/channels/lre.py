"""Electronic registered letters (eIDAS LRE): a qualified provider sends and proves them."""

from __future__ import annotations

import re
from typing import Protocol

from notices.channels import load_backend, outbox_dir


class LreBackend(Protocol):
    def send(self, *, to: str, pdf: bytes, reference: str) -> str:
        """Send the letter and return the provider's proof identifier."""
        ...


def backend() -> LreBackend:
    return load_backend("NOTICES_LRE_BACKEND", "notices.channels.NotConfiguredBackend")


class FileLreBackend:
    """Development: the letter under ``MEDIA_ROOT/outbox/lre``, addressed in its file name."""

    def send(self, *, to: str, pdf: bytes, reference: str) -> str:
        name = re.sub(r"[^A-Za-z0-9@.-]", "_", f"{reference}__{to}")
        path = outbox_dir("lre") / f"{name}.pdf"
        path.write_bytes(pdf)
        return str(path)
