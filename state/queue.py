"""Queue page: per channel, the upcoming targets in order, its weekly time slots and the next free slot.

Thin: reads and writes go through app/services (channels.list_channels, timeslots.list_slots /
set_slots / next_free_slot, posts.list_targets) under the user's claims; set_slots checks slot:manage.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import reflex as rx

from app.connectors.checks import label
from app.services.delivery import channels
from app.services.errors import DomainError, ValidationFailed
from app.services.planning import posts, timeslots
from state.workspace import WorkspaceState

WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
HORIZON = timedelta(days=28)
UPCOMING_LIMIT = 20


def _fmt(moment: datetime, tz: ZoneInfo) -> str:
    return moment.astimezone(tz).strftime("%a %d %b %Y, %H:%M")


def _overview(session, user_id, workspace_id, tz_name):  # type: ignore[no-untyped-def]
    tz = ZoneInfo(tz_name)
    now = datetime.now(UTC)
    rows = posts.list_targets(session, user_id, workspace_id, now, now + HORIZON)
    out = []
    for ch in channels.list_channels(session, user_id=user_id, workspace_id=workspace_id):
        slots = timeslots.list_slots(session, user_id, ch.id)
        try:
            free = _fmt(timeslots.next_free_slot(session, ch, now), tz) if slots else "none yet: add a slot"
        except ValidationFailed as exc:  # every slot in the horizon is taken
            free = exc.message
        upcoming = [
            {"when": _fmt(r["scheduled_at"], tz), "status": r["status"].replace("_", " "),
             "text": (r["text"] or "")[:140]}
            for r in rows if r["channel_id"] == ch.id and r["scheduled_at"] is not None
        ][:UPCOMING_LIMIT]
        out.append({
            "id": str(ch.id), "name": ch.name, "network": label(ch.network), "next_free": free,
            "slots": [{"key": f"{s.weekday}-{s.local_time:%H:%M}",
                       "label": f"{WEEKDAYS[s.weekday]} {s.local_time:%H:%M}"} for s in slots],
            "upcoming": upcoming,
        })
    return out


def _change_slots(session, user_id, workspace_id, channel_id, add, remove, tz_name):  # type: ignore[no-untyped-def]
    current = {(s.weekday, s.local_time.replace(second=0, microsecond=0))
               for s in timeslots.list_slots(session, user_id, channel_id)}
    if add is not None:
        current.add(add)
    current.discard(remove)
    slots = [timeslots.SlotInput(w, t) for w, t in sorted(current)]
    timeslots.set_slots(session, user_id, channel_id, slots, tz_name)


class QueueState(WorkspaceState):
    channels: list[dict[str, Any]] = []
    errors: dict[str, str] = {}
    loaded: bool = False

    @rx.var
    def can_manage_slots(self) -> bool:
        return "slot:manage" in self.allowed

    @rx.event
    async def on_load(self):  # type: ignore[no-untyped-def]
        if not self._workspace_id:
            return
        self.errors = {}
        await self._refresh()

    async def _refresh(self) -> None:
        self.channels = await self.run(_overview, self.workspace_timezone)
        self.loaded = True

    @rx.event
    async def add_slot(self, form: dict[str, Any]):  # type: ignore[no-untyped-def]
        channel_id = str(form.get("channel_id", ""))
        self.errors = {}
        try:
            weekday = int(str(form.get("weekday", "")))
            hh, mm = str(form.get("time", "")).split(":")[:2]
            local = time(int(hh), int(mm))
        except ValueError:
            self.errors = {channel_id: "pick a weekday and a time, e.g. 09:30"}
            return
        try:
            await self.run(_change_slots, uuid.UUID(channel_id), (weekday, local), None,
                           self.workspace_timezone)
        except DomainError as exc:
            self.errors = {channel_id: exc.message}
            return
        await self._refresh()

    @rx.event
    async def remove_slot(self, channel_id: str, key: str):  # type: ignore[no-untyped-def]
        weekday, hhmm = key.split("-")
        hh, mm = hhmm.split(":")
        self.errors = {}
        try:
            await self.run(_change_slots, uuid.UUID(channel_id), None, (int(weekday), time(int(hh), int(mm))),
                           self.workspace_timezone)
        except DomainError as exc:
            self.errors = {channel_id: exc.message}
            return
        await self._refresh()
