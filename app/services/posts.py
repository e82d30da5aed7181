"""Posts and scheduling: the one service the UI, the REST API and tasks call.

Every function takes (session, actor_user_id, ...) and checks the permission matrix first. Functions
flush but do not commit: the caller's unit of work (session_scope / get_db) commits, and work is
enqueued only after that commit.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import structlog
from sqlalchemy import func
from sqlmodel import Session, col, select

from app.core import queue
from app.services import audit, permissions, publishing, timeslots
from app.services.errors import Conflict, NotFound, PermissionDenied, Problem, ValidationFailed
from models import Channel, Membership, Post, PostTarget, PublishAttempt

log = structlog.get_logger("posts")

MAX_BODY_CHARS = 20_000  # far above any network's limit; the connectors' validate() names the real one
MAX_THREAD_PARTS = 25
MAX_TARGETS = 50
MAX_REPEAT_TIMES = 100
MAX_REPEAT_EVERY_DAYS = 365
_EDITABLE = ("draft", "changes_requested", "awaiting_approval", "scheduled")
_UNSTARTED_TARGETS = ("draft", "awaiting_approval", "scheduled")
_CANCELLABLE_TARGETS = ("draft", "awaiting_approval", "scheduled", "queued", "retrying", "unknown", "failed")


@dataclass
class TargetInput:
    channel_id: uuid.UUID
    body: str | None = None  # None inherits the post's body
    thread: list[str] = field(default_factory=list)  # follow-up parts, posted as replies
    first_comment: str | None = None


# --- guards and checks ---
def _member(session: Session, actor: uuid.UUID, workspace_id: uuid.UUID, permission: str) -> Membership:
    return permissions.require(session, actor, workspace_id, permission)


def _may(role: str, permission: str) -> bool:
    return permissions.can(role, permission)


def get_post(session: Session, actor: uuid.UUID, post_id: uuid.UUID, permission: str = "post:read") -> Post:
    post = session.get(Post, post_id)
    if post is None:
        raise NotFound("post not found", field="post_id")
    m = _member(session, actor, post.workspace_id, "post:read")
    if permission in ("post:edit", "post:delete"):
        # Authors edit and delete their own posts; editors and above any post.
        any_permission = "post:edit_any" if permission == "post:edit" else "post:delete"
        if not (_may(m.role, any_permission) or (post.author_id == actor and _may(m.role, "post:create"))):
            raise PermissionDenied(f"your role ({m.role}) cannot change other people's posts")
    elif permission != "post:read":
        permissions.require(session, actor, post.workspace_id, permission)
    return post


def _targets(session: Session, post_id: uuid.UUID) -> list[PostTarget]:
    return list(
        session.exec(
            select(PostTarget).where(PostTarget.post_id == post_id).order_by(col(PostTarget.created_at))
        ).all()
    )


def _clean_text(value: str | None, name: str, problems: list[Problem]) -> str | None:
    if value is None:
        return None
    if "\x00" in value:
        problems.append(
            Problem(name, "the text contains a NUL character; remove it and paste the text again")
        )
        return value.replace("\x00", "")
    if len(value) > MAX_BODY_CHARS:
        problems.append(
            Problem(
                name,
                f"the text has {len(value)} characters; Quillcast keeps at most "
                f"{MAX_BODY_CHARS} per part — shorten it",
            )
        )
    return value


def _raise(problems: list[Problem]) -> None:
    if problems:
        first = problems[0]
        message = first.message if len(problems) == 1 else f"{first.message} (and {len(problems) - 1} more)"
        raise ValidationFailed(message, field=first.field, problems=problems)


def _check_inputs(
    session: Session,
    workspace_id: uuid.UUID,
    body: str,
    targets: list[TargetInput],
    repeat_every_days: int | None,
    repeat_times: int | None,
) -> None:
    problems: list[Problem] = []
    _clean_text(body, "body", problems)
    if not targets:
        problems.append(Problem("targets", "choose at least one channel to post to"))
    if len(targets) > MAX_TARGETS:
        problems.append(Problem("targets", f"at most {MAX_TARGETS} channels per post"))
    seen: set[uuid.UUID] = set()
    for i, t in enumerate(targets):
        channel = session.get(Channel, t.channel_id)
        if channel is None or channel.workspace_id != workspace_id:
            problems.append(Problem(f"targets[{i}].channel_id", "this channel is not in this workspace"))
        if t.channel_id in seen:
            problems.append(Problem(f"targets[{i}].channel_id", "this channel is chosen twice; keep one"))
        seen.add(t.channel_id)
        _clean_text(t.body, f"targets[{i}].body", problems)
        _clean_text(t.first_comment, f"targets[{i}].first_comment", problems)
        if len(t.thread) > MAX_THREAD_PARTS:
            problems.append(Problem(f"targets[{i}].thread", f"a thread has at most {MAX_THREAD_PARTS} parts"))
        for j, part in enumerate(t.thread):
            _clean_text(part, f"targets[{i}].thread[{j}]", problems)
            if not part.strip():
                problems.append(
                    Problem(f"targets[{i}].thread[{j}]", "this thread part is empty: write it or remove it")
                )
        text = t.body if t.body is not None else body
        if not text.strip():
            problems.append(
                Problem(
                    f"targets[{i}].body" if t.body is not None else "body",
                    "the post text is empty: write something to publish",
                )
            )
    if (repeat_every_days is None) != (repeat_times is None):
        problems.append(
            Problem("repeat_every_days", "a recurring post needs both every how many days and how many times")
        )
    if repeat_every_days is not None and not 1 <= repeat_every_days <= MAX_REPEAT_EVERY_DAYS:
        problems.append(Problem("repeat_every_days", f"repeat every 1 to {MAX_REPEAT_EVERY_DAYS} days"))
    if repeat_times is not None and not 1 <= repeat_times <= MAX_REPEAT_TIMES:
        problems.append(Problem("repeat_times", f"repeat 1 to {MAX_REPEAT_TIMES} times"))
    _raise(problems)


def _options(t: TargetInput) -> dict[str, Any]:
    options: dict[str, Any] = {}
    if t.thread:
        options["thread"] = list(t.thread)
    if t.first_comment:
        options["first_comment"] = t.first_comment
    return options


def validate_for_networks(session: Session, post: Post, targets: list[PostTarget]) -> None:
    """Ask each channel's connector (when one is installed) to check the text against its own limits."""
    problems: list[Problem] = []
    for i, target in enumerate(targets):
        channel = session.get(Channel, target.channel_id)
        if channel is None:
            continue
        if channel.status != "active":
            problems.append(
                Problem(
                    f"targets[{i}].channel_id",
                    f"the {channel.network} channel “{channel.name}” "
                    "needs reconnecting before it can publish",
                    "channel_needs_reauth",
                )
            )
            continue
        try:
            connector = publishing.connector_for(channel)
        except ImportError:
            continue  # no connector registry yet: the network's answer at publish time will say it
        except Exception as exc:  # noqa: BLE001 - a connector that cannot be built must not block drafts
            log.warning("posts.validate_skipped", network=channel.network, error=type(exc).__name__)
            continue
        for p in connector.validate(publishing.build_request(post, target)):
            problems.append(Problem(f"targets[{i}].{p.field}", p.message, "over_limit"))
    _raise(problems)


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
                t.channel_id, t.body, list(t.options.get("thread", [])), t.options.get("first_comment")
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
    audit.record(
        session,
        "post.deleted",
        actor_id=actor,
        workspace_id=post.workspace_id,
        subject_type="post",
        subject_id=post.id,
    )
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
    audit.record(
        session,
        "post.scheduled" if mode == "direct" else "post.submitted",
        actor_id=actor,
        workspace_id=post.workspace_id,
        subject_type="post",
        subject_id=post.id,
        scheduled_at=when.isoformat(),
    )
    session.flush()
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
                    t.channel_id, t.body, list(t.options.get("thread", [])), t.options.get("first_comment")
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
    audit.record(
        session,
        "post.queued_in_slots",
        actor_id=actor,
        workspace_id=post.workspace_id,
        subject_type="post",
        subject_id=post.id,
    )
    session.flush()
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
    audit.record(
        session,
        "post.published_now" if direct else "post.submitted",
        actor_id=actor,
        workspace_id=post.workspace_id,
        subject_type="post",
        subject_id=post.id,
    )
    session.flush()
    return post


def _queue(session: Session, target: PostTarget, now: datetime) -> None:
    target.status, target.scheduled_at, target.last_error = "queued", target.scheduled_at or now, None
    target.next_attempt_at = None
    if target.scheduled_at > now:
        target.scheduled_at = now
    queue.send_after_commit(session, publishing.PUBLISH_TASK, str(target.id), queue=queue.PUBLISH_QUEUE)


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
    session.flush()
    publishing.refresh_post_status(session, post.id)
    audit.record(
        session,
        "post.cancelled",
        actor_id=actor,
        workspace_id=post.workspace_id,
        subject_type="post",
        subject_id=post.id,
    )
    session.flush()
    return post


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
    session.flush()
    publishing.refresh_post_status(session, target.post_id)
    audit.record(
        session,
        "target.retried",
        actor_id=actor,
        workspace_id=target.workspace_id,
        subject_type="post_target",
        subject_id=target.id,
    )
    session.flush()
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
    else:
        raise ValidationFailed("choose publish_anyway or mark_posted", field="action")
    session.add(target)
    session.flush()
    publishing.refresh_post_status(session, target.post_id)
    audit.record(
        session,
        f"target.{action}",
        actor_id=actor,
        workspace_id=target.workspace_id,
        subject_type="post_target",
        subject_id=target.id,
    )
    session.flush()
    return target


# --- approval ---
def approve(session: Session, actor: uuid.UUID, post_id: uuid.UUID, now: datetime | None = None) -> Post:
    post = get_post(session, actor, post_id, "post:approve")
    if post.status != "awaiting_approval":
        raise Conflict(
            f"this post is {post.status.replace('_', ' ')}, not awaiting approval", field="post_id"
        )
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
    audit.record(
        session,
        "post.approved",
        actor_id=actor,
        workspace_id=post.workspace_id,
        subject_type="post",
        subject_id=post.id,
    )
    session.flush()
    return post


def request_changes(session: Session, actor: uuid.UUID, post_id: uuid.UUID, comment: str) -> Post:
    post = get_post(session, actor, post_id, "post:approve")
    if post.status != "awaiting_approval":
        raise Conflict(
            f"this post is {post.status.replace('_', ' ')}, not awaiting approval", field="post_id"
        )
    if not comment or not comment.strip():
        raise ValidationFailed("say what should change, so the author knows what to do", field="comment")
    if len(comment) > 5000:
        raise ValidationFailed("keep the comment under 5000 characters", field="comment")
    for t in _targets(session, post.id):
        if t.status == "awaiting_approval":
            t.status = "draft"
            session.add(t)
    post.status, post.approval_comment = "changes_requested", comment.strip()
    session.add(post)
    audit.record(
        session,
        "post.changes_requested",
        actor_id=actor,
        workspace_id=post.workspace_id,
        subject_type="post",
        subject_id=post.id,
    )
    session.flush()
    return post


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
    _member(session, actor, workspace_id, "post:read")
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
    _member(session, actor, workspace_id, "post:read")
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
    for t in _targets(session, post.id):
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
