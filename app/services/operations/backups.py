"""The backups beat and `quillcast run` ask for: the daily `pg_dump` file (and what it leaves out), and
the embedded PostgreSQL's base backups for point-in-time recovery (app/core/pitr.py).

A base backup is taken when the newest is older than BASE_BACKUP_EVERY: at each `quillcast run` start
(so the first start has one, and a machine that is off at night still gets them) and by beat every hour
(so a system that runs for weeks does too). A day bounds what a restore replays: one day of WAL.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import structlog

from app.core import backup, pitr, storage
from app.core.config import get_settings

log = structlog.get_logger("backups")

BASE_BACKUP_EVERY = timedelta(hours=24)


def media_note() -> str:
    """What a database backup does not hold, and where that is: the uploaded media."""
    store = storage.media_store()
    if isinstance(store, storage.LocalStore):
        advice = f"copy {store.root} along with the backups"
    else:
        advice = "the bucket keeps its own copies (versioning; replicate it for another region)"
    return f"uploaded media is not in the backup: it is in {store.describe()}; {advice}"


def scheduled() -> dict[str, object]:
    settings = get_settings()
    taken = backup.take(settings.sqlalchemy_database_url, settings.backups_path)
    removed = backup.prune(settings.backups_path, settings.backup_keep)
    log.info("backup.taken", file=taken.path.name, bytes=taken.size, pruned=len(removed),
             media=media_note())
    return {"file": str(taken.path), "bytes": taken.size, "pruned": len(removed)}


def base_backup_due(now: datetime | None = None) -> bool:
    """Whether this DATA_DIR's embedded, archiving PostgreSQL needs a base backup now."""
    settings = get_settings()
    if not pitr.archives_here(settings.sqlalchemy_database_url, settings.data_dir):
        return False  # an external server: its own backups (RDS, your archive_command) cover it
    newest = pitr.base_backups(settings.data_dir)
    return not newest or (now or datetime.now(UTC)) - newest[0].finished_at >= BASE_BACKUP_EVERY


def base_backup_if_due(now: datetime | None = None) -> dict[str, object]:
    """Take a base backup when due, keep the newest BACKUP_KEEP and the archived WAL they need."""
    if not base_backup_due(now):
        return {"taken": False}
    settings = get_settings()
    taken = pitr.take_base_backup(settings.data_dir)
    removed, segments = pitr.prune(settings.data_dir, settings.backup_keep)
    log.info("base_backup.taken", path=taken.path.name, pruned=len(removed), wal_pruned=segments)
    return {"taken": True, "path": str(taken.path), "pruned": len(removed), "wal_pruned": segments}
