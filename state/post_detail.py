"""One post: each target's state, every publish attempt, and the actions that fit; live while on screen."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
import uuid
from datetime import datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

import reflex as rx

from app.connectors.catalogue import LABELS as NETWORK_LABELS
from app.services.errors import DomainError
from app.services.insight import engagement
from app.services.planning import compose, posts, statuses
from app.services.planning.calendar import STATUS_COLOURS
from models.post import TARGET_PLANNED
from state.live import client_connected, count_mount, unasked
from state.workspace import WorkspaceState

logger = logging.getLogger(__name__)
# How often the open page asks whether the post changed (one small query): often while a target is on
# its way or due soon, so that a change shows within a second; less often for a post that waits.
FAST_SECONDS = 0.5
SLOW_SECONDS = 3.0
SOON_SECONDS = 120.0


@dataclasses.dataclass
class AttemptView:
    number: int = 0
    when: str = ""
    outcome: str = ""
    http_status: str = ""  # "" when no answer carried one (a success, a timeout)
    message: str = ""


@dataclasses.dataclass
class TargetView:
    id: str = ""
    channel: str = ""
    network: str = ""
    status: str = ""
    colour: str = ""
    when: str = ""
    remote_url: str = ""
    last_error: str = ""
    text: str = ""
    # what this member may do to the target now, as the posts service says (statuses.allowed_actions)
    can_retry: bool = False
    can_resolve: bool = False  # unknown: publish anyway, or mark as posted
    # The latest engagement snapshot ("" when none was taken yet): counts, and when they were read.
    likes: str = ""
    reposts: str = ""
    replies: str = ""
    impressions: str = ""
    measured_at: str = ""
    attempts: list[AttemptView] = dataclasses.field(default_factory=list)


@dataclasses.dataclass
class ImageView:
    thumb: str = ""  # a data: URL
    alt: str = ""


def _count(value: Any) -> str:
    return "" if value is None else f"{int(value):,}"


def _label(moment: datetime | None, tz: ZoneInfo) -> str:
    return moment.astimezone(tz).strftime("%a %d %b %Y, %H:%M") if moment else ""


class PostDetailState(WorkspaceState):
    body: str = ""
    post_status: str = ""
    targets: list[TargetView] = []
    not_found: str = ""
    live: bool = False  # a target is on its way (queued, publishing, retrying)
    busy: bool = False
    # what this member may do to the post now, as the posts service says (statuses.allowed_actions)
    can_publish_now: bool = False
    can_edit: bool = False
    can_cancel: bool = False
    some_published: bool = False  # then cancelling stops only the rest
    images: list[ImageView] = []
    _media: list[dict[str, str]] = []  # the post's image refs {id, alt}, as its targets hold them
    shown_post_id: str = ""
    _seen: str = ""  # the post's version (posts.post_version) when it was read
    _due: float = 0.0  # when its earliest waiting target is due (epoch seconds; 0: none waits)
    _watch: str = ""  # the live watch that may run: a new one (page shown again) retires the old one
    _mounted: int = 0  # state.live.count_mount
    _mounted_on: str = ""

    def _post_uuid(self) -> uuid.UUID | None:
        try:
            return uuid.UUID(str(self.router.page.params.get("post_id", "")))
        except ValueError:
            return None

    @rx.event
    async def open(self):  # type: ignore[no-untyped-def]
        redirect = await WorkspaceState.require_workspace.fn(self)  # type: ignore[attr-defined]
        if redirect is not None:
            return redirect
        self.targets, self.body, self.not_found, self.images = [], "", "", []
        self.shown_post_id, self._seen = "", ""
        await self._load()
        await self._load_images()
        return None

    async def _load_images(self) -> None:
        """Thumbnails once per visit (the live refresh re-reads states, not pictures)."""
        try:
            cards = await self.run(compose.media_cards, self._media) if self._media else []
        except DomainError:
            cards = []  # an image deleted since: the post's text and states still show
        self.images = [ImageView(thumb=c["thumb"], alt=c.get("alt", "")) for c in cards]

    async def _load(self) -> None:
        post_id = self._post_uuid()
        if post_id is None:
            self.not_found = "This address does not name a post."
            return
        try:
            found = await self.run(_reader(post_id))
        except DomainError as exc:
            self.not_found = f"This post cannot be shown: {exc}"
            self.targets = []
            return
        self._show(post_id, *found)

    def _show(self, post_id: uuid.UUID, version: str, detail: dict[str, Any],
              numbers: dict[str, dict[str, Any]]) -> None:
        tz = ZoneInfo(self.workspace_timezone)
        self.body, self.post_status = str(detail["body"]), str(detail["status"])
        states = [str(t["status"]) for t in detail["targets"]]
        post_actions, target_actions = statuses.allowed_actions(
            self.post_status, states, self.role, is_author=str(detail.get("author_id")) == self._user_id)
        views = []
        for t, status, actions in zip(detail["targets"], states, target_actions, strict=True):
            counts = numbers.get(str(t["id"]), {})
            views.append(TargetView(
                id=str(t["id"]), channel=str(t.get("channel_name", "")),
                network=NETWORK_LABELS.get(str(t.get("network", "")), str(t.get("network", ""))),
                status=status, colour=STATUS_COLOURS.get(status, "#8b8d98"),
                when=_label(t.get("published_at") or t.get("scheduled_at"), tz),
                remote_url=str(t.get("remote_url") or ""), last_error=str(t.get("last_error") or ""),
                text=str(t.get("text") or ""),
                can_retry="retry" in actions, can_resolve="mark_posted" in actions,
                likes=_count(counts.get("likes")), reposts=_count(counts.get("reposts")),
                replies=_count(counts.get("replies")), impressions=_count(counts.get("impressions")),
                measured_at=_label(counts.get("taken_at"), tz),
                attempts=[AttemptView(
                    number=int(a["number"] or 0), when=_label(a["started_at"], tz), outcome=str(a["outcome"]),
                    http_status=str(a["http_status"] or ""), message=str(a["error"] or ""),
                ) for a in t.get("attempt_log", [])],
            ))
        self.targets = views
        media: dict[str, dict[str, str]] = {}
        for t in detail["targets"]:
            for ref in t.get("media", []):
                media.setdefault(str(ref.get("id", "")), {"id": str(ref.get("id", "")),
                                                          "alt": str(ref.get("alt", ""))})
        self._media = list(media.values())
        self.live = statuses.is_live(states)
        waiting = [t["scheduled_at"].timestamp() for t in detail["targets"]
                   if t["status"] in TARGET_PLANNED and t.get("scheduled_at")]
        self._due = min(waiting, default=0.0)
        self.shown_post_id, self._seen = str(post_id), version
        self.can_publish_now = "publish_now" in post_actions
        self.can_edit = "edit" in post_actions
        self.can_cancel = "cancel" in post_actions
        self.some_published = "published" in states

    async def _act(self, fn: Any, done: str):  # type: ignore[no-untyped-def]
        if self.busy:
            return None
        self.busy = True
        try:
            await self.run(fn)
        except DomainError as exc:
            self.busy = False
            return rx.toast.error(str(exc))
        self.busy = False
        await self._load()
        return rx.toast.success(done)

    @rx.event
    async def retry(self, target_id: str):  # type: ignore[no-untyped-def]
        tid = uuid.UUID(target_id)
        return await self._act(lambda s, u, w: posts.retry_target(s, u, tid), "Retrying now.")

    @rx.event
    async def publish_now(self):  # type: ignore[no-untyped-def]
        pid = self._post_uuid()
        if pid is None:
            return None
        return await self._act(lambda s, u, w: posts.publish_now(s, u, pid), "Publishing now.")

    @rx.event
    async def cancel(self):  # type: ignore[no-untyped-def]
        pid = self._post_uuid()
        if pid is None:
            return None
        return await self._act(lambda s, u, w: posts.cancel_post(s, u, pid),
                               "Cancelled: nothing more will be sent.")

    async def _resolve(self, target_id: str, action: Literal["publish_anyway", "mark_posted"], done: str):  # type: ignore[no-untyped-def]
        tid = uuid.UUID(target_id)
        return await self._act(lambda s, u, w: posts.resolve_unknown(s, u, tid, action), done)

    @rx.event
    async def publish_anyway(self, target_id: str):  # type: ignore[no-untyped-def]
        return await self._resolve(target_id, "publish_anyway", "Publishing again.")

    @rx.event
    async def mark_posted(self, target_id: str):  # type: ignore[no-untyped-def]
        return await self._resolve(target_id, "mark_posted", "Marked as posted.")

    def _pause(self) -> float:
        soon = self._due and self._due - time.time() < SOON_SECONDS
        return FAST_SECONDS if self.live or soon else SLOW_SECONDS

    @rx.event(background=True)
    async def watch(self):  # type: ignore[no-untyped-def]
        """While the post is on screen: ask often whether it changed (a target queued, publishing,
        published, failed; a teammate's action) and only then read it again, so the states and the
        actions follow the truth without a reload. Stops when the page is left (`leave`, or a newer
        watch) or the tab is gone; checks the session without marking it used (state.live)."""
        mine = uuid.uuid4().hex
        async with self:
            self._watch = mine
            token = self.router.session.client_token
            count_mount(self, +1)
            pause = self._pause()
        while True:
            await asyncio.sleep(pause)
            if not client_connected(token):
                return
            async with self:
                if self._watch != mine or self._mounted <= 0:
                    return
                shown, seen, pause = self.shown_post_id, self._seen, self._pause()
                ids = (self.session_token, self._user_id, self._workspace_id)
            if not shown:
                continue  # not read yet (or not found)
            post_id = uuid.UUID(shown)
            try:
                now = await asyncio.to_thread(
                    unasked, *ids, lambda s, u, w: posts.post_version(s, u, post_id))  # noqa: B023
                if now == seen:
                    continue
                found = await asyncio.to_thread(unasked, *ids, _reader(post_id))
            except DomainError:
                return  # signed out, no longer a member, the post deleted: the next page load says so
            except Exception:  # noqa: BLE001 - a database hiccup: the page stays as it is, the next check retries
                logger.warning("post watch: reading the post failed", exc_info=True)
                continue
            async with self:
                if self._watch != mine or self._mounted <= 0:
                    return
                if self.shown_post_id == shown and self._seen == seen:  # not read since by an action
                    self._show(post_id, *found)
                pause = self._pause()

    @rx.event
    def leave(self):  # type: ignore[no-untyped-def]
        """The post's page left the screen: its watch stops."""
        count_mount(self, -1)


def _reader(post_id: uuid.UUID) -> Any:
    """One read of the post as the page shows it: (its version first, so that a change made while the
    rest is read is seen by the next check; the post with every target and attempt; the latest counts)."""
    def read(s: Any, u: uuid.UUID, w: uuid.UUID) -> tuple[str, dict[str, Any], dict[str, dict[str, Any]]]:
        return (posts.post_version(s, u, post_id), posts.post_detail(s, u, post_id),
                engagement.latest_for_post(s, u, post_id))
    return read
