"""Thin task over app.services.planning.rss_poll: read the RSS feeds that are due."""

from __future__ import annotations

from app.core import db
from app.services.planning import rss_poll
from tasks.base import quillcast_task


# Each feed's read is bounded (rss_poll.TIMEOUT_SECONDS); a run that meets many slow feeds stops here and
# the next tick goes on with the rest.
@quillcast_task(rss_poll.POLL_TASK, time_limit=300)
def poll_due() -> dict[str, int]:
    """Read every due feed; new items become posts."""
    return rss_poll.poll_due(db.session_scope)
