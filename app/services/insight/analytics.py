"""How publishing went for a workspace: outcomes, punctuality and clicks, from Quillcast's own records,
and how the posts did (engagement), from the latest snapshot the metrics sync took of each target.

Lateness is published_at - scheduled_at of targets that went out; "on time" means within a minute.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import Integer, and_, cast, extract, func, text
from sqlmodel import Session, col, select

from app.connectors.catalogue import ENGAGEMENT_NETWORKS
from app.services.errors import ValidationFailed
from app.services.tenancy import permissions
from models import Channel, Link, PostTarget, PublishAttempt
from models.post import TARGET_PENDING

ON_TIME_SECONDS = 60
MAX_DAYS = 366
TOP_POSTS = 10
EXCERPT_CHARS = 80


@dataclass(frozen=True)
class NetworkRow:
    network: str
    published: int
    failed: int
    waiting: int
    on_time_pct: float | None
    median_lateness_s: float | None
    attempts: int


@dataclass(frozen=True)
class EngagementRow:
    """One network's engagement over the period: sums of each target's latest snapshot."""

    network: str
    reports: bool  # False: the network does not report engagement (Matrix, Telegram, ...)
    published: int
    measured: int  # published targets with at least one snapshot
    likes: int = 0
    reposts: int = 0
    replies: int = 0
    impressions: int | None = None  # None: no snapshot carried a view count


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
    likes: int = 0
    reposts: int = 0
    replies: int = 0
    engagement: list[EngagementRow] = field(default_factory=list)
    # The most engaging published targets: {target_id, post_id, excerpt, channel, network, published_at,
    # likes, reposts, replies, quotes, impressions}, most likes + reposts + replies first.
    top_posts: list[dict[str, object]] = field(default_factory=list)


# Each published target of the period with its latest snapshot (none: not measured yet).
_LATEST = text("""
    SELECT t.id AS target_id, t.post_id, coalesce(t.body, p.body) AS body, c.name AS channel, c.network,
           t.published_at, l.likes, l.reposts, l.replies, l.quotes, l.impressions
    FROM post_targets t
    JOIN posts p ON p.id = t.post_id
    JOIN channels c ON c.id = t.channel_id
    LEFT JOIN LATERAL (
        SELECT s.likes, s.reposts, s.replies, s.quotes, s.impressions FROM metric_snapshots s
        WHERE s.target_id = t.id ORDER BY s.taken_at DESC LIMIT 1
    ) l ON true
    WHERE t.workspace_id = :ws AND t.status = 'published' AND t.published_at >= :since
""")


def excerpt(body: str, limit: int = EXCERPT_CHARS) -> str:
    flat = " ".join(body.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def _engagement(session: Session, workspace_id: uuid.UUID, since: datetime, out: Report) -> None:
    rows = session.connection().execute(_LATEST, {"ws": workspace_id, "since": since}).mappings().all()
    per: dict[str, dict[str, int | None]] = {}
    measured = []
    for r in rows:
        n = per.setdefault(r["network"], {"published": 0, "measured": 0, "likes": 0, "reposts": 0,
                                          "replies": 0, "impressions": None})
        n["published"] = (n["published"] or 0) + 1
        if r["likes"] is None:
            continue
        measured.append(r)
        for key in ("measured", "likes", "reposts", "replies"):
            n[key] = (n[key] or 0) + (1 if key == "measured" else int(r[key]))
        if r["impressions"] is not None:
            n["impressions"] = (n["impressions"] or 0) + int(r["impressions"])
    for network, n in sorted(per.items()):
        reports = network in ENGAGEMENT_NETWORKS
        out.engagement.append(EngagementRow(
            network=network, reports=reports, published=int(n["published"] or 0),
            measured=int(n["measured"] or 0), likes=int(n["likes"] or 0), reposts=int(n["reposts"] or 0),
            replies=int(n["replies"] or 0), impressions=n["impressions"]))
    out.likes = sum(e.likes for e in out.engagement)
    out.reposts = sum(e.reposts for e in out.engagement)
    out.replies = sum(e.replies for e in out.engagement)
    measured.sort(key=lambda r: (r["likes"] + r["reposts"] + r["replies"], r["published_at"]), reverse=True)
    out.top_posts = [{
        "target_id": str(r["target_id"]), "post_id": str(r["post_id"]), "excerpt": excerpt(r["body"] or ""),
        "channel": r["channel"], "network": r["network"], "published_at": r["published_at"],
        "likes": r["likes"], "reposts": r["reposts"], "replies": r["replies"], "quotes": r["quotes"],
        "impressions": r["impressions"],
    } for r in measured[:TOP_POSTS]]


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
        elif status in TARGET_PENDING:
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
    _engagement(session, workspace_id, since, out)
    return out
