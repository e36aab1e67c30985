"""REST API benchmark: p50/p95 of retrieve, list, balance and create under concurrent load.

Run against a throwaway database (it refuses one that already holds an agency)::

    createdb -h 127.0.0.1 -p 54329 -U collectio collectio_bench_api
    export DATABASE_URL=postgres://collectio@127.0.0.1:54329/collectio_bench_api
    .venv/bin/python manage.py migrate
    .venv/bin/python bench/api.py [--cases 100000] [--requests 400] [--threads 4]
    dropdb -h 127.0.0.1 -p 54329 -U collectio collectio_bench_api

The data is bench/case_list.py's: the measured agency with N cases in the product's mix of
states (one claim and its opening event each) and another agency with N/2, built with
set-based SQL. A partner's agency key calls gunicorn (2 sync workers, as in production on this
machine) on loopback from ``--threads`` client threads (a bounded loop, nothing else runs),
mixing the four requests in random order so that each sees the others' load:

- retrieve: ``GET /api/v1/cases/{id}/`` of a random case (claims, amounts due today from the
  statement of account, next step, actions);
- list: ``GET /api/v1/cases/?state=reminder`` (first cursor page, 50 cases);
- balance: ``GET /api/v1/cases/{id}/balance/?at=...`` of a random case;
- create: ``POST /api/v1/cases/`` with a new debtor and one invoice, through the intake core
  (debtor matching, case_open, events, the agency's e-mail in the outbox), with an
  Idempotency-Key.

Goal (issue 12): retrieve p95 under 50 ms, create p95 under 100 ms.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import statistics
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[0] = str(ROOT)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "collectio.settings")
os.environ.setdefault("SECURE_COOKIES", "False")
os.environ["DEBUG"] = "False"
os.environ["API_RATE_LIMIT"] = "1000000"  # the bench measures latency, not the limiter

KINDS = ("retrieve", "list", "balance", "create")


def build(cases: int) -> tuple[str, list[int], int]:
    """The data, an agency key; the measured agency's case ids and a creditor id."""
    from django.db import transaction
    from django.utils import timezone

    from api.models import ApiKey
    from bench.case_list import insert_cases
    from bench.data import create_agency, insert_debtors, refuse_a_used_database, sql, timed
    from cases.models import Case
    from collectio.scoping import tenant_scope
    from demo.seed import _demo_rates_up_to

    refuse_a_used_database("bench/api.py")
    now = timezone.now()
    _demo_rates_up_to(timezone.localdate())
    measured, other = create_agency("bench", 0), create_agency("autre", 1)
    for agency, count, prefix in ((measured, cases, "C-B-"), (other, cases // 2, "C-A-")):
        with timed(f"agency {agency.agency_id}: {count:,} cases"), transaction.atomic():
            insert_debtors(agency.agency_id, max(1, count // 3), now)
            insert_cases(agency, count, now, prefix)
    # The case references' counter starts after the inserted ones.
    sql(
        "INSERT INTO collectio_referencesequence (agency_id, prefix, year, last_value) "
        "VALUES (%(agency)s, 'C', %(year)s, %(cases)s)",
        {"agency": measured.agency_id, "year": timezone.localdate().year, "cases": cases},
    )
    for table in ("cases_case", "cases_claim", "cases_caseevent", "debtors_debtor"):
        sql(f"VACUUM ANALYZE {table}")
    with tenant_scope(measured.agency_id):
        key, raw = ApiKey.new(agency_id=measured.agency_id, name="Bench ERP")
        key.save()
        ids = list(Case.objects.values_list("pk", flat=True))
    return raw, ids, measured.creditor_ids[0]


class Client:
    """One partner connection per thread: urllib on loopback, the key in every request."""

    def __init__(self, port: int, key: str) -> None:
        self.base = f"http://127.0.0.1:{port}"
        self.headers = {"Authorization": f"Api-Key {key}", "Accept": "application/json"}

    def call(self, method: str, url: str, body: dict | None = None) -> float:
        headers = dict(self.headers)
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers.update(
                {"Content-Type": "application/json", "Idempotency-Key": uuid.uuid4().hex}
            )
        request = urllib.request.Request(  # noqa: S310 - loopback http only
            self.base + url, data=data, headers=headers, method=method
        )
        started = time.perf_counter()
        try:
            with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
                response.read()
                status = response.status
        except urllib.error.HTTPError as refused:
            raise SystemExit(f"{method} {url}: {refused.code} {refused.read()[:500]!r}") from None
        seconds = time.perf_counter() - started
        if status not in (200, 201):
            raise SystemExit(f"{method} {url}: {status}")
        return seconds


def new_case(creditor_id: int, n: int) -> dict:
    from bench.data import siren

    return {
        "creditor": creditor_id,
        "debtor": {
            "kind": "company",
            "name": f"Client API {n}",
            "siren": siren(50_000_000 + n),
            "address_line1": f"{n} avenue Jean Jaurès",
            "postcode": "69007",
            "city": "Lyon",
            "email": f"compta{n}@client.example",
        },
        "claims": [
            {
                "invoice_number": f"API-{n}",
                "invoice_date": "2026-01-05",
                "due_date": "2026-02-04",
                "principal": f"{100 + n % 5000}.50",
                "debt_kind": "b2b",
            }
        ],
    }


def request_for(
    kind: str, ids: list[int], creditor_id: int, n: int
) -> tuple[str, str, dict | None]:
    case = random.choice(ids)
    if kind == "retrieve":
        return "GET", f"/api/v1/cases/{case}/", None
    if kind == "list":
        return "GET", "/api/v1/cases/?state=reminder", None
    if kind == "balance":
        return "GET", f"/api/v1/cases/{case}/balance/?at=2026-06-30", None
    return "POST", "/api/v1/cases/", new_case(creditor_id, n)


SERIAL = itertools.count()  # new invoices and debtors, across runs


def run(port: int, key: str, ids: list[int], creditor_id: int, per_kind: int, threads: int) -> dict:
    plan = [kind for kind in KINDS for _ in range(per_kind)]
    random.shuffle(plan)
    latencies: dict[str, list[float]] = {kind: [] for kind in KINDS}
    lock = threading.Lock()
    position = [0]
    failures: list[BaseException] = []

    def loop() -> None:
        client = Client(port, key)
        while not failures:
            with lock:
                if position[0] == len(plan):
                    return
                kind = plan[position[0]]
                position[0] += 1
                n = next(SERIAL)
            method, url, body = request_for(kind, ids, creditor_id, n)
            try:
                seconds = client.call(method, url, body)
            except SystemExit as failed:
                failures.append(failed)
                return
            with lock:
                latencies[kind].append(seconds)

    workers = [threading.Thread(target=loop) for _ in range(threads)]
    started = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    if failures:
        sys.exit(str(failures[0]))
    latencies["_seconds"] = [time.perf_counter() - started]
    return latencies


def percentiles(values: list[float]) -> tuple[float, float]:
    cuts = statistics.quantiles(values, n=20, method="inclusive")
    return statistics.median(values), cuts[18]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=400, help="requests of each kind")
    parser.add_argument("--threads", type=int, default=4, help="concurrent client threads")
    args = parser.parse_args()

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from bench.case_list import Gunicorn
    from bench.data import timed

    call_command("collectstatic", interactive=False, verbosity=0)
    print(f"bench/api.py: {args.cases:,} cases in {connection.settings_dict['NAME']!r}, "
          f"{os.cpu_count()} CPUs")  # fmt: skip
    with timed("build"):
        key, ids, creditor_id = build(args.cases)
    connection.close()
    with Gunicorn() as server:
        print(f"gunicorn, 2 workers on 127.0.0.1:{server.port}, {args.threads} client threads")
        run(server.port, key, ids, creditor_id, 10, args.threads)  # warm every worker
        latencies = run(server.port, key, ids, creditor_id, args.requests, args.threads)
    seconds = latencies.pop("_seconds")[0]
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"load average after the run: {load} (other work on the machine counts)")
    total = sum(len(v) for v in latencies.values())
    print(f"\n{args.cases:,} cases, {total:,} requests in {seconds:.1f} s "
          f"({total / seconds:.0f} requests/s), mixed at random")  # fmt: skip
    print(f"  {'request':<10}{'requests':>10}{'p50 ms':>9}{'p95 ms':>9}")
    for kind, values in latencies.items():
        p50, p95 = percentiles(values)
        print(f"  {kind:<10}{len(values):>10}{p50 * 1000:>9.1f}{p95 * 1000:>9.1f}")


if __name__ == "__main__":
    main()
