"""Recording how a publish attempt ended: published, retried with backoff, failed (the author is told by
e-mail), or left for the reconciler; the post's status follows from its targets'."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog
from sqlalchemy import text
from sqlmodel import Session, select

from app.connectors.base import (
    AuthError,
    NotSent,
    PermanentError,
    PublishRequest,
    PublishResult,
    TransientError,
)
from app.core import breaker, db
from app.core.config import get_settings
from app.services import usage
from app.services.channels.connector import try_refresh
from app.services.events import webhook_events
from app.services.messaging import email, notifications
from app.services.planning.statuses import derive_post_status, refresh_post_status
from models import Channel, Post, PostTarget, PublishAttempt, User
from models.base import utcnow

log = structlog.get_logger("publishing")


@dataclass
class Lease:
    """A target this worker holds (status `publishing` until expires_at) and what publishing it needs."""

    target_id: uuid.UUID
    attempt_id: uuid.UUID
    number: int
    expires_at: datetime
    network: str
    channel: Channel
    request: PublishRequest
    breaker_counting: bool = True  # failures were being counted: a success must reset them
    media: tuple[dict[str, str], ...] = ()  # the target's image refs, loaded once the connector is known
    workspace_id: uuid.UUID | None = None


def backoff_seconds(attempt: int, retry_after: float | None = None) -> float:
    """Exponential backoff with equal jitter; never sooner than the network's Retry-After."""
    settings = get_settings()
    exponential = settings.publish_backoff_base_seconds * 2 ** (attempt - 1)
    ceiling = min(settings.publish_backoff_cap_seconds, exponential)
    delay = ceiling / 2 + random.uniform(0, ceiling / 2)  # noqa: S311 - jitter, not security
    if retry_after is not None:
        delay = max(delay, retry_after)
    return delay


def email_author(session: Session, post: Post, channel: Channel, target: PostTarget) -> None:
    """Tell the author why a post failed, in the network's words, with a link to fix it."""
    if post.author_id is None:
        return
    author = session.get(User, post.author_id)
    if author is None or not notifications.wants(session, author, "post_failed"):
        return
    email.send_template(session, author.email, "post_failed", {
        "name": author.display_name, "channel": channel.name, "network": channel.network.capitalize(),
        "reason": target.last_error or "no reason given", "link": f"{get_settings().url}/posts/{post.id}",
    }, recipient=author.id)


_PUBLISHED = text(
    """
    WITH a AS (UPDATE publish_attempts SET outcome = 'published', finished_at = now() WHERE id = :attempt_id)
    UPDATE post_targets SET status = 'published', remote_id = :remote_id, remote_url = :remote_url,
           published_at = now(), lease_expires_at = NULL, next_attempt_at = NULL, last_error = NULL,
           updated_at = now()
    WHERE id = :id AND status <> 'published'
    RETURNING post_id
    """
)
# Lock order as everywhere else (target, then post); the statuses are read by a statement that starts
# after the post lock is held, so two targets of one post finishing at once never both see stale rows.
_LOCK_POST = text("SELECT status FROM posts WHERE id = :post_id FOR UPDATE")
_TARGET_STATUSES = text("SELECT status FROM post_targets WHERE post_id = :post_id")


def _finish_published(lease: Lease, result: PublishResult) -> str:
    """The common outcome in few round trips: target published, attempt closed, post status derived."""
    if lease.breaker_counting:
        breaker.record_success(lease.network)
    with db.session_scope() as session:
        conn = session.connection()
        # Not waiting for the WAL flush here is safe: if PostgreSQL itself crashed and lost this commit,
        # the row is `publishing` with a lease again and the reconciler finds the post through lookup.
        # The lease commit above (which guards against a second publish) stays synchronous.
        conn.execute(text("SET LOCAL synchronous_commit = off"))
        post_id = conn.execute(_PUBLISHED, {"id": lease.target_id, "attempt_id": lease.attempt_id,
                                            "remote_id": result.remote_id, "remote_url": result.url}).scalar()
        if post_id is not None:
            webhook_events.target_published(session, lease.workspace_id or lease.channel.workspace_id,
                                      lease.target_id, post_id, lease.channel, result.url)
            current = conn.execute(_LOCK_POST, {"post_id": post_id}).scalar()
            statuses = list(conn.execute(_TARGET_STATUSES, {"post_id": post_id}).scalars())
            status = derive_post_status(statuses)
            if status and status != current:
                conn.execute(text("UPDATE posts SET status = :s, updated_at = now() WHERE id = :id"),
                             {"s": status, "id": post_id})
    usage.record("published")
    return "published"


def finish(lease: Lease, result: PublishResult | None, error: Exception | None) -> str:
    if result is not None and error is None:
        return _finish_published(lease, result)
    settings = get_settings()
    now = utcnow()
    with db.session_scope() as session:
        target = session.exec(
            select(PostTarget).where(PostTarget.id == lease.target_id).with_for_update()).first()
        attempt = session.get(PublishAttempt, lease.attempt_id)
        if target is None or attempt is None:
            return "missing"
        attempt.finished_at = now
        before = target.status
        ours = target.status == "publishing" and target.lease_expires_at == lease.expires_at
        if result is not None:
            attempt.outcome = "published"
            breaker.record_success(lease.network)
            if target.status != "published":  # the truth wins even if the reconciler moved it meanwhile
                mark_published(target, result.remote_id, result.url, now)
        elif isinstance(error, TransientError):
            _note(attempt, "transient_error", error)
            breaker.record_failure(lease.network)
            if ours:
                _retry_or_fail(session, target, error.message, error.retry_after,
                               settings.publish_max_attempts)
        elif isinstance(error, PermanentError):
            _note(attempt, "permanent_error", error)
            if ours:
                _fail_permanently(session, target, lease, error)
        else:
            # Unexpected: leave the lease to expire now so the reconciler asks the network what happened.
            attempt.outcome, attempt.error = "unknown", f"{type(error).__name__}: {error}"
            if ours and attempts_used(target) >= settings.publish_max_attempts:
                target.status, target.lease_expires_at = "unknown", None
                target.last_error = ("Publishing kept stopping unexpectedly. Check the channel, then choose "
                                     "“publish anyway” or “mark as posted”.")
            elif ours:
                target.lease_expires_at = now
                target.last_error = "Publishing stopped unexpectedly; checking with the network."
        session.add(attempt)
        session.add(target)
        session.flush()
        refresh_post_status(session, target.post_id)
        if target.status != before:
            webhook_events.target_settled(session, target)
        log.debug("publish.done", target_id=str(target.id), status=target.status, attempt=lease.number)
        return target.status


def attempts_used(target: PostTarget) -> int:
    """Attempts since the last manual retry ("retry" and "publish anyway" give a fresh budget)."""
    return target.attempts - int((target.options or {}).get("attempts_before_retry", 0))


def _note(attempt: PublishAttempt, outcome: str, error: TransientError | PermanentError) -> None:
    """The network's own words and status on the attempt row (shown in the post's detail)."""
    attempt.outcome, attempt.http_status, attempt.error = outcome, error.http_status, error.message


def mark_published(target: PostTarget, remote_id: str | None, url: str | None, now: datetime) -> None:
    target.status = "published"
    target.remote_id = remote_id
    target.remote_url = url
    target.published_at = now
    target.lease_expires_at = None
    target.next_attempt_at = None
    target.last_error = None


def _retry_or_fail(
    session: Session, target: PostTarget, message: str, retry_after: float | None, max_attempts: int
) -> None:
    target.lease_expires_at = None
    if attempts_used(target) >= max_attempts:
        target.status = "failed"
        target.last_error = f"Gave up after {target.attempts} attempts. The network said: {message}"
        _email_after_failure(session, target)
        return
    delay = backoff_seconds(target.attempts, retry_after)
    target.status = "retrying"
    target.next_attempt_at = utcnow() + timedelta(seconds=delay)
    target.last_error = f"Attempt {target.attempts} did not go through ({message}); trying again."


def _fail_permanently(session: Session, target: PostTarget, lease: Lease, error: PermanentError) -> None:
    target.lease_expires_at = None
    if isinstance(error, AuthError):
        channel = session.get(Channel, lease.channel.id)
        if channel is not None:
            refreshed = try_refresh(channel)
            if refreshed:
                # New credentials: try again soon instead of failing the post.
                target.status = "retrying"
                target.next_attempt_at = utcnow()
                target.last_error = "The access token had expired; it was refreshed and the post will retry."
                return
            channel.status = "needs_reauth"
            session.add(channel)
        target.status = "failed"
        target.last_error = (f"{lease.network} refused the credentials: {error.message}. "
                             "Reconnect the channel in Settings, then retry this post.")
    elif isinstance(error, NotSent):
        target.status = "failed"
        target.last_error = f"Not sent to {lease.network}: {error.message}."
    else:
        target.status = "failed"
        target.last_error = f"{lease.network} refused the post: {error.message}"
    _email_after_failure(session, target)


def _email_after_failure(session: Session, target: PostTarget) -> None:
    post = session.get(Post, target.post_id)
    channel = session.get(Channel, target.channel_id)
    if post is not None and channel is not None:
        try:
            email_author(session, post, channel, target)
        except Exception:  # noqa: BLE001 - a mail problem must not undo the recorded failure
            log.exception("publish.failed_email_error", target_id=str(target.id))
