"""Draining a web process before it stops (DESIGN.md "Releases").

Granian, on SIGTERM, stops taking connections at once and finishes the open requests. A load balancer
that deregisters the process before the signal (the ALB under ECS) loses nothing. One that learns of the
stop only from readiness would meanwhile send new connections to a closed port; for it, with
WEB_DRAIN_SECONDS > 0, each Granian worker takes SIGTERM itself: it answers /api/ready with 503 and
keeps serving for that many seconds, then hands itself SIGINT, Granian's other stop signal, and Granian
drains as before. Granian gives the application no hook of its own for this: it sets SIGTERM on the
worker's event loop, and the loop's public signal API replaces it here.
"""

from __future__ import annotations

import asyncio
import os
import signal
import time

import structlog

from app.core.config import get_settings

log = structlog.get_logger("web")

_since: float | None = None


def draining() -> bool:
    """This process got SIGTERM and will stop taking connections shortly."""
    return _since is not None


def install() -> None:
    """Run in the web worker's event loop at startup (a Reflex lifespan task)."""
    seconds = get_settings().web_drain_seconds
    if seconds <= 0:
        return
    loop = asyncio.get_running_loop()
    try:
        loop.remove_signal_handler(signal.SIGTERM)
        loop.add_signal_handler(signal.SIGTERM, _begin, loop, seconds)
    except (RuntimeError, ValueError, NotImplementedError) as exc:
        # Not the main thread (an in-process test server): SIGTERM keeps its usual meaning.
        log.warning("web.drain_unavailable", error=str(exc))


def _begin(loop: asyncio.AbstractEventLoop, seconds: float) -> None:
    global _since
    if _since is not None:
        return
    _since = time.monotonic()
    log.info("web.draining", seconds=seconds, pid=os.getpid())
    loop.call_later(seconds, os.kill, os.getpid(), signal.SIGINT)
