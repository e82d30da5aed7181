"""Posts, their per-channel targets, and every publish attempt."""

from __future__ import annotations

import uuid
from datetime import datetime, time
from typing import Any

from sqlalchemy import CheckConstraint, Column, Computed, DateTime, Index, Text, Time, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from models.base import (
    created_at_field,
    fk_field,
    id_field,
    json_field,
    one_of,
    timestamp_field,
    updated_at_field,
)

POST_STATUSES = (
    "draft", "awaiting_approval", "changes_requested", "scheduled", "publishing",
    "published", "partially_published", "failed", "cancelled",
)
TARGET_STATUSES = (
    "draft", "awaiting_approval", "scheduled", "queued", "publishing", "published",
    "retrying", "failed", "unknown", "cancelled",
)

# Named groups of statuses, so that each rule says which group it means instead of listing statuses again
# (the rules that use them, and which actions each status allows, are in app/services/planning/statuses).
# A post not yet submitted or scheduled: the drafts list.
POST_DRAFTS = ("draft", "changes_requested")
# A post with a time that waits for it (or for approval first): its text must fit the networks already.
POST_PLANNED = ("awaiting_approval", "scheduled")
# A post that can still be edited, rescheduled or published now (if none of its targets started).
POST_EDITABLE = POST_DRAFTS + POST_PLANNED

# Every target status is in exactly one of WAITING, IN_FLIGHT and SETTLED.
# Not yet handed over to a worker: it can be edited, rescheduled, dragged on the calendar.
TARGET_WAITING = ("draft", "awaiting_approval", "scheduled")
# Handed over: a worker moves it on without anybody doing anything.
TARGET_IN_FLIGHT = ("queued", "publishing", "retrying")
# No worker touches it again: it went out, failed, may have gone out (a person must say), or was stopped.
TARGET_SETTLED = ("published", "failed", "unknown", "cancelled")
# Has a time and waits for it (or for approval first).
TARGET_PLANNED = ("awaiting_approval", "scheduled")
# Going out unless somebody stops it: planned, or already on its way.
TARGET_PENDING = TARGET_PLANNED + TARGET_IN_FLIGHT
# Being handed to its network now (not waiting for a time or for a retry): too late to delete, "now" in mail.
TARGET_GOING_OUT = ("queued", "publishing")
# Nobody knows yet how it ends: on its way, or unknown until a person answers. Its post is "publishing".
TARGET_UNRESOLVED = TARGET_IN_FLIGHT + ("unknown",)
# What "cancel" stops: all that has not gone out, except a target mid-publish (the network call is under
# way; cancelling is refused while one is).
TARGET_CANCELLABLE = TARGET_WAITING + ("queued", "retrying", "failed", "unknown")
# Holds its channel's time slot: going out, gone out, or maybe gone out at that time (a draft, a failure
# and a cancelled target leave it free for the queue).
TARGET_HOLDS_SLOT = TARGET_PENDING + ("published", "unknown")

# `in_progress` is written before the network call, so an attempt a dead worker left behind is visible;
# the reconciler turns it into `already_published` / `interrupted` / `unknown`.
ATTEMPT_OUTCOMES = (
    "published", "transient_error", "permanent_error", "unknown", "already_published", "in_progress",
    "interrupted",
)


class Post(SQLModel, table=True):
    __tablename__ = "posts"
    __table_args__ = (one_of("status", POST_STATUSES, "ck_posts_status"),)

    id: uuid.UUID = id_field()
    workspace_id: uuid.UUID = fk_field("workspaces.id")
    author_id: uuid.UUID | None = fk_field("users.id", nullable=True, ondelete="SET NULL")
    status: str = Field(default="draft", max_length=24)
    body: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    approval_comment: str | None = Field(default=None, sa_column=Column(Text))
    approved_by_id: uuid.UUID | None = fk_field("users.id", nullable=True, ondelete="SET NULL")
    # Recurring / evergreen posts: the first post of a series and its copies share `series_id`;
    # `occurrence` counts from 1. Copies are created up front so the calendar shows every one.
    series_id: uuid.UUID | None = Field(default=None, index=True)
    occurrence: int | None = Field(default=None, ge=1)
    repeat_every_days: int | None = Field(default=None, ge=1)
    repeat_times: int | None = Field(default=None, ge=1)
    created_at: datetime = created_at_field()
    updated_at: datetime = updated_at_field()


class PostTarget(SQLModel, table=True):
    """One post on one channel: the unit that is scheduled, published and retried."""

    __tablename__ = "post_targets"
    __table_args__ = (
        UniqueConstraint("post_id", "channel_id", name="uq_post_targets_post_channel"),
        one_of("status", TARGET_STATUSES, "ck_post_targets_status"),
        # The dispatcher's query: due targets in scheduled_at order (partial: only waiting rows).
        Index("ix_post_targets_due", "scheduled_at", postgresql_where=text("status = 'scheduled'")),
        Index("ix_post_targets_retry", "next_attempt_at", postgresql_where=text("status = 'retrying'")),
        Index(
            "ix_post_targets_lease",
            "lease_expires_at",
            postgresql_where=text("status = 'publishing'"),
        ),
        # The calendar's range query (services/planning/calendar.py): a workspace's targets by calendar_at.
        Index("ix_post_targets_calendar", "workspace_id", "calendar_at", postgresql_include=["updated_at"]),
    )

    id: uuid.UUID = id_field()
    # No index of its own: ix_post_targets_calendar leads with workspace_id and serves those lookups; with
    # both, the planner took this one for the calendar's month and filtered every target the workspace had.
    workspace_id: uuid.UUID = fk_field("workspaces.id", index=False)
    post_id: uuid.UUID = fk_field("posts.id")
    channel_id: uuid.UUID = fk_field("channels.id")
    # None means "inherit the post's body".
    body: str | None = Field(default=None, sa_column=Column(Text))
    options: dict[str, Any] = json_field()  # thread parts, first comment, media order
    scheduled_at: datetime | None = timestamp_field()
    status: str = Field(default="draft", max_length=20)
    attempts: int = Field(default=0, ge=0)
    next_attempt_at: datetime | None = timestamp_field()
    lease_expires_at: datetime | None = timestamp_field()
    idempotency_key: str = Field(max_length=64, unique=True)
    remote_id: str | None = Field(default=None, max_length=512)
    remote_url: str | None = Field(default=None, max_length=2048)
    last_error: str | None = Field(default=None, sa_column=Column(Text))
    published_at: datetime | None = timestamp_field()
    # Where the calendar shows the target: when it went out, else when it is due. A column of its own
    # (kept by Postgres) because under Row Level Security a condition on coalesce(...) counts as leaky
    # and is not used to search an index: the month query then read every target the workspace had.
    calendar_at: datetime | None = Field(default=None, sa_column=Column(
        DateTime(timezone=True), Computed("coalesce(published_at, scheduled_at)", persisted=True)))
    created_at: datetime = created_at_field()
    updated_at: datetime = updated_at_field()


class PublishAttempt(SQLModel, table=True):
    __tablename__ = "publish_attempts"
    __table_args__ = (one_of("outcome", ATTEMPT_OUTCOMES, "ck_publish_attempts_outcome"),)

    id: uuid.UUID = id_field()
    workspace_id: uuid.UUID = fk_field("workspaces.id")
    target_id: uuid.UUID = fk_field("post_targets.id")
    number: int = Field(ge=1)
    started_at: datetime = created_at_field()
    finished_at: datetime | None = timestamp_field()
    outcome: str = Field(max_length=20)
    http_status: int | None = Field(default=None)
    error: str | None = Field(default=None, sa_column=Column(Text))
    worker: str | None = Field(default=None, max_length=255)


class TimeSlot(SQLModel, table=True):
    """A weekly queue slot of a channel: "add to queue" takes the next free one."""

    __tablename__ = "time_slots"
    __table_args__ = (
        UniqueConstraint("channel_id", "weekday", "local_time", name="uq_time_slots_channel_time"),
        CheckConstraint("weekday BETWEEN 0 AND 6", name="ck_time_slots_weekday"),
    )

    id: uuid.UUID = id_field()
    workspace_id: uuid.UUID = fk_field("workspaces.id")
    channel_id: uuid.UUID = fk_field("channels.id")
    weekday: int = Field(ge=0, le=6)  # Monday = 0, as Python's date.weekday()
    local_time: time = Field(sa_column=Column(Time, nullable=False))
    timezone: str = Field(default="UTC", max_length=64)  # IANA name; slots follow local time across DST
    created_at: datetime = created_at_field()
