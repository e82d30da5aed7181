"""Queue page: per channel, the upcoming targets in order, its weekly time slots and the next free slot.

Thin: the overview and the slot changes are the queue service's (`app.services.planning.queue`), run
under the user's claims (adding or removing a slot needs slot:manage); this formats its answer in the
workspace's time zone.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import reflex as rx

from app.services.errors import DomainError
from app.services.planning import queue, timeslots
from state.workspace import WorkspaceState

WEEKDAYS = list(timeslots.WEEKDAYS)


def _fmt(moment: datetime, tz: ZoneInfo) -> str:
    return moment.astimezone(tz).strftime("%a %d %b %Y, %H:%M")


def _shown(entry: queue.ChannelQueue, tz: ZoneInfo) -> dict[str, Any]:
    """One channel's queue as the page shows it."""
    if entry.next_free is not None:
        free = _fmt(entry.next_free, tz)
    else:
        free = entry.no_free_reason or "none yet: add a slot"
    return {
        "id": str(entry.id), "name": entry.name, "network": entry.network_label, "next_free": free,
        "slots": [{"key": f"{w}-{t:%H:%M}", "label": f"{WEEKDAYS[w]} {t:%H:%M}"} for w, t in entry.slots],
        "upcoming": [{"when": _fmt(u["scheduled_at"], tz), "status": u["status"].replace("_", " "),
                      "text": u["text"][:140]} for u in entry.upcoming],
    }


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
        tz = ZoneInfo(self.workspace_timezone)
        self.channels = [_shown(entry, tz) for entry in await self.run(queue.overview)]
        self.loaded = True

    async def _change(self, channel_id: str, weekday: str, clock: str, *, add: bool) -> None:
        self.errors = {}
        try:
            slot = queue.parse_slot(weekday, clock)
            await self.run(queue.change_slots, uuid.UUID(channel_id), self.workspace_timezone,
                           add=slot if add else None, remove=None if add else slot)
        except DomainError as exc:
            self.errors = {channel_id: exc.message}
            return
        except ValueError:  # not a channel id: the page only sends its own
            self.errors = {channel_id: "channel not found"}
            return
        await self._refresh()

    @rx.event
    async def add_slot(self, form: dict[str, Any]):  # type: ignore[no-untyped-def]
        await self._change(str(form.get("channel_id", "")), str(form.get("weekday", "")),
                           str(form.get("time", "")), add=True)

    @rx.event
    async def remove_slot(self, channel_id: str, key: str):  # type: ignore[no-untyped-def]
        weekday, _, clock = key.partition("-")
        await self._change(channel_id, weekday, clock, add=False)
