"""Publishing tasks: thin wrappers over app.services.publishing."""

from __future__ import annotations

from app.services import dispatcher
from tasks.base import quillcast_task


@quillcast_task("quillcast.publish.dispatch", time_limit=30)
def dispatch() -> int:
    """Claim due targets in Postgres and enqueue one publish task for each."""
    return dispatcher.dispatch_due()
