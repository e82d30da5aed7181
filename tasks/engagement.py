"""The metrics sync: read each recent post's likes, reposts and replies back from its network."""

from __future__ import annotations

from app.core import db
from app.services.insight import engagement
from tasks.base import quillcast_task

BATCH = 100


@quillcast_task(engagement.SYNC_TASK, time_limit=300)
def sync_metrics() -> dict[str, object]:
    """One snapshot for each due target, BATCH at a time, for up to four minutes."""
    return engagement.sync_due(db.session_scope, BATCH, budget_seconds=240).summary()
