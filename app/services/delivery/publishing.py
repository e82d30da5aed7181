"""Publish one post target exactly once, and reconcile what a dead worker left behind.

The path (DESIGN.md "Publishing"): the dispatcher marks a target `queued` and enqueues its id;
`publish_target` re-reads the row, refuses anything not `queued`, takes a lease (`publishing`,
`lease_expires_at`) and writes an `in_progress` attempt in the same commit, calls the connector with the
target's idempotency key, then records the outcome. A worker that dies mid-call leaves the row
`publishing` with an expired lease: `reconcile` asks the network (`lookup`) whether the post landed.
"""

from __future__ import annotations

import importlib
import json
import random
import socket
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

import structlog
from sqlalchemy import text
from sqlmodel import Session, col, select

from app.connectors.base import (
    AuthError,
    Connector,
    LookupResult,
    MediaItem,
    PermanentError,
    Presence,
    PublishRequest,
    PublishResult,
    TransientError,
)
from app.core import breaker, crypto, db, jobs
from app.core.config import get_settings
from app.services.errors import ValidationFailed
from app.services.insight import usage
from app.services.messaging import email, notifications, webhook_events
from models import Channel, MediaAsset, Post, PostTarget, PublishAttempt, User
from models.base import utcnow

log = structlog.get_logger("publishing")

PUBLISH_TASK = "quillcast.publish.target"
RECONCILE_TASK = "quillcast.maintenance.reconcile"
WORKER = socket.gethostname()[:200]

ConnectorResolver = Callable[[Channel, dict[str, Any]], Connector]
_resolver_override: ConnectorResolver | None = None


# --- the connector seam ---
def set_connector_resolver(resolver: ConnectorResolver | None) -> None:
    """Use `resolver` in this process instead of the CONNECTOR_RESOLVER setting (None restores it).

    Other processes (workers) read the setting: CONNECTOR_RESOLVER="module:function".
    """
    global _resolver_override
    _resolver_override = resolver


@lru_cache
def _load_resolver(path: str) -> ConnectorResolver:
    module_name, _, attr = path.partition(":")
    fn: ConnectorResolver = getattr(importlib.import_module(module_name), attr or "connector_for")
    return fn


def connector_for(channel: Channel) -> Connector:
    """The channel's connector with its decrypted credentials (never logged)."""
    resolver = _resolver_override or _load_resolver(get_settings().connector_resolver)
    credentials = json.loads(crypto.decrypt(channel.credentials)) if channel.credentials else {}
    return resolver(channel, credentials)


def _connector_or_error(channel: Channel) -> Connector:
    try:
        return connector_for(channel)
    except ImportError as exc:
        # A deployment without the connector yet: wait for it rather than fail the user's post.
        raise TransientError(f"no connector is installed for {channel.network} yet ({exc})") from exc
    except crypto.DecryptionFailed as exc:
        raise AuthError(f"the {channel.network} credentials cannot be read: reconnect the channel") from exc


# --- building the request ---
def build_request(post: Post, target: PostTarget) -> PublishRequest:
    """What the connector publishes: the variant text (or the post's), thread parts, first comment."""
    return _request(target.idempotency_key, target.body if target.body is not None else post.body,
                    target.options)


def _request(idempotency_key: str, body: str, options: dict[str, Any] | None) -> PublishRequest:
    rest = dict(options or {})
    thread = tuple(str(p) for p in rest.pop("thread", []) or [])
    first_comment = rest.pop("first_comment", None)
    rest.pop("attempts_before_retry", None)  # engine bookkeeping, not for the network
    rest.pop("media", None)  # asset ids: loaded and fitted by `with_media` once the connector is known
    return PublishRequest(idempotency_key=idempotency_key, text=body, thread=thread,
                          first_comment=first_comment, options=rest)


def media_refs(options: dict[str, Any] | None) -> list[dict[str, str]]:
    """The target's attached images as [{"id": asset uuid, "alt": text}], in order."""
    refs = (options or {}).get("media") or []
    return [{"id": str(r["id"]), "alt": str(r.get("alt") or "")} for r in refs if isinstance(r, dict)]


def with_media(session: Session, request: PublishRequest, workspace_id: uuid.UUID,
               refs: list[dict[str, str]], connector: Connector) -> PublishRequest:
    """`request` carrying the referenced images of this workspace, each fitted to the connector's limits
    (re-encoded when too large); the alt text saved with the post wins over the asset's own."""
    from app.services.planning.media import fit_for_network  # only posts with media pay for Pillow

    ids = [uuid.UUID(r["id"]) for r in refs]
    rows = session.exec(select(MediaAsset).where(col(MediaAsset.id).in_(ids),
                                                 MediaAsset.workspace_id == workspace_id)).all()
    by_id = {a.id: a for a in rows}
    missing = [str(i) for i in ids if i not in by_id]
    if missing:
        raise PermanentError(f"{len(missing)} attached image(s) no longer exist; edit the post and attach "
                             "them again")
    limits = connector.limits()
    items = []
    for ref, asset_id in zip(refs, ids, strict=True):
        asset = by_id[asset_id]
        item = MediaItem(path=asset.storage_path, content_type=asset.content_type,
                         alt_text=ref["alt"] or asset.alt_text, width=asset.width, height=asset.height,
                         size_bytes=asset.size_bytes)
        try:
            items.append(fit_for_network(item, limits))
        except ValidationFailed as exc:
            raise PermanentError(f"{asset.filename}: {exc}") from exc
    return replace(request, media=tuple(items))


def backoff_seconds(attempt: int, retry_after: float | None = None) -> float:
    """Exponential backoff with equal jitter; never sooner than the network's Retry-After."""
    settings = get_settings()
    exponential = settings.publish_backoff_base_seconds * 2 ** (attempt - 1)
    ceiling = min(settings.publish_backoff_cap_seconds, exponential)
    delay = ceiling / 2 + random.uniform(0, ceiling / 2)  # noqa: S311 - jitter, not security
    if retry_after is not None:
        delay = max(delay, retry_after)
    return delay


# --- post status ---
_IN_FLIGHT = {"queued", "publishing", "retrying", "unknown"}


def derive_post_status(statuses: list[str]) -> str | None:
    """A post's status from its targets' (None: leave it, e.g. drafts)."""
    live = [s for s in statuses if s != "cancelled"]
    if not statuses:
        return None
    if not live:
        return "cancelled"
    published = sum(s == "published" for s in live)
    failed = sum(s == "failed" for s in live)
    if any(s in _IN_FLIGHT for s in live):
        return "publishing"
    if any(s == "scheduled" for s in live):
        return "partially_published" if published else "scheduled"
    if published and published == len(live):
        return "published"
    if published and failed:
        return "partially_published"
    if failed and failed == len(live):
        return "failed"
    return None


def refresh_post_status(session: Session, post_id: uuid.UUID) -> None:
    # Lock the post: two targets of one post finishing at once must not both derive from stale rows.
    post = session.exec(select(Post).where(Post.id == post_id).with_for_update()).first()
    if post is None:
        return
    statuses = list(session.exec(select(PostTarget.status).where(PostTarget.post_id == post_id)).all())
    status = derive_post_status(statuses)
    if status and status != post.status:
        post.status = status
        session.add(post)


# --- e-mail ---------------------------------------------------------------------------------------------
def _email_author(session: Session, post: Post, channel: Channel, target: PostTarget) -> None:
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


# --- publish one target ---
@dataclass
class _Lease:
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


def publish_target(target_id: str | uuid.UUID) -> str:
    """Publish one queued target; returns the status it ends in (or the one that made us refuse)."""
    tid = uuid.UUID(str(target_id))
    lease_or_status = _take_lease_fast(tid) or _take_lease(tid)
    if isinstance(lease_or_status, str):
        return lease_or_status
    lease = lease_or_status
    result: PublishResult | None = None
    error: Exception | None = None
    try:
        connector = _connector_or_error(lease.channel)
        if lease.number > 1:
            # A retry: the earlier attempt may have landed after all (timeout after the network took it).
            found = _safe_lookup(connector, lease.request.idempotency_key)
            if found.presence is Presence.EXISTS:
                result = PublishResult(found.remote_id or "", found.url)
        if result is None:
            request = lease.request
            if lease.media:
                with db.session_scope() as session:
                    request = with_media(session, request, lease.workspace_id or lease.channel.workspace_id,
                                         list(lease.media), connector)
            result = connector.publish(request)
        _save_rotated_credentials(lease.channel, connector)
    except (TransientError, PermanentError) as exc:
        error = exc
    except Exception as exc:  # noqa: BLE001 - a connector bug: we cannot tell whether the post landed
        log.exception("publish.connector_crashed", target_id=str(tid), network=lease.network)
        error = exc
    return _finish(lease, result, error)


# The common case in one statement (one round trip, one commit): lease the target if it is queued and its
# channel active, write the in-progress attempt, and read what the connector needs. Anything else falls
# back to `_take_lease`, which explains refusals one by one.
_LEASE = text(
    """
    WITH t AS (
        UPDATE post_targets SET status = 'publishing', attempts = attempts + 1, updated_at = now(),
               lease_expires_at = now() + make_interval(secs => :lease)
        WHERE id = :id AND status = 'queued'
          AND EXISTS (SELECT 1 FROM channels c WHERE c.id = post_targets.channel_id AND c.status = 'active')
        RETURNING id, workspace_id, post_id, channel_id, attempts, lease_expires_at, body, options,
                  idempotency_key
    ), a AS (
        INSERT INTO publish_attempts (id, workspace_id, target_id, number, started_at, outcome, worker)
        SELECT :attempt_id, workspace_id, id, attempts, now(), 'in_progress', :worker FROM t
    )
    SELECT t.*, p.body AS post_body, c.workspace_id AS channel_workspace_id, c.network, c.name, c.account,
           c.credentials, c.status AS channel_status, c.settings
    FROM t JOIN posts p ON p.id = t.post_id JOIN channels c ON c.id = t.channel_id
    """
)
_UNDO_LEASE = text(
    """
    WITH a AS (DELETE FROM publish_attempts WHERE id = :attempt_id)
    UPDATE post_targets SET status = 'retrying', attempts = attempts - 1, lease_expires_at = NULL,
           next_attempt_at = now() + make_interval(secs => :wait), last_error = :message, updated_at = now()
    WHERE id = :id AND status = 'publishing'
    """
)


def _take_lease_fast(tid: uuid.UUID) -> _Lease | str | None:
    attempt_id = uuid.uuid4()
    with db.session_scope() as session:
        conn = session.connection()
        row = conn.execute(_LEASE, {"id": tid, "attempt_id": attempt_id, "worker": WORKER,
                                    "lease": get_settings().publish_lease_seconds}).mappings().first()
    if row is None:
        return None
    channel = _channel_from_row(row)
    wait, counting = breaker.state(channel.network)
    if wait is not None:
        # The network is down for everyone: hand the target back without spending one of its attempts.
        with db.session_scope() as session:
            conn = session.connection()
            message = f"{channel.network} is not answering; waiting before trying again."
            jitter = random.uniform(0, 2)  # noqa: S311
            conn.execute(_UNDO_LEASE, {"id": tid, "attempt_id": attempt_id, "wait": wait + jitter,
                                       "message": message})
        return "retrying"
    request = _request(row["idempotency_key"], row["body"] if row["body"] is not None else row["post_body"],
                       row["options"])
    return _Lease(tid, attempt_id, row["attempts"], row["lease_expires_at"], channel.network, channel,
                  request, counting, tuple(media_refs(row["options"])), row["workspace_id"])


# Building a SQLModel row object costs ~0.4 ms; a worker publishes to few channels many times.
_channels: dict[uuid.UUID, tuple[tuple[Any, ...], Channel]] = {}


def _channel_from_row(row: Any) -> Channel:
    fingerprint = (row["network"], row["name"], row["account"], row["credentials"], row["channel_status"],
                   json.dumps(row["settings"], sort_keys=True))
    cached = _channels.get(row["channel_id"])
    if cached and cached[0] == fingerprint:
        return cached[1]
    channel = Channel(id=row["channel_id"], workspace_id=row["channel_workspace_id"], network=row["network"],
                      name=row["name"], account=row["account"], credentials=row["credentials"],
                      status=row["channel_status"], settings=row["settings"])
    if len(_channels) > 10_000:
        _channels.clear()
    _channels[row["channel_id"]] = (fingerprint, channel)
    return channel


def _take_lease(tid: uuid.UUID) -> _Lease | str:
    settings = get_settings()
    with db.session_scope() as session:
        target = session.exec(select(PostTarget).where(PostTarget.id == tid).with_for_update()).first()
        if target is None:
            return "missing"
        if target.status != "queued":
            # A redelivered or duplicated message: whoever holds or held the target decides.
            log.info("publish.refused", target_id=str(tid), status=target.status)
            return target.status
        channel = session.get(Channel, target.channel_id)
        post = session.get(Post, target.post_id)
        assert channel is not None and post is not None  # FKs with ON DELETE CASCADE
        now = utcnow()
        if channel.status != "active":
            target.status = "failed"
            target.last_error = (
                f"The {channel.network} channel “{channel.name}” needs reconnecting ({channel.status}). "
                "Reconnect it in Settings, then retry this post."
            )
            session.add(target)
            session.flush()
            refresh_post_status(session, post.id)
            _email_author(session, post, channel, target)
            return "failed"
        wait = breaker.open_for(channel.network)
        if wait is not None:
            # The network is down for everyone: wait without spending one of the target's attempts.
            target.status = "retrying"
            target.next_attempt_at = now + timedelta(seconds=wait + random.uniform(0, 2))  # noqa: S311
            target.last_error = f"{channel.network} is not answering; waiting before trying again."
            session.add(target)
            return "retrying"
        target.status = "publishing"
        target.attempts += 1
        target.lease_expires_at = now + timedelta(seconds=settings.publish_lease_seconds)
        attempt = PublishAttempt(workspace_id=target.workspace_id, target_id=target.id,
                                 number=target.attempts, outcome="in_progress", worker=WORKER, started_at=now)
        session.add(target)
        session.add(attempt)
        return _Lease(tid, attempt.id, target.attempts, target.lease_expires_at, channel.network, channel,
                      build_request(post, target), media=tuple(media_refs(target.options)),
                      workspace_id=target.workspace_id)


def _safe_lookup(connector: Connector, key: str) -> LookupResult:
    try:
        return connector.lookup(key)
    except Exception:  # noqa: BLE001 - lookup is advisory before a retry; publish decides
        return LookupResult(Presence.UNKNOWN)


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


def _finish_published(lease: _Lease, result: PublishResult) -> str:
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


def _finish(lease: _Lease, result: PublishResult | None, error: Exception | None) -> str:
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
                _mark_published(target, result.remote_id, result.url, now)
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


def _mark_published(target: PostTarget, remote_id: str | None, url: str | None, now: datetime) -> None:
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


def _fail_permanently(session: Session, target: PostTarget, lease: _Lease, error: PermanentError) -> None:
    target.lease_expires_at = None
    if isinstance(error, AuthError):
        channel = session.get(Channel, lease.channel.id)
        if channel is not None:
            refreshed = _try_refresh(channel)
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
    else:
        target.status = "failed"
        target.last_error = f"{lease.network} refused the post: {error.message}"
    _email_after_failure(session, target)


def _save_rotated_credentials(channel: Channel, connector: Connector) -> None:
    """Keep tokens the connector refreshed while publishing (Bluesky rotates its refresh token on every
    use): without this the next publish starts from a used token and falls back to a rate-limited login."""
    try:
        fresh = connector.refresh_credentials()
    except Exception:  # noqa: BLE001 - the post is out; a failed check changes nothing stored
        return
    if fresh:
        with db.session_scope() as session:
            session.connection().execute(
                text("UPDATE channels SET credentials = :c, last_verified_at = now() WHERE id = :id"),
                {"c": crypto.encrypt(json.dumps(fresh)), "id": channel.id})


def _try_refresh(channel: Channel) -> bool:
    try:
        fresh = _connector_or_error(channel).refresh_credentials()
    except Exception:  # noqa: BLE001 - a refresh that fails means the user must reconnect
        return False
    if not fresh:
        return False
    channel.credentials = crypto.encrypt(json.dumps(fresh))
    return True


def _email_after_failure(session: Session, target: PostTarget) -> None:
    post = session.get(Post, target.post_id)
    channel = session.get(Channel, target.channel_id)
    if post is not None and channel is not None:
        try:
            _email_author(session, post, channel, target)
        except Exception:  # noqa: BLE001 - a mail problem must not undo the recorded failure
            log.exception("publish.failed_email_error", target_id=str(target.id))


# --- the reconciler ---
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
        found = _connector_or_error(channel).lookup(target.idempotency_key)
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
            _mark_published(target, found.remote_id, found.url, now)
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
