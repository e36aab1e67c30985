"""The faults of issue 7, each with real processes: a Celery worker (prefork, its pool child
killed with SIGKILL), a Redis stopped and started again, PostgreSQL backends terminated.

Each test runs the product's own entry points (the tasks beat sends, the relay) on a real
worker and counts what reached the channels' file backends: nothing lost, nothing twice.
"""

from __future__ import annotations

import email
import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import threading
from collections import Counter
from email import policy
from email.message import EmailMessage
from pathlib import Path

import pytest
import redis
from django.db import connection
from django.utils import timezone
from django_scopes import scopes_disabled

from cases.models import CaseEvent, NotificationPreference
from collectio.outbox import OutboxMessage
from collectio.scoping import tenant_scope
from debtors.models import ContactPoint
from demo.seed import _demo_rates_up_to
from notices import services
from notices.models import Channel, LetterKind, Notice, PrintBatch
from payments.services import CREDITOR_PAYMENT_NOTICE, PAYMENT_RECEIPT
from tests import factories
from tests.integration.conftest import (
    ROOT,
    WORKER_APP_NAME,
    send_task,
    wait_for,
)
from tests.notices.conftest import pdf_text

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

RELAY = "collectio.outbox.relay"
PRINT_BATCH = "notices.tasks.print_batch"


@pytest.fixture(autouse=True)
def _rates_up_to_today(world):
    """Real processes run on the real date: its semester's rates (the last published ones
    repeated, as the demo does) so that statements compute today."""
    _demo_rates_up_to(timezone.localdate())


# --- data: notices as rendering leaves them -------------------------------------------------
def _notices(world, count: int, channel: str, *, drafts: int = 0) -> list[Notice]:
    """``count`` first reminders on ``channel``, over a few cases; all but ``drafts`` of them
    rendered already (one real WeasyPrint PDF, shared). Their outbox messages stay pending
    (e-mails still to send) except for letters, which wait for the print batch."""
    with tenant_scope(world.agency.pk):
        cases = [factories.new_case(world.creditor) for _ in range(max(1, count // 10))]
        for case in cases:
            ContactPoint.objects.create(
                agency_id=world.agency.pk,
                debtor=case.debtor,
                channel="email",
                value=f"compta-{case.pk}@garage.example",
            )
        notices = [
            services.notice_create(
                case=cases[i % len(cases)],
                kind=LetterKind.FIRST_REMINDER,
                channel=channel,
                actor=None,
            )
            for i in range(count)
        ]
        model = services.notice_render(notice=notices[drafts])
        Notice.objects.filter(pk__in=[n.pk for n in notices[drafts + 1 :]]).update(
            status=Notice.Status.RENDERED,
            pdf=model.pdf.name,
            sha256=model.sha256,
            page_count=model.page_count,
            body=model.body,
            rendered_at=timezone.now(),
        )
        if channel in (Channel.LETTER, Channel.REGISTERED_LETTER):
            OutboxMessage.objects.filter(
                kind=services.NOTICE_PROCESS,
                payload__notice_id__in=[n.pk for n in notices[drafts:]],
            ).update(status=OutboxMessage.Status.DONE)
    return notices


def _statuses(notices: list[Notice]) -> Counter[str]:
    with scopes_disabled():
        return Counter(
            Notice.objects.filter(pk__in=[n.pk for n in notices]).values_list("status", flat=True)
        )


def _settled(notices: list[Notice], **statuses: int) -> bool:
    """The notices have these statuses and no outbox message is left to run."""
    with scopes_disabled():
        left = OutboxMessage.objects.exclude(status=OutboxMessage.Status.DONE).exists()
    return _statuses(notices) == statuses and not left


def _relayed_until(env: dict[str, str], done, timeout: float = 60.0) -> bool:
    """Beat's relay, every couple of seconds, until ``done``."""

    def relay_then_check() -> bool:
        if done():
            return True
        send_task(env, RELAY)
        return False

    return wait_for(relay_then_check, timeout=timeout, every=2.0)


def _kill_the_hung_process(env: dict[str, str]) -> int:
    marker = Path(env["HANG_MARKER"])
    assert wait_for(lambda: marker.exists() and marker.read_text() != "", timeout=60)
    pid = int(marker.read_text())
    os.kill(pid, signal.SIGKILL)
    return pid


def _emails(media: Path) -> list[EmailMessage]:
    """The e-mails the file backend was handed."""
    return [
        email.message_from_bytes(path.read_bytes(), policy=policy.default)
        for path in (media / "outbox" / "email").glob("*.eml")
    ]


def _email_subjects(media: Path) -> Counter[str]:
    """The e-mails, by subject (which names the letter)."""
    return Counter(str(message["Subject"]).strip() for message in _emails(media))


# --- 1. a print batch is posted once, whatever dies -------------------------------------------
def test_a_worker_killed_after_handing_a_print_batch_over_does_not_post_it_twice(
    world, letters_env, worker
):
    letters = _notices(world, 4, Channel.LETTER) + _notices(world, 2, Channel.REGISTERED_LETTER)
    env = {**letters_env, "NOTICES_POST_BACKEND": "tests.integration.backends.PostThenHang"}
    worker(env)
    send_task(env, PRINT_BATCH, agency_id=world.agency.pk)

    # The print house has the batch; the pool child dies before the letters are marked sent.
    _kill_the_hung_process(env)
    assert _relayed_until(env, lambda: _settled(letters, sent=6))

    posted = Path(env["MEDIA_ROOT"]) / "outbox" / "post"
    with scopes_disabled():
        [batch] = PrintBatch.objects.all()
        assert sorted(p.name for p in posted.iterdir()) == [
            f"batch-{world.agency.pk}-{batch.pk}.json",
            f"batch-{world.agency.pk}-{batch.pk}.pdf",
        ]
        [manifest] = posted.glob("*.json")
        references = sorted(
            Notice.objects.filter(pk__in=[n.pk for n in letters]).values_list(
                "reference", flat=True
            )
        )
        assert sorted(item["reference"] for item in json.loads(manifest.read_text())) == references
        # What the print house has is the file stored with the batch.
        assert (posted / f"batch-{world.agency.pk}-{batch.pk}.pdf").read_bytes() == batch.pdf.read()
        sent = Notice.objects.filter(pk__in=[n.pk for n in letters])
        assert {n.print_batch_id for n in sent} == {batch.pk}
        assert all(
            n.tracking_number.startswith("DEV")
            for n in sent.filter(channel=Channel.REGISTERED_LETTER)
        )
        [message] = OutboxMessage.objects.filter(kind=services.PRINT_BATCH_SUBMIT)
        assert (message.status, message.attempts) == ("done", 2)  # killed once, resumed once


# --- 4. a large backlog goes out in bounded batches -------------------------------------------
def test_a_print_backlog_goes_out_in_batches_of_a_bounded_size(world, letters_env, worker):
    letters = _notices(world, 30, Channel.LETTER)
    env = {**letters_env, "NOTICES_PRINT_BATCH_MAX": "10"}
    worker(env)
    send_task(env, PRINT_BATCH, agency_id=world.agency.pk)
    assert wait_for(lambda: _statuses(letters) == {"sent": 30}, timeout=90)

    with scopes_disabled():
        batches = list(PrintBatch.objects.order_by("pk"))
        assert [b.letter_count for b in batches] == [10, 10, 10]
        posted = Path(env["MEDIA_ROOT"]) / "outbox" / "post"
        in_batches = []
        for batch in batches:
            manifest = json.loads((posted / f"batch-{world.agency.pk}-{batch.pk}.json").read_text())
            refs = [item["reference"] for item in manifest]
            assert sorted(refs) == sorted(batch.notices.values_list("reference", flat=True))
            cover = pdf_text(batch.pdf.read())
            assert all(ref in cover for ref in refs)
            in_batches += refs
        every = Notice.objects.filter(pk__in=[n.pk for n in letters]).values_list(
            "reference", flat=True
        )
        assert sorted(in_batches) == sorted(every)  # each letter in exactly one batch
        assert (
            OutboxMessage.objects.filter(kind=services.PRINT_BATCH_SUBMIT, status="done").count()
            == 3
        )


# --- 2. work decided while Redis is down is done once it is back --------------------------------
WEB = textwrap.dedent(
    """
    import json, sys, time
    from decimal import Decimal
    import django
    django.setup()
    from django.utils import timezone
    from cases.models import Case
    from collectio import outbox
    from collectio.scoping import tenant_scope
    from notices import services
    from payments.services import payment_record

    enqueued = []
    broker = outbox.enqueue
    def observed(kind, ids):  # what each enqueue returned, and how long it took
        started = time.perf_counter()
        ok = broker(kind, ids)
        enqueued.append({"kind": kind, "ok": ok, "seconds": time.perf_counter() - started})
        return ok
    outbox.enqueue = observed

    what, agency_id, case_id = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    with tenant_scope(agency_id):
        case = Case.objects.get(pk=case_id)
        if what == "payment":
            made = payment_record(case=case, amount=Decimal("100.00"),
                received_on=timezone.localdate(), method="transfer", actor=None)
        else:
            made = services.notice_create(case=case, kind="first_reminder", channel="email",
                actor=None)
        # on_commit ran inside the call: the enqueues are over when it returns
        print(json.dumps({"id": made.pk, "enqueued": enqueued}), flush=True)
    """
)


def _web(env: dict[str, str], what: str, case) -> tuple[dict, str]:
    """What a web request does (a payment recorded, a letter created), in its own process."""
    done = subprocess.run(
        [sys.executable, "-c", WEB, what, str(case.agency_id), str(case.pk)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1]), done.stderr


def _payment_case(world):
    with scopes_disabled():
        world.creditor.contact_email = "compta@boulangerie-martin.example"
        world.creditor.save(update_fields=["contact_email"])
        # The payment's own effects only: its user is not e-mailed on top (cases.notifications).
        NotificationPreference.objects.create(
            agency=world.agency, user=world.creditor_user, creditor=world.creditor, topics=[]
        )
        case = factories.new_case(world.creditor)
        ContactPoint.objects.create(
            agency_id=world.agency.pk, debtor=case.debtor, channel="email",
            value="dupont@garage.example",
        )  # fmt: skip
    return case


def _creditor_emails(mail: Path) -> int:
    """Messages Django's file e-mail backend wrote (one file per connection, maybe several)."""
    return (
        sum(p.read_text().count("\nSubject: ") for p in mail.glob("*.log")) if mail.exists() else 0
    )


def test_work_decided_while_redis_is_down_is_done_once_when_it_is_back(
    world, letters_env, redis_server, worker, tmp_path
):
    env = {**letters_env, "REDIS_URL": redis_server.url}
    mail = tmp_path / "mail"
    case = _payment_case(world)
    # A letter whose message reached the letters queue, then the queue was purged.
    created, _ = _web(env, "notice", case)
    assert [e["ok"] for e in created["enqueued"]] == [True]
    assert redis.Redis.from_url(redis_server.url).delete("letters") == 1
    worker(env)

    redis_server.stop()
    paid, log = _web(env, "payment", case)
    assert [(e["kind"], e["ok"]) for e in paid["enqueued"]] == [
        (PAYMENT_RECEIPT, False),
        (CREDITOR_PAYMENT_NOTICE, False),
    ]
    assert log.count("left to the relay") == 2
    with scopes_disabled():
        notified = CaseEvent.objects.filter(case=case, kind=CaseEvent.Kind.CREDITOR_NOTIFIED)
        assert not notified.exists()  # not before the e-mail
        assert OutboxMessage.objects.filter(status="pending").count() == 3

    redis_server.start()  # empty: what was queued before is gone too
    letter = [Notice(pk=created["id"])]

    def receipts() -> list[str]:
        with scopes_disabled():
            return list(
                Notice.objects.filter(
                    kind=LetterKind.PAYMENT_RECEIPT, data__payment_id=paid["id"]
                ).values_list("status", flat=True)
            )

    def all_done() -> bool:
        return receipts() == ["rendered"] and _settled(letter, sent=1)

    assert _relayed_until(env, all_done, timeout=90)
    send_task(env, RELAY)  # once more: nothing is done twice
    assert wait_for(lambda: "collectio.outbox.relay" in (tmp_path / "worker.log").read_text())
    with scopes_disabled():
        assert receipts() == ["rendered"]  # once; a letter, it waits for the print batch
        reference = Notice.objects.get(pk=created["id"]).reference
        assert _email_subjects(Path(env["MEDIA_ROOT"])) == {
            f"Votre dossier {case.reference} – courrier {reference}": 1
        }
        assert _creditor_emails(mail) == 1
        [event] = notified
        assert event.payload["recipient"] == "compta@boulangerie-martin.example"
        # Written once the e-mail was handed over, not before.
        [written] = mail.glob("*.log")
        assert event.at.timestamp() >= written.stat().st_mtime


# --- 5. an enqueue with the broker unreachable gives up at once ---------------------------------
class CuttingBroker:
    """A port that accepts each connection and cuts it at once, counting the attempts."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.attempts = 0
        threading.Thread(target=self._serve, daemon=True).start()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.server.getsockname()[1]}/0"

    def _serve(self) -> None:
        while True:
            accepted, _ = self.server.accept()
            self.attempts += 1
            accepted.close()


def test_an_enqueue_with_the_broker_down_gives_up_within_the_call(world, process_env):
    """No retries that hold a web worker: each enqueue tries the broker once, returns False
    and logs; the payment is committed with its messages, for the relay (bench/outbox.py
    measures the time)."""
    case = _payment_case(world)
    broker = CuttingBroker()
    paid, log = _web({**process_env, "REDIS_URL": broker.url}, "payment", case)
    assert [(e["kind"], e["ok"]) for e in paid["enqueued"]] == [
        (PAYMENT_RECEIPT, False),
        (CREDITOR_PAYMENT_NOTICE, False),
    ]
    assert log.count("left to the relay") == 2
    assert broker.attempts == 2  # one connection per enqueue, no retry
    with scopes_disabled():
        assert sorted(
            OutboxMessage.objects.filter(
                payload__payment_id=paid["id"], status="pending"
            ).values_list("kind", flat=True)
        ) == sorted([PAYMENT_RECEIPT, CREDITOR_PAYMENT_NOTICE])


# --- 3. the database connection drops during dispatch ------------------------------------------
def _terminate_worker_backends() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE datname = current_database() AND application_name = %s",
            [WORKER_APP_NAME],
        )
        return cursor.fetchone()[0]


def test_emails_are_sent_at_most_once_while_the_database_connection_drops(
    world, letters_env, worker
):
    notices = _notices(world, 200, Channel.EMAIL, drafts=10)
    env = {
        **letters_env,
        "NOTICES_EMAIL_BACKEND": "tests.integration.backends.EmailThenRoundTrip",
        "EMAIL_ROUND_TRIP": "0.05",
        "OUTBOX_LEASE_SECONDS": "10",  # more than a render takes on a busy machine
    }
    worker(env, concurrency=2)
    stop, terminated = threading.Event(), []

    def storm() -> None:  # the worker's connections cut every 0.5 s, whatever they are doing
        while not stop.wait(0.5):
            terminated.append(_terminate_worker_backends())

    terminator = threading.Thread(target=storm)
    terminator.start()
    try:
        # 8 s: the relay (every 2 s) gives a message at most 4 attempts of the 6 it has.
        _relayed_until(env, lambda: _statuses(notices)["sent"] == 200, timeout=8)
    finally:
        stop.set()
        terminator.join()
    assert _relayed_until(env, lambda: _settled(notices, sent=200), timeout=90)

    assert sum(terminated) >= 10
    with scopes_disabled():
        assert OutboxMessage.objects.filter(attempts__gt=1).exists()  # the storm hit
        sent = {n.reference: n for n in Notice.objects.filter(pk__in=[n.pk for n in notices])}
        stored = {n.pdf.name for n in sent.values()}
    media = Path(env["MEDIA_ROOT"])
    subjects = _email_subjects(media)
    by_letter = Counter(subject.rsplit(" ", 1)[-1] for subject in subjects.elements())
    assert by_letter == dict.fromkeys(sent, 1)  # every e-mail once, none twice
    for message in _emails(media):
        letter = sent[str(message["Subject"]).rsplit(" ", 1)[-1]]
        assert letter.provider_reference == str(message["Message-ID"]).strip()
    files = {str(p.relative_to(media)) for p in (media / "notices").rglob("*.pdf")}
    assert files == stored  # no PDF left by a render that did not commit


# --- 6. a worker killed while a handler runs: the relay resumes after the lease ---------------
def test_a_worker_killed_while_a_handler_runs_is_resumed_after_the_lease(
    world, letters_env, worker
):
    [notice] = _notices(world, 1, Channel.EMAIL)
    env = {**letters_env, "NOTICES_EMAIL_BACKEND": "tests.integration.backends.HangThenEmail"}
    worker(env)
    send_task(env, RELAY)
    pid = _kill_the_hung_process(env)  # before the e-mail was handed over

    assert _relayed_until(env, lambda: _settled([notice], sent=1))
    assert not Path(f"/proc/{pid}").exists()
    with scopes_disabled():
        [message] = OutboxMessage.objects.filter(kind=services.NOTICE_PROCESS)
        assert message.attempts == 2  # the killed claim, then the one after its lease
        notice.refresh_from_db()
    assert _email_subjects(Path(env["MEDIA_ROOT"])) == {
        f"Votre dossier {notice.case.reference} – courrier {notice.reference}": 1
    }
