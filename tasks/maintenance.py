"""Housekeeping tasks."""

from __future__ import annotations

from app.services.delivery import reconciler
from app.services.operations import backups, system
from tasks.base import quillcast_task


@quillcast_task("quillcast.maintenance.heartbeat", time_limit=15)
def heartbeat() -> None:
    """Record that a worker ran a task just now (shown on the status page)."""
    system.record_heartbeat()


@quillcast_task(reconciler.RECONCILE_TASK, time_limit=120)
def reconcile() -> dict[str, int]:
    """Settle expired publishing leases through lookup and re-enqueue lost `queued` targets."""
    return dict(reconciler.reconcile().__dict__)


# Below the broker's visibility timeout (3600 s, app/core/jobs.py): a backup still running when it expires
# would be handed to a second worker.
@quillcast_task("quillcast.maintenance.backup", time_limit=3000)
def backup() -> dict[str, object]:
    """The daily database backup (BACKUP_DIR, keeping BACKUP_KEEP files)."""
    return backups.scheduled()


@quillcast_task("quillcast.maintenance.base_backup", time_limit=3600)
def base_backup() -> dict[str, object]:
    """The embedded PostgreSQL's base backup for point-in-time recovery, when the newest is a day old."""
    return backups.base_backup_if_due()
