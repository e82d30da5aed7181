"""Latency histograms kept in Redis, so every process (Granian workers, Celery's prefork children) adds
to the same numbers and any web process can serve them at /api/metrics.

prometheus_client's own in-process registry would show each scrape one worker's share at random.
One observation is one pipelined round trip; a Redis failure loses the observation, never the request.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import structlog

from app.core.redis import get_redis

log = structlog.get_logger("metrics")
PREFIX = "quillcast:metrics:"
# Seconds. Publishing a post to a slow network can take most of a minute; an API call should take ms.
BUCKETS: tuple[float, ...] = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120)
HTTP_SECONDS = "http_request_seconds"
TASK_SECONDS = "task_seconds"
MAX_SERIES = 2000  # a guard against a label that explodes (one hash field set per series)


@dataclass
class Series:
    labels: dict[str, str]
    buckets: dict[float, int] = field(default_factory=dict)  # cumulative, as Prometheus expects
    count: int = 0
    total: float = 0.0


def _series_key(labels: dict[str, str]) -> str:
    return json.dumps(labels, sort_keys=True, separators=(",", ":"))


def observe(name: str, labels: dict[str, str], seconds: float) -> None:
    """Add one observation of `seconds` to histogram `name` under `labels`."""
    key = PREFIX + name
    series = _series_key(labels)
    try:
        pipe = get_redis().pipeline(transaction=False)
        pipe.hincrby(key, f"{series}\tcount", 1)
        pipe.hincrbyfloat(key, f"{series}\tsum", seconds)
        for bound in BUCKETS:
            if seconds <= bound:
                pipe.hincrby(key, f"{series}\t{bound}", 1)
        pipe.execute()
    except Exception as exc:  # noqa: BLE001 - metrics must never fail the work they measure
        log.debug("metrics.observe_failed", metric=name, error=type(exc).__name__)


def histogram(name: str) -> list[Series]:
    """Every series of histogram `name`, with cumulative buckets."""
    raw = get_redis().hgetall(PREFIX + name)
    by_key: dict[str, Series] = {}
    for fld, value in raw.items():
        series, _, part = str(fld).rpartition("\t")
        if series not in by_key:
            if len(by_key) >= MAX_SERIES:
                continue
            by_key[series] = Series(json.loads(series))
        s = by_key[series]
        if part == "count":
            s.count = int(value)
        elif part == "sum":
            s.total = float(value)
        else:
            s.buckets[float(part)] = int(value)
    for s in by_key.values():
        s.buckets = {b: s.buckets.get(b, 0) for b in BUCKETS}
    return list(by_key.values())


def reset(name: str) -> None:
    get_redis().delete(PREFIX + name)
