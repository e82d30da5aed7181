"""RSS / Atom feeds a workspace subscribes to, and the items already turned into posts.

Named `rss_feeds` to keep them apart from `calendar_feeds` (the private iCal URLs)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Column, Index, Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from models.base import created_at_field, fk_field, id_field, one_of, timestamp_field, updated_at_field

# draft: a draft post; queue: each channel's next free queue slot; delay: scheduled `delay_minutes` after
# the item was seen.
RSS_FEED_MODES = ("draft", "queue", "delay")
RSS_DEFAULT_TEMPLATE = "{title}\n\n{summary}\n\n{link}"


class RssFeed(SQLModel, table=True):
    """A feed URL polled politely (ETag / Last-Modified, backoff on errors); new items become posts."""

    __tablename__ = "rss_feeds"
    __table_args__ = (
        one_of("mode", RSS_FEED_MODES, "ck_rss_feeds_mode"),
        Index("ix_rss_feeds_active_next_poll", "active", "next_poll_at"),
    )

    id: uuid.UUID = id_field()
    workspace_id: uuid.UUID = fk_field("workspaces.id")
    url: str = Field(sa_column=Column(Text, nullable=False))
    title: str = Field(default="", max_length=200)  # the feed's own title, read at each poll
    channel_ids: list[str] = Field(
        default_factory=list, sa_column=Column(JSONB, nullable=False, server_default="[]"))
    mode: str = Field(default="draft", max_length=16)
    delay_minutes: int = Field(default=60, ge=0)
    template: str = Field(default=RSS_DEFAULT_TEMPLATE, sa_column=Column(Text, nullable=False))
    utm_campaign: str = Field(default="rss", max_length=100)
    short_links: bool = Field(default=False)
    active: bool = Field(default=True)
    created_by_id: uuid.UUID | None = fk_field("users.id", nullable=True, ondelete="SET NULL")
    # Conditional GET: what the server said last time, sent back as If-None-Match / If-Modified-Since.
    etag: str | None = Field(default=None, max_length=500)
    last_modified: str | None = Field(default=None, max_length=100)
    last_polled_at: datetime | None = timestamp_field()
    last_error: str | None = Field(default=None, max_length=500)
    failures: int = Field(default=0, ge=0)  # in a row; sets the backoff
    next_poll_at: datetime | None = timestamp_field()
    created_at: datetime = created_at_field()
    updated_at: datetime = updated_at_field()


class RssFeedItem(SQLModel, table=True):
    """One item of a feed that was seen (by guid, else link): it becomes a post at most once."""

    __tablename__ = "rss_feed_items"
    __table_args__ = (UniqueConstraint("feed_id", "item_key", name="uq_rss_feed_items_feed_key"),)

    id: uuid.UUID = id_field()
    workspace_id: uuid.UUID = fk_field("workspaces.id")
    feed_id: uuid.UUID = fk_field("rss_feeds.id", index=False)
    item_key: str = Field(max_length=1000)
    post_id: uuid.UUID | None = fk_field("posts.id", nullable=True, ondelete="SET NULL")
    created_at: datetime = created_at_field()
