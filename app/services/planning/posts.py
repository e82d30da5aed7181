"""Posts and scheduling: the one service the UI, the REST API and tasks call.

Every function takes (session, actor_user_id, ...) and checks the permission matrix first. Functions
flush but do not commit: the caller's unit of work (session_scope / get_db) commits, and work is
enqueued only after that commit. Content rules live in post_rules, reads in post_queries (both
re-exported here, so callers use `posts.<name>` only).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Literal

from sqlmodel import Session, select

from app.core import jobs
from app.services import inputs
from app.services.delivery import publishing
from app.services.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from app.services.insight import usage
from app.services.messaging import approval_notices, webhook_events
from app.services.planning import timeslots
from app.services.planning.post_queries import list_posts, list_targets, post_detail, post_version
from app.services.planning.post_rules import (
    MAX_BODY_CHARS,
    MAX_REPEAT_EVERY_DAYS,
    MAX_REPEAT_TIMES,
    MAX_TARGETS,
    MAX_THREAD_PARTS,
    TargetInput,
    _check_inputs,
    _may,
    _member,
    _options,
    _targets,
    get_post,
    validate_for_networks,
)
from app.services.tenancy import audit
from models import Channel, Post, PostTarget

__all__ = [
    "MAX_BODY_CHARS",
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

MAX_COMMENT = 5000  # a reviewer's request for changes
_EDITABLE = ("draft", "changes_requested", "awaiting_approval", "scheduled")
_UNSTARTED_TARGETS = ("draft", "awaiting_approval", "scheduled")
_CANCELLABLE_TARGETS = ("draft", "awaiting_approval", "scheduled", "queued", "retrying", "unknown", "failed")


def allowed_actions(
    post_status: str, target_statuses: Sequence[str]
) -> tuple[frozenset[str], list[frozenset[str]]]:
    """What the post, and each of its targets (in the order given), can go through in these states: the
    same conditions the functions below check (they refuse the rest; roles are checked apart).
    The post: "publish_now", "edit" (publish_now, update_post, schedule_post), "cancel" (cancel_post).
    A target: "retry" (retry_target), "publish_anyway" and "mark_posted" (resolve_unknown)."""
    post: set[str] = set()
    unstarted = all(s in _UNSTARTED_TARGETS for s in target_statuses)
    if post_status in _EDITABLE and target_statuses and unstarted:
        post |= {"publish_now", "edit"}
    if "publishing" not in target_statuses and any(s in _CANCELLABLE_TARGETS for s in target_statuses):
        post.add("cancel")
    targets = [frozenset({"retry"} if s == "failed" else {"publish_anyway", "mark_posted"} if s == "unknown"
                         else ()) for s in target_statuses]
    return frozenset(post), targets


def _audit(
    session: Session, actor: uuid.UUID, action: str, subject: Post | PostTarget, **details: str
) -> None:
    """Record what the actor did to a post or one of its targets, in the subject's workspace."""
    audit.record(
        session,
        action,
        actor_id=actor,
        workspace_id=subject.workspace_id,
        subject_type="post" if isinstance(subject, Post) else "post_target",
        subject_id=subject.id,
        **details,
    )


# --- create / update / delete -------------------------------------------------------------------------------
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
    _member(session, actor, workspace_id, "post:create")
    _check_inputs(session, workspace_id, body, targets, repeat_every_days, repeat_times)
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
        _add_target(session, post, t)
    session.flush()
    return post


def _add_target(
    session: Session, post: Post, t: TargetInput, status: str = "draft", scheduled_at: datetime | None = None
) -> PostTarget:
    target_id = uuid.uuid4()
    # Stable per target: a repeated publish of the same target is refused by networks that support it.
    target = PostTarget(
        id=target_id,
        workspace_id=post.workspace_id,
        post_id=post.id,
        channel_id=t.channel_id,
        body=t.body,
        options=_options(t),
        status=status,
        scheduled_at=scheduled_at,
        idempotency_key=target_id.hex,
    )
    session.add(target)
    return target


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
    current = _targets(session, post.id)
    if post.status not in _EDITABLE or any(t.status not in _UNSTARTED_TARGETS for t in current):
        raise Conflict(
            "this post has started publishing and can no longer be edited; duplicate it instead",
            field="post_id",
        )
    new_body = post.body if body is None else body
    wanted = (
        targets
        if targets is not None
        else [
            TargetInput(
                t.channel_id, t.body, list(t.options.get("thread", [])), t.options.get("first_comment"),
                list(t.options.get("media", [])),
            )
            for t in current
        ]
    )
    _check_inputs(session, post.workspace_id, new_body, wanted, post.repeat_every_days, post.repeat_times)
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
                _add_target(
                    session,
                    post,
                    wanted_target,
                    status=template.status if template else "draft",
                    scheduled_at=template.scheduled_at if template else None,
                )
            else:
                existing.body, existing.options = wanted_target.body, _options(wanted_target)
                session.add(existing)
    session.add(post)
    session.flush()
    if post.status in ("scheduled", "awaiting_approval"):
        # Already on the calendar: new text must fit the networks now, not fail at publish time.
        validate_for_networks(session, post, _targets(session, post.id))
    return post


def delete_post(session: Session, actor: uuid.UUID, post_id: uuid.UUID) -> None:
    post = get_post(session, actor, post_id, "post:delete")
    if any(t.status in ("queued", "publishing") for t in _targets(session, post.id)):
        raise Conflict(
            "this post is being published right now; wait a moment, then delete it", field="post_id"
        )
    _audit(session, actor, "post.deleted", post)
    session.delete(post)
    session.flush()


# --- scheduling ---
def _schedule_role(session: Session, actor: uuid.UUID, post: Post) -> Literal["direct", "approval"]:
    """Editors and above schedule directly; contributors submit their own posts for approval."""
    m = _member(session, actor, post.workspace_id, "post:read")
    if _may(m.role, "post:schedule"):
        return "direct"
    if _may(m.role, "post:submit") and post.author_id == actor:
        return "approval"
    raise PermissionDenied(f"your role ({m.role}) cannot schedule this post; ask an editor")


def _startable(session: Session, post: Post) -> list[PostTarget]:
    targets = _targets(session, post.id)
    if post.status not in _EDITABLE:
        raise Conflict(
            f"this post is {post.status.replace('_', ' ')}; only drafts and scheduled posts can be "
            "(re)scheduled",
            field="post_id",
        )
    busy = [t for t in targets if t.status not in _UNSTARTED_TARGETS]
    if busy:
        raise Conflict(
            "part of this post has started publishing; it can no longer be rescheduled", field="post_id"
        )
    if not targets:
        raise ValidationFailed("choose at least one channel to post to", field="targets")
    return targets


def schedule_post(
    session: Session,
    actor: uuid.UUID,
    post_id: uuid.UUID,
    *,
    local_time: datetime,
    timezone: str,
    fold: int | None = None,
    now: datetime | None = None,
) -> Post:
    """Schedule (or reschedule) at a wall-clock time in an IANA zone; DST gaps and overlaps must be chosen."""
    post = get_post(session, actor, post_id)
    mode = _schedule_role(session, actor, post)
    when = timeslots.to_utc(local_time, timezone, fold)
    timeslots.require_future(when, timezone, now)
    targets = _startable(session, post)
    validate_for_networks(session, post, targets)
    status = "scheduled" if mode == "direct" else "awaiting_approval"
    for t in targets:
        t.status, t.scheduled_at, t.last_error = status, when, None
        session.add(t)
    post.status = status
    session.add(post)
    _plan_series(session, post, targets, local_time, timezone, fold, status)
    _audit(session, actor, "post.scheduled" if mode == "direct" else "post.submitted", post,
           scheduled_at=when.isoformat())
    session.flush()
    usage.record("schedule" if mode == "direct" else "approval_requested")
    if mode == "approval":
        approval_notices.submitted(session, post, actor)
    return post


def _plan_series(
    session: Session,
    post: Post,
    targets: list[PostTarget],
    local_time: datetime,
    timezone: str,
    fold: int | None,
    status: str,
) -> None:
    """Recurring posts: copies every N days at the same local time, created now so the calendar shows them."""
    if (
        not post.repeat_every_days
        or not post.repeat_times
        or post.repeat_times < 2
        or post.occurrence not in (None, 1)
    ):
        return
    try:
        last = local_time + timedelta(days=post.repeat_every_days * (post.repeat_times - 1))
        too_late = inputs.moment_problem(last)
    except OverflowError:
        too_late = "is out of range"
    if too_late:
        raise ValidationFailed(f"repeat_times: the last copy would fall in a year that {too_late}; repeat "
                               "fewer times or less often", field="repeat_times")
    post.series_id, post.occurrence = post.id, 1
    # Rescheduling the first post re-plans the copies that have not started.
    for copy in session.exec(select(Post).where(Post.series_id == post.id, Post.id != post.id)).all():
        if all(t.status in _UNSTARTED_TARGETS for t in _targets(session, copy.id)):
            session.delete(copy)
    session.flush()
    for n in range(2, post.repeat_times + 1):
        local = local_time + timedelta(days=post.repeat_every_days * (n - 1))
        # The same wall-clock time on each day; a copy falling into a DST gap/overlap takes the first reading.
        when = timeslots.to_utc(local, timezone, fold if fold is not None else 0)
        copy = Post(
            workspace_id=post.workspace_id,
            author_id=post.author_id,
            body=post.body,
            status=status,
            series_id=post.id,
            occurrence=n,
            repeat_every_days=post.repeat_every_days,
            repeat_times=post.repeat_times,
        )
        session.add(copy)
        session.flush()
        for t in targets:
            _add_target(
                session,
                copy,
                TargetInput(
                    t.channel_id, t.body, list(t.options.get("thread", [])), t.options.get("first_comment"),
                    list(t.options.get("media", [])),
                ),
                status,
                when,
            )


def add_to_queue(session: Session, actor: uuid.UUID, post_id: uuid.UUID, now: datetime | None = None) -> Post:
    """Each target takes the next free weekly slot of its channel."""
    post = get_post(session, actor, post_id)
    mode = _schedule_role(session, actor, post)
    targets = _startable(session, post)
    validate_for_networks(session, post, targets)
    after = now or datetime.now(UTC)
    status = "scheduled" if mode == "direct" else "awaiting_approval"
    for t in targets:
        channel = session.get(Channel, t.channel_id)
        assert channel is not None
        t.status, t.scheduled_at = status, timeslots.next_free_slot(session, channel, after)
        session.add(t)
        session.flush()  # the next target of the same channel (none by constraint) would see this slot taken
    post.status = status
    session.add(post)
    _audit(session, actor, "post.queued_in_slots", post)
    session.flush()
    usage.record("queue_slot" if mode == "direct" else "approval_requested")
    if mode == "approval":
        approval_notices.submitted(session, post, actor)
    return post


def publish_now(session: Session, actor: uuid.UUID, post_id: uuid.UUID) -> Post:
    """Queue every target at once (contributors: as soon as an editor approves)."""
    post = get_post(session, actor, post_id)
    m = _member(session, actor, post.workspace_id, "post:read")
    direct = _may(m.role, "post:publish")
    if not direct and not (_may(m.role, "post:submit") and post.author_id == actor):
        raise PermissionDenied(f"your role ({m.role}) cannot publish this post; ask an editor")
    targets = _startable(session, post)
    validate_for_networks(session, post, targets)
    now = datetime.now(UTC)
    for t in targets:
        if direct:
            _queue(session, t, now)
        else:
            t.status, t.scheduled_at = "awaiting_approval", None
        session.add(t)
    post.status = "publishing" if direct else "awaiting_approval"
    session.add(post)
    _audit(session, actor, "post.published_now" if direct else "post.submitted", post)
    session.flush()
    usage.record("publish_now" if direct else "approval_requested")
    if not direct:
        approval_notices.submitted(session, post, actor)
    return post


def _queue(session: Session, target: PostTarget, now: datetime) -> None:
    target.status, target.scheduled_at, target.last_error = "queued", target.scheduled_at or now, None
    target.next_attempt_at = None
    if target.scheduled_at > now:
        target.scheduled_at = now
    jobs.send_after_commit(session, publishing.PUBLISH_TASK, str(target.id), queue=jobs.PUBLISH_QUEUE)


def cancel_post(session: Session, actor: uuid.UUID, post_id: uuid.UUID) -> Post:
    """Stop every target that has not been published (a target mid-publish cannot be stopped)."""
    post = get_post(session, actor, post_id, "post:edit")
    targets = _targets(session, post.id)
    if any(t.status == "publishing" for t in targets):
        raise Conflict(
            "part of this post is being published right now; try again in a few seconds", field="post_id"
        )
    for t in targets:
        if t.status in _CANCELLABLE_TARGETS:
            t.status, t.lease_expires_at = "cancelled", None
            session.add(t)
    _settle(session, actor, "post.cancelled", post)
    return post


def _settle(session: Session, actor: uuid.UUID, action: str, subject: Post | PostTarget) -> None:
    """After targets changed: the post's status follows from them again, and the change is recorded."""
    session.flush()
    publishing.refresh_post_status(session, subject.id if isinstance(subject, Post) else subject.post_id)
    _audit(session, actor, action, subject)
    session.flush()


def _target(session: Session, actor: uuid.UUID, target_id: uuid.UUID, permission: str) -> PostTarget:
    target = session.get(PostTarget, target_id)
    if target is None:
        raise NotFound("target not found", field="target_id")
    _member(session, actor, target.workspace_id, permission)
    return target


def retry_target(session: Session, actor: uuid.UUID, target_id: uuid.UUID) -> PostTarget:
    """Publish a failed target again now (with a fresh budget of attempts)."""
    target = _target(session, actor, target_id, "post:publish")
    if target.status != "failed":
        raise Conflict(f"only failed targets can be retried; this one is {target.status}", field="target_id")
    channel = session.get(Channel, target.channel_id)
    if channel is not None and channel.status != "active":
        raise ValidationFailed(
            f"reconnect the {channel.network} channel “{channel.name}” first, then retry", field="channel_id"
        )
    target.options = {**target.options, "attempts_before_retry": target.attempts}
    _queue(session, target, datetime.now(UTC))
    session.add(target)
    _settle(session, actor, "target.retried", target)
    return target


def resolve_unknown(
    session: Session,
    actor: uuid.UUID,
    target_id: uuid.UUID,
    action: Literal["publish_anyway", "mark_posted"],
    remote_url: str | None = None,
) -> PostTarget:
    """The user's answer for a target we could not verify: publish it again, or record it as posted."""
    target = _target(session, actor, target_id, "post:publish")
    if target.status != "unknown":
        raise Conflict(
            f"only targets in state unknown need this; this one is {target.status}", field="target_id"
        )
    if action == "publish_anyway":
        target.options = {**target.options, "attempts_before_retry": target.attempts}
        _queue(session, target, datetime.now(UTC))
    elif action == "mark_posted":
        target.status, target.published_at, target.remote_url = "published", datetime.now(UTC), remote_url
        target.last_error = None
        webhook_events.target_settled(session, target)
    else:
        raise ValidationFailed("choose publish_anyway or mark_posted", field="action")
    session.add(target)
    _settle(session, actor, f"target.{action}", target)
    return target


# --- approval ---
def _require_awaiting_approval(post: Post) -> None:
    if post.status != "awaiting_approval":
        raise Conflict(
            f"this post is {post.status.replace('_', ' ')}, not awaiting approval", field="post_id"
        )


def approve(session: Session, actor: uuid.UUID, post_id: uuid.UUID, now: datetime | None = None) -> Post:
    post = get_post(session, actor, post_id, "post:approve")
    _require_awaiting_approval(post)
    now = now or datetime.now(UTC)
    targets = [t for t in _targets(session, post.id) if t.status == "awaiting_approval"]
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
            _queue(session, t, now)
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
        for t in _targets(session, copy.id):
            t.status = "scheduled"
            session.add(t)
        copy.status, copy.approved_by_id = "scheduled", actor
        session.add(copy)
    _audit(session, actor, "post.approved", post)
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
    for t in _targets(session, post.id):
        if t.status == "awaiting_approval":
            t.status = "draft"
            session.add(t)
    post.status, post.approval_comment = "changes_requested", comment.strip()
    session.add(post)
    _audit(session, actor, "post.changes_requested", post)
    session.flush()
    approval_notices.changes_requested(session, post, actor)
    return post


# Rescheduling is scheduling again: the same checks, the copies of a series re-planned.
reschedule = schedule_post
