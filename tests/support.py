"""Test infrastructure: real PostgreSQL, Redis and Celery worker processes, started per run."""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
# Production builds that tests start (`quillcast run`, `quillcast web`) compile into folders of their own:
# the browser tests' dev frontend serves ROOT/.web, and a production compile there rewrites its env.json
# (the backend's address), which broke every browser test after the first production start.
PROD_BUILD_ENV = {"REFLEX_WEB_WORKDIR": str(ROOT / ".web-prod"), "REFLEX_STATES_WORKDIR": str(ROOT / ".states-prod")}
BIN = Path(sys.executable).parent


def _admin_conninfo(url: str) -> str:
    """libpq conninfo for the server's maintenance database (`postgres`)."""
    u = make_url(url).set(drivername="postgresql", database="postgres")
    return u.render_as_string(hide_password=False)


def create_database(server_url: str, name: str) -> str:
    with psycopg.connect(_admin_conninfo(server_url), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return make_url(server_url).set(drivername="postgresql+psycopg", database=name).render_as_string(
        hide_password=False
    )


def drop_database(server_url: str, name: str) -> None:
    """Drop the database and the app's login made for it (roles outlive databases: a shared CI server
    would collect one per run)."""
    from app.core import dblogin

    with psycopg.connect(_admin_conninfo(server_url), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'DROP ROLE IF EXISTS "{dblogin.login_role(name)}"')


def unique_name(prefix: str) -> str:
    return f"{prefix}_{os.getpid()}_{secrets.token_hex(3)}"


@dataclass
class Servers:
    """Where the test run's PostgreSQL server and Redis live, and what to stop afterwards."""

    pg_server_url: str
    redis_base_url: str
    stoppers: list = field(default_factory=list)  # type: ignore[type-arg]

    def stop(self) -> None:
        for stop in reversed(self.stoppers):
            stop()


def start_servers() -> Servers:
    from app.core import embedded

    stoppers = []
    pg_url = os.environ.get("TEST_DATABASE_URL")
    if not pg_url:
        # A server of this run's own (initdb: ~5 s), so parallel runs in one checkout never stop each
        # other's; stopped and deleted at the end.
        run_dir = ROOT / "data" / "test" / f"pg-{os.getpid()}-{secrets.token_hex(3)}"
        pg = embedded.start_postgres(run_dir, database="postgres", archive=False)
        stoppers.append(lambda: (pg.stop(), shutil.rmtree(run_dir, ignore_errors=True)))
        pg_url = pg.url
    redis_url = os.environ.get("TEST_REDIS_URL")
    if not redis_url:
        port = free_port()
        rd = embedded.start_redis(ROOT / "data" / "test", port)
        stoppers.append(rd.stop)
        redis_url = f"redis://127.0.0.1:{port}"
    return Servers(pg_url, redis_url.rstrip("/"), stoppers)


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class CeleryWorker:
    """A real `celery worker` process consuming every queue, with this run's settings."""

    def __init__(self, env: dict[str, str], concurrency: int = 2, name: str | None = None) -> None:
        self.name = name or f"test-{secrets.token_hex(3)}@%h"
        self.log = ROOT / "data" / "test" / f"worker-{secrets.token_hex(3)}.log"
        self.log.parent.mkdir(parents=True, exist_ok=True)
        self.env = env
        self.concurrency = concurrency
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 30) -> CeleryWorker:
        from app.core import jobs

        argv = [
            str(BIN / "celery"), "-A", "tasks", "worker", "-Q", ",".join(jobs.ALL_QUEUES),
            "--concurrency", str(self.concurrency), "--without-gossip", "--without-mingle",
            "--loglevel", "INFO", "--hostname", self.name,
        ]
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(  # noqa: S603
                argv, cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"worker exited: {self.log.read_text()[-2000:]}")
            if jobs.workers_alive(timeout=0.5):
                return self
        raise RuntimeError(f"worker did not answer a ping in {timeout} s: {self.log.read_text()[-2000:]}")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, 15)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, 9)
                self.process.wait()

    def kill(self) -> None:
        """SIGKILL the whole worker group: what a crashed machine looks like."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, 9)
            self.process.wait()


def processes_with_marker(marker: str) -> list[str]:
    """Command lines of live processes whose environment carries QUILLCAST_TEST_MARKER=marker: what a
    runner started (children inherit its environment), and nothing of anybody else's."""
    import psutil

    found = []
    for p in psutil.process_iter():
        try:
            if p.environ().get("QUILLCAST_TEST_MARKER") == marker and p.status() != psutil.STATUS_ZOMBIE:
                found.append(" ".join(p.cmdline())[:150])
        except psutil.Error:
            continue
    return found


def kill_processes_with_marker(marker: str) -> None:
    """After a failed stop: SIGKILL what the runner started, so a failure leaves no orphans behind to slow
    (or hold the ports of) the rest of the run."""
    import psutil

    for p in psutil.process_iter():
        try:
            if p.environ().get("QUILLCAST_TEST_MARKER") == marker:
                p.kill()
        except psutil.Error:
            continue


def without_smtp(monkeypatch) -> None:
    """This test expects mail to be held (no SMTP configured), whatever an earlier test set up."""
    from app.core.config import get_settings

    monkeypatch.delenv("SMTP_HOST", raising=False)
    get_settings.cache_clear()
