"""SMS: short, discreet texts through an HTTP gateway."""

from __future__ import annotations

import json
import re
import urllib.request
from typing import Protocol

from django.conf import settings

from notices.channels import ChannelError, load_backend, outbox_dir


class SmsBackend(Protocol):
    def send(self, *, to: str, text: str, reference: str) -> str:
        """Send ``text`` to ``to`` and return the provider's message id."""
        ...


def backend() -> SmsBackend:
    return load_backend("NOTICES_SMS_BACKEND", "notices.channels.sms.HttpSmsBackend")


class HttpSmsBackend:
    """A JSON-over-HTTPS gateway (``NOTICES_SMS_API_URL``, ``NOTICES_SMS_API_TOKEN``,
    ``NOTICES_SMS_SENDER``); the sender name must carry no debt wording (REQ-F2)."""

    timeout = 10

    def send(self, *, to: str, text: str, reference: str) -> str:
        url = getattr(settings, "NOTICES_SMS_API_URL", "")
        if not url.startswith("https://"):
            raise ChannelError("NOTICES_SMS_API_URL must be an https:// URL")
        body = {
            "to": to,
            "text": text,
            "sender": getattr(settings, "NOTICES_SMS_SENDER", "Info"),
            "reference": reference,
        }
        request = urllib.request.Request(  # noqa: S310 (https only, checked above)
            url,
            data=json.dumps(body).encode(),
            headers={
                "Content-Type": "application/json",
                "Authorization": f"Bearer {getattr(settings, 'NOTICES_SMS_API_TOKEN', '')}",
            },
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                return str(json.load(response).get("id", ""))
        except OSError as exc:
            raise ChannelError(f"SMS gateway: {exc}") from exc


class FileSmsBackend:
    """Development: one JSON file per SMS under ``MEDIA_ROOT/outbox/sms``."""

    def send(self, *, to: str, text: str, reference: str) -> str:
        name = re.sub(r"[^A-Za-z0-9-]", "_", reference)
        path = outbox_dir("sms") / f"{name}.json"
        path.write_text(json.dumps({"to": to, "text": text}, ensure_ascii=False))
        return str(path)
