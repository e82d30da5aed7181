"""Outgoing event webhooks: a workspace's own systems (Slack, Zapier, n8n, ...) hear when a post went out,
failed, or needs someone.

`emit` records one delivery per active webhook subscribed to the event, in the caller's unit of work, and
enqueues it after that commit (a rolled-back change tells nobody). `deliver` (the worker's side) POSTs
the stored body signed like the webhook network connector (one signing function: HMAC-SHA256 over
"<timestamp>.<body>"), retries 5xx, 429 (honouring Retry-After) and timeouts with backoff, and stops at
any other 4xx. The delivery id travels in `X-Quillcast-Delivery` and never changes between attempts, so a
receiver can drop repeats.
"""

from __future__ import annotations

import json
import random
import secrets
import uuid
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
import structlog
from sqlalchemy import text
from sqlmodel import Session, col, select

from app.connectors.http import USER_AGENT, PinnedTransport, PrivateAddress, retry_after_seconds
from app.connectors.webhook import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign
from app.core import crypto, db, jobs
from app.core.config import get_settings
from app.services.delivery.channels import check_public_url
from app.services.errors import NotFound, ValidationFailed
from app.services.tenancy import audit, permissions
from models import TEST_EVENT, WEBHOOK_EVENTS, Channel, Post, PostTarget, User, Webhook, WebhookDelivery
from models.base import utcnow

log = structlog.get_logger("webhooks")

DELIVER_TASK = "quillcast.webhooks.deliver"
SWEEP_TASK = "quillcast.webhooks.sweep"
QUEUE = jobs.MAINTENANCE_QUEUE
PERMISSION = "workspace:manage"
EVENT_HEADER = "X-Quillcast-Event"
DELIVERY_HEADER = "X-Quillcast-Delivery"
MAX_URL = 2048
MAX_DESCRIPTION = 200
MAX_PER_WORKSPACE = 20
EXCERPT_CHARS = 300
TARGET_EVENTS = {"published": "target.published", "failed": "target.failed", "unknown": "target.unknown"}
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


# --- managing webhooks (owners and admins) -------------------------------------------------------------
def _clean_url(url: str) -> str:
    url = (url or "").strip()
    if not url:
        raise ValidationFailed("enter the address to send events to, e.g. https://example.com/hooks/quillcast",
                               field="url")
    if len(url) > MAX_URL:
        raise ValidationFailed(f"the address has {len(url)} characters; use at most {MAX_URL}", field="url")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises on a port that is not a number
    except ValueError as exc:
        raise ValidationFailed("this is not a valid address; enter a full https:// URL", field="url") from exc
    if parts.scheme not in ("https", "http") or not parts.hostname or " " in url:
        raise ValidationFailed("enter a full address starting with https://", field="url")
    if parts.scheme != "https" and get_settings().environment == "production":
        raise ValidationFailed("use an https:// address: events carry your posts, plain http is refused",
                               field="url")
    check_public_url(url, key="the address", field="url")
    return url


def _clean_events(events: Any) -> list[str]:
    if isinstance(events, str) or not isinstance(events, list | tuple | set):
        raise ValidationFailed("choose the events as a list, e.g. [\"target.published\"]", field="events")
    chosen = {str(e).strip() for e in events}
    unknown = sorted(chosen - set(WEBHOOK_EVENTS))
    if unknown:
        raise ValidationFailed(
            f"unknown event {unknown[0][:60]!r}; choose from: {', '.join(WEBHOOK_EVENTS)}", field="events")
    if not chosen:
        raise ValidationFailed("choose at least one event to send", field="events")
    return [e for e in WEBHOOK_EVENTS if e in chosen]


def _clean_description(description: str | None) -> str:
    description = " ".join((description or "").split())
    if len(description) > MAX_DESCRIPTION:
        raise ValidationFailed(
            f"the description has {len(description)} characters; use at most {MAX_DESCRIPTION}",
            field="description")
    return description


def _all_or_problems(*checks: Callable[[], Any]) -> list[Any]:
    """Every check's result, or one ValidationFailed naming every field that is wrong (a form shows each
    message next to its field at once)."""
    results, problems = [], []
    for check in checks:
        try:
            results.append(check())
        except ValidationFailed as exc:
            problems.extend(exc.problems)
    if problems:
        raise ValidationFailed("; ".join(f"{p.field}: {p.message}" for p in problems),
                               field=problems[0].field, problems=problems)
    return results


def _new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def _get(session: Session, actor: uuid.UUID, workspace_id: uuid.UUID, webhook_id: uuid.UUID) -> Webhook:
    permissions.require(session, actor, workspace_id, PERMISSION)
    hook = session.get(Webhook, webhook_id)
    if hook is None or hook.workspace_id != workspace_id:
        raise NotFound("webhook not found", field="webhook_id")
    return hook


def _audit(session: Session, actor: uuid.UUID, action: str, hook: Webhook) -> None:
    # The host only: a receiver's URL may carry a token in its path or query.
    audit.record(session, action, actor_id=actor, workspace_id=hook.workspace_id, subject_type="webhook",
                 subject_id=hook.id, host=urlsplit(hook.url).hostname or "")


def create(
    session: Session, actor: uuid.UUID, workspace_id: uuid.UUID, url: str, events: Any,
    description: str | None = "",
) -> tuple[Webhook, str]:
    """A new webhook and its signing secret: the secret is returned this once and stored encrypted."""
    permissions.require(session, actor, workspace_id, PERMISSION)
    url, events, description = _all_or_problems(
        lambda: _clean_url(url), lambda: _clean_events(events), lambda: _clean_description(description))
    count = len(session.exec(select(Webhook.id).where(Webhook.workspace_id == workspace_id)).all())
    if count >= MAX_PER_WORKSPACE:
        raise ValidationFailed(f"a workspace can have at most {MAX_PER_WORKSPACE} webhooks; delete one first",
                               field="url")
    secret = _new_secret()
    hook = Webhook(workspace_id=workspace_id, url=url, secret=crypto.encrypt(secret), events=events,
                   description=description, created_by_id=actor)
    session.add(hook)
    session.flush()
    _audit(session, actor, "webhook.created", hook)
    return hook, secret


def list_webhooks(session: Session, actor: uuid.UUID, workspace_id: uuid.UUID) -> list[Webhook]:
    permissions.require(session, actor, workspace_id, PERMISSION)
    return list(session.exec(
        select(Webhook).where(Webhook.workspace_id == workspace_id).order_by(col(Webhook.created_at))).all())


def update(
    session: Session, actor: uuid.UUID, workspace_id: uuid.UUID, webhook_id: uuid.UUID, *,
    url: str | None = None, events: Any = None, active: bool | None = None, description: str | None = None,
) -> Webhook:
    """Change what is given (None keeps it); every wrong field is named at once, and nothing changes then."""
    hook = _get(session, actor, workspace_id, webhook_id)
    # An unchanged address is not checked again: a receiver whose name did not resolve for a moment must
    # not block a change of its events (each send checks the address anyway).
    if url is not None and url.strip() == hook.url:
        url = None
    cleaners = {"description": (description, _clean_description), "events": (events, _clean_events),
                "url": (url, _clean_url)}
    given = [(name, value, clean) for name, (value, clean) in cleaners.items() if value is not None]
    cleaned = _all_or_problems(*(lambda v=value, c=clean: c(v) for _, value, clean in given))
    for (name, _, _), value in zip(given, cleaned, strict=True):
        setattr(hook, name, value)
    if active is not None:
        hook.active = bool(active)
    hook.updated_at = utcnow()
    session.add(hook)
    session.flush()
    _audit(session, actor, "webhook.updated", hook)
    return hook


def delete(session: Session, actor: uuid.UUID, workspace_id: uuid.UUID, webhook_id: uuid.UUID) -> None:
    """Delete the webhook and its delivery history; deliveries still waiting are not sent."""
    hook = _get(session, actor, workspace_id, webhook_id)
    _audit(session, actor, "webhook.deleted", hook)
    session.delete(hook)
    session.flush()


def rotate_secret(session: Session, actor: uuid.UUID, workspace_id: uuid.UUID, webhook_id: uuid.UUID) -> str:
    """A new signing secret, returned this once; the old one stops working at once (also for retries)."""
    hook = _get(session, actor, workspace_id, webhook_id)
    secret = _new_secret()
    hook.secret, hook.updated_at = crypto.encrypt(secret), utcnow()
    session.add(hook)
    _audit(session, actor, "webhook.secret_rotated", hook)
    return secret


def send_test(
    session: Session, actor: uuid.UUID, workspace_id: uuid.UUID, webhook_id: uuid.UUID
) -> WebhookDelivery:
    """A `webhook.test` event to this webhook only (turned off or not), delivered like any other."""
    hook = _get(session, actor, workspace_id, webhook_id)
    user = session.get(User, actor)
    return _record(session, hook, TEST_EVENT, {
        "message": "A test event from Quillcast: this webhook works.",
        "sent_by": user.display_name if user else None,
    })


def list_deliveries(
    session: Session, actor: uuid.UUID, workspace_id: uuid.UUID, webhook_id: uuid.UUID | None = None,
    limit: int = 50,
) -> list[WebhookDelivery]:
    """The most recent deliveries first (of one webhook, or of all the workspace's)."""
    permissions.require(session, actor, workspace_id, PERMISSION)
    query = select(WebhookDelivery).where(WebhookDelivery.workspace_id == workspace_id)
    if webhook_id is not None:
        _get(session, actor, workspace_id, webhook_id)  # an unknown webhook is told, not an empty list
        query = query.where(WebhookDelivery.webhook_id == webhook_id)
    query = query.order_by(col(WebhookDelivery.created_at).desc()).limit(max(1, min(limit, 200)))
    return list(session.exec(query).all())


# --- events ---------------------------------------------------------------------------------------------
def _record(session: Session, hook: Webhook, event: str, data: dict[str, Any]) -> WebhookDelivery:
    now = utcnow()
    delivery = WebhookDelivery(workspace_id=hook.workspace_id, webhook_id=hook.id, event=event,
                               next_attempt_at=now)
    # The body is fixed now, so every attempt sends the same bytes under the same id.
    delivery.payload = {"id": str(delivery.id), "event": event, "created_at": now.isoformat(),
                        "workspace_id": str(hook.workspace_id), "data": data}
    session.add(delivery)
    session.flush()
    jobs.send_after_commit(session, DELIVER_TASK, str(delivery.id), queue=QUEUE)
    return delivery


def emit(session: Session, workspace_id: uuid.UUID, event: str, data: dict[str, Any]) -> int:
    """Record `event` for every active webhook of the workspace subscribed to it; returns how many.

    Runs as the system whoever acted (a contributor's submit tells the admins' webhooks too), in the
    caller's transaction: the deliveries go out only once that commits.
    """
    if event not in WEBHOOK_EVENTS:
        raise ValueError(f"unknown webhook event {event!r}")
    # Workers already act as the system: no claim switches (two round trips) on the publishing hot path.
    system = session.info.get("claims") == db.SERVICE_CLAIMS
    with nullcontext(session) if system else db.as_service(session):
        hooks = session.exec(
            select(Webhook).where(Webhook.workspace_id == workspace_id, col(Webhook.active),
                                  text("webhooks.events ? :event").bindparams(event=event))
        ).all()
        for hook in hooks:
            _record(session, hook, event, data)
    return len(hooks)


def _link(path: str) -> str:
    return f"{get_settings().url}{path}"


def target_settled(session: Session, target: PostTarget) -> int:
    """`target.published` / `target.failed` / `target.unknown` for a target that just reached that status."""
    event = TARGET_EVENTS.get(target.status)
    if event is None:
        return 0
    channel = session.get(Channel, target.channel_id)
    return emit(session, target.workspace_id, event, _target_data(
        target.id, target.post_id, channel, target.status, target.remote_url, target.last_error))


def target_published(
    session: Session, workspace_id: uuid.UUID, target_id: uuid.UUID, post_id: uuid.UUID, channel: Channel,
    url: str | None,
) -> int:
    """`target.published` from the publisher's fast path, which holds ids rather than loaded rows."""
    return emit(session, workspace_id, "target.published",
                _target_data(target_id, post_id, channel, "published", url, None))


def _target_data(
    target_id: uuid.UUID, post_id: uuid.UUID, channel: Channel | None, status: str, url: str | None,
    error: str | None,
) -> dict[str, Any]:
    return {
        "post": {"id": str(post_id), "link": _link(f"/posts/{post_id}")},
        "target": {"id": str(target_id), "status": status, "url": url, "error": error},
        "channel": ({"id": str(channel.id), "name": channel.name, "network": channel.network}
                    if channel else None),
    }


def post_event(session: Session, event: str, post: Post, actor: uuid.UUID) -> int:
    """An approval step (`post.approval_requested` / `post.approved` / `post.changes_requested`)."""
    from app.services.messaging.approval_notices import excerpt  # approval_notices calls this module

    who = session.get(User, actor)
    data: dict[str, Any] = {
        "post": {"id": str(post.id), "status": post.status, "excerpt": excerpt(post.body),
                 "link": _link(f"/posts/{post.id}")},
        "actor": {"id": str(actor), "name": who.display_name if who else None},
    }
    if event == "post.changes_requested":
        data["comment"] = post.approval_comment or ""
    return emit(session, post.workspace_id, event, data)


# --- delivering (the worker's side) ---------------------------------------------------------------------
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

