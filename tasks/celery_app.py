"""The Celery app for workers and beat. Never imports reflex or the UI (it costs ~1 s and 95 MB)."""

from __future__ import annotations

from celery import Celery
from celery.schedules import crontab
from kombu import Exchange, Queue

from app.core.config import get_settings
from app.core.jobs import ALL_QUEUES, EMAIL_QUEUE, MAINTENANCE_QUEUE, PUBLISH_QUEUE, celery_config
from app.core.logging import configure_logging

configure_logging()
settings = get_settings()

app = Celery("quillcast")
app.conf.update(celery_config())
app.conf.task_queues = [Queue(name, Exchange(name), routing_key=name) for name in ALL_QUEUES]
app.conf.task_routes = {
    "quillcast.publish.*": {"queue": PUBLISH_QUEUE},
    "quillcast.email.*": {"queue": EMAIL_QUEUE},
    "quillcast.maintenance.*": {"queue": MAINTENANCE_QUEUE},
    # Webhook deliveries are short and bounded by their timeout: they share the maintenance queue.
    "quillcast.webhooks.*": {"queue": MAINTENANCE_QUEUE},
    "quillcast.rss_feeds.*": {"queue": MAINTENANCE_QUEUE},
}
app.conf.beat_schedule = {
    # The schedule lives in Postgres; this tick only asks it what is due.
    "dispatch-due-targets": {
        "task": "quillcast.publish.dispatch",
        "schedule": settings.dispatcher_interval_seconds,
        "options": {"queue": PUBLISH_QUEUE, "expires": 10},
    },
    # Settles publishing leases a dead worker left behind, and re-enqueues targets the broker lost.
    "reconcile-publishing": {
        "task": "quillcast.maintenance.reconcile",
        "schedule": settings.reconcile_interval_seconds,
        "options": {"queue": MAINTENANCE_QUEUE, "expires": 60},
    },
    # Likes, reposts and replies of recent posts; each target is due on its own thinning schedule.
    "sync-metrics": {
        "task": "quillcast.maintenance.sync_metrics",
        "schedule": 600.0,
        "options": {"queue": MAINTENANCE_QUEUE, "expires": 300},
    },
    "webhooks-sweep": {
        "task": "quillcast.webhooks.sweep",
        "schedule": 60.0,
        "options": {"queue": MAINTENANCE_QUEUE, "expires": 60},
    },
    # RSS feeds: each feed is due on its own schedule (rss_poll.POLL_EVERY, longer after errors).
    "poll-rss-feeds": {
        "task": "quillcast.rss_feeds.poll_due",
        "schedule": 60.0,
        "options": {"queue": MAINTENANCE_QUEUE, "expires": 60},
    },
    "heartbeat": {
        "task": "quillcast.maintenance.heartbeat",
        "schedule": 30.0,
        "options": {"queue": MAINTENANCE_QUEUE, "expires": 30},
    },
}
if settings.backup_daily:
    app.conf.beat_schedule["daily-backup"] = {
        "task": "quillcast.maintenance.backup",
        "schedule": crontab(hour=3, minute=17),
        "options": {"queue": MAINTENANCE_QUEUE, "expires": 3600},
    }
# Asks hourly; takes one only when the newest is a day old (operations/backups.py), and only for the
# embedded PostgreSQL: point-in-time recovery's starting points.
app.conf.beat_schedule["base-backup"] = {
    "task": "quillcast.maintenance.base_backup",
    "schedule": 3600.0,
    "options": {"queue": MAINTENANCE_QUEUE, "expires": 3600},
}
app.conf.include = ["tasks.publish", "tasks.maintenance", "tasks.email", "tasks.engagement", "tasks.webhooks",
                    "tasks.rss_feeds"]
celery = app
