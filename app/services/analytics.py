"""How publishing went for a workspace: outcomes, punctuality and clicks, from Quillcast's own records.

Lateness is published_at - scheduled_at of targets that went out; "on time" means within a minute.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import Integer, and_, cast, extract, func
from sqlmodel import Session, col, select

from app.services import permissions
from app.services.errors import ValidationFailed
from models import Channel, Link, PostTarget, PublishAttempt

ON_TIME_SECONDS = 60
MAX_DAYS = 366


@dataclass(frozen=True)
class NetworkRow:
    network: str
    published: int
    failed: int
    waiting: int
    on_time_pct: float | None
    median_lateness_s: float | None
    attempts: int


@dataclass
class Report:
    days: int
    published: int = 0
    failed: int = 0
    unknown: int = 0
    waiting: int = 0
    on_time_pct: float | None = None
    p95_lateness_s: float | None = None
    retries: int = 0
    clicks: int = 0
    per_network: list[NetworkRow] = field(default_factory=list)
    # One row a day: {"day": "11-20", "published": n, "failed": n}.
    per_day: list[dict[str, object]] = field(default_factory=list)
    top_links: list[dict[str, object]] = field(default_factory=list)


def report(session: Session, actor_id: uuid.UUID, workspace_id: uuid.UUID, days: int = 30,
           now: datetime | None = None) -> Report:
    permissions.require(session, actor_id, workspace_id, "analytics:read")
    if not 1 <= days <= MAX_DAYS:
        raise ValidationFailed(f"days: choose 1 to {MAX_DAYS}", field="days")
    now = now or datetime.now(UTC)
    since = now - timedelta(days=days)
    out = Report(days=days)

    when = func.coalesce(PostTarget.published_at, PostTarget.scheduled_at)
    in_range = and_(col(PostTarget.workspace_id) == workspace_id, when >= since)
    lateness = extract("epoch", col(PostTarget.published_at) - col(PostTarget.scheduled_at))

    rows = session.exec(
        select(  # type: ignore[call-overload]
            Channel.network, PostTarget.status, func.count(),
               func.percentile_cont(0.5).within_group(lateness),
               func.sum(cast(lateness <= ON_TIME_SECONDS, Integer)))
        .join(Channel, col(Channel.id) == PostTarget.channel_id)
        .where(in_range)
        .group_by(Channel.network, PostTarget.status)
    ).all()
    by_network: dict[str, dict[str, float]] = {}
    for network, status, count, median, on_time in rows:
        n = by_network.setdefault(network, {"published": 0, "failed": 0, "waiting": 0, "on_time": 0,
                                            "median": -1})
        if status == "published":
            n["published"] += count
            n["on_time"] += on_time or 0
            n["median"] = float(median) if median is not None else -1
            out.published += count
        elif status == "failed":
            n["failed"] += count
            out.failed += count
        elif status == "unknown":
            out.unknown += count
        elif status in ("scheduled", "queued", "publishing", "retrying", "awaiting_approval"):
            n["waiting"] += count
            out.waiting += count

    attempts = dict(session.exec(
        select(Channel.network, func.count())
        .select_from(PublishAttempt)
        .join(PostTarget, col(PostTarget.id) == PublishAttempt.target_id)
        .join(Channel, col(Channel.id) == PostTarget.channel_id)
        .where(PublishAttempt.workspace_id == workspace_id, col(PublishAttempt.started_at) >= since)
        .group_by(Channel.network)
    ).all())
    for network, n in sorted(by_network.items()):
        out.per_network.append(NetworkRow(
            network=network, published=int(n["published"]), failed=int(n["failed"]),
            waiting=int(n["waiting"]),
            on_time_pct=round(100 * n["on_time"] / n["published"], 1) if n["published"] else None,
            median_lateness_s=round(n["median"], 1) if n["median"] >= 0 else None,
            attempts=int(attempts.get(network, 0)),
        ))
    total_attempts = sum(attempts.values())
    out.retries = max(0, total_attempts - out.published - out.failed - out.unknown)

    published_total_on_time = sum(n["on_time"] for n in by_network.values())
    if out.published:
        out.on_time_pct = round(100 * published_total_on_time / out.published, 1)
        p95 = session.exec(
            select(func.percentile_cont(0.95).within_group(lateness))
            .where(in_range, PostTarget.status == "published")
        ).one()
        out.p95_lateness_s = round(float(p95), 1) if p95 is not None else None

    day = func.date_trunc("day", func.timezone("UTC", when))
    daily = session.exec(
        select(day, PostTarget.status, func.count())
        .where(in_range, col(PostTarget.status).in_(["published", "failed"]), when < now)
        .group_by(day, PostTarget.status)
    ).all()
    per_day: dict[str, dict[str, object]] = {}
    for d in range(days - 1, -1, -1):
        key = (now - timedelta(days=d)).date().isoformat()
        per_day[key] = {"day": key[5:], "published": 0, "failed": 0}
    for moment, status, count in daily:
        key = moment.date().isoformat()
        if key in per_day:
            per_day[key][status] = count
    out.per_day = list(per_day.values())

    links = session.exec(
        select(Link.code, Link.destination, Link.clicks)
        .where(Link.workspace_id == workspace_id, Link.clicks > 0)
        .order_by(col(Link.clicks).desc()).limit(5)
    ).all()
    out.top_links = [{"code": c, "destination": d, "clicks": n} for c, d, n in links]
    out.clicks = int(session.exec(
        select(func.coalesce(func.sum(Link.clicks), 0)).where(Link.workspace_id == workspace_id)).one())
    return out
