"""System status: the readiness of each part, shared by /api/ready, the home page and the runner."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

from sqlalchemy import text

from app.core import db, jobs, storage
from app.core.redis import get_redis

HEARTBEAT_KEY = "quillcast:worker:heartbeat"


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    ms: float


def _timed(name: str, probe: Callable[[], str]) -> Check:
    started = time.perf_counter()
    try:
        detail = probe()
        ok = True
    except Exception as exc:  # noqa: BLE001 - any failure is the answer here
        detail, ok = _short(exc), False
    return Check(name, ok, detail, round((time.perf_counter() - started) * 1000, 1))


def _short(exc: BaseException) -> str:
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return first[:200]


def _database() -> str:
    from alembic.runtime.migration import MigrationContext

    from app.core.migrations import head_revision

    with db.get_engine().connect() as conn:
        conn.execute(text("SELECT 1"))
        current = MigrationContext.configure(conn).get_current_revision()
    head = head_revision()
    if current != head:
        raise RuntimeError(f"schema at {current or 'nothing'}, code expects {head}: run `quillcast migrate`")
    return f"schema at {current}"


def _redis() -> str:
    get_redis().ping()
    return "ping ok"


def _broker() -> str:
    with jobs.producer().connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=2)
    return "connected"


def _worker() -> str:
    names = jobs.workers_alive(timeout=1.5)
    if not names:
        raise RuntimeError("no Celery worker answered: start one with `quillcast worker`")
    return f"{len(names)} answering"


def _media() -> str:
    """The media store answers: the local directory is writable, or the bucket exists and these
    credentials may list it (a HEAD of the bucket). Nothing is written: readiness changes nothing."""
    return storage.check()


def readiness() -> list[Check]:
    return [
        _timed("database", _database),
        _timed("redis", _redis),
        _timed("broker", _broker),
        _timed("worker", _worker),
        _timed("media", _media),
    ]


def readiness_dict() -> dict[str, object]:
    checks = readiness()
    return {"ok": all(c.ok for c in checks), "checks": [asdict(c) for c in checks]}


def record_heartbeat() -> None:
    get_redis().set(HEARTBEAT_KEY, datetime.now(UTC).isoformat(), ex=600)


def last_heartbeat() -> datetime | None:
    value = get_redis().get(HEARTBEAT_KEY)
    return datetime.fromisoformat(str(value)) if value else None
