"""The daily backup beat asks for: take one, keep the newest BACKUP_KEEP; and what a backup leaves out."""

from __future__ import annotations

import structlog

from app.core import backup, storage
from app.core.config import get_settings

log = structlog.get_logger("backups")


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
