"""`quillcast restore --to-time` on a small embedded cluster of its own: what was committed before the time
comes back, what came after does not, the replaced data directory is kept, and each refusal says why."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest

from app.core import embedded, pitr
from tests import support

ROOT = Path(__file__).resolve().parents[2]


def _quillcast(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(DATA_DIR=str(data_dir), ENVIRONMENT="development")
    return subprocess.run([sys.executable, "-m", "app.cli", "restore", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def _ids(pgdata: Path) -> list[int]:
    with psycopg.connect(host=str(pgdata), user="postgres", dbname="quillcast") as conn:
        return [r[0] for r in conn.execute("SELECT id FROM notes ORDER BY id")]


def _write(pgdata: Path, ids: range) -> None:
    with psycopg.connect(host=str(pgdata), user="postgres", dbname="quillcast", autocommit=True) as conn:
        for i in ids:
            conn.execute("INSERT INTO notes (id) VALUES (%s)", (i,))


def _base_backup_as_beat_does(data_dir: Path, url: str) -> None:
    """The rule `quillcast run` and beat share: due with none, not again for a day."""
    from app.core.config import get_settings
    from app.services.operations import backups

    saved = {k: os.environ.get(k) for k in ("DATA_DIR", "DATABASE_URL")}
    os.environ.update(DATA_DIR=str(data_dir), DATABASE_URL=url)
    get_settings.cache_clear()
    try:
        assert backups.base_backup_due()
        assert backups.base_backup_if_due()["taken"] is True
        assert not backups.base_backup_due() and backups.base_backup_if_due() == {"taken": False}
        assert backups.base_backup_due(datetime.now(UTC) + backups.BASE_BACKUP_EVERY)
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        get_settings.cache_clear()


@pytest.fixture(scope="module")
def place() -> Iterator[Path]:
    """Not under pytest's tmp_path: each pytest run (any session's) makes /tmp/pytest-of-<user> 0700
    again, and as root the server runs as pgserver's own user, which then cannot reach its data."""
    where = support.ROOT / "data" / "test" / support.unique_name("pitr")
    yield where
    for pgdata in where.glob("*/postgres"):
        embedded.EmbeddedPostgres(pgdata, "").stop()
    shutil.rmtree(where, ignore_errors=True)


@pytest.fixture(scope="module")
def cluster(place) -> tuple[Path, datetime]:
    """A DATA_DIR whose embedded server archived: a base backup, rows 1-5, the noted time, rows 6-10."""
    data_dir = place / "cluster"
    pg = embedded.start_postgres(data_dir)
    try:
        assert pg.archived
        with psycopg.connect(host=str(pg.pgdata), user="postgres", dbname="quillcast", autocommit=True) as c:
            c.execute("CREATE TABLE notes (id int PRIMARY KEY)")
        _base_backup_as_beat_does(data_dir, pg.url)
        _write(pg.pgdata, range(1, 6))
        time.sleep(0.3)
        noted = datetime.now(UTC)
        time.sleep(0.3)
        _write(pg.pgdata, range(6, 11))
    finally:
        pg.stop()
    return data_dir, noted


def test_restore_to_a_noted_time_brings_back_only_what_came_before(cluster):
    data_dir, noted = cluster
    pgdata = pitr.pgdata_of(data_dir)
    archived = sorted(p.name for p in pitr.archive_dir(data_dir).iterdir())
    assert any(pitr.SEGMENT.match(n.removesuffix(".gz")) for n in archived), archived

    refused = _quillcast(data_dir, "--to-time", noted.isoformat())
    assert refused.returncode == 1 and "--yes" in refused.stderr and "kept aside" in refused.stderr
    assert not list(data_dir.glob("postgres.replaced-*"))  # nothing moved without --yes

    # Given in another offset: the same instant.
    local = noted.astimezone(datetime.now().astimezone().tzinfo).isoformat()
    done = _quillcast(data_dir, "--to-time", local, "--yes")
    assert done.returncode == 0, done.stderr
    assert "restored to" in done.stderr
    [replaced] = data_dir.glob("postgres.replaced-*")
    assert (replaced / "PG_VERSION").exists() and f"kept in {replaced}" in done.stderr

    pg = embedded.start_postgres(data_dir)
    try:
        assert _ids(pgdata) == [1, 2, 3, 4, 5]
        assert pg.archived  # archiving goes on, on the new timeline
        _write(pgdata, range(100, 101))  # it takes writes: promoted, not a standby
    finally:
        pg.stop()
    assert len(pitr.base_backups(data_dir)) == 2  # the restore's own, the next restore's start

    # A time after the last commit: PostgreSQL never "reaches" it; the whole archive is that state.
    time.sleep(0.2)
    quiet = _quillcast(data_dir, "--to-time", datetime.now(UTC).isoformat(), "--yes")
    assert quiet.returncode == 0, quiet.stderr
    assert "nothing committed after" in quiet.stderr
    pg = embedded.start_postgres(data_dir)
    try:
        assert _ids(pgdata) == [1, 2, 3, 4, 5, 100]
    finally:
        pg.stop()


def test_refusals_name_the_problem_and_change_nothing(cluster, place):
    data_dir, _ = cluster
    oldest = pitr.base_backups(data_dir)[-1]
    before = sorted(p.name for p in data_dir.iterdir())

    future = _quillcast(data_dir, "--to-time", (datetime.now(UTC) + timedelta(hours=1)).isoformat(), "--yes")
    assert future.returncode == 1 and "is in the future" in future.stderr

    early = _quillcast(data_dir, "--to-time", (oldest.started_at - timedelta(minutes=1)).isoformat(), "--yes")
    assert early.returncode == 1 and "before the oldest base backup" in early.stderr

    naive = _quillcast(data_dir, "--to-time", "2026-01-01T10:00:00", "--yes")
    assert naive.returncode == 1 and "has no offset" in naive.stderr

    nonsense = _quillcast(data_dir, "--to-time", "yesterday", "--yes")
    assert nonsense.returncode == 1 and "is not a time" in nonsense.stderr

    both = _quillcast(data_dir, "some.dump", "--to-time", "latest", "--yes")
    assert both.returncode == 1 and "one of them" in both.stderr

    pg = embedded.start_postgres(data_dir)
    try:
        running = _quillcast(data_dir, "--to-time", "latest", "--yes")
        assert running.returncode == 1 and "is running: stop Quillcast" in running.stderr
    finally:
        pg.stop()
    assert sorted(p.name for p in data_dir.iterdir()) == before
    assert all("Traceback" not in r.stderr for r in (future, early, naive, nonsense, both, running))

    fresh = place / "fresh"
    embedded.start_postgres(fresh).stop()  # archiving, but no base backup yet
    none = _quillcast(fresh, "--to-time", "latest", "--yes")
    assert none.returncode == 1 and "no base backup" in none.stderr
    pg = embedded.start_postgres(fresh)
    try:
        pitr.take_base_backup(fresh)
    finally:
        pg.stop()
    for f in pitr.archive_dir(fresh).iterdir():  # a base backup, but the archive is gone
        f.unlink()
    gone = _quillcast(fresh, "--to-time", "latest", "--yes")
    assert gone.returncode == 1 and "no archived WAL" in gone.stderr
    assert (pitr.pgdata_of(fresh) / "PG_VERSION").exists()
