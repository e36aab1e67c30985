"""Outbox benchmark: how long recording a payment takes with Redis up, down, or hung.

``payment_record`` decides two effects (the receipt, the creditor's e-mail) and enqueues them
when its transaction commits; with the broker unreachable each enqueue must give up at once
and leave the message to the relay, not hold the web worker. Run against a throwaway
database; it refuses one that already holds an agency::

    createdb -h 127.0.0.1 -p 54329 -U collectio collectio_bench_outbox
    export DATABASE_URL=postgres://collectio@127.0.0.1:54329/collectio_bench_outbox DEBUG=1
    .venv/bin/python manage.py migrate
    .venv/bin/python bench/outbox.py [--n 20] [--before 3]
    dropdb -h 127.0.0.1 -p 54329 -U collectio collectio_bench_outbox

One process records payments as a web worker would, one after another, each timed whole (the
statement of account, the rows, the commit and the on-commit enqueues) and its enqueues timed
alone. The broker is a private ``redis-server`` this script starts on a free port, then kills
(down: the connection is refused at once), starts again (up: the pooled connection must
recover), and a port that accepts connections and never answers (hung). ``--before`` payments
are timed down with Celery's own broker defaults, the settings before the outbox (slow: about
12 s each).
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# Replace the script's own folder so that bench/*.py never shadows a project module.
sys.path[0] = str(ROOT)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "collectio.settings")
PORT = socket.socket()
PORT.bind(("127.0.0.1", 0))
REDIS_PORT = PORT.getsockname()[1]
PORT.close()
os.environ["REDIS_URL"] = f"redis://127.0.0.1:{REDIS_PORT}/0"


@dataclass
class Timings:
    label: str
    calls: list[float] = field(default_factory=list)
    enqueues: list[float] = field(default_factory=list)
    refused: int = 0

    def line(self, baseline: Timings | None) -> str:
        median = statistics.median(self.calls)
        ratio = f"{median / statistics.median(baseline.calls):6.1f}" if baseline else "     1"
        return (
            f"| {self.label} | {len(self.calls)} | {median * 1000:,.1f} | "
            f"{max(self.calls) * 1000:,.1f} | {statistics.median(self.enqueues) * 1000:,.1f} | "
            f"{self.refused}/{len(self.enqueues)} | {ratio} |"
        )


class Redis:
    """A private redis-server on ``REDIS_PORT``, killed and started again at will."""

    def __init__(self) -> None:
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        import redis

        self.process = subprocess.Popen(  # noqa: S603 (our own arguments)
            [shutil.which("redis-server") or "/usr/bin/redis-server", "--port", str(REDIS_PORT),
             "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        client = redis.Redis(port=REDIS_PORT)
        for _ in range(100):
            try:
                client.ping()
                return
            except redis.ConnectionError:
                time.sleep(0.05)
        sys.exit("bench/outbox.py: redis-server did not start")

    def kill(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None


@contextmanager
def hung_broker() -> Iterator[None]:
    """Something on the port that accepts connections and never answers (a frozen Redis)."""
    server = socket.create_server(("127.0.0.1", REDIS_PORT))
    held: list[socket.socket] = []

    def accept() -> None:
        while True:
            try:
                held.append(server.accept()[0])
            except OSError:
                return

    threading.Thread(target=accept, daemon=True).start()
    try:
        yield
    finally:
        server.close()
        for connection in held:
            connection.close()


def build(n: int) -> list[Any]:
    from django.utils import timezone

    from collectio.models import Agency
    from demo.seed import _demo_rates_up_to
    from tests import factories

    if Agency.objects.exists():
        sys.exit("bench/outbox.py: this database already holds agencies; use a throwaway one")
    _demo_rates_up_to(timezone.localdate())
    agency = factories.new_agency("Alpha Recouvrement SAS")
    creditor = factories.new_creditor(agency, contact_email="compta@martin.example")
    return [factories.new_case(creditor, principal=Decimal("100000.00")) for _ in range(n)]


def timed_payments(label: str, cases: list[Any]) -> Timings:
    from django.utils import timezone

    from collectio import outbox
    from collectio.scoping import tenant_scope
    from payments.services import payment_record

    timings = Timings(label)
    enqueue = outbox.enqueue

    def observed(kind: str, ids: list[int]) -> bool:
        started = time.perf_counter()
        ok = enqueue(kind, ids)
        timings.enqueues.append(time.perf_counter() - started)
        timings.refused += not ok
        return ok

    outbox.enqueue = observed
    try:
        for case in cases:
            with tenant_scope(case.agency_id):
                started = time.perf_counter()
                payment_record(
                    case=case,
                    amount=Decimal("10.00"),
                    received_on=timezone.localdate(),
                    method="transfer",
                    actor=None,
                )
                timings.calls.append(time.perf_counter() - started)
    finally:
        outbox.enqueue = enqueue
    return timings


def with_celery_defaults(run: Callable[[], Timings]) -> Timings:
    """The broker settings before the outbox: Celery's defaults but the visibility timeout."""
    from collectio.celery import app

    saved = app.conf.broker_transport_options, app.conf.broker_connection_timeout

    def new_pools() -> None:  # connections are pooled with the options they were made with
        app.pool.force_close_all()
        app._pool = app.amqp._producer_pool = None

    app.conf.broker_transport_options = {"visibility_timeout": 3600}
    app.conf.broker_connection_timeout = 4.0
    new_pools()
    try:
        return run()
    finally:
        app.conf.broker_transport_options, app.conf.broker_connection_timeout = saved
        new_pools()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=20, help="payments per run (default 20)")
    parser.add_argument(
        "--before", type=int, default=3, help="payments down with the old settings (default 3)"
    )
    args = parser.parse_args()

    import django

    django.setup()
    import logging

    from django.conf import settings

    settings.DEBUG = False  # as in production: no query log
    logging.getLogger("collectio.outbox").setLevel(logging.ERROR)  # one warning per enqueue
    cases = build(args.n)
    redis = Redis()
    redis.start()
    try:
        timed_payments("warm-up", cases[:2])  # imports, connections
        runs = [timed_payments("Redis up", cases)]
        redis.kill()
        runs.append(timed_payments("Redis down (connection refused)", cases))
        redis.start()
        runs.append(timed_payments("Redis started again", cases))
        redis.kill()
        with hung_broker():
            runs.append(timed_payments("Redis hung (accepts, never answers)", cases[:5]))
        if args.before:
            runs.append(
                with_celery_defaults(
                    lambda: timed_payments(
                        "Redis down, broker settings before the outbox", cases[: args.before]
                    )
                )
            )
    finally:
        redis.kill()
    print("| run | payments | median ms | max ms | enqueue median ms | refused | ratio |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for run in runs:
        print(run.line(None if run is runs[0] else runs[0]))


if __name__ == "__main__":
    main()
