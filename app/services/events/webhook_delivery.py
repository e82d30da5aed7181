"""Delivering webhook events (the worker's side): claim one stored delivery, POST it, record the answer.

`deliver` POSTs the stored body signed like the webhook network connector (one signing function:
HMAC-SHA256 over "<timestamp>.<body>"), retries 5xx, 429 (honouring Retry-After) and timeouts with
backoff, and stops at any other 4xx. The delivery id travels in `X-Quillcast-Delivery` and never changes
between attempts, so a receiver can drop repeats. `sweep` sends again what the broker lost and forgets
old finished deliveries. Each step opens its own short transaction: none stays open while a receiver
answers. Recording deliveries is app.services.events.webhook_events; managing webhooks is
app.services.events.webhooks.
"""

from __future__ import annotations

import json
import random
import uuid
from dataclasses import dataclass
from datetime import timedelta

import httpx
import structlog
from sqlalchemy import text
from sqlmodel import col, select

from app.connectors.http import USER_AGENT, PinnedTransport, PrivateAddress, retry_after_seconds
from app.connectors.webhook import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign
from app.core import crypto, db, jobs
from app.core.config import get_settings
from models import TEST_EVENT, Webhook, WebhookDelivery
from models.base import utcnow

log = structlog.get_logger("webhooks")

DELIVER_TASK = "quillcast.webhooks.deliver"
SWEEP_TASK = "quillcast.webhooks.sweep"
QUEUE = jobs.MAINTENANCE_QUEUE
EVENT_HEADER = "X-Quillcast-Event"
DELIVERY_HEADER = "X-Quillcast-Delivery"
EXCERPT_CHARS = 300
# A retry's task may arrive a moment before its time (clocks of broker, worker and database differ).
_EARLY = timedelta(seconds=2)
# A pending delivery this far past its time was lost by the broker: the sweep sends it again.
_LOST_AFTER = timedelta(seconds=60)

KEEP_DAYS = 30
_PRUNE = text(
    """
    DELETE FROM webhook_deliveries WHERE id IN (
        SELECT id FROM webhook_deliveries
        WHERE status <> 'pending' AND created_at < now() - make_interval(days => :days)
        LIMIT :limit)
    """
)


@dataclass
class _Answer:
    outcome: str  # delivered | retry | failed
    http_status: int | None = None
    excerpt: str | None = None
    retry_after: float | None = None


def backoff_seconds(attempt: int, retry_after: float | None = None) -> float:
    """Exponential backoff with equal jitter; never sooner than the receiver's Retry-After."""
    settings = get_settings()
    exponential = settings.webhook_backoff_base_seconds * 2 ** (attempt - 1)
    ceiling = min(settings.webhook_backoff_cap_seconds, exponential)
    delay = ceiling / 2 + random.uniform(0, ceiling / 2)  # noqa: S311 - jitter, not security
    if retry_after is not None:
        delay = max(delay, min(retry_after, settings.webhook_backoff_cap_seconds))
    return delay


def _excerpt(body: str) -> str:
    return " ".join(body.split())[:EXCERPT_CHARS]


def _client() -> httpx.Client:
    """The client deliveries are sent with: the receiver's address is resolved once per request, checked,
    and connected to (never re-resolved between the check and the connection)."""
    settings = get_settings()
    timeout = settings.webhook_timeout_seconds
    return httpx.Client(
        transport=PinnedTransport(allow_private=settings.private_endpoints_allowed),
        timeout=httpx.Timeout(timeout, connect=min(5.0, timeout)), follow_redirects=False)


def _post(url: str, secret: str, body: bytes, event: str, delivery_id: str,
          client: httpx.Client | None) -> _Answer:
    timestamp = int(utcnow().timestamp())
    headers = {
        "Content-Type": "application/json", "User-Agent": USER_AGENT, EVENT_HEADER: event,
        DELIVERY_HEADER: delivery_id, TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: sign(secret, timestamp, body),
    }
    timeout = get_settings().webhook_timeout_seconds
    own = client is None
    http = client or _client()
    try:
        response = http.post(url, content=body, headers=headers)
    except PrivateAddress as exc:
        # Checked again at every send: the name may resolve elsewhere by now (or the rules changed).
        return _Answer("failed", excerpt=(
            f"the address points to a private address ({exc.address}); only public servers can be reached "
            "from here (an operator can set ALLOW_PRIVATE_ENDPOINTS)"))
    except httpx.TimeoutException:
        return _Answer("retry", excerpt=f"no answer within {timeout:g} s")
    except httpx.HTTPError as exc:
        said = str(exc) or type(exc).__name__
        return _Answer("retry", excerpt=f"could not connect: {said}"[:EXCERPT_CHARS])
    finally:
        if own:
            http.close()
    status, said = response.status_code, _excerpt(response.text)
    if response.is_success:
        return _Answer("delivered", status, said)
    if status in (408, 429) or status >= 500:
        return _Answer("retry", status, said, retry_after_seconds(response))
    if response.is_redirect:
        said = f"redirected to {response.headers.get('location', '?')[:200]}: give the final address"
    return _Answer("failed", status, said)


def _claim(delivery_id: uuid.UUID) -> tuple[int, str, str, bytes, str] | str:
    """Take the delivery for one attempt: (attempt, url, secret, body, event), or why not."""
    settings = get_settings()
    now = utcnow()
    with db.session_scope() as session:
        delivery = session.exec(
            select(WebhookDelivery).where(WebhookDelivery.id == delivery_id).with_for_update()).first()
        if delivery is None:
            return "missing"  # its webhook was deleted
        if delivery.status != "pending":
            return delivery.status
        if delivery.next_attempt_at is not None and delivery.next_attempt_at > now + _EARLY:
            return "not_due"  # another worker holds it, or its retry is later
        hook = session.get(Webhook, delivery.webhook_id)
        if hook is None:
            return "missing"
        if not hook.active and delivery.event != TEST_EVENT:
            delivery.status, delivery.next_attempt_at = "failed", None
            delivery.response_excerpt = "not sent: the webhook was turned off"
            session.add(delivery)
            return "failed"
        # Counted before the call and held for longer than it can take: a worker that dies mid-call
        # leaves a lease that the sweep sends again once it ends.
        delivery.attempts += 1
        delivery.next_attempt_at = now + timedelta(seconds=settings.webhook_timeout_seconds + 60)
        delivery.updated_at = now
        session.add(delivery)
        body = json.dumps(delivery.payload, separators=(",", ":"), ensure_ascii=False).encode()
        return delivery.attempts, hook.url, crypto.decrypt(hook.secret), body, delivery.event


def deliver(delivery_id: str | uuid.UUID, client: httpx.Client | None = None) -> str:
    """One attempt at one delivery; returns its status afterwards (or why nothing was sent)."""
    did = uuid.UUID(str(delivery_id))
    claimed = _claim(did)
    if isinstance(claimed, str):
        return claimed
    attempt, url, secret, body, event = claimed
    answer = _post(url, secret, body, event, str(did), client)
    settings = get_settings()
    now = utcnow()
    with db.session_scope() as session:
        delivery = session.exec(
            select(WebhookDelivery).where(WebhookDelivery.id == did).with_for_update()).first()
        if delivery is None or delivery.status != "pending" or delivery.attempts != attempt:
            return delivery.status if delivery else "missing"
        hook = session.get(Webhook, delivery.webhook_id)
        delivery.http_status, delivery.response_excerpt, delivery.updated_at = (
            answer.http_status, answer.excerpt, now)
        if answer.outcome == "delivered":
            delivery.status, delivery.delivered_at, delivery.next_attempt_at = "delivered", now, None
        elif answer.outcome == "retry" and attempt < settings.webhook_max_attempts:
            delay = backoff_seconds(attempt, answer.retry_after)
            delivery.next_attempt_at = now + timedelta(seconds=delay)
            jobs.send_after_commit(session, DELIVER_TASK, str(did), queue=QUEUE, countdown=delay)
        else:
            delivery.status, delivery.next_attempt_at = "failed", None
            if answer.outcome == "retry":
                delivery.response_excerpt = f"gave up after {attempt} attempts: {answer.excerpt or ''}"[:500]
        if hook is not None:
            hook.last_status = "retrying" if delivery.status == "pending" else delivery.status
            hook.last_delivery_at = now
            session.add(hook)
        session.add(delivery)
        log.info("webhook.attempt", delivery_id=str(did), webhook_event=event, attempt=attempt,
                 outcome=answer.outcome, http_status=answer.http_status)
        return delivery.status


def sweep(limit: int = 500) -> int:
    """Send again pending deliveries well past their time (the broker lost them, or a worker died), and
    forget finished ones older than KEEP_DAYS."""
    with db.session_scope() as session:
        session.connection().execute(_PRUNE, {"days": KEEP_DAYS, "limit": limit})
        ids = [str(i) for i in session.exec(
            select(WebhookDelivery.id)
            .where(WebhookDelivery.status == "pending",
                   col(WebhookDelivery.next_attempt_at) < utcnow() - _LOST_AFTER)
            .order_by(col(WebhookDelivery.next_attempt_at)).limit(limit)).all()]
    for delivery_id in ids:
        jobs.send(DELIVER_TASK, delivery_id, queue=QUEUE)
    return len(ids)
