"""Agent workspace benchmark: "next case" and the queue page with 1,000,000 cases loaded.

Run against a throwaway database (never the dev one); it refuses a database that already holds
an agency::

    createdb -h 127.0.0.1 -p 54329 -U collectio collectio_bench_queue
    export DATABASE_URL=postgres://collectio@127.0.0.1:54329/collectio_bench_queue
    .venv/bin/python manage.py migrate
    .venv/bin/python bench/queue.py [--cases 1000000] [--calls 200]
    dropdb -h 127.0.0.1 -p 54329 -U collectio collectio_bench_queue

The data is built with set-based SQL (``generate_series``, through ``bench.case_list``'s
``insert_cases``): the measured agency with N cases in the product's mix of states and a second
agency with N/10. On top: every phone follow-up case (10 %) has an open call task, one in five
due now (spread over the last two days) and the others from tomorrow; one case in 50 was
called in the last fortnight (``last_contact_at``); one reminder case in 100 has a broken
promise nobody has called about; the cases on hold wait on a pending promise, a tenth of them
due today. Twenty agents of the measured agency take turns: each "next case" is a POST through
the Django test client (session, middleware, the claim under ``FOR UPDATE SKIP LOCKED`` and its
upsert, the redirect), so up to 19 live claims are skipped; each queue page is a GET of the
calls queue with its nine counts and 50 rows with their score's parts. The percentiles are over
every call of each kind. The script prints the queries of one page and the plan of the claim.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[0] = str(ROOT)  # bench/*.py never shadows a project module
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "collectio.settings")
os.environ.setdefault("SECURE_COOKIES", "False")
os.environ["DEBUG"] = "False"

AGENTS = 20


def build(cases: int) -> tuple[int, list[int]]:
    from django.db import transaction
    from django.utils import timezone

    from bench.case_list import insert_cases
    from bench.data import create_agency, insert_debtors, refuse_a_used_database, sql, timed
    from collectio.models import Membership, Role, User
    from demo.seed import _demo_rates_up_to

    refuse_a_used_database("bench/queue.py")
    now = timezone.now()
    _demo_rates_up_to(timezone.localdate())
    measured, other = create_agency("bench", 0), create_agency("autre", 1)
    for agency, count, prefix in ((measured, cases, "C-B-"), (other, cases // 10, "C-A-")):
        with timed(f"agency {agency.agency_id}: {count:,} cases"), transaction.atomic():
            insert_debtors(agency.agency_id, max(1, count // 3), now)
            insert_cases(agency, count, now, prefix)
    with timed("call tasks, contacts, promises"), transaction.atomic():
        sql(
            """
            INSERT INTO debtors_calltask (agency_id, case_id, kind, due_at, requested_by_debtor,
                script, status, outcome, created_at)
            SELECT agency_id, id, 'step',
                CASE WHEN (id / 20) %% 5 = 0 THEN %(now)s - (id %% 48) * interval '1 hour'
                     ELSE %(now)s + interval '1 day' + (id %% 240) * interval '1 hour' END,
                false, '', 'open', '', %(now)s - interval '3 days'
            FROM cases_case WHERE state = 'phone_followup'
            """,
            {"now": now},
        )
        sql(
            """
            UPDATE cases_case SET last_contact_at = %(now)s - (id %% 14) * interval '1 day'
            WHERE (id / 20) %% 50 = 0
            """,
            {"now": now},
        )
        sql(
            """
            WITH broken AS (
                UPDATE cases_case SET promises_broken = 1
                WHERE state = 'reminder' AND (id / 20) %% 100 = 1 RETURNING id, agency_id
            )
            INSERT INTO payments_paymentpromise (agency_id, case_id, amount, due_on, made_on,
                status, resolved_on, created_at)
            SELECT agency_id, id, 100, %(today)s - 3, %(today)s - 10, 'broken', %(today)s - 2,
                %(now)s
            FROM broken
            """,
            {"now": now, "today": timezone.localdate(now)},
        )
        sql(
            """
            INSERT INTO payments_paymentpromise (agency_id, case_id, amount, due_on, made_on,
                status, created_at)
            SELECT agency_id, id, 100,
                CASE WHEN (id / 20) %% 10 = 0 THEN %(today)s
                     ELSE %(today)s + (1 + id %% 20)::integer END,
                %(today)s - 1, 'pending', %(now)s
            FROM cases_case WHERE state = 'on_hold'
            """,
            {"now": now, "today": timezone.localdate(now)},
        )
    from cases.queues import agency_priorities_refresh

    for agency in (measured, other):
        with timed(f"agency {agency.agency_id}: the morning's priorities"), transaction.atomic():
            agency_priorities_refresh(agency_id=agency.agency_id, today=timezone.localdate(now))
    agents = []
    for n in range(AGENTS):
        user = User.objects.create_user(email=f"agent{n}@bench.example", password="bench-pass-1")  # noqa: S106
        Membership.objects.create(user=user, agency_id=measured.agency_id, role=Role.AGENT)
        agents.append(user.pk)
    with timed("VACUUM ANALYZE"):
        for table in (
            "cases_case",
            "cases_claim",
            "cases_caseevent",
            "debtors_debtor",
            "debtors_calltask",
            "payments_paymentpromise",
        ):
            sql(f"VACUUM ANALYZE {table}")
    return measured.agency_id, agents


def clients(agent_ids: list[int]) -> list[object]:
    from django.test import Client

    from collectio.models import User

    logged = []
    for pk in agent_ids:
        client = Client(SERVER_NAME="localhost")
        client.force_login(User.objects.get(pk=pk))
        logged.append(client)
    return logged


def percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[max(0, int(len(ordered) * 0.95) - 1)]
    return f"p50 {statistics.median(ordered) * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms"


def services(agent_ids: list[int], calls: int) -> None:
    """The same two reads without HTTP: the claim service, and the queue's counts and page."""
    from django_scopes import scopes_disabled

    from cases import queues
    from collectio.models import Membership
    from collectio.scoping import tenant_scope

    with scopes_disabled():
        memberships = list(
            Membership.objects.select_related("user", "agency").filter(user_id__in=agent_ids)
        )
    claims, pages = [], []
    with tenant_scope(memberships[0].agency_id):
        for n in range(calls):
            membership = memberships[n % len(memberships)]
            started = time.perf_counter()
            if queues.case_claim_next(membership=membership, key="calls") is None:
                sys.exit("the calls queue ran dry")
            claims.append(time.perf_counter() - started)
            started = time.perf_counter()
            queues.queue_counts(membership=membership)
            queues.queue_page(membership=membership, key="calls", filters=queues.QueueFilters())
            pages.append(time.perf_counter() - started)
    print(f"case_claim_next ({calls} calls): {percentiles(claims)}")
    print(f"queue_counts + queue_page ({calls} calls): {percentiles(pages)}")


def measure(agent_ids: list[int], calls: int) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    logged = clients(agent_ids)
    for client in logged[:3]:  # warm the caches (templates, plans) before timing
        client.get("/cases/queues/?queue=calls")
        client.post("/cases/queues/next/", {"queue": "calls"})
    nexts, pages = [], []
    for n in range(calls):
        client = logged[n % len(logged)]
        started = time.perf_counter()
        response = client.post("/cases/queues/next/", {"queue": "calls"})
        nexts.append(time.perf_counter() - started)
        if response.status_code != 302 or "/queues/" in response["Location"]:
            sys.exit(f"next case did not open a case: {response.status_code}")
        started = time.perf_counter()
        response = client.get("/cases/queues/?queue=calls")
        pages.append(time.perf_counter() - started)
        if response.status_code != 200:
            sys.exit(f"queue page: {response.status_code}")
    services(agent_ids, calls)
    print(f"next case ({calls} POSTs, {len(logged)} agents): {percentiles(nexts)}")
    print(f"queue page ({calls} GETs): {percentiles(pages)}")
    with CaptureQueriesContext(connection) as page_queries:
        logged[0].get("/cases/queues/?queue=calls")
    with CaptureQueriesContext(connection) as next_queries:
        logged[0].post("/cases/queues/next/", {"queue": "calls"})
    print(f"queries: queue page {len(page_queries)}, next case {len(next_queries)}")
    claim = next(q["sql"] for q in next_queries.captured_queries if "SKIP LOCKED" in q["sql"])
    slowest = max(page_queries.captured_queries, key=lambda q: float(q["time"]))
    print(f"slowest query of the page ({slowest['time']} s): {slowest['sql'][:160]}…")
    with connection.cursor() as cursor:
        cursor.execute("BEGIN")
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {claim}")
        print("\n".join(row[0] for row in cursor.fetchall()))
        cursor.execute("ROLLBACK")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument(
        "--reuse", action="store_true", help="measure the data a previous run built again"
    )
    args = parser.parse_args()
    import django

    django.setup()
    from django.core.management import call_command
    from django_scopes import scopes_disabled

    call_command("collectstatic", interactive=False, verbosity=0)  # the manifest, as deployed
    with scopes_disabled():
        if args.reuse:
            from django.utils import timezone

            from cases.queues import agency_priorities_refresh
            from collectio.models import Agency, User

            for agency_id in Agency.objects.values_list("pk", flat=True):  # the morning's beat
                agency_priorities_refresh(agency_id=agency_id, today=timezone.localdate())
            agents = list(
                User.objects.filter(email__endswith="@bench.example").values_list("pk", flat=True)
            )
        else:
            started = time.perf_counter()
            _agency, agents = build(args.cases)
            print(f"built in {time.perf_counter() - started:.0f} s")
    measure(agents, args.calls)


if __name__ == "__main__":
    main()
