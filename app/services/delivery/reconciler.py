"""The reconciler: what a dead worker left behind. An expired lease is settled by asking the network
(`lookup`) whether the post landed; a `queued` target the broker lost is sent again."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

import structlog
from sqlalchemy import text
from sqlmodel import select

from app.connectors.base import LookupResult, Presence, TransientError
from app.core import db, jobs
from app.core.config import get_settings
from app.services.channels.connector import connector_or_error
from app.services.delivery.outcomes import mark_published
from app.services.delivery.publishing import PUBLISH_TASK
from app.services.events import webhook_events
from app.services.planning.statuses import refresh_post_status
from models import Channel, PostTarget, PublishAttempt
from models.base import utcnow

log = structlog.get_logger("publishing")

RECONCILE_TASK = "quillcast.maintenance.reconcile"


# Holding the expired rows for a while keeps two reconcilers (or two ticks) from asking twice.
_CLAIM_EXPIRED = text(
    """
    UPDATE post_targets SET lease_expires_at = now() + make_interval(secs => :hold), updated_at = now()
    WHERE id IN (
        SELECT id FROM post_targets
        WHERE status = 'publishing' AND lease_expires_at < now()
        ORDER BY lease_expires_at
        FOR UPDATE SKIP LOCKED
        LIMIT :limit
    )
    RETURNING id, lease_expires_at
    """
)
_CLAIM_STUCK = text(
    """
    UPDATE post_targets SET updated_at = now()
    WHERE id IN (
        SELECT id FROM post_targets
        WHERE status = 'queued' AND updated_at < now() - make_interval(secs => :age)
        ORDER BY updated_at
        FOR UPDATE SKIP LOCKED
        LIMIT :limit
    )
    RETURNING id
    """
)


@dataclass
class ReconcileReport:
    published: int = 0
    requeued: int = 0
    unknown: int = 0
    still_checking: int = 0
    stuck_requeued: int = 0


def reconcile(limit: int = 500) -> ReconcileReport:
    """Settle expired leases through `lookup`, and re-enqueue `queued` targets the broker lost."""
    settings = get_settings()
    report = ReconcileReport()
    with db.session_scope() as session:
        expired = list(session.connection().execute(_CLAIM_EXPIRED, {"hold": 60, "limit": limit}))
    for target_id, held_until in expired:
        outcome = reconcile_target(target_id, held_until)
        setattr(report, outcome, getattr(report, outcome) + 1)
    with db.session_scope() as session:
        stuck = [str(r[0]) for r in session.connection().execute(
            _CLAIM_STUCK, {"age": settings.queued_stuck_seconds, "limit": limit})]
    for target_id in stuck:
        jobs.send(PUBLISH_TASK, target_id, queue=jobs.PUBLISH_QUEUE)
    report.stuck_requeued = len(stuck)
    if expired or stuck:
        log.info("reconcile.done", **report.__dict__)
    return report


def reconcile_target(target_id: uuid.UUID, held_until: datetime) -> str:
    """One expired lease: published / requeued / unknown / still_checking (lookup failed for now)."""
    with db.session_scope() as session:
        target = session.get(PostTarget, target_id)
        channel = session.get(Channel, target.channel_id) if target else None
    if target is None or channel is None:
        return "still_checking"
    try:
        found = connector_or_error(channel).lookup(target.idempotency_key)
    except TransientError:
        return "still_checking"  # the hold expires and the next round asks again
    except Exception as exc:  # noqa: BLE001
        found = LookupResult(Presence.UNKNOWN)
        log.warning("reconcile.lookup_failed", target_id=str(target_id), error=type(exc).__name__)
    now = utcnow()
    with db.session_scope() as session:
        target = session.exec(select(PostTarget).where(PostTarget.id == target_id).with_for_update()).first()
        if target is None or target.status != "publishing" or target.lease_expires_at != held_until:
            return "still_checking"  # someone else settled it meanwhile
        attempt = session.exec(
            select(PublishAttempt).where(PublishAttempt.target_id == target_id)
            .order_by(PublishAttempt.number.desc())  # type: ignore[attr-defined]
        ).first()
        if found.presence is Presence.EXISTS:
            mark_published(target, found.remote_id, found.url, now)
            outcome, attempt_outcome = "published", "already_published"
            note = "The worker stopped, but the network has the post: marked published."
        elif found.presence is Presence.ABSENT:
            target.status, target.lease_expires_at = "queued", None
            jobs.send_after_commit(session, PUBLISH_TASK, str(target_id), queue=jobs.PUBLISH_QUEUE)
            outcome, attempt_outcome = "requeued", "interrupted"
            note = "The worker stopped before the network took the post: publishing again."
        else:
            target.status, target.lease_expires_at = "unknown", None
            target.last_error = ("We cannot tell whether the network took this post. Check the channel, then "
                                 "choose “publish anyway” or “mark as posted”.")
            outcome, attempt_outcome = "unknown", "unknown"
            note = "The worker stopped and the network cannot say whether the post landed."
        if attempt is not None and attempt.outcome == "in_progress":
            attempt.outcome, attempt.error, attempt.finished_at = attempt_outcome, note, now
            session.add(attempt)
        session.add(target)
        session.flush()
        refresh_post_status(session, target.post_id)
        webhook_events.target_settled(session, target)
        return outcome
