"""Posts and scheduling: the one service the UI, the REST API and tasks call.

Every function takes (session, actor_user_id, ...) and checks the permission matrix first. Functions
flush but do not commit: the caller's unit of work (session_scope / get_db) commits, and work is
enqueued only after that commit. Creating, editing and deleting a post is here; scheduling and the
actions on targets are in post_scheduling, approval in post_approval, content rules in post_rules, reads
in post_queries, and which actions each status allows in statuses (all re-exported here, so callers use
`posts.<name>` only).
"""

from __future__ import annotations

import uuid

from sqlmodel import Session

from app.services.errors import Conflict
from app.services.planning.post_approval import MAX_COMMENT, approve, request_changes
from app.services.planning.post_queries import list_posts, list_targets, post_detail, post_version
from app.services.planning.post_rules import (
    MAX_BODY_CHARS,
    MAX_REPEAT_EVERY_DAYS,
    MAX_REPEAT_TIMES,
    MAX_TARGETS,
    MAX_THREAD_PARTS,
    TargetInput,
    check_inputs,
    get_post,
    input_of,
    new_target,
    record,
    target_options,
    targets_of,
    validate_for_networks,
)
from app.services.planning.post_scheduling import (
    add_to_queue,
    cancel_post,
    publish_now,
    reschedule,
    resolve_unknown,
    retry_target,
    schedule_post,
)
from app.services.planning.statuses import allowed_actions
from app.services.tenancy import permissions
from models import Post
from models.post import POST_EDITABLE, POST_PLANNED, TARGET_GOING_OUT, TARGET_WAITING

__all__ = [
    "MAX_BODY_CHARS",
    "MAX_COMMENT",
    "MAX_REPEAT_EVERY_DAYS",
    "MAX_REPEAT_TIMES",
    "MAX_TARGETS",
    "MAX_THREAD_PARTS",
    "TargetInput",
    "add_to_queue",
    "allowed_actions",
    "approve",
    "cancel_post",
    "create_post",
    "delete_post",
    "get_post",
    "list_posts",
    "list_targets",
    "post_detail",
    "post_version",
    "publish_now",
    "request_changes",
    "reschedule",
    "resolve_unknown",
    "retry_target",
    "schedule_post",
    "update_post",
    "validate_for_networks",
]


def create_post(
    session: Session,
    actor: uuid.UUID,
    workspace_id: uuid.UUID,
    *,
    body: str,
    targets: list[TargetInput],
    repeat_every_days: int | None = None,
    repeat_times: int | None = None,
) -> Post:
    """A draft post with one target per channel."""
    permissions.require(session, actor, workspace_id, "post:create")
    check_inputs(session, workspace_id, body, targets, repeat_every_days, repeat_times)
    post = Post(
        workspace_id=workspace_id,
        author_id=actor,
        body=body,
        status="draft",
        repeat_every_days=repeat_every_days,
        repeat_times=repeat_times,
    )
    session.add(post)
    session.flush()
    for t in targets:
        new_target(session, post, t)
    session.flush()
    return post


def update_post(
    session: Session,
    actor: uuid.UUID,
    post_id: uuid.UUID,
    *,
    body: str | None = None,
    targets: list[TargetInput] | None = None,
) -> Post:
    """Edit text and channels of a post that has not started publishing (scheduled times are kept)."""
    post = get_post(session, actor, post_id, "post:edit")
    current = targets_of(session, post.id)
    if post.status not in POST_EDITABLE or any(t.status not in TARGET_WAITING for t in current):
        raise Conflict(
            "this post has started publishing and can no longer be edited; duplicate it instead",
            field="post_id",
        )
    new_body = post.body if body is None else body
    wanted = targets if targets is not None else [input_of(t) for t in current]
    check_inputs(session, post.workspace_id, new_body, wanted, post.repeat_every_days, post.repeat_times)
    post.body = new_body
    if targets is not None:
        by_channel = {t.channel_id: t for t in current}
        keep = {t.channel_id for t in targets}
        for t in current:
            if t.channel_id not in keep:
                session.delete(t)
        template = current[0] if current else None
        for wanted_target in targets:
            existing = by_channel.get(wanted_target.channel_id)
            if existing is None:
                new_target(
                    session,
                    post,
                    wanted_target,
                    status=template.status if template else "draft",
                    scheduled_at=template.scheduled_at if template else None,
                )
            else:
                existing.body, existing.options = wanted_target.body, target_options(wanted_target)
                session.add(existing)
    session.add(post)
    session.flush()
    if post.status in POST_PLANNED:
        # Already on the calendar: new text must fit the networks now, not fail at publish time.
        validate_for_networks(session, post, targets_of(session, post.id))
    return post


def delete_post(session: Session, actor: uuid.UUID, post_id: uuid.UUID) -> None:
    post = get_post(session, actor, post_id, "post:delete")
    if any(t.status in TARGET_GOING_OUT for t in targets_of(session, post.id)):
        raise Conflict(
            "this post is being published right now; wait a moment, then delete it", field="post_id"
        )
    record(session, actor, "post.deleted", post)
    session.delete(post)
    session.flush()
