"""E-mail: Django's e-mail framework, the letter attached as PDF."""

from __future__ import annotations

import re
from typing import Protocol

from django.core.mail import EmailMessage
from django.core.mail.message import make_msgid

from notices.channels import load_backend, outbox_dir, write_whole


class EmailBackend(Protocol):
    def send(self, message: EmailMessage) -> str:
        """Send ``message`` and return its Message-ID (the key bounces come back with)."""
        ...


def backend() -> EmailBackend:
    return load_backend("NOTICES_EMAIL_BACKEND", "notices.channels.email.DjangoEmailBackend")


def new_message_id() -> str:
    return make_msgid(domain="collectio")


def message_id(message: EmailMessage) -> str:
    """Give the message its Message-ID before sending, so it is known whatever happens; a
    message sent again after a crash keeps the one it was given the first time."""
    return message.extra_headers.setdefault("Message-ID", new_message_id())


class DjangoEmailBackend:
    """The project's e-mail backend (``EMAIL_URL``: SMTP or a provider)."""

    def send(self, message: EmailMessage) -> str:
        ident = message_id(message)
        message.send(fail_silently=False)
        return ident


class FileEmailBackend:
    """Development: one ``.eml`` file per message under ``MEDIA_ROOT/outbox/email``. Like a
    provider that deduplicates on Message-ID, a message already there is not sent again."""

    def send(self, message: EmailMessage) -> str:
        ident = message_id(message)
        name = re.sub(r"[^A-Za-z0-9.-]", "_", ident.strip("<>"))
        path = outbox_dir("email") / f"{name}.eml"
        if not path.exists():
            write_whole(path, message.message().as_bytes())
        return ident
