"""Approval: an editor approves a contributor's submitted post (its targets are then scheduled, or
queued when it was submitted as "publish now") or sends it back with a comment.

Called through `posts` (its functions are re-exported there). Functions flush; the caller commits.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlmodel import Session, select

from app.services import usage
from app.services.errors import Conflict, ValidationFailed
from app.services.events import approval_notices
from app.services.planning import post_scheduling
from app.services.planning.post_rules import get_post, record, targets_of, validate_for_networks
from models import Post

MAX_COMMENT = 5000  # a reviewer's request for changes


def _require_awaiting_approval(post: Post) -> None:
    if post.status != "awaiting_approval":
        raise Conflict(
            f"this post is {post.status.replace('_', ' ')}, not awaiting approval", field="post_id"
        )


def approve(session: Session, actor: uuid.UUID, post_id: uuid.UUID, now: datetime | None = None) -> Post:
    post = get_post(session, actor, post_id, "post:approve")
    _require_awaiting_approval(post)
    now = now or datetime.now(UTC)
    targets = [t for t in targets_of(session, post.id) if t.status == "awaiting_approval"]
    late = [t for t in targets if t.scheduled_at is not None and t.scheduled_at <= now]
    if late:
        raise ValidationFailed(
            "the scheduled time passed while this post waited for approval: pick a new time "
            "(or publish now), then approve",
            field="scheduled_at",
        )
    validate_for_networks(session, post, targets)
    for t in targets:
        if t.scheduled_at is None:  # submitted as "publish now"
            post_scheduling.queue_now(session, t, now)
        else:
            t.status = "scheduled"
        session.add(t)
    post.status, post.approved_by_id, post.approval_comment = (
        "scheduled" if all(t.status == "scheduled" for t in targets) else "publishing",
        actor,
        None,
    )
    session.add(post)
    for copy in session.exec(
        select(Post).where(Post.series_id == post.id, Post.id != post.id, Post.status == "awaiting_approval")
    ).all():
        for t in targets_of(session, copy.id):
            t.status = "scheduled"
            session.add(t)
        copy.status, copy.approved_by_id = "scheduled", actor
        session.add(copy)
    record(session, actor, "post.approved", post)
    session.flush()
    approval_notices.approved(session, post, actor)
    usage.record("approved")
    return post


def request_changes(session: Session, actor: uuid.UUID, post_id: uuid.UUID, comment: str) -> Post:
    post = get_post(session, actor, post_id, "post:approve")
    _require_awaiting_approval(post)
    if not comment or not comment.strip():
        raise ValidationFailed("say what should change, so the author knows what to do", field="comment")
    if len(comment) > MAX_COMMENT:
        raise ValidationFailed("keep the comment under 5000 characters", field="comment")
    for t in targets_of(session, post.id):
        if t.status == "awaiting_approval":
            t.status = "draft"
            session.add(t)
    post.status, post.approval_comment = "changes_requested", comment.strip()
    session.add(post)
    record(session, actor, "post.changes_requested", post)
    session.flush()
    approval_notices.changes_requested(session, post, actor)
    return post
