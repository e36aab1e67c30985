"""Channel backends: one small interface per channel, the implementation chosen by settings.

Each channel has a real default and a file backend for development and tests, which writes under
``MEDIA_ROOT/outbox/<channel>/`` (all in ``notices.channels``):

* ``NOTICES_POST_BACKEND``: ``post.PrintDropBackend``, or ``post.FilePostBackend``;
* ``NOTICES_EMAIL_BACKEND``: ``email.DjangoEmailBackend``, or ``email.FileEmailBackend``;
* ``NOTICES_SMS_BACKEND``: ``sms.HttpSmsBackend``, or ``sms.FileSmsBackend``;
* ``NOTICES_LRE_BACKEND``: ``NotConfiguredBackend`` (no provider yet), or ``lre.FileLreBackend``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils.module_loading import import_string


class ChannelError(Exception):
    """The backend could not hand the message over; the task retries it."""


def load_backend(setting: str, default: str) -> Any:
    return import_string(getattr(settings, setting, default))()


def outbox_dir(channel: str) -> Path:
    path = Path(settings.MEDIA_ROOT) / "outbox" / channel
    path.mkdir(parents=True, exist_ok=True)
    return path


def write_whole(path: Path, content: bytes) -> None:
    """Write a file so that it exists complete or not at all (a crash leaves no half file that
    would pass for a message already handed over)."""
    partial = path.with_name(f".{path.name}.partial")
    partial.write_bytes(content)
    partial.replace(path)


class NotConfiguredBackend:
    """For a channel without a provider yet: fails loudly, so nothing is marked sent."""

    def send(self, **_: Any) -> str:
        raise ChannelError("no provider is configured for this channel")
