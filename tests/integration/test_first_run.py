"""A fresh `quillcast run` (what `make run` starts) is safe by default, and the CLI finds its services:
- keys are generated into DATA_DIR/secrets.env (0600) and the web process signs with them;
- the web port (and the embedded Redis and PostgreSQL) answer on loopback only, and the start line says so;
- `create-admin`, `check` and `migrate` work with no DATABASE_URL / REDIS_URL, against the running
  embedded services or, when they are down, starting the database for themselves and stopping it after.
"""

import os
import shutil
import signal
import socket
import stat
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import jwt
import pytest
from sqlalchemy import create_engine, text

from app.core import embedded, keys, security
from tests.support import PROD_BUILD_ENV, free_port, processes_with_marker

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "a long first password"


def _env(data_dir: Path, redis_port: int, marker: str | None = None) -> dict[str, str]:
    """A newcomer's shell: nothing about the database, Redis or keys is set."""
    unset = ("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "ENCRYPTION_KEYS", "WEB_HOST")
    env = {k: v for k, v in os.environ.items() if k not in unset}
    env.update(DATA_DIR=str(data_dir), EMBEDDED_REDIS_PORT=str(redis_port), ENVIRONMENT="development",
               **PROD_BUILD_ENV)
    if marker:
        env["QUILLCAST_TEST_MARKER"] = marker
    return env


def _cli(args: list[str], env: dict[str, str], stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "app.cli", *args], cwd=ROOT, env=env, input=stdin,
                          capture_output=True, text=True, timeout=300)


def _other_addresses() -> list[str]:
    """This machine's addresses that are not loopback (eth0's, IPv4 and IPv6)."""
    try:
        out = subprocess.run(["hostname", "-I"], capture_output=True, text=True, timeout=10).stdout
    except OSError:
        return []
    return [a for a in out.split() if not a.startswith("127.") and a != "::1"]


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=2):
            return True
    except OSError:
        return False


def _postgres_up(data_dir: Path) -> bool:
    from pgserver.postgres_server import PostmasterInfo  # after app.core.embedded set XDG_RUNTIME_DIR

    info = PostmasterInfo.read_from_pgdata(data_dir / "postgres")
    return info is not None and info.is_running()


def _pg_url(data_dir: Path) -> str:
    return f"postgresql+psycopg://postgres:@/quillcast?host={data_dir / 'postgres'}"


def _query(data_dir: Path, sql: str, **params: object) -> object:
    engine = create_engine(_pg_url(data_dir))
    try:
        with engine.connect() as conn:
            return conn.execute(text(sql), params).scalar()
    finally:
        engine.dispose()


@pytest.fixture()
def data_dir() -> Iterator[Path]:
    # Under the checkout, not /tmp/pytest-of-*: see test_run_lifecycle.data_dir.
    path = ROOT / "data" / f"test-first-{uuid.uuid4().hex[:8]}"
    path.mkdir(parents=True)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def test_probe_sees_a_server_on_every_interface():
    """The check below can fail: a socket bound to 0.0.0.0 is reachable on the other address."""
    others = [a for a in _other_addresses() if "." in a]
    if not others:
        pytest.skip("this machine has no non-loopback IPv4 address")
    with socket.socket() as sock:
        sock.bind(("0.0.0.0", 0))  # noqa: S104 - the control case
        sock.listen()
        assert _reachable(others[0], sock.getsockname()[1])


@pytest.mark.timeout(1200)
def test_fresh_run_is_loopback_only_with_generated_keys_and_the_cli_finds_its_database(data_dir):
    port, redis_port, marker = free_port(), free_port(), uuid.uuid4().hex
    env = _env(data_dir, redis_port, marker)
    log_path = data_dir / "runner.log"
    with log_path.open("a") as log:
        runner = subprocess.Popen([sys.executable, "-m", "app.cli", "run", "--port", str(port)], cwd=ROOT,
                                  env=env, stdout=subprocess.DEVNULL, stderr=log, text=True)
    email = f"first-{uuid.uuid4().hex[:6]}@example.test"
    try:
        deadline = time.monotonic() + 900
        while "Quillcast is running at" not in log_path.read_text(errors="replace"):
            assert runner.poll() is None and time.monotonic() < deadline, log_path.read_text()[-3000:]
            time.sleep(1)
        start_line = next(line for line in log_path.read_text().splitlines() if "is running at" in line)
        assert f"http://127.0.0.1:{port}" in start_line
        assert "listening on 127.0.0.1 only; set WEB_HOST=0.0.0.0 to expose it" in start_line

        # Loopback only: the web port and the embedded Redis; PostgreSQL has no TCP port at all.
        assert httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=10).status_code == 200
        for other in _other_addresses():  # none (no network): nothing to probe
            assert not _reachable(other, port), f"web port {port} answers on {other}"
            assert not _reachable(other, redis_port), f"embedded Redis answers on {other}"
        assert embedded.port_open(redis_port)  # on 127.0.0.1
        assert _query(data_dir, "SHOW listen_addresses") == ""

        # Keys: generated once, private, and what the web process signs with.
        key_file = keys.key_file(data_dir)
        assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
        stored = keys.load_or_create(data_dir)

        # The CLI finds the running embedded database with nothing set, and leaves it running.
        made = _cli(["create-admin", "--email", email, "--password-stdin"], _env(data_dir, redis_port),
                    f"{PASSWORD}\n")
        assert made.returncode == 0, made.stderr
        assert f"created administrator {email}" in made.stderr
        assert _query(data_dir, "SELECT is_admin FROM users WHERE email = :e", e=email) is True
        assert _postgres_up(data_dir) and runner.poll() is None

        signin = httpx.post(f"http://127.0.0.1:{port}/api/auth/signin", json={"email": email, "password": PASSWORD},
                            timeout=30)
        assert signin.status_code == 200, signin.text
        token = signin.json()["access_token"]
        claims = jwt.decode(token, stored["SECRET_KEY"], algorithms=[security.ALGORITHM],
                            audience=security.AUDIENCE)
        assert claims["sub"] == signin.json()["user_id"]

        checked = _cli(["check"], _env(data_dir, redis_port))
        lines = checked.stdout.splitlines()
        assert any(line.startswith("ok") and "database" in line for line in lines), checked.stdout
        assert any(line.startswith("ok") and "redis" in line for line in lines), checked.stdout
    finally:
        runner.send_signal(signal.SIGINT)
        try:
            runner.wait(120)
        except subprocess.TimeoutExpired:
            runner.kill()
    assert processes_with_marker(marker) == []
    assert not _postgres_up(data_dir)

    # With `make run` stopped: the command starts the embedded database for itself and stops it after.
    again = _cli(["create-admin", "--email", email], _env(data_dir, redis_port))
    assert again.returncode == 0, again.stderr
    assert "already an administrator" in again.stderr
    assert not _postgres_up(data_dir)
    migrated = _cli(["migrate"], _env(data_dir, redis_port))
    assert migrated.returncode == 0 and "database schema at" in migrated.stderr, migrated.stderr
    assert not _postgres_up(data_dir)
    assert keys.load_or_create(data_dir) == stored  # the same keys across every process and restart
