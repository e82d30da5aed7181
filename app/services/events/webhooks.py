"""Managing a workspace's outgoing event webhooks (owners and admins): add, list, edit, turn off, rotate
the secret, send a test, read recent deliveries.

Webhooks let a workspace's own systems (Slack, Zapier, n8n, ...) hear when a post went out, failed, or
needs someone. Addresses must be public (`public_endpoints.check_public_url`, checked again at each
send); the signing secret is shown only when made or rotated and stored encrypted. Recording events is
app.services.events.webhook_events, sending them app.services.events.webhook_delivery.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from sqlmodel import Session, col, select

from app.core import crypto
from app.core.config import get_settings
from app.services import audit
from app.services.channels.public_endpoints import check_public_url
from app.services.errors import NotFound, ValidationFailed
from app.services.events import webhook_events
from app.services.tenancy import permissions
from models import TEST_EVENT, WEBHOOK_EVENTS, User, Webhook, WebhookDelivery
from models.base import utcnow

PERMISSION = "workspace:manage"
MAX_URL = 2048
MAX_DESCRIPTION = 200
MAX_PER_WORKSPACE = 20


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
    return webhook_events.record(session, hook, TEST_EVENT, {
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
