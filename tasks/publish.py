"""Publishing tasks: thin wrappers over the delivery services (dispatcher and publishing)."""

from __future__ import annotations

from app.services.delivery import dispatcher, publishing
from tasks.base import quillcast_task


@quillcast_task("quillcast.publish.dispatch", time_limit=30)
def dispatch() -> int:
    """Claim due targets in Postgres and enqueue one publish task for each."""
    return dispatcher.dispatch_due()


# The lease (PUBLISH_LEASE_SECONDS, default 90) outlives this limit: a live worker is never reconciled.
@quillcast_task(publishing.PUBLISH_TASK, time_limit=60)
def target(target_id: str) -> str:
    """Publish one queued post target (refuses anything not `queued`)."""
    return publishing.publish_target(target_id)
