"""A circuit breaker per network whose state lives in Redis, so every worker process sees it.

Closed: calls go through and transient failures are counted in a sliding window. When the count reaches
the threshold the breaker opens for `breaker_open_seconds`: callers are told how long to wait and do not
call the network. After that one trial call goes through (half-open): one more failure opens it again
at once, a success closes it. When Redis is unreachable the breaker lets calls through: a broken cache
must not stop publishing.
"""

from __future__ import annotations

import redis as redis_lib
import structlog

from app.core.config import get_settings
from app.core.redis import get_redis

log = structlog.get_logger("breaker")


def _keys(name: str) -> tuple[str, str]:
    return f"breaker:{name}:open", f"breaker:{name}:failures"


def open_for(name: str) -> float | None:
    """Seconds until the breaker for `name` closes again, or None when calls may go through."""
    return state(name)[0]


def state(name: str) -> tuple[float | None, bool]:
    """(seconds until it closes or None, whether failures are being counted) in one round trip."""
    open_key, failures_key = _keys(name)
    try:
        pipe = get_redis().pipeline(transaction=False)
        pipe.pttl(open_key)
        pipe.exists(failures_key)
        ms, counting = pipe.execute()
    except redis_lib.RedisError:
        return None, False
    return (int(ms) / 1000 if int(ms) > 0 else None), bool(counting)


def record_failure(name: str) -> bool:
    """Count one transient failure; True when this failure opened the breaker."""
    settings = get_settings()
    open_key, failures_key = _keys(name)
    try:
        r = get_redis()
        pipe = r.pipeline()
        pipe.incr(failures_key)
        pipe.pexpire(failures_key, int(settings.breaker_window_seconds * 1000))
        count = int(pipe.execute()[0])
        if count < settings.breaker_failure_threshold:
            return False
        opened = bool(r.set(open_key, "1", px=int(settings.breaker_open_seconds * 1000), nx=True))
        # Half-open afterwards: keep the count one below the threshold for a window past the opening,
        # so the first failure of the trial call opens the breaker again.
        r.set(failures_key, settings.breaker_failure_threshold - 1,
              px=int((settings.breaker_open_seconds + settings.breaker_window_seconds) * 1000))
        if opened:
            log.warning("breaker.opened", network=name, seconds=settings.breaker_open_seconds)
        return opened
    except redis_lib.RedisError:
        return False


def record_success(name: str) -> None:
    _, failures_key = _keys(name)
    try:
        get_redis().delete(failures_key)
    except redis_lib.RedisError:
        pass


def reset(name: str) -> None:
    try:
        get_redis().delete(*_keys(name))
    except redis_lib.RedisError:
        pass
