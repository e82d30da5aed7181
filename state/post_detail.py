"""One post: each target's state, every publish attempt, the actions that fit, live while publishing."""

from __future__ import annotations

import asyncio
import dataclasses
import time
import uuid
from datetime import datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

import reflex as rx

from app.services import compose, engagement, posts
from app.services.calendar import NETWORK_LABELS, STATUS_COLOURS
from app.services.errors import DomainError
from state.workspace import WorkspaceState

LIVE = ("queued", "publishing", "retrying")  # states that change without the user doing anything
UNSTARTED = ("draft", "scheduled")  # a post whose every target is here can still go out at once
POLL_SECONDS = 2.0
POLL_FOR_SECONDS = 180.0


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
    can_retry: bool = False
    can_cancel: bool = False
    is_unknown: bool = False
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
    live: bool = False
    busy: bool = False
    can_publish_now: bool = False
    images: list[ImageView] = []
    _media: list[dict[str, str]] = []  # the post's image refs {id, alt}, as its targets hold them
    shown_post_id: str = ""
    _polling: bool = False

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
        await self._load()
        await self._load_images()
        return PostDetailState.poll if self.live else None

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
            detail = await self.run(lambda s, u, w: posts.post_detail(s, u, post_id))
            numbers = await self.run(lambda s, u, w: engagement.latest_for_post(s, u, post_id))
        except DomainError as exc:
            self.not_found = f"This post cannot be shown: {exc}"
            self.targets = []
            return
        tz = ZoneInfo(self.workspace_timezone)
        self.body, self.post_status = str(detail["body"]), str(detail["status"])
        views = []
        for t in detail["targets"]:
            status = str(t["status"])
            counts = numbers.get(str(t["id"]), {})
            views.append(TargetView(
                id=str(t["id"]), channel=str(t.get("channel_name", "")),
                network=NETWORK_LABELS.get(str(t.get("network", "")), str(t.get("network", ""))),
                status=status, colour=STATUS_COLOURS.get(status, "#8b8d98"),
                when=_label(t.get("published_at") or t.get("scheduled_at"), tz),
                remote_url=str(t.get("remote_url") or ""), last_error=str(t.get("last_error") or ""),
                text=str(t.get("text") or ""),
                can_retry=status == "failed",
                can_cancel=status in ("draft", "awaiting_approval", "scheduled", "queued", "retrying"),
                is_unknown=status == "unknown",
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
        self.live = any(v.status in LIVE for v in views)
        self.shown_post_id = str(post_id)
        self.can_publish_now = (self.post_status in UNSTARTED and bool(views)
                                and all(v.status in UNSTARTED for v in views))

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
        return [rx.toast.success(done), PostDetailState.poll]

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

    @rx.event(background=True)
    async def poll(self):  # type: ignore[no-untyped-def]
        """Refresh every 2 s while a target is publishing: at most 3 minutes, only while the tab is open."""
        async with self:
            if self._polling or not self.live:
                return
            self._polling = True
            token = self.router.session.client_token
        try:
            deadline = time.monotonic() + POLL_FOR_SECONDS
            while time.monotonic() < deadline:
                await asyncio.sleep(POLL_SECONDS)
                if not _client_connected(token):
                    return
                async with self:
                    await self._load()
                    if not self.live:
                        return
        finally:
            async with self:
                self._polling = False


def _client_connected(token: str) -> bool:
    """False once the browser tab that started the poll has gone (its websocket closed)."""
    try:
        from reflex.utils.prerequisites import get_and_validate_app

        namespace = get_and_validate_app().app.event_namespace
    except Exception:  # noqa: BLE001 - no app (tests of the state alone): keep polling within the bound
        return True
    return namespace is None or token in namespace.token_to_sid
