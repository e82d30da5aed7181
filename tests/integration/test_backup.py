"""`quillcast backup` / `restore` on a real PostgreSQL: what was saved comes back, tenants stay apart."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from app.core import backup, dblogin, migrations
from tests import support

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture()
def database(servers) -> Iterator[str]:
    """A migrated database of this test's own (restore replaces everything in it)."""
    name = support.unique_name("quillcast_backup")
    url = support.create_database(servers.pg_server_url, name)
    migrations.upgrade(url)
    yield url
    support.drop_database(servers.pg_server_url, name)


def _quillcast(args: list[str], database_url: str, **env: str) -> subprocess.CompletedProcess[str]:
    e = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    e.update(DATABASE_URL=database_url, **env)
    return subprocess.run([sys.executable, "-m", "app.cli", *args], cwd=ROOT, env=e, capture_output=True,
                          text=True, timeout=300)


def _sql(url: str, statement: str) -> list[tuple]:
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            result = conn.execute(text(statement))
            return [tuple(r) for r in result] if result.returns_rows else []
    finally:
        engine.dispose()


def _workspaces(url: str) -> set[str]:
    return {r[0] for r in _sql(url, "SELECT slug FROM workspaces")}


def test_backup_then_restore_brings_back_what_was_saved(database, tmp_path):
    _sql(database, "INSERT INTO workspaces (id, name, slug, timezone, require_2fa) "
                   "VALUES (gen_random_uuid(), 'Kept — كتاب 🚀', 'kept', 'Europe/Berlin', false)")
    made = _quillcast(["backup", "--dir", str(tmp_path)], database)
    assert made.returncode == 0, made.stderr
    [file] = backup.listing(tmp_path)
    assert f"backup written: {file.path}" in made.stderr
    assert "uploaded media is not in the backup: it is in the local directory" in made.stderr
    assert oct(file.path.stat().st_mode & 0o777) == "0o600"  # it holds password hashes

    # After the backup: the workspace is deleted and another one appears.
    _sql(database, "DELETE FROM workspaces WHERE slug = 'kept'")
    _sql(database, "INSERT INTO workspaces (id, name, slug, timezone, require_2fa) "
                   "VALUES (gen_random_uuid(), 'Later', 'later', 'UTC', false)")

    refused = _quillcast(["restore", str(file.path)], database)
    assert refused.returncode == 1 and "--yes" in refused.stderr
    assert _workspaces(database) == {"later"}  # nothing touched without --yes

    # As on a fresh server, the app's own login does not exist yet: restoring (which migrates) makes it.
    login = dblogin.login_role(make_url(database).database)
    _sql(database, f"DROP ROLE {login}")
    restored = _quillcast(["restore", str(file.path), "--yes"], database)
    assert restored.returncode == 0, restored.stderr
    assert _workspaces(database) == {"kept"}
    assert _sql(database, "SELECT name FROM workspaces")[0][0] == "Kept — كتاب 🚀"
    assert "database schema at" in restored.stderr

    # Row Level Security came back with the data: the app role, acting for nobody, sees no workspace.
    forced = _sql(database, "SELECT relforcerowsecurity FROM pg_class WHERE relname = 'workspaces'")
    assert forced == [(True,)]
    engine = create_engine(database)
    with engine.begin() as conn:
        conn.execute(text("SET LOCAL ROLE quillcast_app"))
        assert conn.execute(text("SELECT count(*) FROM workspaces")).scalar() == 0
    engine.dispose()
    # ... and the app logs in again, as its own login, and reads through the policies.
    app = create_engine(make_url(database).set(username=login))
    with app.begin() as conn:
        assert conn.execute(text("SELECT rolsuper FROM pg_roles WHERE rolname = session_user")).scalar() is False
        conn.execute(text("SET LOCAL ROLE quillcast_app"))
        conn.execute(text("""SELECT set_config('request.jwt.claims', '{"role": "service_role"}', true)"""))
        assert conn.execute(text("SELECT slug FROM workspaces")).scalars().all() == ["kept"]
    app.dispose()


def test_restore_of_a_file_that_is_not_a_backup_is_refused_and_changes_nothing(database, tmp_path):
    _sql(database, "INSERT INTO workspaces (id, name, slug, timezone, require_2fa) "
                   "VALUES (gen_random_uuid(), 'Still here', 'still-here', 'UTC', false)")
    bogus = tmp_path / "quillcast-notes.dump"
    bogus.write_text("DROP TABLE workspaces; -- not a backup")
    res = _quillcast(["restore", str(bogus), "--yes"], database)
    assert res.returncode == 1
    assert "is it a Quillcast backup?" in res.stderr and "Traceback" not in res.stderr
    assert _workspaces(database) == {"still-here"}

    missing = _quillcast(["restore", str(tmp_path / "nope.dump"), "--yes"], database)
    assert missing.returncode == 1 and "is not a file" in missing.stderr


def test_scheduled_backups_keep_the_newest(database, tmp_path, monkeypatch):
    from app.core.config import get_settings
    from app.services.operations import backups

    monkeypatch.setenv("DATABASE_URL", database)
    monkeypatch.setenv("BACKUP_DIR", str(tmp_path))
    monkeypatch.setenv("BACKUP_KEEP", "2")
    get_settings.cache_clear()
    try:
        results = [backups.scheduled() for _ in range(3)]
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
    kept = backup.listing(tmp_path)
    assert [b.path for b in kept] == [Path(str(r["file"])) for r in reversed(results[1:])]
    assert results[2]["pruned"] == 1


def test_backup_names_an_unreachable_database_in_one_line(tmp_path):
    res = _quillcast(["backup", "--dir", str(tmp_path)], "postgresql://nobody@127.0.0.1:1/nothing")
    assert res.returncode == 1
    assert "pg_dump failed" in res.stderr and "Traceback" not in res.stderr
    assert backup.listing(tmp_path) == []
