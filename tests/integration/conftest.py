"""Real processes against the test database: sweeps, a Celery worker and beat."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.db import connection
from django.utils import timezone

from collectio.celery import app

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def process_env(transactional_db) -> dict[str, str]:
    """Environment for a child process that uses this test's database and its own Redis db."""
    db = connection.settings_dict
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or "0"
    redis_base = settings.REDIS_URL.rsplit("/", 1)[0]
    return {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "REDIS_URL": f"{redis_base}/{10 + int(worker)}",
        "SECRET_KEY": "integration-tests",
        "DJANGO_SETTINGS_MODULE": "collectio.settings",
    }


def manage(env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def wait_for(check: Callable[[], bool], timeout: float = 60.0, every: float = 0.5) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(every)
    return False


@pytest.fixture
def started() -> Iterator[list[subprocess.Popen[str]]]:
    """Processes a test starts; all terminated at the end, whatever happens."""
    processes: list[subprocess.Popen[str]] = []
    yield processes
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


def a_week_ago():
    return timezone.now() - timedelta(days=7)


REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class RedisServer:
    """A private redis-server a test stops and starts again (on the same port, empty)."""

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.workdir = workdir
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no", "--dir", str(self.workdir)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        client = redis.Redis(port=self.port)
        assert wait_for(lambda: _answers(client), timeout=10), "redis-server did not start"

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()  # as a crash: nothing flushed, connections cut
            self.process.wait(timeout=10)
            self.process = None


def _answers(client: redis.Redis) -> bool:
    try:
        return bool(client.ping())
    except redis.ConnectionError:
        return False


@pytest.fixture
def redis_server(tmp_path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def letters_env(process_env, settings, tmp_path) -> dict[str, str]:
    """A worker's environment for letters: files under a temporary MEDIA_ROOT (shared with this
    test process), file channel backends, a short outbox lease and retry wait (3 s, 0.5 s), the
    worker's database connections named so that a test can find and terminate them."""
    media = tmp_path / "media"
    media.mkdir()
    settings.MEDIA_ROOT = media
    backends = {
        "NOTICES_POST_BACKEND": "notices.channels.post.FilePostBackend",
        "NOTICES_EMAIL_BACKEND": "notices.channels.email.FileEmailBackend",
        "NOTICES_SMS_BACKEND": "notices.channels.sms.FileSmsBackend",
    }
    for name, backend in backends.items():
        setattr(settings, name, backend)
    redis.Redis.from_url(process_env["REDIS_URL"]).flushdb()  # nothing left by another test
    return {
        **process_env,
        **backends,
        "MEDIA_ROOT": str(media),
        "EMAIL_URL": f"filemail:///{tmp_path / 'mail'}",  # django-environ drops one slash
        "OUTBOX_LEASE_SECONDS": "3",
        "OUTBOX_RETRY_SECONDS": "0.5",
        "PGAPPNAME": WORKER_APP_NAME,
        "HANG_MARKER": str(tmp_path / "hang.pid"),
    }


WORKER_APP_NAME = "collectio-test-worker"


@pytest.fixture
def worker(tmp_path) -> Iterator[Callable[..., subprocess.Popen[str]]]:
    """Start a real Celery worker (prefork: a master and its pool children) on both queues,
    logging to ``worker.log``; it returns once the worker takes tasks. At the end the worker
    is killed with its pool (its own process group): a test worker needs no clean shutdown."""
    processes: list[subprocess.Popen[str]] = []

    def start(env: dict[str, str], *, concurrency: int = 1) -> subprocess.Popen[str]:
        log = tmp_path / "worker.log"
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "collectio", "worker", "-Q", "default,letters",
             "--pool", "prefork", "--concurrency", str(concurrency), "-l", "info",
             "--without-gossip", "--without-mingle", "--without-heartbeat",
             "-n", f"test-{os.getpid()}@%h"],
            cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT, text=True,
            start_new_session=True,
        )  # fmt: skip
        processes.append(process)
        assert wait_for(lambda: " ready." in log.read_text(), timeout=60), log.read_text()
        return process

    yield start
    for process in processes:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=20)


def send_task(env: dict[str, str], name: str, **kwargs: object) -> None:
    """Publish a task to the broker that worker listens on (beat's job, done by hand)."""
    with app.connection_for_write(env["REDIS_URL"]) as broker:
        app.send_task(name, kwargs=kwargs, connection=broker)
