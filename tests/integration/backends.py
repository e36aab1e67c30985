"""Channel backends for tests with real workers: the file backends, with the timing of a real
provider (a network round trip after the hand-over) or a process that dies at a chosen moment.

They are chosen by the worker's environment (``NOTICES_POST_BACKEND``,
``NOTICES_EMAIL_BACKEND``). ``HANG_MARKER`` names a file: the first process to get there
writes its pid into it and hangs, so that the test can kill it with SIGKILL at that point.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from django.core.mail import EmailMessage

from notices.channels.email import FileEmailBackend
from notices.channels.post import FilePostBackend, Submission


def hang_once() -> None:
    marker = Path(os.environ["HANG_MARKER"])
    try:
        with marker.open("x") as claimed:  # one process, once
            claimed.write(str(os.getpid()))
    except FileExistsError:
        return
    time.sleep(120)


class PostThenHang(FilePostBackend):
    """The print house has the batch; then the worker hangs until it is killed."""

    def submit(self, **batch: Any) -> Submission:
        submission = super().submit(**batch)
        hang_once()
        return submission


class HangThenEmail(FileEmailBackend):
    """The worker hangs (until killed) before the e-mail is handed over."""

    def send(self, message: EmailMessage) -> str:
        hang_once()
        return super().send(message)


class EmailThenRoundTrip(FileEmailBackend):
    """The e-mail is handed over, then the provider takes ``EMAIL_ROUND_TRIP`` seconds to
    answer, as an SMTP server does after the data."""

    def send(self, message: EmailMessage) -> str:
        ident = super().send(message)
        time.sleep(float(os.environ.get("EMAIL_ROUND_TRIP", "0.05")))
        return ident
