"""Engagement: read each published post's likes, reposts and replies back from its network.

The metrics sync (a beat job) calls `sync` every few minutes. It picks published targets younger than
`MAX_AGE` whose latest snapshot is older than their interval, which thins out as a post ages (a post
gathers most of its reactions in its first day), asks each channel's connector once per target, and
adds one `metric_snapshots` row per answer. One failure never stops the batch. The per-network circuit
breaker is read, not fed: a failing metrics endpoint (Bluesky's AppView) must not hold back publishing.
"""

from __future__ import annotations

import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Collection
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import text
from sqlmodel import Session, col, select

from app.connectors.base import AuthError, Connector, ConnectorError, Metrics, TransientError
from app.connectors.registry import ENGAGEMENT_NETWORKS
from app.core import breaker
from app.services.channels import connector as channel_connector
from app.services.tenancy import permissions
from models import Channel, MetricSnapshot, PostTarget
from models.base import utcnow

log = structlog.get_logger("engagement")

SYNC_TASK = "quillcast.maintenance.sync_metrics"
MAX_AGE = timedelta(days=30)
# (age below which, snapshot interval): hourly on the first day, every 6 h in the first week, then daily.
SCHEDULE: tuple[tuple[timedelta, timedelta], ...] = (
    (timedelta(days=1), timedelta(hours=1)),
    (timedelta(days=7), timedelta(hours=6)),
    (MAX_AGE, timedelta(days=1)),
)
RAW_MAX_KEYS = 20


def interval_for(age: timedelta) -> timedelta | None:
    """How long a snapshot of a post this old stays fresh; None once it is past MAX_AGE."""
    for below, every in SCHEDULE:
        if age < below:
            return every
    return None


def _interval_sql() -> str:
    cases = " ".join(
        f"WHEN t.published_at > :now - interval '{int(below.total_seconds())} seconds' "
        f"THEN interval '{int(every.total_seconds())} seconds'"
        for below, every in SCHEDULE
    )
    return f"CASE {cases} END"


# Published targets on networks that report engagement, whose latest snapshot is missing or stale; the
# ones never read first, then the stalest. Built from the constants above, never from input.
_DUE = text(f"""
    SELECT t.id FROM post_targets t
    JOIN channels c ON c.id = t.channel_id
    LEFT JOIN LATERAL (
        SELECT s.taken_at FROM metric_snapshots s WHERE s.target_id = t.id ORDER BY s.taken_at DESC LIMIT 1
    ) last ON true
    WHERE t.status = 'published' AND t.remote_id IS NOT NULL AND t.published_at IS NOT NULL
      AND t.published_at > :now - interval '{int(MAX_AGE.total_seconds())} seconds'
      AND c.network = ANY(:networks) AND c.status <> 'disabled'
      AND (last.taken_at IS NULL OR last.taken_at <= :now - {_interval_sql()})
      AND NOT (t.id = ANY(CAST(:exclude AS uuid[])))
    ORDER BY last.taken_at ASC NULLS FIRST, t.published_at DESC
    LIMIT :batch
""")  # noqa: S608


@dataclass
class SyncReport:
    due: int = 0
    stored: int = 0
    unreported: int = 0  # the network answered but has no counts for the post (deleted, no AppView)
    failed: int = 0
    skipped: int = 0  # the network failed earlier in this run, or its circuit breaker is open
    networks_failed: list[str] = field(default_factory=list)
    taken: list[uuid.UUID] = field(default_factory=list, repr=False)  # the targets this batch tried

    def summary(self) -> dict[str, object]:
        return {k: v for k, v in self.__dict__.items() if k != "taken"}


def due_targets(session: Session, batch: int, now: datetime | None = None,
                exclude: Collection[uuid.UUID] = ()) -> list[uuid.UUID]:
    rows = session.connection().execute(
        _DUE, {"now": now or utcnow(), "networks": sorted(ENGAGEMENT_NETWORKS), "batch": batch,
               "exclude": [str(i) for i in exclude]})
    return [r[0] for r in rows]


def _fetch(connector: Connector, target: PostTarget) -> Metrics | None:
    fetch = getattr(connector, "fetch_metrics", None)  # optional in the interface
    if fetch is None or not target.remote_id:
        return None
    result: Metrics | None = fetch(target.remote_id, target.remote_url)
    return result


def sync(session: Session, batch: int = 100, now: datetime | None = None,
         exclude: Collection[uuid.UUID] = ()) -> SyncReport:
    """Take one snapshot of each due target (at most `batch`, none in `exclude`), as the system."""
    now = now or utcnow()
    report = SyncReport()
    ids = due_targets(session, batch, now, exclude)
    report.due, report.taken = len(ids), ids
    if not ids:
        return report
    targets = session.exec(select(PostTarget).where(col(PostTarget.id).in_(ids))).all()
    channels = {c.id: c for c in session.exec(
        select(Channel).where(col(Channel.id).in_({t.channel_id for t in targets}))).all()}
    by_channel: dict[uuid.UUID, list[PostTarget]] = defaultdict(list)
    order = {tid: i for i, tid in enumerate(ids)}
    for t in sorted(targets, key=lambda t: order[t.id]):  # in due order: the most overdue first
        by_channel[t.channel_id].append(t)
    session.commit()  # no transaction stays open while the networks answer

    failing: set[tuple[str, str]] = set()  # servers that failed transiently in this run: leave them be
    for channel_id, group in by_channel.items():
        channel = channels[channel_id]
        network = channel.network
        # One Mastodon instance or Bluesky PDS being down says nothing about the others.
        server = (network, str((channel.settings or {}).get("endpoint") or ""))
        if server in failing or breaker.open_for(network) is not None:
            report.skipped += len(group)  # asked again at the next run
            continue
        try:
            connector = channel_connector.connector_for(channel)
        except Exception as exc:  # noqa: BLE001 - an unreadable channel must not stop the batch
            report.failed += len(group)
            log.warning("engagement.no_connector", network=network, error=type(exc).__name__)
            continue
        snapshots: list[MetricSnapshot] = []
        answered = False  # the network took our credentials at least once (a token may have rotated)
        for target in group:
            try:
                metrics = _fetch(connector, target)
            except TransientError as exc:
                report.failed += 1
                failing.add(server)
                log.info("engagement.transient", network=network, error=exc.message[:200])
                break
            except AuthError as exc:
                report.failed += len(group) - len(snapshots)
                log.info("engagement.auth", network=network, error=exc.message[:200])
                break  # the channel needs re-connecting; publishing will tell the user
            except ConnectorError as exc:
                report.failed += 1
                answered = True
                log.info("engagement.refused", network=network, error=exc.message[:200])
                continue
            except Exception as exc:  # noqa: BLE001 - one odd answer must not fail the batch
                report.failed += 1
                log.warning("engagement.error", network=network, error=type(exc).__name__)
                continue
            answered = True
            if metrics is None:
                report.unreported += 1
                continue
            snapshots.append(_snapshot(target, metrics, now))
        if server in failing and network not in report.networks_failed:
            report.networks_failed.append(network)
        if answered:  # Bluesky rotates its refresh token on every use: keep the new one for publishing
            channel_connector.save_rotated_credentials(channel, connector)
        if snapshots:
            session.add_all(snapshots)
            session.commit()  # channel by channel: a later failure in this long run keeps what was read
            report.stored += len(snapshots)
    if report.stored or report.failed:
        log.info("engagement.synced", **{k: v for k, v in report.summary().items() if k != "networks_failed"})
    return report


def sync_due(new_session: Callable[[], AbstractContextManager[Session]], batch: int = 100,
             budget_seconds: float = 240, now: datetime | None = None) -> SyncReport:
    """Every due target once, batch after batch, within `budget_seconds`. A target that gets no snapshot
    (a network without counts, a failure) is not asked again in this run, so it cannot crowd out the
    others: without this, never-read targets on a server without counts stayed first in line forever."""
    total, tried = SyncReport(), set[uuid.UUID]()
    deadline = time.monotonic() + budget_seconds
    while time.monotonic() < deadline:
        with new_session() as session:
            r = sync(session, batch, now, exclude=tried)
        if not r.taken:
            break
        tried.update(r.taken)
        for name in ("due", "stored", "unreported", "failed", "skipped"):
            setattr(total, name, getattr(total, name) + getattr(r, name))
        total.networks_failed += [n for n in r.networks_failed if n not in total.networks_failed]
    return total


def _snapshot(target: PostTarget, m: Metrics, taken_at: datetime) -> MetricSnapshot:
    raw = {k: v for k, v in list(m.raw.items())[:RAW_MAX_KEYS] if isinstance(v, int | float | str | bool)}
    return MetricSnapshot(
        workspace_id=target.workspace_id, target_id=target.id, taken_at=taken_at,
        likes=max(0, m.likes), reposts=max(0, m.reposts), replies=max(0, m.replies),
        quotes=None if m.quotes is None else max(0, m.quotes),
        impressions=None if m.impressions is None else max(0, m.impressions), raw=raw,
    )


# --- reading ------------------------------------------------------------------------------------
_LATEST_OF = text("""
    SELECT DISTINCT ON (s.target_id) s.target_id, s.taken_at, s.likes, s.reposts, s.replies, s.quotes,
           s.impressions
    FROM metric_snapshots s WHERE s.target_id = ANY(:ids) ORDER BY s.target_id, s.taken_at DESC
""")


def latest_for_post(session: Session, actor_id: uuid.UUID, post_id: uuid.UUID) -> dict[str, dict[str, Any]]:
    """target id -> its latest counts {likes, reposts, replies, quotes, impressions, taken_at}."""
    target_rows = session.exec(
        select(PostTarget.id, PostTarget.workspace_id).where(PostTarget.post_id == post_id)).all()
    if not target_rows:
        return {}
    permissions.require(session, actor_id, target_rows[0][1], "post:read")
    rows = session.connection().execute(_LATEST_OF, {"ids": [r[0] for r in target_rows]}).mappings()
    keys = ("likes", "reposts", "replies", "quotes", "impressions", "taken_at")
    return {str(r["target_id"]): {k: r[k] for k in keys} for r in rows}
