"""`quillcast run` on a fresh data dir: ready with every part up, Ctrl-C leaves nothing, data survives."""

import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text

from app.core import pitr
from tests.support import PROD_BUILD_ENV, free_port, kill_processes_with_marker, processes_with_marker

ROOT = Path(__file__).resolve().parents[2]


def _start(data_dir: Path, port: int, redis_port: int, marker: str) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(DATA_DIR=str(data_dir), EMBEDDED_REDIS_PORT=str(redis_port), ENVIRONMENT="development",
               QUILLCAST_TEST_MARKER=marker, **PROD_BUILD_ENV)
    # A file, not a pipe nobody reads: the first UI build on a fresh clone writes more than a pipe holds,
    # and the runner would block writing its own log lines (it did: the "Ctrl-C hang" was this).
    log = (data_dir / "runner.log").open("a")
    # Started as a background job of a script would be: with SIGINT ignored (CI's case). Ctrl-C must
    # still stop everything.
    return subprocess.Popen([sys.executable, "-m", "app.cli", "run", "--port", str(port)], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=log, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))  # noqa: PLW1509


def _log(data_dir: Path) -> str:
    return (data_dir / "runner.log").read_text(errors="replace")[-3000:]


def _wait_ready(port: int, runner: subprocess.Popen, data_dir: Path, timeout: float = 300) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert runner.poll() is None, _log(data_dir)
        try:
            res = httpx.get(f"http://127.0.0.1:{port}/api/ready", timeout=5)
            if res.status_code == 200:
                return res.json()
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    pytest.fail(f"not ready in time:\n{_log(data_dir)}")


def _stop(runner: subprocess.Popen, data_dir: Path, marker: str) -> None:
    runner.send_signal(signal.SIGINT)
    try:
        code = runner.wait(120)  # worst case: 15 s per child, then pg_ctl -w
    except subprocess.TimeoutExpired:
        runner.kill()
        kill_processes_with_marker(marker)
        pytest.fail(f"the runner did not exit within 120 s of Ctrl-C:\n{_log(data_dir)}")
    assert code == 0, _log(data_dir)
    assert "stopped: no process left running" in _log(data_dir)
    time.sleep(1)


@pytest.fixture()
def data_dir() -> Iterator[Path]:
    # Not under pytest's tmp_path: the embedded PostgreSQL runs as the `pgserver` user when we are root,
    # and every pytest session that starts (another run on this machine) resets /tmp/pytest-of-<user> to
    # 0700, which locked the server out of its own data mid-run.
    path = ROOT / "data" / f"test-run-{uuid.uuid4().hex[:8]}"
    path.mkdir(parents=True)
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.mark.timeout(900)  # the whole system, started twice: the first UI build on a fresh clone is slow
def test_run_is_ready_stops_cleanly_and_keeps_its_data(data_dir):
    port, redis_port = free_port(), free_port()
    marker = uuid.uuid4().hex

    runner = _start(data_dir, port, redis_port, marker)
    try:
        body = _wait_ready(port, runner, data_dir)
        assert {c["name"] for c in body["checks"] if c["ok"]} == {"database", "redis", "broker", "worker", "media"}
        assert "Quillcast" in httpx.get(f"http://127.0.0.1:{port}/", timeout=10).text
        pg_url = f"postgresql+psycopg://postgres:@/quillcast?host={data_dir / 'postgres'}"
        engine = create_engine(pg_url)
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO workspaces (id, name, slug, timezone, require_2fa) "
                              "VALUES (gen_random_uuid(), 'Kept', 'kept-across-runs', 'UTC', false)"))
        engine.dispose()
    finally:
        _stop(runner, data_dir, marker)
    assert processes_with_marker(marker) == []
    # Point-in-time recovery's starting point: the first start took a base backup, and the WAL (the
    # insert above, finished by the stop) is in the archive.
    assert "base backup written" in (data_dir / "runner.log").read_text(errors="replace")
    assert len(pitr.base_backups(data_dir)) == 1 and any(pitr.archive_dir(data_dir).glob("0*.gz"))

    runner = _start(data_dir, port, redis_port, marker)
    try:
        _wait_ready(port, runner, data_dir)
        engine = create_engine(pg_url)
        with engine.connect() as conn:
            kept = conn.execute(text("SELECT name FROM workspaces WHERE slug='kept-across-runs'")).scalar()
        engine.dispose()
        assert kept == "Kept"
    finally:
        _stop(runner, data_dir, marker)
    assert processes_with_marker(marker) == []
    assert len(pitr.base_backups(data_dir)) == 1  # not due again for a day
