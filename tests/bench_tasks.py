"""A no-op task for the benchmark's raw Celery figure (loaded only by benchmark workers: `-I`)."""

from __future__ import annotations

from app.core.redis import get_redis
from tasks.base import quillcast_task

NOOP_COUNTER = "bench:noop:done"


@quillcast_task("quillcast.bench.noop", time_limit=10)
def noop() -> None:
    """Count that a message went through the same broker, queue and worker settings as a publish."""
    get_redis().incr(NOOP_COUNTER)
