"""Abuse limits in Redis (moving window, shared by every web process).

`hit(scope, key, limit)` counts one attempt and raises RateLimited once `limit` ("30/5 minutes")
is exceeded for that scope and key. `check` + `record` do the same for failures only (check before
trying, record when it failed). Keys are hashed so no e-mail address lands in Redis key names.
"""

from __future__ import annotations

import hashlib
import math
import time
from functools import lru_cache

from limits import RateLimitItem, parse
from limits.storage import RedisStorage
from limits.strategies import MovingWindowRateLimiter

from app.core.config import get_settings
from app.core.errors import RateLimited


@lru_cache
def _limiter() -> MovingWindowRateLimiter:
    storage = RedisStorage(get_settings().cache_redis_url, key_prefix="quillcast-rl")
    return MovingWindowRateLimiter(storage)


@lru_cache(maxsize=64)
def _item(limit: str) -> RateLimitItem:
    return parse(limit)


def reset_limiter() -> None:
    _limiter.cache_clear()


def _identity(scope: str, key: str) -> tuple[str, str]:
    return scope, hashlib.sha256(key.strip().lower().encode()).hexdigest()[:32]


def hit(scope: str, key: str, limit: str, *, field: str | None = None) -> None:
    """Count one attempt for (scope, key); raise RateLimited(retry_after=seconds) when over `limit`."""
    item = _item(limit)
    ident = _identity(scope, key)
    if _limiter().hit(item, *ident):
        return
    reset_at = _limiter().get_window_stats(item, *ident).reset_time
    retry_after = max(1, math.ceil(reset_at - time.time()))
    raise RateLimited(
        f"too many attempts; try again in {retry_after} seconds", retry_after=retry_after, field=field
    )


def check(scope: str, key: str, limit: str, *, message: str, field: str | None = None) -> None:
    """Raise RateLimited when (scope, key) has used up `limit`; counts nothing. `message` may name the
    wait as {seconds}."""
    item = _item(limit)
    ident = _identity(scope, key)
    if _limiter().test(item, *ident):
        return
    wait = _limiter().get_window_stats(item, *ident).reset_time - time.time()
    # The store keeps whole seconds, so the edge can read up to a second past the window: under a second
    # left counts as over, and no wait is longer than the window itself (the per-account limit promises
    # "at most a minute").
    if wait < 1:
        return
    retry_after = min(max(1, math.ceil(wait)), item.get_expiry())
    raise RateLimited(message.format(seconds=retry_after), retry_after=retry_after, field=field)


def record(scope: str, key: str, limit: str) -> None:
    """Count one failure for (scope, key) (a full window simply stays full)."""
    _limiter().hit(_item(limit), *_identity(scope, key))


def clear(scope: str, key: str, limit: str) -> None:
    """Forget the attempts for (scope, key), e.g. after a successful sign-in."""
    _limiter().clear(_item(limit), *_identity(scope, key))
