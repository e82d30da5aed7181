"""Posts, their targets and queue slots: thin routes over app.services.planning.posts / timeslots."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime, time
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, Query, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from app.api import idempotency
from app.api.deps import PostReader, PostWriter, SessionDep, WorkspaceContext, require
from app.services import zones
from app.services.errors import NotFound
from app.services.planning import posts, timeslots
from models import POST_STATUSES, TARGET_STATUSES, Channel, Post, PostTarget

router = APIRouter(prefix="/workspaces/{workspace_id}", tags=["posts"])
# Each route asks for the least permission that every caller the service lets through holds, so an API
# key's scope is checked too; the service then checks the finer rule (authors change their own posts,
# contributors submit theirs for approval, editors act on any).
PostSubmitter = Annotated[WorkspaceContext, Depends(require("post:submit"))]
PostApprover = Annotated[WorkspaceContext, Depends(require("post:approve"))]
PostPublisher = Annotated[WorkspaceContext, Depends(require("post:publish"))]
SlotManager = Annotated[WorkspaceContext, Depends(require("slot:manage"))]
IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key", max_length=255)]


# --- schemas ---
class TargetIn(BaseModel):
    channel_id: uuid.UUID
    body: str | None = Field(
        default=None, max_length=posts.MAX_BODY_CHARS, description="None inherits the post's"
    )
    thread: list[str] = Field(default_factory=list, max_length=posts.MAX_THREAD_PARTS)
    first_comment: str | None = Field(default=None, max_length=posts.MAX_BODY_CHARS)

    def to_input(self) -> posts.TargetInput:
        return posts.TargetInput(self.channel_id, self.body, list(self.thread), self.first_comment)


class PostCreate(BaseModel):
    body: str = Field(max_length=posts.MAX_BODY_CHARS)
    targets: list[TargetIn] = Field(min_length=1, max_length=posts.MAX_TARGETS)
    repeat_every_days: int | None = Field(default=None, ge=1, le=posts.MAX_REPEAT_EVERY_DAYS)
    repeat_times: int | None = Field(default=None, ge=1, le=posts.MAX_REPEAT_TIMES)


class PostUpdate(BaseModel):
    body: str | None = Field(default=None, max_length=posts.MAX_BODY_CHARS)
    targets: list[TargetIn] | None = Field(default=None, min_length=1, max_length=posts.MAX_TARGETS)


class ScheduleIn(BaseModel):
    local_time: datetime = Field(description="Wall-clock time without offset, e.g. 2027-03-28T09:30")
    timezone: str = Field(description="IANA zone, e.g. Europe/Paris", max_length=zones.ZONE_MAX)
    fold: Literal[0, 1] | None = Field(default=None, description="Which reading of a DST gap/overlap")


class CommentIn(BaseModel):
    comment: str = Field(max_length=posts.MAX_COMMENT)


class ResolveIn(BaseModel):
    action: Literal["publish_anyway", "mark_posted"]
    remote_url: str | None = Field(default=None, max_length=2048)


class SlotIn(BaseModel):
    weekday: int = Field(ge=0, le=6, description="Monday = 0")
    local_time: time


class SlotsIn(BaseModel):
    timezone: str = Field(max_length=zones.ZONE_MAX)
    slots: list[SlotIn] = Field(max_length=200)


class PostPublic(BaseModel):
    id: uuid.UUID
    workspace_id: uuid.UUID
    author_id: uuid.UUID | None
    status: str
    body: str
    approval_comment: str | None
    series_id: uuid.UUID | None
    occurrence: int | None
    repeat_every_days: int | None
    repeat_times: int | None
    created_at: datetime
    updated_at: datetime


class PostPage(BaseModel):
    items: list[PostPublic]
    total: int
    limit: int
    offset: int


class AttemptPublic(BaseModel):
    number: int
    outcome: str
    http_status: int | None
    error: str | None
    started_at: datetime
    finished_at: datetime | None


class TargetPublic(BaseModel):
    id: uuid.UUID
    post_id: uuid.UUID
    channel_id: uuid.UUID
    channel_name: str
    network: str
    status: str
    scheduled_at: datetime | None
    published_at: datetime | None
    text: str
    remote_url: str | None
    last_error: str | None
    attempts: int


class TargetDetail(TargetPublic):
    body: str | None
    thread: list[str]
    first_comment: str | None
    next_attempt_at: datetime | None
    attempt_log: list[AttemptPublic]


class PostDetail(PostPublic):
    approved_by_id: uuid.UUID | None
    targets: list[TargetDetail]


class TargetState(BaseModel):
    id: uuid.UUID
    post_id: uuid.UUID
    status: str
    scheduled_at: datetime | None
    published_at: datetime | None
    remote_url: str | None
    last_error: str | None


class SlotPublic(BaseModel):
    id: uuid.UUID
    channel_id: uuid.UUID
    weekday: int
    local_time: time
    timezone: str


# --- helpers ---
def _in_workspace(session: SessionDep, ctx: WorkspaceContext, post_id: uuid.UUID) -> None:
    post = session.get(Post, post_id)
    if post is None or post.workspace_id != ctx.workspace.id:
        raise NotFound("post not found", field="post_id")


def _target_in_workspace(session: SessionDep, ctx: WorkspaceContext, target_id: uuid.UUID) -> None:
    target = session.get(PostTarget, target_id)
    if target is None or target.workspace_id != ctx.workspace.id:
        raise NotFound("target not found", field="target_id")


def _act(
    session: SessionDep, ctx: WorkspaceContext, post_id: uuid.UUID, action: Callable[..., object], *args: Any,
    **kwargs: Any,
) -> dict[str, Any]:
    """A posts-service action on a post of this workspace, answered with the post as it is now."""
    _in_workspace(session, ctx, post_id)
    action(session, ctx.user.id, post_id, *args, **kwargs)
    return posts.post_detail(session, ctx.user.id, post_id)


# --- posts ---
@router.get("/posts", response_model=PostPage)
def list_posts(
    session: SessionDep,
    ctx: PostReader,
    status: Annotated[list[Literal[POST_STATUSES]] | None, Query()] = None,  # type: ignore[valid-type]
    channel_id: uuid.UUID | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> dict[str, Any]:
    """Posts, newest first; filter by status, channel and scheduled time range."""
    items, total = posts.list_posts(
        session,
        ctx.user.id,
        ctx.workspace.id,
        statuses=status,
        channel_id=channel_id,
        start=start,
        end=end,
        limit=limit,
        offset=offset,
    )
    return {"items": items, "total": total, "limit": limit, "offset": offset}


@router.post("/posts", response_model=PostDetail, status_code=201)
def create_post(
    session: SessionDep, ctx: PostWriter, data: PostCreate, key: IdempotencyKey = None
) -> JSONResponse:
    """Create a draft post with one target per channel (send an Idempotency-Key to make retries safe)."""

    def create() -> dict[str, Any]:
        post = posts.create_post(
            session,
            ctx.user.id,
            ctx.workspace.id,
            body=data.body,
            targets=[t.to_input() for t in data.targets],
            repeat_every_days=data.repeat_every_days,
            repeat_times=data.repeat_times,
        )
        # Saved before its answer is kept for replays: a failed commit must not leave an answer behind.
        session.commit()
        detail = posts.post_detail(session, ctx.user.id, post.id)
        return PostDetail.model_validate(detail).model_dump(mode="json")

    return idempotency.run_once(
        key, user_id=ctx.user.id, scope=f"{ctx.workspace.id}:posts", body=data, status_code=201, create=create
    )


@router.get("/posts/{post_id}", response_model=PostDetail)
def get_post(session: SessionDep, ctx: PostReader, post_id: uuid.UUID) -> dict[str, Any]:
    """One post with each target's status, every attempt and the network's errors."""
    _in_workspace(session, ctx, post_id)
    return posts.post_detail(session, ctx.user.id, post_id)


@router.patch("/posts/{post_id}", response_model=PostDetail)
def update_post(session: SessionDep, ctx: PostWriter, post_id: uuid.UUID, data: PostUpdate) -> dict[str, Any]:
    """Edit text and channels of a post that has not started publishing."""
    targets = [t.to_input() for t in data.targets] if data.targets is not None else None
    return _act(session, ctx, post_id, posts.update_post, body=data.body, targets=targets)


@router.delete("/posts/{post_id}", status_code=204)
def delete_post(session: SessionDep, ctx: PostWriter, post_id: uuid.UUID) -> Response:
    """Delete a post that is not being published right now."""
    _in_workspace(session, ctx, post_id)
    posts.delete_post(session, ctx.user.id, post_id)
    return Response(status_code=204)


@router.post("/posts/{post_id}/schedule", response_model=PostDetail)
def schedule_post(
    session: SessionDep, ctx: PostSubmitter, post_id: uuid.UUID, data: ScheduleIn
) -> dict[str, Any]:
    """Schedule or reschedule at a local time in an IANA zone (DST gaps and overlaps need `fold`)."""
    return _act(
        session, ctx, post_id, posts.schedule_post, local_time=data.local_time, timezone=data.timezone,
        fold=data.fold,
    )


@router.post("/posts/{post_id}/queue", response_model=PostDetail)
def add_to_queue(session: SessionDep, ctx: PostSubmitter, post_id: uuid.UUID) -> dict[str, Any]:
    """Give each target the next free weekly slot of its channel."""
    return _act(session, ctx, post_id, posts.add_to_queue)


@router.post("/posts/{post_id}/publish-now", response_model=PostDetail)
def publish_now(session: SessionDep, ctx: PostSubmitter, post_id: uuid.UUID) -> dict[str, Any]:
    """Publish every target now (a contributor's post waits for approval first)."""
    return _act(session, ctx, post_id, posts.publish_now)


@router.post("/posts/{post_id}/cancel", response_model=PostDetail)
def cancel_post(session: SessionDep, ctx: PostWriter, post_id: uuid.UUID) -> dict[str, Any]:
    """Stop every target that has not been published yet."""
    return _act(session, ctx, post_id, posts.cancel_post)


@router.post("/posts/{post_id}/approve", response_model=PostDetail)
def approve_post(session: SessionDep, ctx: PostApprover, post_id: uuid.UUID) -> dict[str, Any]:
    """Approve a contributor's post."""
    return _act(session, ctx, post_id, posts.approve)


@router.post("/posts/{post_id}/request-changes", response_model=PostDetail)
def request_changes(
    session: SessionDep, ctx: PostApprover, post_id: uuid.UUID, data: CommentIn
) -> dict[str, Any]:
    """Send a contributor's post back with a comment."""
    return _act(session, ctx, post_id, posts.request_changes, data.comment)


# --- targets ---
@router.get("/targets", response_model=list[TargetPublic])
def list_targets(
    session: SessionDep,
    ctx: PostReader,
    start: datetime,
    end: datetime,
    channel_id: Annotated[list[uuid.UUID] | None, Query()] = None,
    status: Annotated[list[Literal[TARGET_STATUSES]] | None, Query()] = None,  # type: ignore[valid-type]
    author_id: uuid.UUID | None = None,
) -> list[dict[str, Any]]:
    """Targets scheduled in [start, end): the calendar's data."""
    return posts.list_targets(
        session,
        ctx.user.id,
        ctx.workspace.id,
        start,
        end,
        channel_ids=channel_id,
        statuses=status,
        author_id=author_id,
    )


@router.post("/targets/{target_id}/retry", response_model=TargetState)
def retry_target(session: SessionDep, ctx: PostPublisher, target_id: uuid.UUID) -> PostTarget:
    """Publish a failed target again."""
    _target_in_workspace(session, ctx, target_id)
    return posts.retry_target(session, ctx.user.id, target_id)


@router.post("/targets/{target_id}/resolve", response_model=TargetState)
def resolve_target(
    session: SessionDep, ctx: PostPublisher, target_id: uuid.UUID, data: ResolveIn
) -> PostTarget:
    """For a target in state `unknown`: publish anyway, or mark as posted."""
    _target_in_workspace(session, ctx, target_id)
    return posts.resolve_unknown(session, ctx.user.id, target_id, data.action, data.remote_url)


# --- queue slots ---
@router.get("/channels/{channel_id}/slots", response_model=list[SlotPublic])
def list_slots(session: SessionDep, ctx: PostReader, channel_id: uuid.UUID) -> list[Any]:
    """The channel's weekly queue slots."""
    return _slots_of(session, ctx, channel_id, lambda: timeslots.list_slots(session, ctx.user.id, channel_id))


@router.put("/channels/{channel_id}/slots", response_model=list[SlotPublic])
def set_slots(session: SessionDep, ctx: SlotManager, channel_id: uuid.UUID, data: SlotsIn) -> list[Any]:
    """Replace the channel's weekly queue slots."""
    return _slots_of(
        session,
        ctx,
        channel_id,
        lambda: timeslots.set_slots(
            session,
            ctx.user.id,
            channel_id,
            [timeslots.SlotInput(s.weekday, s.local_time) for s in data.slots],
            data.timezone,
        ),
    )


def _slots_of(session: SessionDep, ctx: WorkspaceContext, channel_id: uuid.UUID, run: Any) -> list[Any]:
    channel = session.get(Channel, channel_id)
    if channel is None or channel.workspace_id != ctx.workspace.id:
        raise NotFound("channel not found", field="channel_id")
    return list(run())
