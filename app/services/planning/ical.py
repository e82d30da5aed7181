"""A private, revocable iCal feed of a workspace's schedule (for Google/Apple/Outlook calendars)."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import UTC, datetime, timedelta

from icalendar import Calendar, Event
from sqlmodel import Session, col, select

from app.connectors.catalogue import LABELS as NETWORK_LABELS
from app.services import usage
from app.services.errors import NotFound
from app.services.tenancy import permissions
from models import CalendarFeed, Channel, Post, PostTarget

PAST = timedelta(days=30)
FUTURE = timedelta(days=365)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_feed(session: Session, actor_id: uuid.UUID, workspace_id: uuid.UUID) -> str:
    """A new feed token, shown once; any earlier feed of this user in this workspace is revoked."""
    permissions.require(session, actor_id, workspace_id, "post:read")
    revoke_feeds(session, actor_id, workspace_id)
    token = secrets.token_urlsafe(32)
    session.add(CalendarFeed(workspace_id=workspace_id, user_id=actor_id, token_hash=_hash(token)))
    session.flush()
    usage.record("ical_feed")
    return token


def revoke_feeds(session: Session, actor_id: uuid.UUID, workspace_id: uuid.UUID) -> int:
    feeds = session.exec(select(CalendarFeed).where(
        CalendarFeed.workspace_id == workspace_id, CalendarFeed.user_id == actor_id,
        col(CalendarFeed.revoked_at).is_(None))).all()
    for feed in feeds:
        feed.revoked_at = datetime.now(UTC)
        session.add(feed)
    return len(feeds)


def render(session: Session, token: str, now: datetime | None = None) -> bytes:
    """The .ics body for a live token; NotFound for unknown or revoked ones (same answer for both)."""
    feed = session.exec(select(CalendarFeed).where(
        CalendarFeed.token_hash == _hash(token), col(CalendarFeed.revoked_at).is_(None))).first()
    if feed is None:
        raise NotFound("this calendar feed does not exist or was revoked", field="token")
    # The feed keeps working only while its owner can still read the workspace.
    permissions.require(session, feed.user_id, feed.workspace_id, "post:read")
    now = now or datetime.now(UTC)
    rows = session.exec(
        select(PostTarget, Post, Channel)
        .join(Post, col(Post.id) == PostTarget.post_id)
        .join(Channel, col(Channel.id) == PostTarget.channel_id)
        .where(PostTarget.workspace_id == feed.workspace_id, col(PostTarget.scheduled_at).is_not(None),
               col(PostTarget.scheduled_at) >= now - PAST, col(PostTarget.scheduled_at) < now + FUTURE,
               col(PostTarget.status) != "cancelled")
        .order_by(col(PostTarget.scheduled_at))
    ).all()
    cal = Calendar()
    cal.add("prodid", "-//Quillcast//Schedule//EN")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", "Quillcast schedule")
    for target, post, channel in rows:
        text = target.body if target.body is not None else post.body
        event = Event()
        event.add("uid", f"{target.id}@quillcast")
        network = NETWORK_LABELS.get(channel.network, channel.network)
        # The channel's name too: two accounts on one network must not read the same in a calendar app.
        event.add("summary", f"{network} · {channel.name}: {' '.join(text.split())[:80]}")
        event.add("description", f"{text}\n\nChannel: {channel.name}\nStatus: {target.status}")
        event.add("dtstart", target.scheduled_at)
        event.add("dtend", target.scheduled_at + timedelta(minutes=15))  # type: ignore[operator]
        event.add("dtstamp", target.updated_at)
        cal.add_component(event)
    return cal.to_ical()
