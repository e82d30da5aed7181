"""What an operator watches, as Prometheus text: is publishing on time, is anything stuck or failing.

Gauges are read from the database and Redis at scrape time (they are the truth, whichever process
answers); latency histograms come from app/core/metrics (Redis, shared by all processes). Everything
is summed over the instance: no workspace, channel or user appears in a label.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import redis
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, HistogramMetricFamily, Metric
from sqlalchemy import text
from sqlmodel import Session

from app.core import breaker, metrics
from app.core.config import get_settings
from app.core.jobs import ALL_QUEUES
from app.services.identity import admins
from models.channel import CHANNEL_STATUSES
from models.email import EMAIL_STATUSES
from models.post import TARGET_STATUSES

# A due target the dispatcher (ticking each second) has not claimed after this long is late.
OVERDUE_AFTER = timedelta(seconds=60)
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


@dataclass
class Snapshot:
    """The numbers of the whole instance at one moment: one source for /api/metrics and the status page."""

    taken_at: datetime
    targets: dict[str, int]
    overdue: int
    oldest_overdue_seconds: float
    lateness: dict[str, float]  # quantile ("0.5", "0.95", "0.99") -> seconds, last hour
    published_last_hour: int
    channels: dict[str, int]
    emails: dict[str, int]
    queue_depth: dict[str, int]
    breakers_open: dict[str, bool]
    http: list[metrics.Series] = field(default_factory=list)
    tasks: list[metrics.Series] = field(default_factory=list)


def _counts(session: Session, table: str, statuses: tuple[str, ...]) -> dict[str, int]:
    rows = session.execute(text(f"SELECT status, count(*) FROM {table} GROUP BY status")).all()  # noqa: S608
    found = {str(status): int(n) for status, n in rows}
    return {s: found.get(s, 0) for s in statuses}


def _queue_depth() -> dict[str, int]:
    broker = redis.Redis.from_url(get_settings().broker_url, socket_connect_timeout=3, socket_timeout=5)
    try:
        return {q: int(broker.llen(q)) for q in ALL_QUEUES}  # type: ignore[arg-type]
    finally:
        broker.close()


def snapshot(session: Session, now: datetime | None = None) -> Snapshot:
    now = now or datetime.now(UTC)
    overdue, oldest = session.execute(
        text("SELECT count(*), COALESCE(EXTRACT(EPOCH FROM (:now - min(scheduled_at))), 0) FROM post_targets "
             "WHERE status = 'scheduled' AND scheduled_at < :cutoff"),
        {"now": now, "cutoff": now - OVERDUE_AFTER},
    ).one()
    p50, p95, p99, published = session.execute(
        text("SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY l), percentile_cont(0.95) WITHIN GROUP "
             "(ORDER BY l), percentile_cont(0.99) WITHIN GROUP (ORDER BY l), count(*) FROM ("
             "SELECT GREATEST(EXTRACT(EPOCH FROM (published_at - scheduled_at)), 0) AS l FROM post_targets "
             "WHERE status = 'published' AND published_at >= :since AND scheduled_at IS NOT NULL) t"),
        {"since": now - timedelta(hours=1)},
    ).one()
    networks = [str(n) for (n,) in session.execute(text("SELECT DISTINCT network FROM channels")).all()]
    return Snapshot(
        taken_at=now,
        targets=_counts(session, "post_targets", TARGET_STATUSES),
        overdue=int(overdue),
        oldest_overdue_seconds=float(oldest or 0) if overdue else 0.0,
        lateness={q: float(v or 0) for q, v in (("0.5", p50), ("0.95", p95), ("0.99", p99))},
        published_last_hour=int(published),
        channels=_counts(session, "channels", CHANNEL_STATUSES),
        emails=_counts(session, "email_outbox", EMAIL_STATUSES),
        queue_depth=_queue_depth(),
        breakers_open={n: breaker.open_for(n) is not None for n in sorted(networks)},
        http=metrics.histogram(metrics.HTTP_SECONDS),
        tasks=metrics.histogram(metrics.TASK_SECONDS),
    )


def health_for_admin(session: Session, viewer_id: uuid.UUID | None, now: datetime | None = None) -> Snapshot:
    """The status page's numbers: instance-wide, so instance administrators only."""
    admins.require_instance_admin(session, viewer_id)
    return snapshot(session, now)


def quantile(series: list[metrics.Series], q: float) -> float | None:
    """An upper bound of the q-quantile over all series, from their buckets (None: no observation)."""
    total = sum(s.count for s in series)
    if total == 0:
        return None
    for bound in metrics.BUCKETS:
        if sum(s.buckets.get(bound, 0) for s in series) >= q * total:
            return bound
    return float("inf")


def _gauge(name: str, doc: str, label: str, values: dict[str, float]) -> GaugeMetricFamily:
    g = GaugeMetricFamily(name, doc, labels=[label])
    for key, value in sorted(values.items()):
        g.add_metric([key], value)
    return g


def _single(name: str, doc: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, doc, value=value)


def _histogram(name: str, doc: str, labels: list[str], series: list[metrics.Series]) -> Metric:
    h = HistogramMetricFamily(name, doc, labels=labels)
    for s in series:
        buckets = [(str(b), float(c)) for b, c in s.buckets.items()] + [("+Inf", float(s.count))]
        h.add_metric([s.labels.get(label, "") for label in labels], buckets, s.total)
    return h


def _families(snap: Snapshot) -> list[Metric]:
    lateness = GaugeMetricFamily(
        "quillcast_publish_lateness_seconds",
        "Published minus scheduled time of the targets published in the last hour",
        labels=["quantile"],
    )
    for q, v in snap.lateness.items():
        lateness.add_metric([q], v)
    floats = {k: float(v) for k, v in snap.targets.items()}
    return [
        _gauge("quillcast_targets", "Post targets by status", "status", floats),
        _single("quillcast_targets_overdue",
                f"Scheduled targets due more than {int(OVERDUE_AFTER.total_seconds())} s ago and not yet "
                "claimed (is a worker and beat running?)", float(snap.overdue)),
        _single("quillcast_targets_oldest_overdue_seconds", "How long the oldest overdue target has waited",
                snap.oldest_overdue_seconds),
        lateness,
        _single("quillcast_published_last_hour", "Targets published in the last hour",
                float(snap.published_last_hour)),
        _gauge("quillcast_channels", "Channels by status (needs_reauth: someone must reconnect it)", "status",
               {k: float(v) for k, v in snap.channels.items()}),
        _gauge("quillcast_emails", "Outbox e-mails by status (held: no SMTP_HOST set)", "status",
               {k: float(v) for k, v in snap.emails.items()}),
        _gauge("quillcast_queue_depth", "Tasks waiting in each Celery queue", "queue",
               {k: float(v) for k, v in snap.queue_depth.items()}),
        _gauge("quillcast_breaker_open", "1 while a network's circuit breaker holds its posts back",
               "network", {k: 1.0 if v else 0.0 for k, v in snap.breakers_open.items()}),
        _histogram("quillcast_http_request_seconds",
                   "REST API request duration (route template, method, status class)",
                   ["method", "route", "status"], snap.http),
        _histogram("quillcast_task_seconds", "Celery task duration by task name and outcome",
                   ["task", "outcome"], snap.tasks),
    ]


class _Snapshot:
    """A one-shot collector: prometheus_client renders whatever `collect` yields."""

    def __init__(self, families: list[Metric]) -> None:
        self.families = families

    def collect(self) -> list[Metric]:
        return self.families


def exposition(session: Session, now: datetime | None = None) -> bytes:
    """The Prometheus text format of every Quillcast metric."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Snapshot(_families(snapshot(session, now))))  # type: ignore[arg-type]
    return generate_latest(registry)
