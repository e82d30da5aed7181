"""What an operator watches, as Prometheus text: is publishing on time, is anything stuck or failing.

Gauges are read from the database and Redis at scrape time (they are the truth, whichever process
answers); latency histograms come from app/core/metrics (Redis, shared by all processes). Everything
is summed over the instance: no workspace, channel or user appears in a label.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import redis
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, HistogramMetricFamily, Metric
from sqlalchemy import text
from sqlmodel import Session

from app.core import breaker, metrics
from app.core.config import get_settings
from app.core.queue import ALL_QUEUES
from models.channel import CHANNEL_STATUSES
from models.email import EMAIL_STATUSES
from models.post import TARGET_STATUSES

# A due target the dispatcher (ticking each second) has not claimed after this long is late.
OVERDUE_AFTER = timedelta(seconds=60)
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def _counts(session: Session, table: str, statuses: tuple[str, ...]) -> dict[str, int]:
    rows = session.execute(text(f"SELECT status, count(*) FROM {table} GROUP BY status")).all()  # noqa: S608
    found = {str(status): int(n) for status, n in rows}
    return {s: found.get(s, 0) for s in statuses}


def _gauge(name: str, doc: str, label: str, values: dict[str, float]) -> GaugeMetricFamily:
    g = GaugeMetricFamily(name, doc, labels=[label])
    for key, value in sorted(values.items()):
        g.add_metric([key], value)
    return g


def _single(name: str, doc: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, doc, value=value)


def _publishing(session: Session, now: datetime) -> list[Metric]:
    overdue, oldest = session.execute(
        text("SELECT count(*), COALESCE(EXTRACT(EPOCH FROM (:now - min(scheduled_at))), 0) FROM post_targets "
             "WHERE status = 'scheduled' AND scheduled_at < :cutoff"),
        {"now": now, "cutoff": now - OVERDUE_AFTER},
    ).one()
    p50, p95, p99, n = session.execute(
        text("SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY l), percentile_cont(0.95) WITHIN GROUP "
             "(ORDER BY l), percentile_cont(0.99) WITHIN GROUP (ORDER BY l), count(*) FROM ("
             "SELECT GREATEST(EXTRACT(EPOCH FROM (published_at - scheduled_at)), 0) AS l FROM post_targets "
             "WHERE status = 'published' AND published_at >= :since AND scheduled_at IS NOT NULL) t"),
        {"since": now - timedelta(hours=1)},
    ).one()
    lateness = GaugeMetricFamily(
        "quillcast_publish_lateness_seconds",
        "Published minus scheduled time of the targets published in the last hour",
        labels=["quantile"],
    )
    for q, v in (("0.5", p50), ("0.95", p95), ("0.99", p99)):
        lateness.add_metric([q], float(v or 0))
    return [
        _gauge("quillcast_targets", "Post targets by status", "status",
               {k: float(v) for k, v in _counts(session, "post_targets", TARGET_STATUSES).items()}),
        _single("quillcast_targets_overdue",
                f"Scheduled targets due more than {int(OVERDUE_AFTER.total_seconds())} s ago and not yet "
                "claimed (is a worker and beat running?)", float(overdue)),
        _single("quillcast_targets_oldest_overdue_seconds",
                "How long the oldest overdue target has waited", float(oldest or 0) if overdue else 0.0),
        lateness,
        _single("quillcast_published_last_hour", "Targets published in the last hour", float(n)),
    ]


def _accounts(session: Session) -> list[Metric]:
    return [
        _gauge("quillcast_channels", "Channels by status (needs_reauth: someone must reconnect it)", "status",
               {k: float(v) for k, v in _counts(session, "channels", CHANNEL_STATUSES).items()}),
        _gauge("quillcast_emails", "Outbox e-mails by status (held: no SMTP_HOST set)", "status",
               {k: float(v) for k, v in _counts(session, "email_outbox", EMAIL_STATUSES).items()}),
    ]


def _queues_and_breakers(session: Session) -> list[Metric]:
    broker = redis.Redis.from_url(get_settings().broker_url, socket_connect_timeout=3, socket_timeout=5)
    try:
        depth = {q: float(broker.llen(q)) for q in ALL_QUEUES}  # type: ignore[arg-type]
    finally:
        broker.close()
    networks = [str(n) for (n,) in session.execute(text("SELECT DISTINCT network FROM channels")).all()]
    return [
        _gauge("quillcast_queue_depth", "Tasks waiting in each Celery queue", "queue", depth),
        _gauge("quillcast_breaker_open", "1 while a network's circuit breaker holds its posts back",
               "network", {n: 1.0 if breaker.open_for(n) else 0.0 for n in networks}),
    ]


def _histograms() -> list[Metric]:
    out: list[Metric] = []
    for name, doc, labels in (
        (metrics.HTTP_SECONDS, "REST API request duration (route template, method, status class)",
         ["method", "route", "status"]),
        (metrics.TASK_SECONDS, "Celery task duration by task name and outcome", ["task", "outcome"]),
    ):
        h = HistogramMetricFamily(f"quillcast_{name}", doc, labels=labels)
        for s in metrics.histogram(name):
            buckets = [(str(b), float(c)) for b, c in s.buckets.items()] + [("+Inf", float(s.count))]
            h.add_metric([s.labels.get(label, "") for label in labels], buckets, s.total)
        out.append(h)
    return out


class _Snapshot:
    """A one-shot collector: prometheus_client renders whatever `collect` yields."""

    def __init__(self, families: list[Metric]) -> None:
        self.families = families

    def collect(self) -> list[Metric]:
        return self.families


def exposition(session: Session, now: datetime | None = None) -> bytes:
    """The Prometheus text format of every Quillcast metric."""
    now = now or datetime.now(UTC)
    families = [*_publishing(session, now), *_accounts(session), *_queues_and_breakers(session),
                *_histograms()]
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Snapshot(families))  # type: ignore[arg-type]
    return generate_latest(registry)
