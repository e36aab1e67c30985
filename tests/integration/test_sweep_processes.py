"""Exactly once and nothing lost, with real processes, a real Redis and a real Celery worker."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest
from django.utils import timezone
from django_scopes import scopes_disabled

from cases.models import Case, CaseState
from collectio.outbox import OutboxMessage, outbox_relay
from collectio.scoping import tenant_scope
from dunning.models import StepExecution
from dunning.sweep import STEP_EFFECTS, sweep_agency
from tests.dunning.sweep_helpers import accepted_case
from tests.integration.conftest import ROOT, a_week_ago, manage, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def _due_cases(world, count: int) -> list[Case]:
    with scopes_disabled():
        return [accepted_case(world.creditor, accepted_at=a_week_ago()) for _ in range(count)]


def _executions_per_case(cases: list[Case]) -> list[int]:
    with scopes_disabled():
        return [StepExecution.objects.filter(case_id=c.pk).count() for c in cases]


def test_two_sweeps_started_together_in_two_processes_do_each_step_once(world, process_env):
    cases = _due_cases(world, 60)
    sweeps = [
        manage(process_env, "dunning_sweep", "--agency", str(world.agency.pk), "--batch-size", "7")
        for _ in range(2)
    ]
    outputs = [p.communicate(timeout=120)[0] for p in sweeps]
    assert [p.returncode for p in sweeps] == [0, 0], outputs
    assert _executions_per_case(cases) == [1] * 60
    # Both did work: SKIP LOCKED let them share the batches instead of queueing behind each other.
    assert all("executed" in out for out in outputs)


KILLED_MID_BATCH = textwrap.dedent(
    """
    import os, django
    django.setup()
    from django.db import transaction
    from django.db.models import F
    from django.utils import timezone
    from collectio.scoping import tenant_scope
    from cases.models import ACTIVE_STATES, Case
    from dunning.models import StepExecution
    from dunning.sweep import AgencyPolicy, Batch, _advance

    agency_id = int(os.environ["AGENCY_ID"])
    with tenant_scope(agency_id), transaction.atomic():
        cases = list(
            Case.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(state__in=ACTIVE_STATES, next_action_at__lte=timezone.now())
            .annotate(debtor_postcode=F("debtor__postcode"))[:5]
        )
        policy = AgencyPolicy(agency_id)
        policy.attach_creditors(cases)
        batch = Batch(agency_id=agency_id, now=timezone.now())
        for case in cases:
            _advance(case, policy, batch)
        written = batch._insert_executions()
        print("wrote", len(written), "executions, then dies", flush=True)
        os._exit(9)
    """
)


def test_worker_killed_in_the_middle_of_a_batch_loses_nothing(world, process_env):
    cases = _due_cases(world, 8)
    killed = subprocess.run(
        [sys.executable, "-c", KILLED_MID_BATCH],
        cwd=ROOT,
        env={**process_env, "AGENCY_ID": str(world.agency.pk)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert killed.returncode == 9, killed.stderr
    assert "wrote 5 executions" in killed.stdout
    assert _executions_per_case(cases) == [0] * 8  # the transaction died with the process

    with tenant_scope(world.agency.pk):
        result = sweep_agency(agency_id=world.agency.pk)
    assert result.executed == 8
    assert _executions_per_case(cases) == [1] * 8


def test_redis_down_nothing_is_lost_and_the_relay_enqueues_later(world, process_env):
    cases = _due_cases(world, 5)
    down = {**process_env, "REDIS_URL": "redis://127.0.0.1:9/0"}  # nothing listens there
    sweep = manage(down, "dunning_sweep", "--agency", str(world.agency.pk))
    output = sweep.communicate(timeout=120)[0]
    assert sweep.returncode == 0, output
    assert "left to the relay" in output
    assert _executions_per_case(cases) == [1] * 5
    with scopes_disabled():
        pending = OutboxMessage.objects.filter(kind=STEP_EFFECTS, status="pending")
        assert sorted(pending.values_list("case_id", flat=True)) == sorted(c.pk for c in cases)

    assert outbox_relay() == 5  # Redis is back: the relay re-enqueues from PostgreSQL


def test_beat_and_worker_advance_a_due_case(world, process_env, started, tmp_path):
    (case,) = _due_cases(world, 1)
    env = {**process_env, "DUNNING_SWEEP_INTERVAL": "1"}
    schedule = str(tmp_path / "celerybeat-schedule")
    started.append(
        subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "collectio", "worker", "-Q", "default,letters",
             "--pool", "solo", "-l", "info"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
    )  # fmt: skip
    started.append(
        subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "collectio", "beat", "-s", schedule],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
    )  # fmt: skip

    def advanced() -> bool:
        with scopes_disabled():
            return StepExecution.objects.filter(case_id=case.pk).exists()

    assert wait_for(advanced, timeout=90), "beat → sweep → worker never advanced the case"
    with scopes_disabled():
        refreshed = Case.objects.get(pk=case.pk)
    assert refreshed.state == CaseState.REMINDER
    assert refreshed.next_action_at > timezone.now()
