"""Scheduling a post and acting on its targets: schedule (or submit for approval), add to the queue's
time slots, publish now, cancel, retry a failed target, answer for an unknown one.

Called through `posts` (its functions are re-exported there). Functions flush; the caller commits, and
a target is handed to a worker only after that commit.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Literal

from sqlmodel import Session, select

from app.core import jobs
from app.services import inputs, usage
from app.services.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from app.services.events import approval_notices, webhook_events
from app.services.planning import statuses, timeslots
from app.services.planning.post_rules import (
    get_post,
    input_of,
    new_target,
    record,
    targets_of,
    validate_for_networks,
)
from app.services.tenancy import permissions
from models import Channel, Post, PostTarget
from models.post import POST_EDITABLE, TARGET_CANCELLABLE, TARGET_WAITING


def _schedule_role(session: Session, actor: uuid.UUID, post: Post) -> Literal["direct", "approval"]:
    """Editors and above schedule directly; contributors submit their own posts for approval."""
    m = permissions.require(session, actor, post.workspace_id, "post:read")
    if permissions.can(m.role, "post:schedule"):
        return "direct"
    if permissions.can(m.role, "post:submit") and post.author_id == actor:
        return "approval"
    raise PermissionDenied(f"your role ({m.role}) cannot schedule this post; ask an editor")


def _startable(session: Session, post: Post) -> list[PostTarget]:
    targets = targets_of(session, post.id)
    if post.status not in POST_EDITABLE:
        raise Conflict(
            f"this post is {post.status.replace('_', ' ')}; only drafts and scheduled posts can be "
            "(re)scheduled",
            field="post_id",
        )
    busy = [t for t in targets if t.status not in TARGET_WAITING]
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
    record(session, actor, "post.scheduled" if mode == "direct" else "post.submitted", post,
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
        if all(t.status in TARGET_WAITING for t in targets_of(session, copy.id)):
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
            new_target(session, copy, input_of(t), status, when)


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
    record(session, actor, "post.queued_in_slots", post)
    session.flush()
    usage.record("queue_slot" if mode == "direct" else "approval_requested")
    if mode == "approval":
        approval_notices.submitted(session, post, actor)
    return post


def publish_now(session: Session, actor: uuid.UUID, post_id: uuid.UUID) -> Post:
    """Queue every target at once (contributors: as soon as an editor approves)."""
    post = get_post(session, actor, post_id)
    m = permissions.require(session, actor, post.workspace_id, "post:read")
    direct = permissions.can(m.role, "post:publish")
    if not direct and not (permissions.can(m.role, "post:submit") and post.author_id == actor):
        raise PermissionDenied(f"your role ({m.role}) cannot publish this post; ask an editor")
    targets = _startable(session, post)
    validate_for_networks(session, post, targets)
    now = datetime.now(UTC)
    for t in targets:
        if direct:
            queue_now(session, t, now)
        else:
            t.status, t.scheduled_at = "awaiting_approval", None
        session.add(t)
    post.status = "publishing" if direct else "awaiting_approval"
    session.add(post)
    record(session, actor, "post.published_now" if direct else "post.submitted", post)
    session.flush()
    usage.record("publish_now" if direct else "approval_requested")
    if not direct:
        approval_notices.submitted(session, post, actor)
    return post


def queue_now(session: Session, target: PostTarget, now: datetime) -> None:
    """Hand the target to a worker now (the job is sent once the transaction commits)."""
    target.status, target.scheduled_at, target.last_error = "queued", target.scheduled_at or now, None
    target.next_attempt_at = None
    if target.scheduled_at > now:
        target.scheduled_at = now
    jobs.send_after_commit(session, jobs.PUBLISH_TASK, str(target.id), queue=jobs.PUBLISH_QUEUE)


def cancel_post(session: Session, actor: uuid.UUID, post_id: uuid.UUID) -> Post:
    """Stop every target that has not been published (a target mid-publish cannot be stopped)."""
    post = get_post(session, actor, post_id, "post:edit")
    targets = targets_of(session, post.id)
    if any(t.status == "publishing" for t in targets):
        raise Conflict(
            "part of this post is being published right now; try again in a few seconds", field="post_id"
        )
    for t in targets:
        if t.status in TARGET_CANCELLABLE:
            t.status, t.lease_expires_at = "cancelled", None
            session.add(t)
    _settle(session, actor, "post.cancelled", post)
    return post


def _settle(session: Session, actor: uuid.UUID, action: str, subject: Post | PostTarget) -> None:
    """After targets changed: the post's status follows from them again, and the change is recorded."""
    session.flush()
    statuses.refresh_post_status(session, subject.id if isinstance(subject, Post) else subject.post_id)
    record(session, actor, action, subject)
    session.flush()


def _target(session: Session, actor: uuid.UUID, target_id: uuid.UUID, permission: str) -> PostTarget:
    target = session.get(PostTarget, target_id)
    if target is None:
        raise NotFound("target not found", field="target_id")
    permissions.require(session, actor, target.workspace_id, permission)
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
    queue_now(session, target, datetime.now(UTC))
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
        queue_now(session, target, datetime.now(UTC))
    elif action == "mark_posted":
        target.status, target.published_at, target.remote_url = "published", datetime.now(UTC), remote_url
        target.last_error = None
        webhook_events.target_settled(session, target)
    else:
        raise ValidationFailed("choose publish_anyway or mark_posted", field="action")
    session.add(target)
    _settle(session, actor, f"target.{action}", target)
    return target


# Rescheduling is scheduling again: the same checks, the copies of a series re-planned.
reschedule = schedule_post
