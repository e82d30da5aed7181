"""Reading RSS feeds: fetch politely, parse with feedparser, and turn each new item into a post once.

- Polite: a conditional GET (If-None-Match / If-Modified-Since from the last answer), a timeout, a size
  cap, and exponential backoff after errors (POLL_EVERY when healthy; BACKOFF_FIRST doubling up to
  BACKOFF_CAP when not). The error and the next try are kept on the feed for the list to show.
- Safe: the address is resolved, checked to be public and connected to by `PinnedTransport` (as webhook
  deliveries are), on every request and redirect, unless the operator allows private endpoints.
- Once: an item's key (its guid, else its link) is inserted into `rss_feed_items` with ON CONFLICT DO
  NOTHING before its post is made, so two polls of the same feed never make two posts of one item.
- Not a flood: the first successful read of a feed takes only its newest item; the rest are marked seen.
- Each post is made through the composer's own service (`posts`), as the member who last set up the feed
  (beat) or who pressed "Poll now", with their permissions.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import feedparser
import httpx
from sqlalchemy import text
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import Session, col, select

from app.connectors.http import USER_AGENT, PinnedTransport, PrivateAddress
from app.core.config import get_settings
from app.services.errors import DomainError
from app.services.planning import links, posts, rss_feeds
from models import RssFeed, RssFeedItem
from models.base import utcnow

POLL_TASK = "quillcast.rss_feeds.poll_due"
POLL_EVERY = timedelta(minutes=15)
BACKOFF_FIRST = timedelta(minutes=30)
BACKOFF_CAP = timedelta(hours=24)
TIMEOUT_SECONDS = 15.0
MAX_BYTES = 5 * 1024 * 1024
MAX_NEW_PER_POLL = 20  # a feed that suddenly lists many new items makes at most this many posts per read


class FeedError(Exception):
    """Why a read failed, in words for the feed's list ("the feed answered 500")."""


@dataclass
class Item:
    key: str
    title: str
    link: str
    summary: str
    published: tuple[Any, ...] | None


@dataclass
class PollResult:
    status: str  # "new", "unchanged", "error"
    new_posts: int = 0
    error: str | None = None


def backoff(failures: int) -> timedelta:
    return min(BACKOFF_CAP, BACKOFF_FIRST * 2 ** max(0, failures - 1))


def _client() -> httpx.Client:
    return httpx.Client(
        transport=PinnedTransport(allow_private=get_settings().private_endpoints_allowed),
        timeout=httpx.Timeout(TIMEOUT_SECONDS, connect=5.0), follow_redirects=True, max_redirects=5,
        headers={"User-Agent": USER_AGENT,
                 "Accept": "application/rss+xml, application/atom+xml, application/xml;q=0.9, */*;q=0.5"})


def fetch(feed: RssFeed) -> tuple[int, bytes, dict[str, str]]:
    """(status, body, headers); 304 has an empty body. Raises FeedError in words for the list."""
    headers = {}
    if feed.etag:
        headers["If-None-Match"] = feed.etag
    if feed.last_modified:
        headers["If-Modified-Since"] = feed.last_modified
    deadline = time.monotonic() + TIMEOUT_SECONDS * 2
    try:
        with _client() as client, client.stream("GET", feed.url, headers=headers) as response:
            if response.status_code == 304:
                return 304, b"", dict(response.headers)
            if response.status_code != 200:
                raise FeedError(f"the feed answered {response.status_code}")
            chunks, size = [], 0
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > MAX_BYTES:
                    raise FeedError(f"the feed is larger than {MAX_BYTES // (1024 * 1024)} MB")
                if time.monotonic() > deadline:
                    raise FeedError("the feed took too long to send")
                chunks.append(chunk)
            return 200, b"".join(chunks), dict(response.headers)
    except PrivateAddress as exc:
        raise FeedError(f"the feed's address points to a private address ({exc.address}); only public "
                        "servers can be reached (an operator can set ALLOW_PRIVATE_ENDPOINTS)") from None
    except httpx.TimeoutException:
        raise FeedError(f"the feed did not answer within {TIMEOUT_SECONDS:g} s") from None
    except httpx.TooManyRedirects:
        raise FeedError("the feed redirected too many times") from None
    except httpx.HTTPError as exc:
        raise FeedError(f"could not reach the feed ({str(exc)[:120] or type(exc).__name__})") from None


def parse(body: bytes) -> tuple[str, list[Item]]:
    """(the feed's title, its items newest first)."""
    parsed = feedparser.parse(body)
    items = []
    for entry in parsed.entries:
        link = str(entry.get("link") or "")
        key = str(entry.get("id") or link)[:1000]
        if not key:
            continue
        items.append(Item(key=key, title=rss_feeds.plain(str(entry.get("title") or "")), link=link,
                          summary=str(entry.get("summary") or ""),
                          published=entry.get("published_parsed") or entry.get("updated_parsed")))
    if parsed.bozo and not items:  # feedparser reads what it can of a damaged feed: nothing usable here
        reason = str(getattr(parsed, "bozo_exception", "") or "unreadable")[:150]
        raise FeedError(f"this is not a valid RSS or Atom feed ({reason})")
    if not items and not parsed.feed.get("title"):
        raise FeedError("this is not an RSS or Atom feed")
    dated = [i for i in items if i.published]
    if len(dated) == len(items):  # document order otherwise: feeds list the newest first
        items.sort(key=lambda i: tuple(i.published or ()), reverse=True)
    return rss_feeds.plain(str(parsed.feed.get("title") or ""))[:200], items


def _text(session: Session, actor: uuid.UUID, feed: RssFeed, item: Item) -> str:
    link = ""
    if item.link.startswith(("https://", "http://")):  # anything else is not a link a reader can follow
        campaign = {"utm_campaign": feed.utm_campaign} if feed.utm_campaign else {}
        link = links.with_utm(item.link, {**rss_feeds.UTM, **campaign})
        if feed.short_links:
            code = links.shorten(session, actor, feed.workspace_id, link).code
            link = links.short_url(get_settings().url, code)
    return rss_feeds.render(feed.template, item.title, link, item.summary,
                            rss_feeds.limit_for(session, feed.channel_ids))


def _make_post(session: Session, actor: uuid.UUID, feed: RssFeed, item: Item, now: datetime) -> uuid.UUID:
    targets = [posts.TargetInput(uuid.UUID(cid), None, []) for cid in feed.channel_ids]
    post = posts.create_post(session, actor, feed.workspace_id, body=_text(session, actor, feed, item),
                             targets=targets)
    if feed.mode == "queue":
        posts.add_to_queue(session, actor, post.id, now=now)
    elif feed.mode == "delay":
        at = (now + timedelta(minutes=feed.delay_minutes)).astimezone(UTC).replace(tzinfo=None, microsecond=0)
        posts.schedule_post(session, actor, post.id, local_time=at, timezone="UTC", now=now)
    return post.id


def _claim(session: Session, feed: RssFeed, key: str) -> uuid.UUID | None:
    """Mark the item seen; None when it was already (by this or a concurrent poll)."""
    row = session.execute(insert(RssFeedItem).values(
        id=uuid.uuid4(), workspace_id=feed.workspace_id, feed_id=feed.id, item_key=key, created_at=utcnow(),
    ).on_conflict_do_nothing(constraint="uq_rss_feed_items_feed_key").returning(col(RssFeedItem.id))).first()
    return row[0] if row else None


def _fail(feed: RssFeed, message: str, now: datetime) -> PollResult:
    feed.failures += 1
    feed.last_error = message[:500]
    feed.next_poll_at = now + backoff(feed.failures)
    return PollResult("error", error=feed.last_error)


def poll(session: Session, feed: RssFeed, actor: uuid.UUID | None = None,
         now: datetime | None = None) -> PollResult:
    """Read the feed once and make posts of its new items. Errors are kept on the feed, never raised:
    the feed stays, and is read again after its backoff."""
    now = now or utcnow()
    actor = actor or feed.created_by_id
    feed.last_polled_at = now
    try:
        if actor is None:
            raise FeedError("nobody is set to write its posts; edit the feed to take it over")
        status, body, headers = fetch(feed)
        if status == 304:
            result = PollResult("unchanged")
        else:
            title, items = parse(body)
            feed.title = title or feed.title
            result = _take(session, actor, feed, items, now)
            if result.status != "error":  # else the next read must not be answered 304 and skip the item
                feed.etag = (headers.get("etag") or "")[:500] or None
                feed.last_modified = (headers.get("last-modified") or "")[:100] or None
    except FeedError as exc:
        result = _fail(feed, str(exc), now)
    if result.status != "error":
        feed.failures, feed.last_error, feed.next_poll_at = 0, None, now + POLL_EVERY
    session.add(feed)
    session.flush()
    return result


def _take(session: Session, actor: uuid.UUID, feed: RssFeed, items: list[Item], now: datetime) -> PollResult:
    first = session.exec(select(RssFeedItem.id).where(RssFeedItem.feed_id == feed.id)).first() is None
    if first:  # the feed's history is marked seen: only its newest item becomes a post
        for item in items[1:]:
            _claim(session, feed, item.key)
        items = items[:1]
    for item in items[MAX_NEW_PER_POLL:]:  # a feed that suddenly lists many: the oldest are skipped
        _claim(session, feed, item.key)
    made = 0
    for item in reversed(items[:MAX_NEW_PER_POLL]):  # oldest first, so the queue keeps the feed's order
        nested = session.begin_nested()
        try:
            item_id = _claim(session, feed, item.key)
            if item_id is None:
                nested.commit()
                continue
            post_id = _make_post(session, actor, feed, item, now)
            session.execute(text("UPDATE rss_feed_items SET post_id = :p WHERE id = :i"),
                            {"p": post_id, "i": item_id})
            nested.commit()
            made += 1
        except DomainError as exc:  # the item is tried again at the next read, after the backoff
            nested.rollback()
            return _fail(feed, f"could not make a post of “{item.title[:60]}”: {exc}", now)
    return PollResult("new" if made else "unchanged", new_posts=made)


def due(session: Session, now: datetime | None = None, limit: int = 100) -> list[uuid.UUID]:
    """Active feeds whose next read is due, the longest waiting first."""
    now = now or utcnow()
    return list(session.exec(select(RssFeed.id).where(
        col(RssFeed.active).is_(True),
        col(RssFeed.next_poll_at).is_(None) | (col(RssFeed.next_poll_at) <= now),
    ).order_by(col(RssFeed.next_poll_at).nulls_first()).limit(limit)).all())


def poll_due(scope: Callable[[], AbstractContextManager[Session]]) -> dict[str, int]:
    """The beat's job: read every due feed, each in its own unit of work (a slow feed holds no other).
    A feed another worker is reading right now (row locked) is skipped."""
    counts = {"polled": 0, "new_posts": 0, "errors": 0}
    with scope() as session:
        ids = due(session)
    for feed_id in ids:
        with scope() as session:
            feed = session.exec(select(RssFeed).where(RssFeed.id == feed_id)
                                .with_for_update(skip_locked=True)).first()
            if feed is None or not feed.active or (feed.next_poll_at and feed.next_poll_at > utcnow()):
                continue
            result = poll(session, feed)
        counts["polled"] += 1
        counts["new_posts"] += result.new_posts
        counts["errors"] += result.status == "error"
    return counts


def poll_now(session: Session, actor: uuid.UUID, workspace_id: uuid.UUID, feed_id: uuid.UUID) -> PollResult:
    """"Poll now": read the feed at once (also a paused or backing-off one), as the member who asks."""
    feed = rss_feeds.get(session, actor, workspace_id, feed_id, rss_feeds.WRITE)
    return poll(session, feed, actor=actor)
