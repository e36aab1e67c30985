"""Sweep benchmark: N due cases advanced by ``sweep_agency`` against a raw-SQL baseline.

Run against a throwaway database (never the dev one); it refuses a database that already holds
an agency::

    createdb -h 127.0.0.1 -p 54329 -U collectio collectio_bench_sweep
    export DATABASE_URL=postgres://collectio@127.0.0.1:54329/collectio_bench_sweep DEBUG=1
    .venv/bin/python manage.py migrate
    .venv/bin/python bench/sweep.py [--cases 100000 | --large] [--batch-size 500 2000 5000]
    dropdb -h 127.0.0.1 -p 54329 -U collectio collectio_bench_sweep

The data is built with set-based SQL: one agency (through the ORM, so it gets its default
scenario), a few creditors, about N/3 debtors and N cases in state ``reminder``, planned on the
default scenario's step 2 and due, each with one claim and a realistic history (the step-1
execution and two events). Cases fall due as the product plans them, at 09:00 Paris time: two
thirds today, a third yesterday (``--scatter`` spreads them by the minute instead, so that each
batch touches rows all over the table). Each sweep and the baselines run on the same rows, reset
in between; ``--workers 2`` sweeps with two processes at once, ``--repeat`` keeps the best runs.
The baseline writes the same rows as the sweep (events, step executions, one outbox message
each, the UPDATE); the earlier floor (events and UPDATE only) is kept to compare with the
figures measured before the outbox. Each run also reports the CPU its Python process and its
PostgreSQL backend spent, which a shared machine's load disturbs far less than wall time.

``DEBUG`` is switched off after set-up, as in production (Django's debug cursor would otherwise
format every statement). Side effects are enqueued to a real Redis (``--broker``, by default
database 15 of ``REDIS_URL``'s server, which no worker reads, purged at the end), so the enqueue
is part of the timing.
"""

from __future__ import annotations

import argparse
import cProfile
import multiprocessing
import os
import pstats
import re
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# Replace the script's own folder so that bench/*.py never shadows a project module.
sys.path[0] = str(ROOT)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "collectio.settings")

from bench.data import create_agency, insert_debtors, refuse_a_used_database, sql, timed  # noqa: E402

LARGE = 1_000_000
DEBTORS_PER_CASE = 3  # about N/3 debtors, each owing on several cases
GOAL = 1 / 3  # issue 3: the sweep reaches at least a third of the raw-SQL rate
TABLE = re.compile(r'\b(?:FROM|INTO|UPDATE)\s+"?(\w+)')
# The project's Redis (REDIS_URL), in a database index no worker reads.
BROKER = re.sub(r"(/\d*)?$", "/15", os.environ.get("REDIS_URL", "redis://127.0.0.1:63799"), count=1)


# The tables a run appends to, and the Fixture field holding each one's id mark.
WRITTEN = {
    "cases_caseevent": "event_mark",
    "dunning_stepexecution": "execution_mark",
    "collectio_outboxmessage": "outbox_mark",
}


@dataclass(frozen=True)
class Fixture:
    """What the build left: the agency, the steps and the id marks to reset to."""

    agency_id: int
    step2_id: int
    step3_id: int
    cases: int
    now: datetime
    due: dict[str, Any]
    event_mark: int
    execution_mark: int
    outbox_mark: int


@dataclass(frozen=True)
class Cpu:
    """CPU seconds of this process (Python, driver included) and of its PostgreSQL backend
    (``None`` when the server runs on another machine)."""

    client: float
    server: float | None

    def __add__(self, other: Cpu) -> Cpu:
        server = None if None in (self.server, other.server) else self.server + other.server
        return Cpu(self.client + other.client, server)

    def __sub__(self, other: Cpu) -> Cpu:
        server = None if None in (self.server, other.server) else self.server - other.server
        return Cpu(self.client - other.client, server)


def cpu_now() -> Cpu:
    """This process's CPU time and its backend's, read from /proc (same machine only)."""
    pid = sql("SELECT pg_backend_pid()")[0]
    try:  # fields after the command name: utime and stime are the 12th and 13th
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return Cpu(time.process_time(), None)
    ticks = os.sysconf("SC_CLK_TCK")
    return Cpu(time.process_time(), (int(fields[11]) + int(fields[12])) / ticks)


@dataclass(frozen=True)
class Timing:
    label: str
    cases: int
    seconds: float
    cpu: Cpu

    @property
    def rate(self) -> float:
        return self.cases / self.seconds

    @property
    def cpu_seconds(self) -> float | None:
        """Python and PostgreSQL together: what a busy machine has to find for the run."""
        return None if self.cpu.server is None else self.cpu.client + self.cpu.server


def due_at(g: str) -> str:
    """SQL for case number ``g``'s due time: 09:00 (Paris) today, a third from yesterday's
    backlog; ``scatter`` spreads them by the minute, so a batch hits rows all over the table."""
    return f"""CASE WHEN %(scatter)s
        THEN %(now)s - interval '1 hour' - ({g} %% 1440) * interval '1 minute'
        WHEN {g} <= %(backlog)s THEN %(due_yesterday)s ELSE %(due_today)s END"""


def due_params(now: datetime, cases: int, *, scatter: bool) -> dict[str, Any]:
    from django.utils import timezone

    from dunning.planning import at_sending_time

    today = timezone.localdate(now)
    if at_sending_time(today) > now:
        today -= timedelta(days=1)
    return {
        "now": now,
        "scatter": scatter,
        "backlog": cases // 3,
        "due_today": at_sending_time(today),
        "due_yesterday": at_sending_time(today - timedelta(days=1)),
    }


def build(cases: int, *, scatter: bool) -> Fixture:
    """One agency, its default scenario, creditors, debtors, due cases, claims and history."""
    from django.db import transaction
    from django.utils import timezone

    refuse_a_used_database("bench/sweep.py")
    now = timezone.now()
    agency = create_agency("bench")
    debtors = max(1, cases // DEBTORS_PER_CASE)
    due = due_params(now, cases, scatter=scatter)
    params: dict[str, Any] = {
        **due,
        "agency": agency.agency_id,
        "scenario": agency.scenario_id,
        "step1": agency.step_ids[0],
        "step2": agency.step_ids[1],
        "creditors": agency.creditor_ids,
        "cases": cases,
        "debtors": debtors,
        "year": now.year,
    }
    with transaction.atomic():
        with timed(f"{debtors:,} debtors"):
            insert_debtors(agency.agency_id, debtors, now)
        with timed(f"{cases:,} cases"):
            sql(
                f"""
                INSERT INTO cases_case (agency_id, creditor_id, debtor_id, reference, state,
                    resume_state, closure_code, principal_total, principal_due,
                    limitation_date, first_due_date, opened_at, accepted_at, next_action_at,
                    scenario_id, next_step_id)
                SELECT %(agency)s,
                    (%(creditors)s::bigint[])[1 + g %% cardinality(%(creditors)s::bigint[])],
                    d.id,
                    'C-' || %(year)s || '-' || lpad(g::text, 7, '0'),
                    'reminder', '', '',
                    principal, principal,
                    (%(now)s + interval '4 years')::date, (%(now)s - interval '90 days')::date,
                    due - interval '13 days', due - interval '11 days', due,
                    %(scenario)s, %(step2)s
                FROM generate_series(1, %(cases)s) AS g
                CROSS JOIN LATERAL (
                    SELECT {due_at("g")} AS due,
                        100 + (g::bigint * 7919 %% 490000) / 100.0 AS principal
                ) AS t
                JOIN (SELECT id, row_number() OVER (ORDER BY id) - 1 AS n FROM debtors_debtor
                      WHERE agency_id = %(agency)s) AS d ON d.n = g %% %(debtors)s
                """,
                params,
            )
        with timed("claims, step-1 executions, events"):
            sql(
                """
                INSERT INTO cases_claim (agency_id, case_id, invoice_number, invoice_date,
                    due_date, principal, currency, debt_kind, limitation_date)
                SELECT agency_id, id, 'F-' || id, (%(now)s - interval '120 days')::date,
                    first_due_date, principal_total, 'EUR', 'b2b',
                    limitation_date
                FROM cases_case WHERE agency_id = %(agency)s
                """,
                params,
            )
            sql(
                """
                INSERT INTO dunning_stepexecution (agency_id, case_id, step_id, status,
                    planned_for, executed_at, reasons)
                SELECT agency_id, id, %(step1)s, 'done', accepted_at + interval '1 day',
                    accepted_at + interval '1 day', '[]'
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
                UNION ALL
                SELECT agency_id, id, accepted_at + interval '1 day', 'transition',
                    'send_reminder', 'reminder', 'reminder',
                    jsonb_build_object('step', %(step1)s, 'action', 'reminder')
                FROM cases_case WHERE agency_id = %(agency)s
                """,
                params,
            )
    return Fixture(
        agency_id=agency.agency_id,
        step2_id=agency.step_ids[1],
        step3_id=agency.step_ids[2],
        cases=cases,
        now=now,
        due=due,
        event_mark=sql("SELECT coalesce(max(id), 0) FROM cases_caseevent")[0],
        execution_mark=sql("SELECT coalesce(max(id), 0) FROM dunning_stepexecution")[0],
        outbox_mark=sql("SELECT coalesce(max(id), 0) FROM collectio_outboxmessage")[0],
    )


def reset(fixture: Fixture) -> None:
    """Put every case back on step 2, due as built, and drop what a run wrote.

    The case number ``g`` of the build is read back from the reference (C-YYYY-NNNNNNN)."""
    from django.db import transaction

    with transaction.atomic():
        for table, mark in WRITTEN.items():
            sql(
                f"DELETE FROM {table} WHERE id > %(mark)s AND agency_id = %(agency)s",
                {"mark": getattr(fixture, mark), "agency": fixture.agency_id},
            )
        sql(
            f"""
            UPDATE cases_case SET state = 'reminder', next_step_id = %(step2)s,
                formal_notice_deadline = NULL,
                next_action_at = {due_at("substring(reference from 8)::int")}
            WHERE agency_id = %(agency)s
            """,
            {**fixture.due, "step2": fixture.step2_id, "agency": fixture.agency_id},
        )
    settle()


def settle() -> None:
    """Vacuum, analyze and checkpoint so each timed run starts from the same table state."""
    from django.db import DatabaseError

    for table in ("cases_case", *WRITTEN):
        sql(f"VACUUM ANALYZE {table}")
    with suppress(DatabaseError):  # not a superuser: the runs start with more dirty pages
        sql("CHECKPOINT")


def measure(label: str, cases: int, run: Callable[[], Cpu | None]) -> Timing:
    """Run once; print the wall time, the rate and the CPU it took, counted here unless
    ``run`` returns what its worker processes counted."""
    before = cpu_now()
    wall = time.perf_counter()
    spent = run()
    seconds = time.perf_counter() - wall
    timing = Timing(label, cases, seconds, spent or cpu_now() - before)
    server = "?" if timing.cpu.server is None else f"{timing.cpu.server:.1f}"
    print(
        f"  {label}: {timing.seconds:.2f} s, {timing.rate:,.0f} cases/s; "
        f"CPU: Python {timing.cpu.client:.1f} s, PostgreSQL {server} s",
        flush=True,
    )
    return timing


class StatementClock:
    """Wall time spent in ``cursor.execute`` (driver included) and ``COMMIT``, by statement."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)

    def __call__(self, execute: Callable[..., Any], sql: str, *args: Any) -> Any:
        started = time.perf_counter()
        try:
            return execute(sql, *args)
        finally:
            table = TABLE.search(sql)
            name = f"{sql.split(None, 1)[0]} {table[1] if table else ''}"
            self.seconds[name] += time.perf_counter() - started

    @contextmanager
    def installed(self) -> Iterator[None]:
        """Time statements, commits and (after them) the outbox's enqueue to Redis."""
        from django.db import connection

        from collectio import outbox

        commit, enqueue = connection.commit, outbox.enqueue

        def clocked(name: str, call: Callable[..., Any]) -> Callable[..., Any]:
            def run(*args: Any) -> Any:
                started = time.perf_counter()
                try:
                    return call(*args)
                finally:
                    self.seconds[name] += time.perf_counter() - started

            return run

        connection.commit = clocked("COMMIT", commit)  # type: ignore[method-assign]
        outbox.enqueue = clocked("enqueue (Redis)", enqueue)
        try:
            with connection.execute_wrapper(self):
                yield
        finally:
            del connection.commit
            outbox.enqueue = enqueue

    def report(self, total: float) -> None:
        parts = sorted(self.seconds.items(), key=lambda item: -item[1])
        spent = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in parts)
        outside = total - sum(self.seconds.values())
        print(
            f"    database (driver included) and Redis: {spent}; outside: {outside:.1f} s",
            flush=True,
        )


def sweep_once(agency_id: int, now: datetime, batch_size: int) -> int:
    """One ``sweep_agency`` call in the agency's scope, as the Celery task runs it."""
    from collectio.scoping import tenant_scope
    from dunning.sweep import sweep_agency

    with tenant_scope(agency_id):
        return sweep_agency(agency_id=agency_id, now=now, batch_size=batch_size).executed


def sweep_worker(agency_id: int, now: datetime, batch_size: int) -> tuple[int, Cpu]:
    """``sweep_once`` in a pool process, printing where its time went; returns the cases it
    advanced and the CPU it and its backend spent."""
    clock = StatementClock()
    before = cpu_now()
    started = time.perf_counter()
    with clock.installed():
        executed = sweep_once(agency_id, now, batch_size)
    seconds = time.perf_counter() - started
    spent = cpu_now() - before
    print(f"    worker {os.getpid()}, {executed:,} cases:", flush=True)
    clock.report(seconds)
    return executed, spent


def run_sweep(fixture: Fixture, batch_size: int, profile: Path | None, workers: int = 1) -> Timing:
    """Time ``sweep_agency`` over every due case, then check what it wrote.

    With several workers, as many processes sweep the agency at once (SKIP LOCKED shares the
    batches out), as when the next beat finds the previous sweep still running."""
    executed: list[int] = []
    label = f"sweep, batch {batch_size}"
    job = (fixture.agency_id, fixture.now, batch_size)

    clock = StatementClock()

    def sweep() -> None:
        with clock.installed():
            executed.append(sweep_once(*job))

    if workers > 1:
        from django.db import connections

        connections.close_all()  # each process opens its own connection
        with multiprocessing.get_context("fork").Pool(workers) as pool:

            def sweeps() -> Cpu:
                results = pool.starmap(sweep_worker, [job] * workers)
                executed.extend(count for count, _cpu in results)
                return sum((cpu for _count, cpu in results), start=Cpu(0.0, 0.0))

            timing = measure(f"{label}, {workers} workers", fixture.cases, sweeps)
    elif profile is None:
        timing = measure(label, fixture.cases, sweep)
        clock.report(timing.seconds)
    else:
        profiler = cProfile.Profile()
        timing = measure(
            f"{label} (under cProfile)",
            fixture.cases,
            lambda: profiler.runcall(sweep),
        )
        profiler.dump_stats(profile)
        stats = pstats.Stats(str(profile))
        stats.sort_stats("tottime").print_stats(25)
        stats.sort_stats("cumulative").print_stats(40)
    if sum(executed) != fixture.cases:
        sys.exit(f"sweep executed {executed} cases, expected {fixture.cases} in all")
    verify(fixture, step_executions=fixture.cases)
    return timing


def run_baseline(fixture: Fixture, *, full: bool = True) -> Timing:
    """Time the raw-SQL floor for the same rows the sweep writes: the events, the step
    executions with one outbox message each (one CTE, as the sweep does), and one UPDATE of the
    cases. ``full=False`` is the earlier floor (events and UPDATE only), kept to compare with
    the figures measured before the outbox."""
    from django.db import transaction
    from django.utils import timezone

    from cases.models import ACTIVE_STATES
    from collectio.scoping import tenant_scope
    from dunning.models import Step
    from dunning.planning import at_sending_time, step_due_on
    from dunning.sweep import STEP_EFFECTS
    from law.calendar import FrenchCalendar

    # The date the sweep plans step 3 for (metropolitan calendar), as one constant.
    with tenant_scope(fixture.agency_id):
        step3 = Step.objects.get(pk=fixture.step3_id)
    today = timezone.localdate(fixture.now)
    next_at = at_sending_time(step_due_on(step=step3, anchor=today, calendar=FrenchCalendar()))
    params = {
        "agency": fixture.agency_id,
        "active": list(ACTIVE_STATES),
        "now": fixture.now,
        "step2": fixture.step2_id,
        "step3": fixture.step3_id,
        "next_at": next_at,
        "kind": STEP_EFFECTS,
    }
    where = "agency_id = %(agency)s AND state = ANY(%(active)s) AND next_action_at <= %(now)s"
    due = f"FROM cases_case WHERE {where}"

    clock = StatementClock()

    def baseline() -> None:
        with clock.installed(), transaction.atomic():
            sql(
                f"""
                INSERT INTO cases_caseevent (agency_id, case_id, at, kind, transition,
                    from_state, to_state, payload)
                SELECT agency_id, id, %(now)s, 'transition', 'send_reminder', state, 'reminder',
                    jsonb_build_object('step', %(step2)s, 'action', 'reminder')
                {due}
                """,
                params,
            )
            if full:
                sql(
                    f"""
                    WITH executed AS (
                        INSERT INTO dunning_stepexecution (agency_id, case_id, step_id, status,
                            planned_for, executed_at, reasons)
                        SELECT agency_id, id, %(step2)s, 'done', next_action_at, %(now)s, '[]'
                        {due}
                        RETURNING id, case_id, agency_id)
                    INSERT INTO collectio_outboxmessage (agency_id, kind, key, payload, case_id,
                        status, attempts, available_at, last_error, created_at)
                    SELECT agency_id, %(kind)s, 'step_execution:' || id,
                        jsonb_build_object('execution_id', id), case_id, 'pending', 0,
                        %(now)s, '', %(now)s
                    FROM executed
                    """,
                    params,
                )
            sql(
                f"""
                UPDATE cases_case SET state = 'reminder', next_step_id = %(step3)s,
                    next_action_at = %(next_at)s
                WHERE {where}
                """,
                params,
            )

    label = "raw-SQL baseline" if full else "raw-SQL, events+UPDATE only"
    timing = measure(label, fixture.cases, baseline)
    clock.report(timing.seconds)
    verify(fixture, step_executions=fixture.cases if full else 0)
    return timing


def verify(fixture: Fixture, *, step_executions: int) -> None:
    """Every case moved to step 3 and later than now, one new event per case, and the given
    number of step executions, each with its outbox message."""
    row = sql(
        """
        SELECT
            (SELECT count(*) FROM cases_case WHERE agency_id = %(agency)s
                AND next_step_id = %(step3)s AND next_action_at > %(now)s),
            (SELECT count(*) FROM cases_caseevent WHERE agency_id = %(agency)s
                AND id > %(events)s AND kind = 'transition' AND actor_kind = 'system'),
            (SELECT count(*) FROM dunning_stepexecution WHERE agency_id = %(agency)s
                AND id > %(executions)s AND step_id = %(step2)s AND status = 'done'),
            (SELECT count(*) FROM collectio_outboxmessage o JOIN dunning_stepexecution e
                ON o.key = 'step_execution:' || e.id AND o.case_id = e.case_id
                WHERE o.agency_id = %(agency)s AND o.id > %(outbox)s AND e.id > %(executions)s
                AND o.status = 'pending')
        """,
        {
            "agency": fixture.agency_id,
            "step2": fixture.step2_id,
            "step3": fixture.step3_id,
            "now": fixture.now,
            "events": fixture.event_mark,
            "executions": fixture.execution_mark,
            "outbox": fixture.outbox_mark,
        },
    )
    expected = (fixture.cases, fixture.cases, step_executions, step_executions)
    if tuple(row) != expected:
        sys.exit(
            f"verification failed: (moved, events, executions, outbox) = {row}, expected {expected}"
        )


def purge_broker(broker: str) -> int:
    """Drop the outbox deliveries the sweeps queued (their rows are gone), but only
    from the bench's own Redis database: elsewhere they may share a queue with real work."""
    from collectio.celery import app
    from collectio.outbox import HANDLERS

    if broker != BROKER:
        print(f"  left the queued messages in {broker}: purge them yourself")
        return 0
    queues = {app.conf.task_default_queue, *(handler.queue for handler in HANDLERS.values())}
    try:
        with app.connection_for_write() as connection:
            channel = connection.default_channel
            return sum(channel.queue_purge(queue) or 0 for queue in sorted(queues))
    except Exception as error:  # the broker is down: nothing was queued
        print(f"  broker purge failed: {error}")
        return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--cases", type=int, default=100_000, help="due cases (default 100,000)")
    size.add_argument("--large", action="store_true", help=f"{LARGE:,} cases")
    parser.add_argument(
        "--batch-size", type=int, nargs="+", default=[500], help="one sweep per size given"
    )
    parser.add_argument(
        "--broker",
        default=BROKER,
        help=f"Redis for the enqueued side effects (sets REDIS_URL; default {BROKER})",
    )
    parser.add_argument(
        "--no-enqueue", action="store_true", help="skip the on-commit enqueue (to isolate it)"
    )
    parser.add_argument(
        "--scatter", action="store_true", help="due times by the minute: batches hit random rows"
    )
    parser.add_argument(
        "--workers", type=int, default=1, help="processes sweeping the agency at once (default 1)"
    )
    parser.add_argument("--repeat", type=int, default=1, help="best of this many runs each")
    parser.add_argument("--profile", type=Path, help="cProfile the first sweep into this file")
    args = parser.parse_args()
    cases = LARGE if args.large else args.cases

    os.environ["REDIS_URL"] = args.broker
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection

    settings.DEBUG = False
    if args.no_enqueue:
        import dunning.sweep

        dunning.sweep.enqueue_on_commit = lambda *a, **k: None  # type: ignore[assignment]

    database = connection.settings_dict["NAME"]
    print(f"bench/sweep.py: {cases:,} due cases in database {database!r}, {os.cpu_count()} CPUs")
    print(f"  PostgreSQL {sql('SHOW server_version')[0]}, broker {args.broker}", flush=True)
    with timed("build"):
        fixture = build(cases, scatter=args.scatter)
        settle()

    # A baseline before every sweep, and the best of each: the machine may be shared, and
    # noise only ever slows a run down.
    # Both baselines before every sweep, and the best of each: the machine may be shared, and
    # noise only ever slows a run down.
    floors: dict[bool, list[Timing]] = {True: [], False: []}
    sweeps = []
    for index, batch_size in enumerate(args.batch_size):
        runs = []
        for run in range(args.repeat):
            for full in (True, False):
                if index or run or not full:
                    reset(fixture)
                floors[full].append(run_baseline(fixture, full=full))
            reset(fixture)
            profile = args.profile if index == run == 0 else None
            runs.append(run_sweep(fixture, batch_size, profile, args.workers))
        sweeps.append(min(runs, key=lambda t: t.seconds))
    baseline, earlier = (min(floors[full], key=lambda t: t.seconds) for full in (True, False))
    purged = purge_broker(args.broker)

    best = f", best of {len(floors[True])} runs of each baseline and of {args.repeat} per sweep"
    print(f"\n{cases:,} cases{best}; {purged} queued side-effect deliveries purged")
    print(
        f"  {'run':<32}{'seconds':>9}{'cases/s':>10}{'ratio':>8}{'(earlier floor)':>16}"
        f"{'CPU s':>8}{'CPU ratio':>11}"
    )

    def row(timing: Timing, note: str = "") -> None:
        cpu, floor_cpu = timing.cpu_seconds, baseline.cpu_seconds
        cpu_ratio = f"{floor_cpu / cpu:>11.2f}" if cpu and floor_cpu else f"{'?':>11}"
        print(
            f"  {timing.label:<32}{timing.seconds:>9.2f}{timing.rate:>10,.0f}"
            f"{timing.rate / baseline.rate:>8.2f}{timing.rate / earlier.rate:>16.2f}"
            f"{cpu or 0:>8.1f}{cpu_ratio}{note}"
        )

    row(baseline)
    row(earlier)
    for timing in sweeps:
        row(timing, "  ok" if timing.rate / baseline.rate >= GOAL else "  below 1/3")


if __name__ == "__main__":
    main()
