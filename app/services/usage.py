"""Feature adoption and active people, for the instance's administrators: which parts of Quillcast are
used, on how many days, and by how many people.

Counts only, kept in Redis per UTC day for 100 days: a feature's uses (a hash per day) and the people
seen (a HyperLogLog per day: it counts distinct ids without storing them). Nothing names a person, a
workspace or a post. A count is taken when the action succeeds in its service; one in a transaction
that later rolls back still counts (these are adoption trends, not accounting).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import structlog
from redis.client import Pipeline

from app.core.redis import get_redis

log = structlog.get_logger("usage")
KEEP_DAYS = 100
_FEATURES = "quillcast:usage:features:"
_PEOPLE = "quillcast:usage:people:"

# The features counted, in the words of the UI.
FEATURES: dict[str, str] = {
    "schedule": "Schedule a post",
    "queue_slot": "Add to queue (time slots)",
    "publish_now": "Publish now",
    "approval_requested": "Submit for approval",
    "approved": "Approve",
    "published": "Posts published",
    "thread": "Split into thread",
    "short_link": "Short links",
    "ai_assist": "AI assist",
    "image": "Images",
    "idea_to_post": "Idea turned into a post",
    "ical_feed": "Calendar feed",
}


def _day(moment: datetime | None = None) -> str:
    return (moment or datetime.now(UTC)).date().isoformat()


def record(feature: str, times: int = 1, now: datetime | None = None) -> None:
    """Count `times` uses of `feature` today. Never fails the action it counts."""
    if feature not in FEATURES:
        raise ValueError(f"unknown feature {feature!r}: add it to usage.FEATURES")
    key = _FEATURES + _day(now)
    try:
        pipe = get_redis().pipeline(transaction=False)
        pipe.hincrby(key, feature, times)
        pipe.expire(key, KEEP_DAYS * 86_400)
        pipe.execute()
    except Exception as exc:  # noqa: BLE001 - a count is never worth a failed action
        log.debug("usage.record_failed", feature=feature, error=type(exc).__name__)


def seen(pipe: Pipeline, user_id: uuid.UUID | str, now: datetime | None = None) -> None:
    """Count `user_id` as active today, in the caller's Redis pipeline (a HyperLogLog: the id itself is
    not kept)."""
    key = _PEOPLE + _day(now)
    pipe.pfadd(key, str(user_id))
    pipe.expire(key, KEEP_DAYS * 86_400)


@dataclass(frozen=True)
class FeatureUse:
    feature: str
    label: str
    uses: int
    days_used: int


@dataclass(frozen=True)
class Adoption:
    days: int
    features: list[FeatureUse]  # most used first; unused ones last, so the gaps show too
    active_today: int
    active_7_days: int
    active_period: int


def adoption(days: int = 30, today: date | None = None) -> Adoption:
    today = today or datetime.now(UTC).date()
    dates = [(today - timedelta(days=i)).isoformat() for i in range(days)]
    r = get_redis()
    pipe = r.pipeline(transaction=False)
    for d in dates:
        pipe.hgetall(_FEATURES + d)
    per_day: list[dict[str, str]] = pipe.execute()
    uses = dict.fromkeys(FEATURES, 0)
    days_used = dict.fromkeys(FEATURES, 0)
    for counts in per_day:
        for feature, n in counts.items():
            if feature in uses:
                uses[feature] += int(n)
                days_used[feature] += 1

    def people(window: list[str]) -> int:
        return int(r.pfcount(*[_PEOPLE + d for d in window])) if window else 0

    rows = [FeatureUse(f, FEATURES[f], uses[f], days_used[f]) for f in FEATURES]
    rows.sort(key=lambda u: (-u.uses, u.label))
    return Adoption(days, rows, people(dates[:1]), people(dates[:7]), people(dates))
