"""The calendar's read side: each post target in a date range as a calendar event."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from app.services import permissions
from app.services.errors import ValidationFailed
from models import Channel, Post, PostTarget

# One colour per status, the same in the calendar, the post list and the legend.
STATUS_COLOURS = {
    "draft": "#8b8d98", "awaiting_approval": "#d6a000", "scheduled": "#3e63dd", "queued": "#3e63dd",
    "publishing": "#0090ff", "retrying": "#f76b15", "published": "#30a46c", "failed": "#e5484d",
    "unknown": "#8e4ec6", "cancelled": "#b9bbc6",
}
NETWORK_LABELS = {
    "bluesky": "Bluesky", "matrix": "Matrix", "mastodon": "Mastodon", "x": "X", "linkedin": "LinkedIn",
    "telegram": "Telegram", "discord": "Discord", "webhook": "Webhook",
}
MAX_RANGE_DAYS = 62  # a month view with its leading/trailing weeks, with room to spare
TITLE_CHARS = 60


@dataclass(frozen=True)
class CalendarEvent:
    id: str
    post_id: str
    title: str
    start: str  # ISO 8601 UTC; FullCalendar shows it in the chosen time zone
    status: str
    network: str
    channel: str
    color: str
    editable: bool  # only waiting targets can be dragged

    def as_fullcalendar(self) -> dict[str, object]:
        data = asdict(self)
        data["backgroundColor"] = data["borderColor"] = data.pop("color")
        data["startEditable"] = data.pop("editable")
        return data


def _title(label: str, text: str) -> str:
    flat = " ".join(text.split())
    short = flat if len(flat) <= TITLE_CHARS else flat[: TITLE_CHARS - 1] + "…"
    return f"{label} · {short or '(no text)'}"


def _labels(session: Session, workspace_id: uuid.UUID) -> dict[uuid.UUID, str]:
    """What each channel is called on the calendar: its network, or its own name where the workspace has
    more than one channel of that network (two Bluesky accounts would otherwise look the same)."""
    rows = session.exec(select(Channel).where(Channel.workspace_id == workspace_id)).all()
    per_network = Counter(c.network for c in rows)
    return {c.id: c.name if per_network[c.network] > 1 else NETWORK_LABELS.get(c.network, c.network)
            for c in rows}


def events(
    session: Session,
    actor_id: uuid.UUID,
    workspace_id: uuid.UUID,
    start: datetime,
    end: datetime,
    *,
    channel_ids: Iterable[uuid.UUID] | None = None,
    statuses: Iterable[str] | None = None,
    author_id: uuid.UUID | None = None,
) -> list[CalendarEvent]:
    permissions.require(session, actor_id, workspace_id, "post:read")
    if start.tzinfo is None or end.tzinfo is None:
        raise ValidationFailed("start and end need a time zone offset", field="start")
    if end <= start:
        raise ValidationFailed("end must be after start", field="end")
    if (end - start).days > MAX_RANGE_DAYS:
        raise ValidationFailed(f"ask for at most {MAX_RANGE_DAYS} days at once", field="end")

    when = func.coalesce(PostTarget.published_at, PostTarget.scheduled_at)
    query = (
        select(PostTarget, Post, Channel)
        .join(Post, col(Post.id) == PostTarget.post_id)
        .join(Channel, col(Channel.id) == PostTarget.channel_id)
        .where(PostTarget.workspace_id == workspace_id, when >= start, when < end)
        .order_by(when)
    )
    if channel_ids is not None:
        query = query.where(col(PostTarget.channel_id).in_(list(channel_ids)))
    if statuses is not None:
        query = query.where(col(PostTarget.status).in_(list(statuses)))
    if author_id is not None:
        query = query.where(Post.author_id == author_id)

    labels = _labels(session, workspace_id)
    out = []
    for target, post, channel in session.exec(query).all():
        moment = target.published_at or target.scheduled_at
        assert moment is not None  # the WHERE clause needs one of them
        out.append(CalendarEvent(
            id=str(target.id), post_id=str(post.id),
            title=_title(labels.get(channel.id, channel.name),
                         target.body if target.body is not None else post.body),
            start=moment.isoformat(), status=target.status, network=channel.network, channel=channel.name,
            color=STATUS_COLOURS.get(target.status, "#8b8d98"),
            editable=target.status in ("draft", "awaiting_approval", "scheduled"),
        ))
    return out
