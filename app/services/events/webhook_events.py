"""Webhook events: what happened, recorded for every webhook that wants to hear of it.

`emit` records one delivery per active webhook subscribed to the event, in the caller's unit of work, and
enqueues it after that commit (a rolled-back change tells nobody); the body is fixed then, so every
attempt sends the same bytes. The target events (`target.published` / `failed` / `unknown`) are shaped
here for the publishing engine; approval steps are emitted by app.services.events.approval_notices.
Sending is app.services.events.webhook_delivery.
"""

from __future__ import annotations

import uuid
from contextlib import nullcontext
from typing import Any

from sqlalchemy import text
from sqlmodel import Session, col, select

from app.core import db, jobs
from app.core.config import get_settings
from app.services.events.webhook_delivery import DELIVER_TASK, QUEUE
from models import WEBHOOK_EVENTS, Channel, PostTarget, Webhook, WebhookDelivery
from models.base import utcnow

TARGET_EVENTS = {"published": "target.published", "failed": "target.failed", "unknown": "target.unknown"}


def record(session: Session, hook: Webhook, event: str, data: dict[str, Any]) -> WebhookDelivery:
    """One delivery of `event` to `hook` (subscribed or not: a test event goes to the one asked for)."""
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
            record(session, hook, event, data)
    return len(hooks)


def link(path: str) -> str:
    """A page of this Quillcast, as an event names it."""
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
        "post": {"id": str(post_id), "link": link(f"/posts/{post_id}")},
        "target": {"id": str(target_id), "status": status, "url": url, "error": error},
        "channel": ({"id": str(channel.id), "name": channel.name, "network": channel.network}
                    if channel else None),
    }
