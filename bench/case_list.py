"""Work-queue benchmark: the agents' case list at N cases, with and without ``case_queue_idx``.

Run against a throwaway database (never the dev one); it refuses a database that already holds
an agency, and it drops and recreates the index it measures::

    createdb -h 127.0.0.1 -p 54329 -U collectio collectio_bench_list
    export DATABASE_URL=postgres://collectio@127.0.0.1:54329/collectio_bench_list
    .venv/bin/python manage.py migrate
    .venv/bin/python bench/case_list.py [--cases 50000] [--requests 300] [--gunicorn]
    dropdb -h 127.0.0.1 -p 54329 -U collectio collectio_bench_list

The data is built with set-based SQL: the measured agency with N cases and a second agency with
N/2 (so that the agency filter matters), each case in a realistic state (60 % reminder, 10 %
phone follow-up, 10 % formal notice, 5 % new, 5 % on hold, 10 % paid), due at 09:00 Paris time
over the next weeks (thousands share one due time, as the product plans them), opened over the
past year, with one claim and its opening event. An agent of the measured agency reads the
page (workspace ``case_list``: ``next_action_at, -opened_at``, 50 a page) through the Django
test client, or with ``--gunicorn`` through gunicorn with 2 workers on 127.0.0.1 and two client
threads (a bounded loop, loopback only). Rounds alternate with and without the index, so a busy
machine slows both alike; the percentiles are over every request of each kind.

The script prints the queries of one list page and of one case page (a case opened, accepted,
paid in part and annotated through the services), and the plan of the list's main query.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# Replace the script's own folder so that bench/*.py never shadows a project module.
sys.path[0] = str(ROOT)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "collectio.settings")
os.environ.setdefault("SECURE_COOKIES", "False")  # plain HTTP on loopback
os.environ["DEBUG"] = "False"  # pages as production renders them (gunicorn inherits it)

INDEX = "case_queue_idx"
AGENT_EMAIL = "agent@bench.example"
PAGE = 50


@dataclass(frozen=True)
class Fixture:
    agency_id: int
    agent_id: int
    detail_case_id: int
    cases: int


def insert_cases(agency: Any, cases: int, now: Any, reference_prefix: str) -> None:
    """N cases of one agency in the product's mix of states, with a claim and an event each."""
    from bench.data import sql

    params = {
        "agency": agency.agency_id,
        "creditors": agency.creditor_ids,
        "scenario": agency.scenario_id,
        "steps": agency.step_ids,
        "cases": cases,
        "now": now,
        "prefix": reference_prefix,
    }
    # g % 20: 0-11 reminder, 12-13 phone follow-up, 14-15 formal notice, 16 new, 17 on hold,
    # 18-19 paid. Active cases fall due at 09:00 Paris time, from 5 days ago to 35 days ahead.
    sql(
        """
        INSERT INTO cases_case (agency_id, creditor_id, debtor_id, reference, state,
            resume_state, closure_code, principal_total, principal_due, limitation_date,
            first_due_date, opened_at, accepted_at, closed_at, next_action_at, scenario_id,
            next_step_id)
        SELECT %(agency)s,
            (%(creditors)s::bigint[])[1 + g %% cardinality(%(creditors)s::bigint[])],
            d.id, %(prefix)s || lpad(g::text, 7, '0'),
            s.state, CASE WHEN s.state = 'on_hold' THEN 'reminder' ELSE '' END,
            CASE WHEN s.state = 'paid' THEN 'paid' ELSE '' END,
            principal, CASE WHEN s.state = 'paid' THEN 0 ELSE principal END,
            (%(now)s + interval '4 years')::date, (opened - interval '60 days')::date,
            opened, CASE WHEN s.state <> 'new' THEN opened + interval '2 days' END,
            CASE WHEN s.state = 'paid' THEN opened + interval '60 days' END,
            CASE WHEN s.step IS NOT NULL THEN
                (((%(now)s AT TIME ZONE 'Europe/Paris')::date - 5 + g %% 40) + time '09:00')
                AT TIME ZONE 'Europe/Paris' END,
            CASE WHEN s.step IS NOT NULL THEN %(scenario)s END,
            (%(steps)s::bigint[])[s.step]
        FROM generate_series(1, %(cases)s) AS g
        CROSS JOIN LATERAL (
            SELECT %(now)s - (g::bigint * 7919 %% 525600) * interval '1 minute' AS opened,
                100 + (g::bigint * 7919 %% 490000) / 100.0 AS principal
        ) AS t
        CROSS JOIN LATERAL (
            SELECT CASE WHEN g %% 20 < 12 THEN 'reminder' WHEN g %% 20 < 14 THEN 'phone_followup'
                WHEN g %% 20 < 16 THEN 'formal_notice' WHEN g %% 20 = 16 THEN 'new'
                WHEN g %% 20 = 17 THEN 'on_hold' ELSE 'paid' END AS state,
                CASE WHEN g %% 20 < 12 THEN 2 WHEN g %% 20 < 14 THEN 3
                WHEN g %% 20 < 16 THEN 4 END AS step
        ) AS s
        JOIN (SELECT id, row_number() OVER (ORDER BY id) - 1 AS n FROM debtors_debtor
              WHERE agency_id = %(agency)s) AS d
            ON d.n = g %% (SELECT count(*) FROM debtors_debtor WHERE agency_id = %(agency)s)
        """,
        params,
    )
    sql(
        """
        INSERT INTO cases_claim (agency_id, case_id, invoice_number, invoice_date,
            due_date, principal, currency, debt_kind, limitation_date)
        SELECT agency_id, id, 'F-' || id, first_due_date - 30, first_due_date,
            principal_total, 'EUR', 'b2b', limitation_date
        FROM cases_case WHERE agency_id = %(agency)s
        """,
        params,
    )
    sql(
        """
        INSERT INTO cases_caseevent (agency_id, case_id, at, kind, transition,
            from_state, to_state, payload)
        SELECT agency_id, id, opened_at, 'opened', '', '', 'new',
            jsonb_build_object('claims', 1, 'principal', principal_total::text)
        FROM cases_case WHERE agency_id = %(agency)s
        """,
        params,
    )


def worked_case(agency_id: int, agent: Any) -> int:
    """A case as an agent finds it after a few weeks, written through the services: three
    invoices, accepted, a note, a payment (its receipt and creditor e-mail left in the outbox)."""
    from django.db import transaction
    from django.utils import timezone

    from cases import events, services
    from cases.models import Case, Creditor
    from collectio.models import Agency
    from collectio.scoping import tenant_scope
    from debtors.models import Debtor
    from payments.services import payment_record

    today = timezone.localdate()
    with tenant_scope(agency_id), transaction.atomic():
        case = services.case_open(
            agency=Agency.objects.get(pk=agency_id),
            creditor=Creditor.objects.filter(agency_id=agency_id).first(),
            debtor=Debtor.objects.filter(agency_id=agency_id).first(),
            claims=[
                services.ClaimInput(
                    invoice_number=f"F-2026-{n:04d}",
                    invoice_date=today - timedelta(days=120 - 10 * n),
                    due_date=today - timedelta(days=90 - 10 * n),
                    principal=Decimal("1250.00") + 100 * n,
                    debt_kind="b2b",
                )
                for n in range(3)
            ],
            actor=agent,
        )
        services.case_transition(case=case, transition="accept", actor=agent)
        case = Case.objects.get(pk=case.pk)
        events.note_added(case=case, actor=agent, text="Débiteur joint, promet un virement.")
    with tenant_scope(agency_id), transaction.atomic():
        payment_record(
            case=case,
            amount=Decimal("500.00"),
            received_on=today - timedelta(days=3),
            method="transfer",
            actor=agent,
        )
    return case.pk


def build(cases: int) -> Fixture:
    from django.db import transaction
    from django.utils import timezone

    from bench.data import create_agency, insert_debtors, refuse_a_used_database, timed
    from collectio.models import Membership, Role, User
    from demo.seed import _demo_rates_up_to

    refuse_a_used_database("bench/case_list.py")
    now = timezone.now()
    # The statement on the case page needs this semester's rates, which an operator imports;
    # the scratch database gets the demo's labelled, unverified copies of the last ones.
    _demo_rates_up_to(timezone.localdate())
    measured, other = create_agency("bench", 0), create_agency("autre", 1)
    for agency, count, prefix in ((measured, cases, "C-B-"), (other, cases // 2, "C-A-")):
        with timed(f"agency {agency.agency_id}: {count:,} cases"), transaction.atomic():
            insert_debtors(agency.agency_id, max(1, count // 3), now)
            insert_cases(agency, count, now, prefix)
    agent = User.objects.create_user(email=AGENT_EMAIL, password="bench-pass-123")  # noqa: S106
    Membership.objects.create(user=agent, agency_id=measured.agency_id, role=Role.AGENT)
    detail = worked_case(measured.agency_id, agent)
    return Fixture(measured.agency_id, agent.pk, detail, cases)


def settle() -> None:
    from bench.data import sql

    for table in ("cases_case", "cases_claim", "cases_caseevent", "debtors_debtor"):
        sql(f"VACUUM ANALYZE {table}")


def index_definition() -> str:
    from bench.data import sql

    row = sql("SELECT indexdef FROM pg_indexes WHERE indexname = %(name)s", {"name": INDEX})
    if row is None:
        sys.exit(f"bench/case_list.py: no index {INDEX} to measure (migrations applied?)")
    return row[0]


def set_index(definition: str, *, present: bool) -> None:
    from bench.data import sql

    exists = sql("SELECT 1 FROM pg_indexes WHERE indexname = %(name)s", {"name": INDEX})
    if present and not exists:
        sql(definition)
    elif exists and not present:
        sql(f"DROP INDEX {INDEX}")


# --- clients ---------------------------------------------------------------------------------
Get = Callable[[str], float]


def test_client(agent_id: int) -> Get:
    """The Django test client, logged in as the agent (a real session, every middleware)."""
    from django.test import Client

    from collectio.models import User

    client = Client(SERVER_NAME="localhost")
    client.force_login(User.objects.get(pk=agent_id))

    def get(url: str) -> float:
        started = time.perf_counter()
        response = client.get(url)
        seconds = time.perf_counter() - started
        if response.status_code != 200:
            sys.exit(f"GET {url}: {response.status_code}")
        return seconds

    return get


def session_cookie(agent_id: int) -> str:
    from django.test import Client

    from collectio.models import User

    client = Client(SERVER_NAME="localhost")
    client.force_login(User.objects.get(pk=agent_id))
    return f"sessionid={client.cookies['sessionid'].value}"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Gunicorn:
    """gunicorn with 2 sync workers on loopback, for the life of a ``with`` block."""

    def __init__(self) -> None:
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Gunicorn:
        env = {**os.environ, "DEBUG": "False", "CONN_MAX_AGE": "60"}
        self.process = subprocess.Popen(  # noqa: S603 - our own virtualenv's gunicorn
            [
                str(Path(sys.executable).with_name("gunicorn")),
                "collectio.wsgi:application",
                f"--bind=127.0.0.1:{self.port}",
                "--workers=2",
                "--log-level=warning",
            ],
            cwd=ROOT,
            env=env,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return self
            except OSError:
                time.sleep(0.2)
        self.__exit__()
        sys.exit("gunicorn did not start within 30 s")

    def __exit__(self, *exc: object) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=30)

    def client(self, cookie: str) -> Get:
        def get(url: str) -> float:
            request = urllib.request.Request(
                f"http://127.0.0.1:{self.port}{url}", headers={"Cookie": cookie}
            )
            started = time.perf_counter()
            with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
                response.read()
                status = response.status
            seconds = time.perf_counter() - started
            if status != 200:
                sys.exit(f"GET {url}: {status}")
            return seconds

        return get


def run_requests(get: Get, url: str, count: int, threads: int) -> list[float]:
    """``count`` requests of ``url``, shared by ``threads`` client threads; their latencies."""
    latencies: list[float] = []
    lock = threading.Lock()
    remaining = [count]

    def loop() -> None:
        while True:
            with lock:
                if remaining[0] == 0:
                    return
                remaining[0] -= 1
            seconds = get(url)
            with lock:
                latencies.append(seconds)

    if threads == 1:
        loop()
    else:
        workers = [threading.Thread(target=loop) for _ in range(threads)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
    return latencies


def percentiles(values: list[float]) -> tuple[float, float]:
    cuts = statistics.quantiles(values, n=20, method="inclusive")
    return statistics.median(values), cuts[18]


# --- queries ---------------------------------------------------------------------------------
def page_queries(agent_id: int, url: str) -> list[dict[str, str]]:
    """The SQL one page runs (through the test client), in order."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    get = test_client(agent_id)
    get(url)  # warm: the first request of a client loads the session and the translations
    with CaptureQueriesContext(connection) as queries:
        get(url)
    return list(queries.captured_queries)


def print_queries(title: str, queries: list[dict[str, str]]) -> None:
    print(f"\n{title}: {len(queries)} queries")
    for number, query in enumerate(queries, 1):
        text = " ".join(query["sql"].split())
        print(f"  {number:>2}. ({float(query['time']) * 1000:.1f} ms) {text[:150]}")


def explain(query: str) -> str:
    """The nodes that read and order the cases, and the timings, of one query's plan."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {query}")
        lines = [row[0] for row in cursor.fetchall()]
    shown = ("Limit", "Sort", "Scan on cases_case", "Scan using", "Execution", "Planning")
    return "\n".join(f"    {line}" for line in lines if any(word in line for word in shown))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=50_000, help="cases of the measured agency")
    parser.add_argument("--requests", type=int, default=300, help="requests per kind in all")
    parser.add_argument("--rounds", type=int, default=3, help="with/without rounds")
    parser.add_argument(
        "--gunicorn", action="store_true", help="gunicorn, 2 workers, 2 client threads"
    )
    args = parser.parse_args()

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.urls import reverse

    from bench.data import timed

    call_command("collectstatic", interactive=False, verbosity=0)  # the manifest, as deployed

    database = connection.settings_dict["NAME"]
    cpus = os.cpu_count()
    print(f"bench/case_list.py: {args.cases:,} cases in database {database!r}, {cpus} CPUs")
    with timed("build"):
        fixture = build(args.cases)
        settle()
    definition = index_definition()
    base = reverse("workspace:list")
    pages = {
        "page 1": f"{base}?page=1",
        "page 1, state reminder": f"{base}?state=reminder&page=1",
        f"page {args.cases // PAGE // 2}": f"{base}?page={args.cases // PAGE // 2}",
    }
    detail = reverse("workspace:detail", args=[fixture.detail_case_id])

    list_queries = page_queries(fixture.agent_id, pages["page 1"])
    detail_queries = page_queries(fixture.agent_id, detail)
    print_queries("List page (page 1)", list_queries)
    print_queries("Case page", detail_queries)
    main_query = max(list_queries, key=lambda q: len(q["sql"]))["sql"]
    for present in (True, False):
        set_index(definition, present=present)
        print(f"\nPlan of the list query, {'with' if present else 'without'} {INDEX}:")
        print(explain(main_query))
    set_index(definition, present=True)

    threads = 2 if args.gunicorn else 1
    latencies: dict[tuple[str, bool], list[float]] = {}

    def measure(get: Get) -> None:
        for url in (*pages.values(), detail):
            run_requests(get, url, 4, threads)  # warm every worker
        per_round = max(1, args.requests // args.rounds)
        for round_number in range(args.rounds):
            for present in (True, False):
                set_index(definition, present=present)
                for name, url in pages.items():
                    done = run_requests(get, url, per_round, threads)
                    latencies.setdefault((name, present), []).extend(done)
            print(f"  round {round_number + 1} of {args.rounds} done", flush=True)
        set_index(definition, present=True)
        latencies[("case page", True)] = run_requests(get, detail, per_round, threads)

    if args.gunicorn:
        with Gunicorn() as server:
            how = f"gunicorn, 2 workers on 127.0.0.1:{server.port}, 2 client threads"
            print(f"\nMeasuring through {how}")
            measure(server.client(session_cookie(fixture.agent_id)))
    else:
        how = "the Django test client, one request at a time"
        print(f"\nMeasuring through {how}")
        measure(test_client(fixture.agent_id))

    print(f"\n{args.cases:,} cases of the agency ({args.cases // 2:,} in another), {how}")
    print(f"  {'page':<28}{'index':>8}{'requests':>10}{'p50 ms':>9}{'p95 ms':>9}")
    for (name, present), values in latencies.items():
        p50, p95 = percentiles(values)
        index = "with" if present else "without"
        print(f"  {name:<28}{index:>8}{len(values):>10}{p50 * 1000:>9.1f}{p95 * 1000:>9.1f}")
    print(f"  queries per page: list {len(list_queries)}, case page {len(detail_queries)}")


if __name__ == "__main__":
    main()
