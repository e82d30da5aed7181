"""The calendar's read side: each post target in a date range as a calendar event."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlmodel import Session, col

from app.connectors import catalogue
from app.services.errors import ValidationFailed
from app.services.tenancy import permissions
from models import Channel, Post, PostTarget
from models.post import TARGET_WAITING

# One colour per status, the same in the calendar, the post list and the legend.
STATUS_COLOURS = {
    "draft": "#8b8d98", "awaiting_approval": "#d6a000", "scheduled": "#3e63dd", "queued": "#3e63dd",
    "publishing": "#0090ff", "retrying": "#f76b15", "published": "#30a46c", "failed": "#e5484d",
    "unknown": "#8e4ec6", "cancelled": "#b9bbc6",
}
# Each status's icon (a lucide name): a status reads by its shape and word, not by its colour alone.
STATUS_ICONS = {
    "draft": "pencil", "awaiting_approval": "hourglass", "scheduled": "clock", "queued": "clock",
    "publishing": "send", "retrying": "rotate-ccw", "published": "check", "failed": "x",
    "unknown": "circle-help", "cancelled": "ban",
}
MAX_RANGE_DAYS = 62  # a month view with its leading/trailing weeks, with room to spare
TITLE_CHARS = 60
EDITABLE = TARGET_WAITING  # only waiting targets can be dragged
TITLE_SOURCE_CHARS = 1000  # read this much of a text to make its title (runs of spaces fold)


@dataclass(frozen=True)
class CalendarEvent:
    id: str
    post_id: str
    title: str  # the post's text, shortened; the network shows as its mark beside it
    start: str  # ISO 8601 UTC; FullCalendar shows it in the chosen time zone
    status: str
    network: str  # the UI draws it as the network's mark (components/networks.py)
    network_label: str
    channel: str
    color: str
    editable: bool  # only waiting targets can be dragged

    def as_fullcalendar(self) -> dict[str, object]:
        """Only what a cell draws: this list goes over the websocket on every change of the range. The
        status is said in words too (to screen readers), not by its colour alone."""
        return {"id": self.id, "title": self.title, "start": self.start, "borderColor": self.color,
                "startEditable": self.editable, "network": self.network, "status": self.status}


def _title(text: str, channel: str | None) -> str:
    """The text, shortened; prefixed with the channel's name only where the network's mark cannot tell
    two channels apart (a workspace with two Bluesky accounts)."""
    flat = " ".join(text.split())
    short = flat if len(flat) <= TITLE_CHARS else flat[: TITLE_CHARS - 1] + "…"
    return f"{channel} · {short or '(no text)'}" if channel else short or "(no text)"


def _shared_networks(session: Session, workspace_id: uuid.UUID) -> set[str]:
    """The networks this workspace has more than one channel of."""
    rows = session.execute(select(col(Channel.network)).where(col(Channel.workspace_id) == workspace_id)
                           .group_by(col(Channel.network)).having(func.count() > 1)).all()
    return {network for (network,) in rows}


def _check_range(start: datetime, end: datetime) -> None:
    if start.tzinfo is None or end.tzinfo is None:
        raise ValidationFailed("start and end need a time zone offset", field="start")
    if end <= start:
        raise ValidationFailed("end must be after start", field="end")
    if (end - start).days > MAX_RANGE_DAYS:
        raise ValidationFailed(f"ask for at most {MAX_RANGE_DAYS} days at once", field="end")


def version(session: Session, actor_id: uuid.UUID, workspace_id: uuid.UUID, start: datetime,
             end: datetime) -> str:
    """A value that changes whenever a target in this range does: how many there are, and when the
    latest of them changed (a status, a move, a channel's text). The open calendar asks every few seconds
    and reads the range again only when this changed, so it reads the calendar index alone (it holds
    updated_at). An edit of a post's text does not touch its targets: it shows with their next
    change, or when the range is read again."""
    permissions.require(session, actor_id, workspace_id, "post:read")
    _check_range(start, end)
    when = col(PostTarget.calendar_at)
    count, latest = session.execute(
        select(func.count(), func.max(PostTarget.updated_at))
        .where(col(PostTarget.workspace_id) == workspace_id, when >= start, when < end)
    ).one()
    return f"{count}@{latest.isoformat() if latest else '-'}"


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
    _check_range(start, end)

    # Where a target sits on the calendar: when it went out, else when it is due. The stored column, not
    # the coalesce(...) it is made of: under Row Level Security only a plain column's range searches an
    # index (ix_post_targets_calendar); a coalesce(...) condition counts as leaky and is checked per row.
    when = col(PostTarget.calendar_at)
    # Columns, not entities: a month of 2,000 targets as ORM objects (with their options JSON and the
    # channel's credentials) took ~10x longer to build than the query took to run. A title needs only
    # the start of the text. The post's text by key, once per target without a text of its own: joined,
    # the planner hashed every post of the workspace (under RLS it overprices the per-key lookups), which
    # made the month's read grow with the workspace's history (48,000 posts: 19 ms, this way 6.5 ms).
    post_text = select(col(Post.body)).where(col(Post.id) == PostTarget.post_id).scalar_subquery()
    text = func.left(func.coalesce(PostTarget.body, post_text), TITLE_SOURCE_CHARS)
    query = (
        select(col(PostTarget.id), col(PostTarget.post_id), col(PostTarget.status), when, text,
               col(Channel.network), col(Channel.name))
        .join(Channel, col(Channel.id) == PostTarget.channel_id)
        .where(col(PostTarget.workspace_id) == workspace_id, when >= start, when < end)
        .order_by(when)
    )
    if channel_ids is not None:
        query = query.where(col(PostTarget.channel_id).in_(list(channel_ids)))
    if statuses is not None:
        query = query.where(col(PostTarget.status).in_(list(statuses)))
    if author_id is not None:
        by_author = select(col(Post.id)).where(col(Post.author_id) == author_id)
        query = query.where(col(PostTarget.post_id).in_(by_author))

    shared = _shared_networks(session, workspace_id)
    return [
        CalendarEvent(
            id=str(target_id), post_id=str(post_id),
            title=_title(body or "", channel if network in shared else None),
            start=moment.astimezone(UTC).isoformat(), status=status, network=network,
            network_label=catalogue.label(network), channel=channel,
            color=STATUS_COLOURS.get(status, "#8b8d98"), editable=status in EDITABLE,
        )
        for target_id, post_id, status, moment, body, network, channel in session.execute(query).all()
    ]
