"""One decorator gives every task its name, logging, metrics, time limits and acks-late behaviour."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

import structlog

from app.core import metrics
from tasks.celery_app import app

log = structlog.get_logger("tasks")
F = TypeVar("F", bound=Callable[..., Any])


def quillcast_task(name: str, *, time_limit: int = 60, **options: Any) -> Callable[[F], F]:
    """Register a thin task under a stable namespaced name (`quillcast.<area>.<verb>`)."""

    def wrap(fn: F) -> F:
        def run(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            outcome = "error"
            try:
                result = fn(*args, **kwargs)
                outcome = "ok"
                return result
            finally:
                seconds = time.perf_counter() - started
                metrics.observe(metrics.TASK_SECONDS, {"task": name, "outcome": outcome}, seconds)
                log.debug("task.done", task=name, ms=round(seconds * 1000, 1), outcome=outcome)

        run.__name__ = fn.__name__
        run.__doc__ = fn.__doc__
        return app.task(  # type: ignore[no-any-return]
            name=name,
            time_limit=time_limit,
            soft_time_limit=max(1, time_limit - 10),
            acks_late=True,
            reject_on_worker_lost=True,
            **options,
        )(run)

    return wrap
