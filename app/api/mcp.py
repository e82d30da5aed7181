"""The MCP server for AI agents at /mcp: one tool per thing the REST API does, over the same services.

Each tool is thin: it asks `mcp_door.run` for the permission the matching REST route asks for (the key's
scope and the member's role), calls one service, and answers with the REST API's response model. The
workspace is the API key's own. Errors are the API's error bodies, as MCP tool errors (mcp_door).
"""

from __future__ import annotations

import dataclasses
import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from mcp.server.mcpserver import MCPServer
from pydantic import Field
from sqlmodel import Session

from app.api.channels import MediaPublic, channel_public
from app.api.ideas import IdeaOut
from app.api.mcp_door import Caller, McpDoor, run
from app.api.posts import PostDetail, PostPage
from app.services import zones
from app.services.channels import channels as channel_service
from app.services.errors import NotFound, ValidationFailed
from app.services.insight import analytics
from app.services.planning import ideas, media_fetch, posts, queue
from app.services.planning.media import MAX_ALT_TEXT
from models import POST_STATUSES, Post

server: MCPServer[Any] = MCPServer(
    name="Quillcast", version="0.1.0",
    instructions=(
        "Quillcast schedules and publishes posts to social networks for one workspace (the API key's). "
        "A post has a text and one target per channel; a channel may have its own text. Times: "
        "`local_time` is a wall-clock time without offset plus an IANA `timezone` (Europe/Paris); "
        "answers are ISO 8601 in UTC. Errors are JSON: {code, message, problems: [{field, message}]}."),
)

PostId = Annotated[uuid.UUID, Field(description="The post's id (from list_posts or create_post)")]
LocalTime = Annotated[datetime, Field(description="Wall-clock time without offset, e.g. 2027-03-28T09:30")]
Zone = Annotated[str, Field(max_length=zones.ZONE_MAX, description="IANA time zone, e.g. Europe/Paris")]
Fold = Annotated[Literal[0, 1] | None, Field(description="Which reading of a DST gap or overlap")]
Text = Annotated[str, Field(max_length=posts.MAX_BODY_CHARS, description="The post's text")]
OwnTexts = Annotated[dict[uuid.UUID, str] | None, Field(
    description="A channel's own text instead of the post's, by channel id (optional)")]


def _detail(session: Session, caller: Caller, post_id: uuid.UUID) -> dict[str, Any]:
    detail = posts.post_detail(session, caller.user_id, post_id)
    return PostDetail.model_validate(detail).model_dump(mode="json")


def _in_workspace(session: Session, caller: Caller, post_id: uuid.UUID) -> None:
    """A key works in its own workspace only (as the API's `_in_workspace`)."""
    post = session.get(Post, post_id)
    if post is None or post.workspace_id != caller.workspace_id:
        raise NotFound("post not found", field="post_id")


def _act(permission: str, post_id: uuid.UUID, action: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
    """A posts-service action on a post of the key's workspace, answered with the post as it is now."""

    def act(session: Session, caller: Caller) -> dict[str, Any]:
        _in_workspace(session, caller, post_id)
        action(session, caller.user_id, post_id, *args, **kwargs)
        return _detail(session, caller, post_id)

    return run(permission, act)


def _targets(channel_ids: list[uuid.UUID], own_texts: dict[uuid.UUID, str] | None) -> list[posts.TargetInput]:
    own = own_texts or {}
    return [posts.TargetInput(cid, own.get(cid)) for cid in channel_ids]


@server.tool()
def list_channels(include_disabled: bool = False) -> list[dict[str, Any]]:
    """The workspace's channels (id, network, name, handle, status, alerts). Posts go to channel ids."""
    return run("channel:read", lambda s, c: [
        channel_public(ch).model_dump(mode="json") for ch in channel_service.list_channels(
            s, user_id=c.user_id, workspace_id=c.workspace_id, include_disabled=include_disabled)])


@server.tool()
def list_posts(
    status: list[Literal[POST_STATUSES]] | None = None,  # type: ignore[valid-type]
    start: Annotated[datetime | None, Field(description="Scheduled at or after (ISO 8601)")] = None,
    end: Annotated[datetime | None, Field(description="Scheduled before (ISO 8601)")] = None,
    limit: Annotated[int, Field(ge=1, le=200)] = 50,
    offset: Annotated[int, Field(ge=0, le=1_000_000)] = 0,
) -> dict[str, Any]:
    """Posts, newest first; filter by status and by scheduled time (from `start` to `end`)."""

    def page(session: Session, caller: Caller) -> dict[str, Any]:
        items, total = posts.list_posts(session, caller.user_id, caller.workspace_id, statuses=status,
                                        start=start, end=end, limit=limit, offset=offset)
        return PostPage.model_validate({"items": items, "total": total, "limit": limit, "offset": offset},
                                       from_attributes=True).model_dump(mode="json")

    return run("post:read", page)


@server.tool()
def get_post(post_id: PostId) -> dict[str, Any]:
    """One post with every target (channel, status, time, link, error) and every publishing attempt."""

    def detail(session: Session, caller: Caller) -> dict[str, Any]:
        _in_workspace(session, caller, post_id)
        return _detail(session, caller, post_id)

    return run("post:read", detail)


@server.tool()
def create_post(
    text: Text,
    channel_ids: Annotated[list[uuid.UUID], Field(min_length=1, max_length=posts.MAX_TARGETS)],
    own_texts: OwnTexts = None,
    local_time: Annotated[datetime | None, Field(
        description="Schedule at this wall-clock time (with `timezone`); leave out for a draft")] = None,
    timezone: Annotated[str | None, Field(max_length=zones.ZONE_MAX, description="IANA zone")] = None,
    fold: Fold = None,
) -> dict[str, Any]:
    """Create a post for the channels: a draft, or scheduled when `local_time` and `timezone` are given
    (a contributor's post goes to approval instead). Nothing is kept if scheduling is refused."""

    def create(session: Session, caller: Caller) -> dict[str, Any]:
        post = posts.create_post(session, caller.user_id, caller.workspace_id, body=text,
                                 targets=_targets(channel_ids, own_texts))
        if local_time is not None or timezone is not None:
            posts.schedule_post(session, caller.user_id, post.id, fold=fold,
                                local_time=_required(local_time, "local_time"),
                                timezone=_required(timezone, "timezone"))
        return _detail(session, caller, post.id)

    return run("post:create", create)


def _required(value: Any, name: str) -> Any:
    if value is None:
        raise ValidationFailed(
            f"{name}: give both local_time and timezone to schedule (or neither for a draft)", field=name)
    return value


@server.tool()
def update_post(
    post_id: PostId,
    text: Annotated[str | None, Field(max_length=posts.MAX_BODY_CHARS)] = None,
    channel_ids: Annotated[list[uuid.UUID] | None, Field(min_length=1, max_length=posts.MAX_TARGETS)] = None,
    own_texts: OwnTexts = None,
) -> dict[str, Any]:
    """Change a post's text and/or its channels (with their own texts) while it may still be edited."""
    targets = _targets(channel_ids, own_texts) if channel_ids is not None else None
    return _act("post:create", post_id, posts.update_post, body=text, targets=targets)


@server.tool()
def schedule_post(
    post_id: PostId, local_time: LocalTime, timezone: Zone, fold: Fold = None,
) -> dict[str, Any]:
    """Schedule (or reschedule) a post at a wall-clock time in a zone (a contributor's goes to approval)."""
    return _act("post:submit", post_id, posts.schedule_post,
                local_time=local_time, timezone=timezone, fold=fold)


@server.tool()
def add_to_queue(post_id: PostId) -> dict[str, Any]:
    """Schedule a post at its channels' next free queue slot."""
    return _act("post:submit", post_id, posts.add_to_queue)


@server.tool()
def cancel_post(post_id: PostId) -> dict[str, Any]:
    """Cancel a scheduled post: it goes back to draft, nothing is published."""
    return _act("post:create", post_id, posts.cancel_post)


@server.tool()
def publish_now(post_id: PostId) -> dict[str, Any]:
    """Publish a post at once on all its channels."""
    return _act("post:submit", post_id, posts.publish_now)


@server.tool()
def approve_post(post_id: PostId) -> dict[str, Any]:
    """Approve a post awaiting approval: it is scheduled for its time."""
    return _act("post:approve", post_id, posts.approve)


@server.tool()
def request_changes(
    post_id: PostId, comment: Annotated[str, Field(max_length=posts.MAX_COMMENT)],
) -> dict[str, Any]:
    """Send a post awaiting approval back to its author with a comment."""
    return _act("post:approve", post_id, posts.request_changes, comment)


@server.tool()
def next_free_slot(
    channel_ids: Annotated[list[uuid.UUID], Field(min_length=1, max_length=posts.MAX_TARGETS)],
) -> dict[str, Any]:
    """The first moment every chosen channel's queue has a free time slot (UTC)."""
    return run("post:read", lambda s, c: {"at": queue.next_free_for(
        s, c.user_id, c.workspace_id, channel_ids).isoformat()})


@server.tool()
def list_ideas(status: Literal["open", "used", "archived"] = "open") -> list[dict[str, Any]]:
    """The ideas board: cards kept until they become posts."""
    return run("post:read", lambda s, c: [
        IdeaOut.model_validate(i, from_attributes=True).model_dump(mode="json")
        for i in ideas.board(s, c.user_id, c.workspace_id, status)])


@server.tool()
def create_idea(
    title: Annotated[str, Field(max_length=ideas.MAX_TITLE)],
    notes: Annotated[str, Field(max_length=ideas.MAX_NOTES)] = "",
) -> dict[str, Any]:
    """Add an idea card to the board."""
    return run("post:create", lambda s, c: IdeaOut.model_validate(
        ideas.add(s, c.user_id, c.workspace_id, title, notes), from_attributes=True).model_dump(mode="json"))


@server.tool()
def analytics_summary(days: Annotated[int, Field(ge=1, le=analytics.MAX_DAYS)] = 30) -> dict[str, Any]:
    """How publishing went over the last `days`: published, failed, on time, per network, engagement,
    clicks, top posts."""
    return run("analytics:read", lambda s, c: _plain(dataclasses.asdict(
        analytics.report(s, c.user_id, c.workspace_id, days))))


def _plain(value: Any) -> Any:
    """JSON values for a report's rows (uuids and times as strings)."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, uuid.UUID | datetime):
        return str(value) if isinstance(value, uuid.UUID) else value.isoformat()
    return value


@server.tool()
def upload_media_from_url(
    url: Annotated[str, Field(max_length=media_fetch.MAX_URL, description="A public https:// image")],
    alt_text: Annotated[str, Field(max_length=MAX_ALT_TEXT)] = "",
) -> dict[str, Any]:
    """Fetch an image (JPEG, PNG, WebP, GIF) from a public address into the media library."""
    return run("media:upload", lambda s, c: MediaPublic.model_validate(media_fetch.store_from_url(
        s, user_id=c.user_id, workspace_id=c.workspace_id, url=url, alt_text=alt_text),
        from_attributes=True).model_dump(mode="json"))


door = McpDoor(server)
