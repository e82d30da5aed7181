"""Publish one post target exactly once.

The path (DESIGN.md "Publishing"): the dispatcher marks a target `queued` and enqueues its id;
`publish_target` re-reads the row, refuses anything not `queued`, takes a lease (`publishing`,
`lease_expires_at`) and writes an `in_progress` attempt in the same commit, calls the connector with the
target's idempotency key, then records the outcome (outcomes). A worker that dies mid-call leaves the row
`publishing` with an expired lease: the reconciler asks the network (`lookup`) whether the post landed.
The connector seam and credentials are in credentials, the request in publish_request.
"""

from __future__ import annotations

import json
import random
import socket
import uuid
from datetime import timedelta
from typing import Any

import structlog
from sqlalchemy import text
from sqlmodel import select

from app.connectors.base import (
    Connector,
    LookupResult,
    PermanentError,
    Presence,
    PublishResult,
    TransientError,
)
from app.core import breaker, db, jobs
from app.core.config import get_settings
from app.services.channels.connector import (
    connector_for,
    connector_or_error,
    save_rotated_credentials,
    set_connector_resolver,
)
from app.services.delivery.outcomes import Lease, email_author, finish
from app.services.planning.publish_request import build_request, media_refs, request_for, with_media
from app.services.planning.statuses import refresh_post_status
from models import Channel, Post, PostTarget, PublishAttempt
from models.base import utcnow

# connector_for, set_connector_resolver and build_request are re-exported: callers and tests reach the
# publishing seam through this module.
__all__ = [
    "PUBLISH_TASK", "WORKER", "build_request", "connector_for", "publish_target", "set_connector_resolver",
]

log = structlog.get_logger("publishing")

PUBLISH_TASK = jobs.PUBLISH_TASK
WORKER = socket.gethostname()[:200]


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
        connector = connector_or_error(lease.channel)
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
        save_rotated_credentials(lease.channel, connector)
    except (TransientError, PermanentError) as exc:
        error = exc
    except Exception as exc:  # noqa: BLE001 - a connector bug: we cannot tell whether the post landed
        log.exception("publish.connector_crashed", target_id=str(tid), network=lease.network)
        error = exc
    return finish(lease, result, error)


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


def _take_lease_fast(tid: uuid.UUID) -> Lease | str | None:
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
    body = row["body"] if row["body"] is not None else row["post_body"]
    request = request_for(row["idempotency_key"], body, row["options"])
    return Lease(tid, attempt_id, row["attempts"], row["lease_expires_at"], channel.network, channel,
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


def _take_lease(tid: uuid.UUID) -> Lease | str:
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
            email_author(session, post, channel, target)
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
        return Lease(tid, attempt.id, target.attempts, target.lease_expires_at, channel.network, channel,
                      build_request(post, target), media=tuple(media_refs(target.options)),
                      workspace_id=target.workspace_id)


def _safe_lookup(connector: Connector, key: str) -> LookupResult:
    try:
        return connector.lookup(key)
    except Exception:  # noqa: BLE001 - lookup is advisory before a retry; publish decides
        return LookupResult(Presence.UNKNOWN)
