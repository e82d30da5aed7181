"""`make run` on a fresh data directory prints the setup link; `quillcast setup-link` finds the embedded
database by itself and prints the same link; the link makes the administrator, and then both fall silent."""

import os
import re
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest

from tests.integration.test_run_lifecycle import _log, _start, _stop, _wait_ready, data_dir  # noqa: F401
from tests.support import free_port, processes_with_marker

ROOT = Path(__file__).resolve().parents[2]
LINK = re.compile(r"create the administrator account at (http://\S+/setup\?token=[\w-]+)")


def _setup_link_cli(directory: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(DATA_DIR=str(directory), ENVIRONMENT="development")
    return subprocess.run([sys.executable, "-m", "app.cli", "setup-link"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=180)


@pytest.mark.timeout(900)  # the whole system; the first UI build on a fresh clone is slow
def test_run_prints_the_setup_link_and_the_cli_finds_it_in_the_embedded_database(data_dir):  # noqa: F811
    port, redis_port = free_port(), free_port()
    marker = uuid.uuid4().hex
    runner = _start(data_dir, port, redis_port, marker)
    try:
        _wait_ready(port, runner, data_dir)
        deadline = time.monotonic() + 30
        while not (found := LINK.search(_log(data_dir))) and time.monotonic() < deadline:
            time.sleep(0.5)
        assert found, _log(data_dir)
        link = found.group(1)
        log = _log(data_dir)
        assert log.index("Quillcast is running at") < log.index(link)

        res = _setup_link_cli(data_dir)  # against the running embedded PostgreSQL, no DATABASE_URL
        assert res.returncode == 0, res.stderr
        assert res.stdout.strip().endswith(link.split("/setup", 1)[1])

        token = link.split("token=", 1)[1]
        r = httpx.post(f"http://127.0.0.1:{port}/api/auth/signup", timeout=30, json={
            "email": "owner@example.test", "password": "seven quiet lanterns drift", "setup_token": token})
        assert r.status_code == 201, r.text
        me = httpx.get(f"http://127.0.0.1:{port}/api/auth/me", timeout=30,
                       headers={"Authorization": f"Bearer {r.json()['access_token']}"})
        assert me.json()["is_admin"] is True

        res = _setup_link_cli(data_dir)
        assert res.returncode == 1 and "already set up" in res.stderr and res.stdout.strip() == ""
    finally:
        _stop(runner, data_dir, marker)
    assert processes_with_marker(marker) == []
    # Stopped: the command starts the embedded database for itself, answers, and stops it again.
    res = _setup_link_cli(data_dir)
    assert res.returncode == 1 and "already set up" in res.stderr and "Traceback" not in res.stderr
    assert not (data_dir / "postgres" / "postmaster.pid").exists()
