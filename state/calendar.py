"""The calendar page: events of the visible range, filters, drag-to-reschedule with undo, the iCal feed.

Thin: every handler calls a service through `self.run`, which acts under the user's database claims.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import reflex as rx
from reflex_components_sonner.toast import ToastAction

from app.core.config import get_settings
from app.services import calendar as calendar_service
from app.services import channels, ical, posts, workspaces
from app.services.errors import DomainError
from components.calendar import revert_drop
from state.auth import AuthState
from state.workspace import WorkspaceState

ALL = "all"
DAY_LIMIT = 4  # a month-view day with more posts shows the first few and one "+N more" summary
STATUS_FILTERS = ["scheduled", "awaiting_approval", "publishing", "published", "failed", "unknown",
                  "draft", "cancelled"]


def _moment(value: str) -> datetime:
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise DomainError("the calendar sent a time without an offset", field="start")
    return moment


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
    author_options: list[dict[str, str]] = []
    feed_url: str = ""
    # The calendar is re-mounted (new key) to jump to a day: FullCalendar's own API is not in reach.
    mount_key: int = 0
    initial_view: str = "dayGridMonth"
    initial_date: str = ""
    # post id of each visible target, and the last successful move: (post id, previous local time)
    _post_of: dict[str, str] = {}
    _start_of: dict[str, str] = {}
    _undo: dict[str, str] = {}
    _all: list[dict[str, Any]] = []  # every event of the range; `events` is what the calendar draws

    @rx.event
    async def open(self):  # type: ignore[no-untyped-def]
        redirect = await WorkspaceState.require_workspace.fn(self)  # type: ignore[attr-defined]
        if redirect is not None:
            return redirect
        self.feed_url = ""
        if not self.initial_date:
            self.initial_date = datetime.now(ZoneInfo(self.workspace_timezone)).date().isoformat()
        try:
            chans = await self.run(lambda s, u, w: [(str(c.id), c.name, c.network) for c in
                                                    channels.list_channels(s, user_id=u, workspace_id=w)])
            people = await self.run(lambda s, u, w: [(str(m.user_id), m.display_name or m.email)
                                                     for m in workspaces.members(s, u, w)])
        except DomainError as exc:
            return rx.toast.error(str(exc))
        self.channel_options = [
            {"value": i, "label": f"{name} ({calendar_service.NETWORK_LABELS.get(net, net)})"}
            for i, name, net in chans
        ]
        self.author_options = [{"value": i, "label": name} for i, name in people]
        if self.range_start:
            return await self._query()
        return None

    @rx.event
    async def dates_set(self, start: Any, end: Any, view: Any):  # type: ignore[no-untyped-def]
        # (Any: the component's specs are typed as a variadic tuple; FullCalendar sends strings.)
        self.range_start, self.range_end, self.view = str(start), str(end), str(view)
        return await self._query()

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

    async def _query(self) -> Any:
        if not self.range_start or not self._workspace_id:
            return None
        try:
            start, end = _moment(self.range_start), _moment(self.range_end)
            kwargs: dict[str, Any] = {}
            if self.channel_filter != ALL:
                kwargs["channel_ids"] = [uuid.UUID(self.channel_filter)]
            if self.status_filter != ALL:
                kwargs["statuses"] = (["scheduled", "queued"] if self.status_filter == "scheduled"
                                      else ["publishing", "retrying"] if self.status_filter == "publishing"
                                      else [self.status_filter])
            if self.author_filter != ALL:
                kwargs["author_id"] = uuid.UUID(self.author_filter)
            found = await self.run(calendar_service.events, start, end, **kwargs)
        except (DomainError, ValueError) as exc:
            return rx.toast.error(str(exc))
        # A neutral bar with a status-coloured edge: the text keeps its contrast in light and dark mode.
        neutral = {"backgroundColor": "var(--gray-a3)", "textColor": "var(--gray-12)"}
        self._all = [{**e.as_fullcalendar(), **neutral} for e in found]
        self._post_of = {e.id: e.post_id for e in found}
        self._start_of = {e.id: e.start for e in found}
        self._render()
        self.loaded = True
        return None

    def _render(self) -> None:
        self.events = self._summarised(self._all) if self.view == "dayGridMonth" else list(self._all)

    def _moved(self, post_id: str, local: datetime) -> None:
        """The server saved the move: shift this post's events here instead of querying the range again
        (a drop then costs one save, not a re-read of thousands of targets)."""
        start = local.replace(tzinfo=ZoneInfo(self.workspace_timezone)).astimezone(UTC).isoformat()
        for e in self._all:
            if e["post_id"] == post_id:
                e["start"] = start
                self._start_of[str(e["id"])] = start
        self._all.sort(key=lambda e: _moment(str(e["start"])))
        self._render()

    def _summarised(self, found: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Crowded days keep their first posts plus one "+N more" event.

        FullCalendar builds a node for every event even when `dayMaxEvents` hides it, and 2,000 nodes
        make the month slow to draw and to drag in."""
        tz = ZoneInfo(self.workspace_timezone)
        by_day: dict[str, list[dict[str, Any]]] = {}
        for e in found:
            by_day.setdefault(_moment(str(e["start"])).astimezone(tz).date().isoformat(), []).append(e)
        out: list[dict[str, Any]] = []
        for day, items in by_day.items():
            if len(items) <= DAY_LIMIT:
                out.extend(items)
                continue
            out.extend(items[: DAY_LIMIT - 1])
            out.append({"id": f"more-{day}", "title": f"+{len(items) - DAY_LIMIT + 1} more",
                        "start": day, "allDay": True, "startEditable": False, "display": "block",
                        "backgroundColor": "var(--iris-a3)", "borderColor": "var(--iris-9)",
                        "textColor": "var(--iris-12)", "classNames": ["qc-more"]})
        return out

    def _local(self, value: str) -> datetime:
        return _moment(value).astimezone(ZoneInfo(self.workspace_timezone)).replace(tzinfo=None)

    async def _move(self, post_id: str, local: datetime) -> None:
        tz = self.workspace_timezone
        await self.run(lambda s, u, w: posts.schedule_post(s, u, uuid.UUID(post_id), local_time=local,
                                                           timezone=tz))

    @rx.event
    async def drop(self, target_id: Any, start: Any):  # type: ignore[no-untyped-def]
        """A dragged target: the server re-validates (future, limits, role) and moves the whole post."""
        target_id, start = str(target_id), str(start)
        post_id, before = self._post_of.get(target_id), self._start_of.get(target_id)
        if post_id is None or before is None:
            return [revert_drop(), rx.toast.error("This post is no longer on the calendar: reload the page.")]
        try:
            local = self._local(start)
            await self._move(post_id, local)
        except DomainError as exc:
            return [revert_drop(), rx.toast.error(f"Not moved: {exc}")]
        self._undo = {"post_id": post_id, "local": self._local(before).isoformat()}
        self._moved(post_id, local)
        return rx.toast.success(
            f"Moved to {local.strftime('%a %d %b, %H:%M')}",
            action=ToastAction(label="Undo", on_click=CalendarState.undo),
            duration=8000,
        )

    @rx.event
    async def undo(self):  # type: ignore[no-untyped-def]
        undo, self._undo = self._undo, {}
        if not undo:
            return None
        local = datetime.fromisoformat(undo["local"])
        try:
            await self._move(undo["post_id"], local)
        except DomainError as exc:
            return rx.toast.error(f"Could not undo: {exc}")
        self._moved(undo["post_id"], local)
        return rx.toast.info("Moved back.")

    @rx.event
    def open_event(self, target_id: Any):  # type: ignore[no-untyped-def]
        target_id = str(target_id)
        if target_id.startswith("more-"):  # a crowded day's summary: show that day in the list view
            self.initial_view, self.initial_date = "listDay", target_id.removeprefix("more-")
            self.mount_key += 1
            return None
        post_id = self._post_of.get(target_id)
        return rx.redirect(f"/posts/{post_id}") if post_id else None

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
