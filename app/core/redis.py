"""Redis clients for caches, sessions, rate limits and breakers (not the broker, not Reflex state)."""

from __future__ import annotations

from functools import lru_cache

import redis

from app.core.config import get_settings


@lru_cache
def get_redis() -> redis.Redis:
    return redis.Redis.from_url(
        get_settings().cache_redis_url, decode_responses=True, socket_connect_timeout=3, socket_timeout=5
    )


def reset_redis() -> None:
    if get_redis.cache_info().currsize:
        get_redis().close()
    get_redis.cache_clear()
