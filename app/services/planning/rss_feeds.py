"""RSS feeds of a workspace: add, change, pause, remove, list, and the template a new item is written with.

Who may write posts (contributors and up) may add and change feeds, since each new item becomes a post
written as them; every member reads the list. Polling (fetch, parse, turn new items into posts, back off
on errors) is `rss_poll`. "RSS feed" everywhere: a "feed" alone is a calendar feed (DESIGN.md "Words").
"""

from __future__ import annotations

import html
import re
import string
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from sqlmodel import Session, col, select

from app.connectors import registry
from app.services import audit, zones
from app.services.channels import channels
from app.services.channels.public_endpoints import check_public_url
from app.services.errors import NotFound, ValidationFailed
from app.services.tenancy import permissions
from models import RSS_FEED_MODES, Link, RssFeed, Workspace
from models.base import utcnow

READ = "post:read"
WRITE = "post:create"
MAX_URL = 2048
MAX_TEMPLATE = 2000
MAX_PER_WORKSPACE = 50
MIN_DELAY_MINUTES, MAX_DELAY_MINUTES = 5, 30 * 24 * 60
PLACEHOLDERS = ("title", "link", "summary")
MODE_LABELS = {"draft": "Save as a draft", "queue": "Add to the queue (next free slot)",
               "delay": "Schedule after a delay"}
UTM = {"utm_source": "quillcast", "utm_medium": "social"}  # and the feed's utm_campaign
DEFAULT_LIMIT = 500  # when no channel is chosen yet (the preview): a long post
SAMPLE_ITEM = {
    "title": "Ten things we learned shipping on Fridays",
    "link": "https://example.com/blog/ten-things",
    "summary": "We shipped every Friday for a year. Here is what broke, what did not, and the one habit "
               "that made weekends quiet again: small changes, watched closely, with a way back.",
}


@dataclass(frozen=True)
class FeedInput:
    """What a person sets on a feed (None: keep as it is, on update)."""

    url: str | None = None
    channel_ids: list[str] | None = None
    mode: str | None = None
    delay_minutes: int | str | None = None  # a form sends the typed text
    template: str | None = None
    utm_campaign: str | None = None
    short_links: bool | None = None
    active: bool | None = None


def _clean_url(session: Session, workspace_id: uuid.UUID, url: str, feed_id: uuid.UUID | None) -> str:
    url = (url or "").strip()
    if not url:
        raise ValidationFailed("url: enter the feed's address, starting with https://", field="url")
    if len(url) > MAX_URL:
        raise ValidationFailed(f"url: the address has {len(url)} characters; use at most {MAX_URL}",
                               field="url")
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:  # "http://[oops": a broken IPv6 literal, a bad port
        raise ValidationFailed("url: this is not a valid address; enter a full https:// URL",
                               field="url") from None
    if parts.scheme not in ("https", "http") or not host or any(c.isspace() for c in url):
        raise ValidationFailed("url: enter a full address starting with https://", field="url")
    check_public_url(url, key="url: the feed address", field="url")
    same = select(RssFeed.id).where(RssFeed.workspace_id == workspace_id, RssFeed.url == url)
    if feed_id is not None:
        same = same.where(RssFeed.id != feed_id)
    if session.exec(same).first() is not None:
        raise ValidationFailed("url: this workspace already follows that feed", field="url")
    return url


def _clean_channels(session: Session, actor: uuid.UUID, workspace_id: uuid.UUID, ids: Any) -> list[str]:
    if not isinstance(ids, list) or not ids:
        raise ValidationFailed("channel_ids: choose at least one channel to post to", field="channel_ids")
    out: list[str] = []
    for raw in ids:
        try:
            cid = uuid.UUID(str(raw))
        except ValueError:
            raise ValidationFailed(f"channel_ids: {str(raw)[:40]!r} is not a channel id",
                                   field="channel_ids") from None
        try:
            channels.get_channel(session, user_id=actor, workspace_id=workspace_id, channel_id=cid)
        except NotFound:
            raise ValidationFailed(f"channel_ids: channel {cid} is not in this workspace",
                                   field="channel_ids") from None
        if str(cid) not in out:
            out.append(str(cid))
    return out


def check_template(template: str) -> str:
    """The template as given, or a ValidationFailed naming what is wrong with it."""
    template = (template or "").strip()
    if not template:
        raise ValidationFailed("template: write the post, e.g. {title} {link}", field="template")
    if len(template) > MAX_TEMPLATE:
        raise ValidationFailed(f"template: use at most {MAX_TEMPLATE} characters", field="template")
    try:
        fields = [(name, spec, conv) for _, name, spec, conv in string.Formatter().parse(template)
                  if name is not None]
    except ValueError:
        raise ValidationFailed("template: a { has no matching } (write {{ for a brace itself)",
                               field="template") from None
    names = [name for name, _, _ in fields]
    if any(spec or conv for _, spec, conv in fields):  # "{title:>9999999}" would build a huge text
        raise ValidationFailed("template: write placeholders plainly, e.g. {title}, without : or !",
                               field="template")
    unknown = sorted({n for n in names if n not in PLACEHOLDERS})
    if unknown:
        raise ValidationFailed(f"template: {{{unknown[0]}}} is not a placeholder; use "
                               + ", ".join("{" + p + "}" for p in PLACEHOLDERS), field="template")
    if "link" not in names and "title" not in names:
        raise ValidationFailed("template: include {title} or {link}, or every post would say the same",
                               field="template")
    return template


def _clean(session: Session, actor: uuid.UUID, workspace_id: uuid.UUID, given: FeedInput,
           feed_id: uuid.UUID | None) -> dict[str, Any]:
    """Every field given, checked; all wrong fields are named at once."""
    checks: dict[str, Any] = {
        "url": lambda v: _clean_url(session, workspace_id, v, feed_id),
        "channel_ids": lambda v: _clean_channels(session, actor, workspace_id, v),
        "mode": _clean_mode, "delay_minutes": _clean_delay, "template": check_template,
        "utm_campaign": _clean_campaign, "short_links": bool, "active": bool,
    }
    out: dict[str, Any] = {}
    problems: list[ValidationFailed] = []
    for name, check in checks.items():
        value = getattr(given, name)
        if value is None:
            continue
        try:
            out[name] = check(value)
        except ValidationFailed as exc:
            problems.append(exc)
    if len(problems) == 1:
        raise problems[0]
    if problems:
        raise ValidationFailed("; ".join(str(p) for p in problems), field=problems[0].field)
    return out


def _clean_mode(mode: str) -> str:
    if mode not in RSS_FEED_MODES:
        raise ValidationFailed(f"mode: use one of {', '.join(RSS_FEED_MODES)}", field="mode")
    return mode


def _clean_delay(minutes: Any) -> int:
    try:
        value = int(minutes)
    except (TypeError, ValueError):
        raise ValidationFailed("delay_minutes: enter a whole number of minutes",
                               field="delay_minutes") from None
    if not MIN_DELAY_MINUTES <= value <= MAX_DELAY_MINUTES:
        raise ValidationFailed(
            f"delay_minutes: use {MIN_DELAY_MINUTES} to {MAX_DELAY_MINUTES} minutes (30 days)",
            field="delay_minutes")
    return value


def _clean_campaign(value: str) -> str:
    value = (value or "").strip()
    if len(value) > 100 or not re.fullmatch(r"[\w.\-+ ]*", value):
        raise ValidationFailed("utm_campaign: use at most 100 letters, digits, spaces or - _ . +",
                               field="utm_campaign")
    return value


def get(session: Session, actor: uuid.UUID, workspace_id: uuid.UUID, feed_id: uuid.UUID,
        permission: str = READ) -> RssFeed:
    permissions.require(session, actor, workspace_id, permission)
    feed = session.get(RssFeed, feed_id)
    if feed is None or feed.workspace_id != workspace_id:
        raise NotFound("RSS feed not found", field="feed_id")
    return feed


def list_feeds(session: Session, actor: uuid.UUID, workspace_id: uuid.UUID) -> list[RssFeed]:
    permissions.require(session, actor, workspace_id, READ)
    return list(session.exec(select(RssFeed).where(RssFeed.workspace_id == workspace_id)
                             .order_by(col(RssFeed.created_at))).all())


def _audit(session: Session, actor: uuid.UUID, action: str, feed: RssFeed) -> None:
    audit.record(session, action, actor_id=actor, workspace_id=feed.workspace_id, subject_type="rss_feed",
                 subject_id=feed.id, host=urlsplit(feed.url).hostname or "")


def create(session: Session, actor: uuid.UUID, workspace_id: uuid.UUID, given: FeedInput) -> RssFeed:
    """Follow a feed; it is polled at once (its first poll takes only the newest item)."""
    permissions.require(session, actor, workspace_id, WRITE)
    if given.url is None or given.channel_ids is None:
        raise ValidationFailed("url and channel_ids are needed to follow a feed", field="url" if given.url
                               is None else "channel_ids")
    values = _clean(session, actor, workspace_id, given, None)
    count = len(session.exec(select(RssFeed.id).where(RssFeed.workspace_id == workspace_id)).all())
    if count >= MAX_PER_WORKSPACE:
        raise ValidationFailed(f"url: a workspace can follow at most {MAX_PER_WORKSPACE} RSS feeds; "
                               "remove one first", field="url")
    if "short_links" not in values:  # a workspace that shortens links already gets them here too
        has_links = session.exec(select(Link.id).where(Link.workspace_id == workspace_id)).first()
        values["short_links"] = has_links is not None
    feed = RssFeed(workspace_id=workspace_id, created_by_id=actor, next_poll_at=utcnow(), **values)
    session.add(feed)
    session.flush()
    _audit(session, actor, "rss_feed.created", feed)
    return feed


def update(session: Session, actor: uuid.UUID, workspace_id: uuid.UUID, feed_id: uuid.UUID,
           given: FeedInput) -> RssFeed:
    """Change what is given. The member who changes a feed writes its next posts. Resuming a paused feed
    polls it at once and forgets the backoff."""
    feed = get(session, actor, workspace_id, feed_id, WRITE)
    if given.url is not None and given.url.strip() == feed.url:
        given = FeedInput(**{**given.__dict__, "url": None})
    values = _clean(session, actor, workspace_id, given, feed.id)
    if "url" in values:  # another feed: its validators and history are not this one's
        feed.etag = feed.last_modified = None
    if values.get("active") and not feed.active:
        feed.failures, feed.next_poll_at = 0, utcnow()
    for name, value in values.items():
        setattr(feed, name, value)
    feed.created_by_id, feed.updated_at = actor, utcnow()
    session.add(feed)
    session.flush()
    _audit(session, actor, "rss_feed.updated", feed)
    return feed


def remove(session: Session, actor: uuid.UUID, workspace_id: uuid.UUID, feed_id: uuid.UUID) -> None:
    """Stop following the feed; the posts it made stay."""
    feed = get(session, actor, workspace_id, feed_id, WRITE)
    _audit(session, actor, "rss_feed.deleted", feed)
    session.delete(feed)
    session.flush()


def plain(text: str) -> str:
    """A feed's HTML as one line of plain text."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", text or "")).split())


def render(template: str, title: str, link: str, summary: str, limit: int) -> str:
    """The post's text: the summary is cut (at a word, with "…") so the whole fits in `limit` characters."""
    def fill(excerpt: str) -> str:
        return template.format(title=title, link=link, summary=excerpt).strip()

    summary = plain(summary)
    text = fill(summary)
    if len(text) <= limit or "{summary}" not in template:
        return text[:limit] if len(text) > limit else text
    room = limit - len(fill("")) - 1
    if room <= 0:
        return fill("")[:limit]
    cut = summary[:room].rsplit(" ", 1)[0] if " " in summary[:room] else summary[:room]
    return fill(cut.rstrip(" ,;:.") + "…")


def limit_for(session: Session, channel_ids: list[str]) -> int:
    """The strictest chosen channel's length limit (the excerpt is cut to fit it)."""
    from models import Channel

    ids = [uuid.UUID(c) for c in channel_ids]
    found = session.exec(select(Channel).where(col(Channel.id).in_(ids))).all()
    limits = [registry.limits_for(ch.network, dict(ch.settings or {})).max_chars for ch in found]
    return min(limits, default=DEFAULT_LIMIT)


def preview(template: str, limit: int = DEFAULT_LIMIT) -> str:
    """The template filled with a sample item, for the form's live preview."""
    link = SAMPLE_ITEM["link"] + "?" + "&".join(f"{k}={v}" for k, v in {**UTM, "utm_campaign": "rss"}.items())
    return render(check_template(template), SAMPLE_ITEM["title"], link, SAMPLE_ITEM["summary"], limit)


def status_line(session: Session, feed: RssFeed, now: datetime | None = None) -> str:
    """What the list shows: "the feed answered 500 at 14:02; trying again at 14:32", in the workspace's
    zone; or when it was last read and when it is read next."""
    ws = session.get(Workspace, feed.workspace_id)
    tz = zones.zone(ws.timezone if ws else "UTC", "timezone")
    now = now or utcnow()

    def at(moment: datetime) -> str:
        local = moment.astimezone(tz)
        return f"{local:%H:%M}" if abs(moment - now) < timedelta(hours=20) \
            else f"{local:%Y-%m-%d %H:%M}"

    if not feed.active:
        return "paused: not read until resumed"
    if feed.last_error and feed.last_polled_at:
        again = f"; trying again at {at(feed.next_poll_at)}" if feed.next_poll_at else ""
        return f"{feed.last_error} at {at(feed.last_polled_at)}{again}"
    if feed.last_polled_at is None:
        return "not read yet: the first read takes only the newest item"
    return f"read at {at(feed.last_polled_at)}" + (f"; next at {at(feed.next_poll_at)}" if feed.next_poll_at
                                                    else "")
