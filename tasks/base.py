"""One decorator gives every task its name, logging, time limits and acks-late behaviour."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

import structlog

from tasks.celery_app import app

log = structlog.get_logger("tasks")
F = TypeVar("F", bound=Callable[..., Any])


def quillcast_task(name: str, *, time_limit: int = 60, **options: Any) -> Callable[[F], F]:
    """Register a thin task under a stable namespaced name (`quillcast.<area>.<verb>`)."""

    def wrap(fn: F) -> F:
        def run(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                log.debug("task.done", task=name, ms=round((time.perf_counter() - started) * 1000, 1))

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
