"""Housekeeping tasks."""

from __future__ import annotations

from app.services import system
from tasks.base import quillcast_task


@quillcast_task("quillcast.maintenance.heartbeat", time_limit=15)
def heartbeat() -> None:
    """Record that a worker ran a task just now (shown on the status page)."""
    system.record_heartbeat()
