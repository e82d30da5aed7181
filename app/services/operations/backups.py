"""The daily backup beat asks for: take one, keep the newest BACKUP_KEEP."""

from __future__ import annotations

import structlog

from app.core import backup
from app.core.config import get_settings

log = structlog.get_logger("backups")


def scheduled() -> dict[str, object]:
    settings = get_settings()
    taken = backup.take(settings.sqlalchemy_database_url, settings.backups_path)
    removed = backup.prune(settings.backups_path, settings.backup_keep)
    log.info("backup.taken", file=taken.path.name, bytes=taken.size, pruned=len(removed))
    return {"file": str(taken.path), "bytes": taken.size, "pruned": len(removed)}
