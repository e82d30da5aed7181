"""The runner's bad-input paths: one clear line naming the problem and the fix, nothing left running."""

import os
import socket
import subprocess
import sys
import uuid
from pathlib import Path

from tests.support import processes_with_marker

ROOT = Path(__file__).resolve().parents[2]
QUILLCAST = [sys.executable, "-m", "app.cli"]


def _run(args, **env):
    e = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    e.update(env)
    return subprocess.run(QUILLCAST + args, cwd=ROOT, env=e, capture_output=True, text=True, timeout=120)


def test_wrong_database_url_is_one_clear_line(app_env):
    marker = uuid.uuid4().hex
    res = _run(["run", "--port", "3991"], DATABASE_URL="postgresql://nobody@127.0.0.1:1/nothing",
               REDIS_URL=app_env["REDIS_URL"], QUILLCAST_TEST_MARKER=marker)
    assert res.returncode == 1
    errors = [line for line in res.stderr.splitlines() if "error:" in line]
    assert len(errors) == 1 and "DATABASE_URL" in errors[0] and "127.0.0.1:1" in errors[0]
    assert "Traceback" not in res.stderr
    assert processes_with_marker(marker) == []


def test_wrong_redis_url_is_one_clear_line(app_env):
    res = _run(["run", "--port", "3992"], DATABASE_URL=app_env["DATABASE_URL"], REDIS_URL="redis://127.0.0.1:1/0")
    assert res.returncode == 1
    assert "REDIS_URL" in res.stderr and "Traceback" not in res.stderr


def test_port_taken_is_named(app_env):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        res = _run(["run", "--port", str(port)], DATABASE_URL=app_env["DATABASE_URL"],
                   REDIS_URL=app_env["REDIS_URL"])
    assert res.returncode == 1
    assert f"port {port} is taken" in res.stderr and "WEB_PORT" in res.stderr


def test_single_process_commands_need_their_urls():
    res = _run(["worker"])
    assert res.returncode == 1 and "DATABASE_URL is not set" in res.stderr and "quillcast run" in res.stderr


def test_production_with_placeholder_secret_names_secret_key(app_env):
    res = _run(["migrate"], ENVIRONMENT="production", SECRET_KEY="changethis",
               DATABASE_URL=app_env["DATABASE_URL"], REDIS_URL=app_env["REDIS_URL"])
    assert res.returncode == 1 and "SECRET_KEY" in res.stderr and "Traceback" not in res.stderr
