"""RSS feeds of a workspace: list (every member), follow, change, pause/resume, stop following, and
"poll now" (whoever may write posts: each new item becomes a post written as them)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from fastapi import APIRouter, Response, status
from pydantic import BaseModel, Field
from sqlmodel import Session

from app.api.deps import PostReader, PostWriter, SessionDep
from app.services.planning import rss_feeds, rss_poll
from models import RSS_DEFAULT_TEMPLATE, RssFeed

router = APIRouter(prefix="/workspaces/{workspace_id}/rss-feeds", tags=["rss-feeds"])
Mode = Literal["draft", "queue", "delay"]
TEMPLATE_HELP = "the post's text; placeholders {title}, {link} (with UTM, shortened if short_links) and " \
                "{summary} (cut to fit the strictest channel)"


class RssFeedCreate(BaseModel):
    url: str = Field(max_length=rss_feeds.MAX_URL, description="the RSS or Atom feed's https:// address")
    channel_ids: list[uuid.UUID] = Field(min_length=1, max_length=50)
    mode: Mode = Field(default="draft", description="draft, queue (next free slot) or delay")
    delay_minutes: int = Field(default=60, description="with mode delay: minutes after the item is read")
    template: str = Field(default=RSS_DEFAULT_TEMPLATE, max_length=rss_feeds.MAX_TEMPLATE,
                          description=TEMPLATE_HELP)
    utm_campaign: str = Field(default="rss", max_length=100)
    short_links: bool | None = Field(default=None,
                                     description="default: yes if the workspace has short links")


class RssFeedUpdate(BaseModel):
    url: str | None = Field(default=None, max_length=rss_feeds.MAX_URL)
    channel_ids: list[uuid.UUID] | None = Field(default=None, min_length=1, max_length=50)
    mode: Mode | None = None
    delay_minutes: int | None = None
    template: str | None = Field(default=None, max_length=rss_feeds.MAX_TEMPLATE, description=TEMPLATE_HELP)
    utm_campaign: str | None = Field(default=None, max_length=100)
    short_links: bool | None = None
    active: bool | None = Field(default=None, description="false pauses the feed; true resumes it at once")


class RssFeedPublic(BaseModel):
    id: uuid.UUID
    url: str
    title: str
    channel_ids: list[uuid.UUID]
    mode: str
    delay_minutes: int
    template: str
    utm_campaign: str
    short_links: bool
    active: bool
    last_polled_at: datetime | None
    last_error: str | None = Field(description="why the latest read failed, or null")
    next_poll_at: datetime | None = Field(description="when it is read next (later after errors)")
    status: str = Field(description="the list's line, e.g. 'the feed answered 500 at 14:02; trying again "
                                    "at 14:32'")
    created_at: datetime


class PollOut(BaseModel):
    result: str = Field(description="new, unchanged or error")
    new_posts: int
    error: str | None
    feed: RssFeedPublic


def _public(session: Session, feed: RssFeed) -> RssFeedPublic:
    data = {name: getattr(feed, name) for name in RssFeedPublic.model_fields if name != "status"}
    return RssFeedPublic(**data, status=rss_feeds.status_line(session, feed))


def _input(body: RssFeedCreate | RssFeedUpdate) -> rss_feeds.FeedInput:
    values = body.model_dump(exclude_unset=isinstance(body, RssFeedUpdate))
    if values.get("channel_ids") is not None:
        values["channel_ids"] = [str(c) for c in values["channel_ids"]]
    return rss_feeds.FeedInput(**values)


@router.get("", response_model=list[RssFeedPublic])
def list_rss_feeds(ctx: PostReader, session: SessionDep) -> list[RssFeedPublic]:
    """The workspace's RSS feeds, with each one's last error and next read."""
    return [_public(session, f) for f in rss_feeds.list_feeds(session, ctx.user.id, ctx.workspace.id)]


@router.post("", response_model=RssFeedPublic, status_code=status.HTTP_201_CREATED)
def create_rss_feed(body: RssFeedCreate, ctx: PostWriter, session: SessionDep) -> RssFeedPublic:
    """Follow a feed. It is read within a minute; the first read takes only its newest item."""
    return _public(session, rss_feeds.create(session, ctx.user.id, ctx.workspace.id, _input(body)))


@router.patch("/{feed_id}", response_model=RssFeedPublic)
def update_rss_feed(feed_id: uuid.UUID, body: RssFeedUpdate, ctx: PostWriter, session: SessionDep
                    ) -> RssFeedPublic:
    """Change what is given; `active: false` pauses, `active: true` resumes."""
    return _public(session, rss_feeds.update(session, ctx.user.id, ctx.workspace.id, feed_id, _input(body)))


@router.delete("/{feed_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_rss_feed(feed_id: uuid.UUID, ctx: PostWriter, session: SessionDep) -> Response:
    """Stop following the feed; the posts it made stay."""
    rss_feeds.remove(session, ctx.user.id, ctx.workspace.id, feed_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/{feed_id}/poll", response_model=PollOut)
def poll_rss_feed(feed_id: uuid.UUID, ctx: PostWriter, session: SessionDep) -> PollOut:
    """Read the feed now (the new items' posts are written as you); a failed read is in `error` and on
    the feed, not an error answer."""
    result = rss_poll.poll_now(session, ctx.user.id, ctx.workspace.id, feed_id)
    feed = rss_feeds.get(session, ctx.user.id, ctx.workspace.id, feed_id)
    return PollOut(result=result.status, new_posts=result.new_posts, error=result.error,
                   feed=_public(session, feed))
