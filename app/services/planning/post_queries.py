"""Reading posts: the calendar's targets, a page of posts, one post with every attempt."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from app.services.errors import ValidationFailed
from app.services.planning.post_rules import get_post, targets_of
from app.services.tenancy import permissions
from models import Channel, Post, PostTarget, PublishAttempt


# --- reading ---
def list_targets(
    session: Session,
    actor: uuid.UUID,
    workspace_id: uuid.UUID,
    start: datetime,
    end: datetime,
    channel_ids: list[uuid.UUID] | None = None,
    statuses: list[str] | None = None,
    author_id: uuid.UUID | None = None,
) -> list[dict[str, Any]]:
    """Targets scheduled in [start, end) for the calendar, with their post's text and channel."""
    permissions.require(session, actor, workspace_id, "post:read")
    if end <= start:
        raise ValidationFailed("the end of the range must be after its start", field="end")
    query = (
        select(PostTarget, Post, Channel)
        .join(Post, col(Post.id) == PostTarget.post_id)
        .join(Channel, col(Channel.id) == PostTarget.channel_id)
        .where(
            PostTarget.workspace_id == workspace_id,
            col(PostTarget.scheduled_at) >= start,
            col(PostTarget.scheduled_at) < end,
        )
        .order_by(col(PostTarget.scheduled_at))
    )
    if channel_ids:
        query = query.where(col(PostTarget.channel_id).in_(channel_ids))
    if statuses:
        query = query.where(col(PostTarget.status).in_(statuses))
    if author_id:
        query = query.where(Post.author_id == author_id)
    return [_target_row(t, p, c) for t, p, c in session.exec(query).all()]


def _target_row(t: PostTarget, p: Post, c: Channel) -> dict[str, Any]:
    return {
        "id": t.id,
        "post_id": p.id,
        "channel_id": c.id,
        "channel_name": c.name,
        "network": c.network,
        "status": t.status,
        "scheduled_at": t.scheduled_at,
        "published_at": t.published_at,
        "text": t.body if t.body is not None else p.body,
        "author_id": p.author_id,
        "post_status": p.status,
        "remote_url": t.remote_url,
        "last_error": t.last_error,
        "attempts": t.attempts,
    }


def list_posts(
    session: Session,
    actor: uuid.UUID,
    workspace_id: uuid.UUID,
    *,
    statuses: list[str] | None = None,
    channel_id: uuid.UUID | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[Post], int]:
    """A page of posts, newest first, and the total that match the filters."""
    permissions.require(session, actor, workspace_id, "post:read")
    query = select(Post).where(Post.workspace_id == workspace_id)
    if statuses:
        query = query.where(col(Post.status).in_(statuses))
    if channel_id or start or end:
        sub = select(PostTarget.post_id).where(PostTarget.workspace_id == workspace_id)
        if channel_id:
            sub = sub.where(PostTarget.channel_id == channel_id)
        if start:
            sub = sub.where(col(PostTarget.scheduled_at) >= start)
        if end:
            sub = sub.where(col(PostTarget.scheduled_at) < end)
        query = query.where(col(Post.id).in_(sub))
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = session.exec(query.order_by(col(Post.created_at).desc(), col(Post.id)).limit(limit).offset(offset))
    return list(rows.all()), int(total)


def post_detail(session: Session, actor: uuid.UUID, post_id: uuid.UUID) -> dict[str, Any]:
    """A post with each target's status, every attempt and the network's own errors."""
    post = get_post(session, actor, post_id)
    targets = []
    for t in targets_of(session, post.id):
        channel = session.get(Channel, t.channel_id)
        attempts = session.exec(
            select(PublishAttempt)
            .where(PublishAttempt.target_id == t.id)
            .order_by(col(PublishAttempt.number), col(PublishAttempt.started_at))
        ).all()
        row = _target_row(t, post, channel) if channel else {"id": t.id, "status": t.status}
        row.update(
            {
                "body": t.body,
                "thread": list(t.options.get("thread", [])),
                "first_comment": t.options.get("first_comment"),
                "media": list(t.options.get("media", [])),
                "next_attempt_at": t.next_attempt_at,
                "attempt_log": [
                    {
                        "number": a.number,
                        "outcome": a.outcome,
                        "http_status": a.http_status,
                        "error": a.error,
                        "started_at": a.started_at,
                        "finished_at": a.finished_at,
                    }
                    for a in attempts
                ],
            }
        )
        targets.append(row)
    return {
        "id": post.id,
        "workspace_id": post.workspace_id,
        "author_id": post.author_id,
        "status": post.status,
        "body": post.body,
        "approval_comment": post.approval_comment,
        "approved_by_id": post.approved_by_id,
        "series_id": post.series_id,
        "occurrence": post.occurrence,
        "repeat_every_days": post.repeat_every_days,
        "repeat_times": post.repeat_times,
        "created_at": post.created_at,
        "updated_at": post.updated_at,
        "targets": targets,
    }


def post_version(session: Session, actor: uuid.UUID, post_id: uuid.UUID) -> str:
    """A value that changes whenever the post or one of its targets does (a status, an attempt, a time):
    the post's open page asks often and reads the post again only when this changed. Each target's own
    state, not the latest change time alone: two publishing transactions can commit out of their
    start order, and `updated_at = now()` is the start."""
    post = get_post(session, actor, post_id)
    rows = session.exec(
        select(PostTarget.id, PostTarget.status, PostTarget.attempts, PostTarget.updated_at)
        .where(PostTarget.post_id == post.id)
        .order_by(col(PostTarget.id))
    ).all()
    parts = [f"{post.status}@{post.updated_at.isoformat()}"]
    parts += [f"{i}:{status}:{n}@{at.isoformat()}" for i, status, n, at in rows]
    return "|".join(parts)
