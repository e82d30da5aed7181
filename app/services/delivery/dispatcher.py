"""The dispatcher: Postgres holds the schedule; each tick claims what is due and enqueues it."""

from __future__ import annotations

from sqlalchemy import text

from app.core import db, jobs
from app.core.config import get_settings

PUBLISH_TASK = jobs.PUBLISH_TASK

# SKIP LOCKED lets several dispatchers (or a slow tick overlapping the next) claim disjoint rows.
_CLAIM = text(
    """
    UPDATE post_targets SET status = 'queued', updated_at = now()
    WHERE id IN (
        SELECT id FROM post_targets
        WHERE (status = 'scheduled' AND scheduled_at <= now())
           OR (status = 'retrying' AND next_attempt_at <= now())
        ORDER BY coalesce(next_attempt_at, scheduled_at)
        FOR UPDATE SKIP LOCKED
        LIMIT :limit
    )
    RETURNING id
    """
)


def claim_due(limit: int | None = None) -> list[str]:
    """Mark due targets `queued` and return their ids; the caller enqueues after commit."""
    with db.session_scope() as session:
        rows = session.connection().execute(
            _CLAIM, {"limit": limit or get_settings().dispatcher_batch_size}
        )
        return [str(r[0]) for r in rows]


def dispatch_due() -> int:
    """Claim, commit, then enqueue: a crash in between leaves rows `queued` for the reconciler."""
    ids = claim_due()
    for target_id in ids:
        jobs.send(PUBLISH_TASK, target_id, queue=jobs.PUBLISH_QUEUE)
    return len(ids)
