"""The one port through which services enqueue work: Celery `send_task` by task name.

Services never import `tasks/` (tasks import services, not the reverse). Work is sent only after
the surrounding transaction commits, so a worker never reads a row that is not there yet.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from celery import Celery
from sqlalchemy import event
from sqlmodel import Session

from app.core.config import get_settings

# Queue names: a mail backlog must never delay a post.
PUBLISH_QUEUE = "publish"
EMAIL_QUEUE = "email"
MAINTENANCE_QUEUE = "maintenance"
ALL_QUEUES = (PUBLISH_QUEUE, EMAIL_QUEUE, MAINTENANCE_QUEUE)
# The one task more than one package sends (scheduling, the dispatcher, the reconciler): named here so
# planning can hand a target over without importing delivery.
PUBLISH_TASK = "quillcast.publish.target"


def celery_config() -> dict[str, Any]:
    """Reliability settings shared by the producer here and the workers in tasks/celery_app.py."""
    settings = get_settings()
    return {
        # Unset only when nothing will be sent (unit tests, `celery --help`); the CLI demands it.
        "broker_url": settings.broker_url if settings.redis_url else None,
        "result_backend": None,
        "task_serializer": "json",
        "accept_content": ["json"],
        "result_serializer": "json",
        "timezone": "UTC",
        "enable_utc": True,
        # A task is acknowledged after it ran; a worker that dies hands it back.
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": 1,
        "task_time_limit": 120,
        "task_soft_time_limit": 90,
        "task_default_queue": MAINTENANCE_QUEUE,
        "task_ignore_result": True,
        "broker_connection_retry_on_startup": True,
        # Longer than any task's time limit, so an unacked task is not redelivered while it runs.
        "broker_transport_options": {"visibility_timeout": 3600},
        "worker_hijack_root_logger": False,
        "worker_send_task_events": False,
    }


@lru_cache
def producer() -> Celery:
    app = Celery("quillcast-producer")
    app.conf.update(celery_config())
    return app


def reset_producer() -> None:
    producer.cache_clear()


def send(task_name: str, *args: Any, queue: str, countdown: float | None = None) -> None:
    producer().send_task(task_name, args=list(args), queue=queue, countdown=countdown)


_PENDING = "quillcast_pending_tasks"


def send_after_commit(
    session: Session, task_name: str, *args: Any, queue: str, countdown: float | None = None
) -> None:
    """Enqueue once `session` commits (to run `countdown` seconds later); a rollback drops it (then and at
    any later commit)."""
    pending = session.info.get(_PENDING)
    if pending is None:
        pending = session.info[_PENDING] = []
        event.listen(session, "after_commit", _send_pending)
        event.listen(session, "after_soft_rollback", _drop_pending)
    pending.append((task_name, args, queue, countdown))


def _send_pending(session: Session) -> None:
    pending, session.info[_PENDING] = session.info.get(_PENDING) or [], []
    for task_name, args, queue, countdown in pending:
        send(task_name, *args, queue=queue, countdown=countdown)


def _drop_pending(session: Session, _previous_transaction: Any) -> None:
    session.info[_PENDING] = []


def workers_alive(timeout: float = 1.0) -> list[str]:
    """Names of workers that answered a ping."""
    # limit=1: return at the first answer instead of always waiting the whole timeout.
    replies = producer().control.ping(timeout=timeout, limit=1) or []
    return sorted(name for reply in replies for name in reply)
