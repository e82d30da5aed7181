"""The calendar page: events of the visible range, filters, drag-to-reschedule with undo, the iCal feed.

Thin: every handler calls a service through `self.run`, which acts under the user's database claims.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import reflex as rx
from reflex_components_sonner.toast import ToastAction
from sqlmodel import Session

from app.connectors import catalogue
from app.core.config import get_settings
from app.services.channels import channels
from app.services.errors import DomainError
from app.services.planning import calendar as calendar_service
from app.services.planning import ical, posts, statuses
from app.services.tenancy import workspaces
from components.calendar import revert_drop, scroll_to
from components.networks import marks as network_marks
from state.auth import AuthState
from state.calendar_events import SUMMARISED_VIEWS, Placed, canonical, moment, summarised
from state.live import client_connected, count_mount, unasked
from state.workspace import WorkspaceState

logger = logging.getLogger(__name__)
ALL = "all"
WATCH_SECONDS = 3.0  # how often the open calendar asks whether its range changed (one indexed query)
STATUS_FILTERS = list(statuses.CALENDAR_FILTERS)


class HomeState(AuthState):
    @rx.event
    def go_home(self):  # type: ignore[no-untyped-def]
        """"/": the calendar for signed-in people, the sign-in page for everyone else."""
        return rx.redirect("/calendar" if self.current_user_id() else "/signin", replace=True)


class CalendarState(WorkspaceState):
    events: list[dict[str, Any]] = []
    range_start: str = ""
    range_end: str = ""
    view: str = "dayGridMonth"
    loaded: bool = False
    channel_filter: str = ALL
    status_filter: str = ALL
    author_filter: str = ALL
    channel_options: list[dict[str, str]] = []
    network_marks: list[dict[str, str]] = []  # the networks of this workspace's channels, for the legend
    author_options: list[dict[str, str]] = []
    feed_url: str = ""
    # The calendar is re-mounted (new key) to jump to a day: FullCalendar's own API is not in reach.
    mount_key: int = 0
    initial_view: str = "dayGridMonth"
    initial_date: str = ""
    # every target of the range in start order (`events` is what the calendar draws of them), and the
    # last successful move (post id, previous local time)
    _placed: list[Placed] = []
    _undo: dict[str, str] = {}
    # what the calendar draws now (the list last sent, with the drops it made itself since), as JSON
    _drawn: str = "[]"
    _revision: int = 0
    _shown: str = ""  # what `events` was read for (workspace, range, view, filters) since the page opened
    _seen: str = ""  # the range's version (calendar_service.version) when `events` was read
    _watch: str = ""  # the live watch that may run: a new one (page shown again) retires the old one
    # How many times the calendar is mounted on the connection `_mounted_on` (state.live.count_mount)
    _mounted: int = 0
    _mounted_on: str = ""

    @rx.event
    async def open(self):  # type: ignore[no-untyped-def]
        redirect = await WorkspaceState.require_workspace.fn(self)  # type: ignore[attr-defined]
        if redirect is not None:
            return redirect
        self.feed_url, self._shown = "", ""
        if not self.initial_date:
            self.initial_date = datetime.now(ZoneInfo(self.workspace_timezone)).date().isoformat()
        def options(s: Session, u: uuid.UUID, w: uuid.UUID) -> tuple[list[tuple[str, str, str]],
                                                                      list[tuple[str, str]]]:
            mine = channels.list_channels(s, user_id=u, workspace_id=w)
            return ([(str(c.id), c.name, c.network) for c in mine],
                    [(str(m.user_id), m.display_name or m.email) for m in workspaces.members(s, u, w)])

        try:
            chans, people = await self.run(options)  # one transaction: each costs a round of claims
        except DomainError as exc:
            return rx.toast.error(str(exc))
        self.channel_options = [{"value": i, "label": f"{name} ({catalogue.label(net)})"}
                                for i, name, net in chans]
        self.network_marks = network_marks({n for _, _, n in chans})
        self.author_options = [{"value": i, "label": name} for i, name in people]
        if self.range_start:
            return await self._query()
        return None

    @rx.event
    async def dates_set(self, start: Any, end: Any, view: Any):  # type: ignore[no-untyped-def]
        # (Any: the component's specs are typed as a variadic tuple; FullCalendar sends strings.)
        self.range_start, self.range_end, self.view = str(start), str(end), str(view)
        if self._key() == self._shown:
            # A reloaded page: `open` has just read this range (it must, in case the workspace changed)
            # and the calendar, mounting, asks for the same range again.
            return self._scroll()
        failed = await self._query()
        return failed if failed is not None else self._scroll()

    def _scroll(self) -> Any:
        """A week or day opens at the current time when it shows today, else at its first post (an hour
        before, so that what comes just before shows too); FullCalendar alone opens every one at 06:00."""
        if not self.view.startswith("timeGrid") or not self.range_start:
            return None
        now = datetime.now(UTC)
        if moment(self.range_start) <= now < moment(self.range_end):
            at = now
        elif self._placed:
            at = moment(self._placed[0].start)
        else:
            return None
        return scroll_to(f"{max(at.astimezone(ZoneInfo(self.workspace_timezone)).hour - 1, 0):02d}:00:00")

    @rx.event
    async def set_channel_filter(self, value: str):  # type: ignore[no-untyped-def]
        self.channel_filter = value
        return await self._query()

    @rx.event
    async def set_status_filter(self, value: str):  # type: ignore[no-untyped-def]
        self.status_filter = value
        return await self._query()

    @rx.event
    async def set_author_filter(self, value: str):  # type: ignore[no-untyped-def]
        self.author_filter = value
        return await self._query()

    async def _query(self, live: bool = False) -> Any:
        """Read the visible range. `live`: asked by the watch, not by the person (no error toasts, the
        session is not marked as used, and nothing is sent when what is drawn did not change)."""
        if not self.range_start or not self._workspace_id:
            return None
        try:
            start, end = moment(self.range_start), moment(self.range_end)
            kwargs: dict[str, Any] = {}
            if self.channel_filter != ALL:
                kwargs["channel_ids"] = [uuid.UUID(self.channel_filter)]
            if self.status_filter != ALL:
                kwargs["statuses"] = statuses.filter_statuses(self.status_filter)
            if self.author_filter != ALL:
                kwargs["author_id"] = uuid.UUID(self.author_filter)

            def read(s: Session, u: uuid.UUID, w: uuid.UUID) -> tuple[str, list[Any]]:
                # The version first: a change between the two reads is then seen by the next check.
                return (calendar_service.version(s, u, w, start, end),
                        calendar_service.events(s, u, w, start, end, **kwargs))

            seen, found = await (
                asyncio.to_thread(unasked, self.session_token, self._user_id, self._workspace_id, read)
                if live else self.run(read))
        except (DomainError, ValueError) as exc:
            return None if live else rx.toast.error(str(exc))
        tz = ZoneInfo(self.workspace_timezone)
        placed = [Placed(e.id, e.post_id, e.start, moment(e.start).astimezone(tz).date().isoformat(),
                         e.as_fullcalendar()) for e in found]  # in start order
        self._placed = placed
        self._render(placed, live=live)
        self._shown, self._seen = self._key(), seen
        self.loaded = True
        return None

    @rx.event(background=True)
    async def watch(self):  # type: ignore[no-untyped-def]
        """While this calendar is on screen: every few seconds ask whether its range changed (a post
        published or failed, a teammate's move) and only then read it again. Stops when the page is
        left (`leave`, or a newer watch) or the tab is gone."""
        mine = uuid.uuid4().hex
        async with self:
            self._watch = mine
            token = self.router.session.client_token
            count_mount(self, +1)
        while True:
            await asyncio.sleep(WATCH_SECONDS)
            if not client_connected(token):
                return
            async with self:
                if self._watch != mine or self._mounted <= 0:
                    return
                key, seen, ranged = self._shown, self._seen, (self.range_start, self.range_end)
                ids = (self.session_token, self._user_id, self._workspace_id)
            if not key:
                continue  # not read yet
            try:
                start, end = moment(ranged[0]), moment(ranged[1])
                now = await asyncio.to_thread(
                    unasked, *ids, lambda s, u, w: calendar_service.version(s, u, w, start, end))  # noqa: B023
            except (DomainError, ValueError):
                return  # signed out, or no longer a member: the next page load says so
            except Exception:  # noqa: BLE001 - a database hiccup: the page stays as it is, the next check retries
                logger.warning("calendar watch: the change check failed", exc_info=True)
                continue
            if now == seen:
                continue
            async with self:
                if self._watch != mine or self._mounted <= 0:
                    return
                if self._shown == key and self._seen == seen:  # not read since by the person's own action
                    try:
                        await self._query(live=True)
                    except Exception:  # noqa: BLE001 - as above: `_seen` is unchanged, so the next check retries
                        logger.warning("calendar watch: reading the range failed", exc_info=True)

    @rx.event
    def leave(self):  # type: ignore[no-untyped-def]
        """The calendar left the screen: its watch stops."""
        count_mount(self, -1)

    def _key(self) -> str:
        return "|".join((self._workspace_id, self.range_start, self.range_end, self.view, self.channel_filter,
                         self.status_filter, self.author_filter))

    def _render(self, placed: list[Placed], dropped: tuple[str, str] | None = None,
                live: bool = False) -> None:
        """Send the calendar what it should draw, unless it already draws exactly that.

        `dropped` (target id, new start) is a move the calendar made itself when the post was dropped:
        if that was the only change (no crowded day's count changed, no other channel of the post moved),
        nothing is sent, sparing the browser a redraw of the whole month. A `live` read that changes
        nothing drawn (a target hidden in a crowded day, or filtered out) sends nothing either."""
        events = summarised(placed) if self.view in SUMMARISED_VIEWS else [dict(p.event) for p in placed]
        drawn = canonical(events)
        if live and drawn == self._drawn:
            return
        if dropped is not None:
            target_id, start = dropped
            shown = [{**e, "start": start} if e["id"] == target_id else e for e in json.loads(self._drawn)]
            if canonical(shown) == drawn:
                self._drawn = drawn
                return
        if events:
            # The browser keeps an equal list as it is (and the calendar its own drops with it): a new
            # revision on each list sent makes sure the calendar draws what the server says, e.g. on undo.
            self._revision += 1
            events[0] = {**events[0], "revision": self._revision}
        self.events, self._drawn = events, drawn

    def _find(self, target_id: str) -> Placed | None:
        return next((p for p in self._placed if p.id == target_id), None)

    def _moved(self, post_id: str, local: datetime, dropped: str | None = None) -> None:
        """The server saved the move: shift this post's events here instead of querying the range again
        (a drop then costs one save, not a re-read of thousands of targets)."""
        start = local.replace(tzinfo=ZoneInfo(self.workspace_timezone)).astimezone(UTC).isoformat()
        day = local.date().isoformat()
        placed = [p._replace(start=start, day=day, event={**p.event, "start": start})
                  if p.post_id == post_id else p for p in self._placed]
        placed.sort(key=lambda p: p.start)
        self._placed = placed
        self._render(placed, (dropped, start) if dropped else None)

    def _local(self, value: str) -> datetime:
        return moment(value).astimezone(ZoneInfo(self.workspace_timezone)).replace(tzinfo=None)

    async def _move(self, post_id: str, local: datetime) -> bool:
        """Reschedule on the server; True when the post repeats (its copies were planned again)."""
        tz = self.workspace_timezone
        return await self.run(lambda s, u, w: posts.schedule_post(
            s, u, uuid.UUID(post_id), local_time=local, timezone=tz).series_id is not None)

    async def _after_move(self, post_id: str, local: datetime, repeats: bool,
                          dropped: str | None = None) -> Any:
        # A repeating post's copies got new targets: only then is the range read again.
        if repeats:
            return await self._query()
        self._moved(post_id, local, dropped)
        return None

    @rx.event
    async def drop(self, target_id: Any, start: Any):  # type: ignore[no-untyped-def]
        """A dragged target: the server re-validates (future, limits, role) and moves the whole post."""
        target_id, start = str(target_id), str(start)
        placed = self._find(target_id)
        if placed is None:
            yield [revert_drop(), rx.toast.error("This post is no longer on the calendar: reload the page.")]
            return
        post_id, before = placed.post_id, placed.start
        try:
            local = self._local(start)
            repeats = await self._move(post_id, local)
        except DomainError as exc:
            yield [revert_drop(), rx.toast.error(f"Not moved: {exc}")]
            return
        self._undo = {"post_id": post_id, "local": self._local(before).isoformat()}
        # The move is saved and the calendar already shows the post where it was dropped: say so now,
        # before the month's list is sent again (that redraw only brings crowded days' counts up to date).
        yield rx.toast.success(
            f"Moved to {local.strftime('%a %d %b, %H:%M')}",
            action=ToastAction(label="Undo", on_click=CalendarState.undo),
            duration=8000,
        )
        yield await self._after_move(post_id, local, repeats, dropped=target_id)

    @rx.event
    async def undo(self):  # type: ignore[no-untyped-def]
        undo, self._undo = self._undo, {}
        if not undo:
            return None
        local = datetime.fromisoformat(undo["local"])
        try:
            repeats = await self._move(undo["post_id"], local)
        except DomainError as exc:
            return rx.toast.error(f"Could not undo: {exc}")
        failed = await self._after_move(undo["post_id"], local, repeats)
        return [rx.toast.info("Moved back."), failed] if failed is not None else rx.toast.info("Moved back.")

    @rx.event
    def open_event(self, target_id: Any):  # type: ignore[no-untyped-def]
        target_id = str(target_id)
        if target_id.startswith("more-"):  # a crowded day's summary: show that day in the list view
            self.initial_view, self.initial_date = "listDay", target_id.removeprefix("more-")
            self.mount_key += 1
            return None
        placed = self._find(target_id)
        return rx.redirect(f"/posts/{placed.post_id}") if placed else None

    @rx.event
    def open_day(self, date: Any):  # type: ignore[no-untyped-def]
        return rx.redirect(f"/compose?date={str(date)[:10]}")

    @rx.event
    async def create_feed(self):  # type: ignore[no-untyped-def]
        try:
            token = await self.run(ical.create_feed)
        except DomainError as exc:
            return rx.toast.error(str(exc))
        self.feed_url = f"{get_settings().url}/ical/{token}.ics"
        return rx.toast.success("New feed URL: copy it now, it is shown only once. Older feed URLs stop.")

    @rx.event
    async def revoke_feed(self):  # type: ignore[no-untyped-def]
        try:
            count = await self.run(ical.revoke_feeds)
        except DomainError as exc:
            return rx.toast.error(str(exc))
        self.feed_url = ""
        return rx.toast.info("Feed revoked: calendars using it stop updating." if count
                             else "You have no active feed.")

    @rx.event
    def copy_feed(self):  # type: ignore[no-untyped-def]
        return [rx.set_clipboard(self.feed_url), rx.toast.info("Feed URL copied.")]
