"""Database backups: `pg_dump` custom-format files, restored with `pg_restore`.

The pg_dump/pg_restore binaries come from the pgserver wheel (a dependency anyway), so a backup works
on any machine that runs Quillcast. A file holds what the database holds: hashed passwords and
Fernet-encrypted channel credentials (useless without ENCRYPTION_KEYS/SECRET_KEY, which a backup does
not contain: keep those apart, and both safe). Files are written 0600. Uploaded media is not in them
either: it is in DATA_DIR/media or the bucket of MEDIA_STORAGE_URL (app/core/storage.py), kept apart.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.engine import make_url

PREFIX = "quillcast-"
SUFFIX = ".dump"


class BackupError(RuntimeError):
    """A one-line, user-facing reason a backup or restore did not happen."""


@dataclass(frozen=True)
class Backup:
    path: Path
    size: int
    taken_at: datetime


def _bin(name: str) -> str:
    from pgserver._commands import POSTGRES_BIN_PATH  # type: ignore[import-untyped]

    bundled = Path(POSTGRES_BIN_PATH) / name
    if bundled.exists():
        return str(bundled)
    found = shutil.which(name)
    if not found:
        raise BackupError(f"{name} is not installed: install the PostgreSQL client tools")
    return found


def _libpq_env(database_url: str) -> tuple[list[str], dict[str, str]]:
    """Connection arguments for the PostgreSQL tools; the password goes in the environment, never argv."""
    url = make_url(database_url)
    env = dict(os.environ)
    args = ["--dbname", url.database or "postgres", "--username", url.username or "postgres"]
    host = url.query.get("host") or url.host  # the embedded server listens on a socket directory
    if host:
        args += ["--host", str(host)]
    if url.port:
        args += ["--port", str(url.port)]
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    env["PGCONNECT_TIMEOUT"] = "10"
    return args, env


def _run(argv: list[str], env: dict[str, str], what: str) -> None:
    done = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        lines = [ln for ln in (done.stderr or done.stdout).strip().splitlines() if ln.strip()]
        reason = lines[-1] if lines else f"exit code {done.returncode}"
        raise BackupError(f"{what} failed: {reason[:300]}")


def take(database_url: str, directory: Path, now: datetime | None = None) -> Backup:
    """Write a new backup file into `directory` and return it."""
    now = now or datetime.now(UTC)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{PREFIX}{now:%Y%m%d-%H%M%S-%f}{SUFFIX}"
    partial = path.with_suffix(".partial")
    args, env = _libpq_env(database_url)
    # Not --no-owner: the schema's RLS policies and grants are part of what keeps tenants apart.
    _run([_bin("pg_dump"), "--format=custom", "--compress=6", f"--file={partial}", *args], env, "pg_dump")
    partial.chmod(0o600)
    partial.replace(path)  # a half-written file never looks like a backup
    return Backup(path, path.stat().st_size, now)


def listing(directory: Path) -> list[Backup]:
    """Backups in `directory`, newest first."""
    pattern = re.compile(re.escape(PREFIX) + r"(\d{8}-\d{6}-\d{6})" + re.escape(SUFFIX) + "$")
    found = []
    for p in directory.glob(f"{PREFIX}*{SUFFIX}") if directory.exists() else []:
        m = pattern.match(p.name)
        if m:
            taken = datetime.strptime(m.group(1), "%Y%m%d-%H%M%S-%f").replace(tzinfo=UTC)
            found.append(Backup(p, p.stat().st_size, taken))
    return sorted(found, key=lambda b: b.taken_at, reverse=True)


def prune(directory: Path, keep: int) -> list[Path]:
    """Delete all but the newest `keep` backups; returns what was deleted."""
    old = [b.path for b in listing(directory)[max(keep, 1):]]
    for p in old:
        p.unlink(missing_ok=True)
    return old


def restore(database_url: str, file: Path) -> None:
    """Replace the database's contents with the backup's (objects in the backup are dropped first)."""
    if not file.is_file():
        raise BackupError(f"{file} is not a file: give the path of a quillcast-*.dump backup")
    args, env = _libpq_env(database_url)
    _run([_bin("pg_restore"), "--list", str(file)], env, f"reading {file.name} (is it a Quillcast backup?)")
    _ensure_app_role(database_url)  # the dump's grants name it; a fresh server does not have it yet
    # --no-owner: the restoring user owns what it creates (a managed server may not have `postgres`).
    _run([_bin("pg_restore"), "--clean", "--if-exists", "--no-owner", "--single-transaction",
          "--exit-on-error", *args, str(file)], env, "pg_restore")


def _ensure_app_role(database_url: str) -> None:
    from sqlalchemy import create_engine, text

    from app.core import rls
    from app.core.config import sqlalchemy_url

    engine = create_engine(sqlalchemy_url(database_url))
    try:
        with engine.begin() as conn:
            for stmt in rls.ROLE_SQL[:2]:  # create the role; make the current user a member
                conn.execute(text(stmt))
    except Exception as exc:  # noqa: BLE001 - one line for the user
        reason = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
        raise BackupError(f"cannot reach the database to restore into: {reason}") from exc
    finally:
        engine.dispose()
