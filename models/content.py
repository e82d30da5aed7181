"""Writing aids: short links and their clicks, saved snippets and hashtag groups, ideas, iCal feeds."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.base import created_at_field, fk_field, id_field, one_of, timestamp_field

SNIPPET_KINDS = ("hashtags", "snippet")
IDEA_STATUSES = ("open", "used", "archived")


class Link(SQLModel, table=True):
    """A short link `/l/<code>` to a destination with UTM parameters added."""

    __tablename__ = "links"

    id: uuid.UUID = id_field()
    workspace_id: uuid.UUID = fk_field("workspaces.id")
    code: str = Field(max_length=16, unique=True, index=True)
    destination: str = Field(sa_column=Column(Text, nullable=False))  # with the UTM parameters
    created_by_id: uuid.UUID | None = fk_field("users.id", nullable=True, ondelete="SET NULL")
    clicks: int = Field(default=0, ge=0)
    created_at: datetime = created_at_field()


class LinkClick(SQLModel, table=True):
    __tablename__ = "link_clicks"

    id: uuid.UUID = id_field()
    workspace_id: uuid.UUID = fk_field("workspaces.id")
    link_id: uuid.UUID = fk_field("links.id")
    referrer_host: str | None = Field(default=None, max_length=255)  # host only: no full URLs, no IPs
    created_at: datetime = created_at_field()


class Snippet(SQLModel, table=True):
    """Reusable text: a hashtag group ("#python #async") or a snippet (a signature, a call to action)."""

    __tablename__ = "snippets"
    __table_args__ = (
        UniqueConstraint("workspace_id", "kind", "name", name="uq_snippets_workspace_kind_name"),
        one_of("kind", SNIPPET_KINDS, "ck_snippets_kind"),
    )

    id: uuid.UUID = id_field()
    workspace_id: uuid.UUID = fk_field("workspaces.id")
    kind: str = Field(max_length=16)
    name: str = Field(max_length=80)
    body: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = created_at_field()


class Idea(SQLModel, table=True):
    """A card on the ideas board; turning it into a post links the two."""

    __tablename__ = "ideas"
    __table_args__ = (
        one_of("status", IDEA_STATUSES, "ck_ideas_status"),
        Index("ix_ideas_workspace_status", "workspace_id", "status"),
    )

    id: uuid.UUID = id_field()
    workspace_id: uuid.UUID = fk_field("workspaces.id", index=False)
    author_id: uuid.UUID | None = fk_field("users.id", nullable=True, ondelete="SET NULL")
    title: str = Field(max_length=200)
    notes: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    status: str = Field(default="open", max_length=16)
    post_id: uuid.UUID | None = fk_field("posts.id", nullable=True, ondelete="SET NULL")
    created_at: datetime = created_at_field()


class CalendarFeed(SQLModel, table=True):
    """A private iCal URL of a workspace's schedule; only the token's hash is stored."""

    __tablename__ = "calendar_feeds"

    id: uuid.UUID = id_field()
    workspace_id: uuid.UUID = fk_field("workspaces.id")
    user_id: uuid.UUID = fk_field("users.id")
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = created_at_field()
    revoked_at: datetime | None = timestamp_field()
