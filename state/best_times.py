"""The analytics page's "Best time to post" card: the heatmap of app.services.insight.best_times for one
channel or all, and the suggested queue slots, which a person with slot:manage applies after confirming.

Thin: the map, its minimum sample and the slots are the service's; this turns them into rows to show.
"""

from __future__ import annotations

import uuid
from datetime import time
from typing import Any

import reflex as rx

from app.services.channels import channels
from app.services.errors import DomainError
from app.services.insight import best_times
from app.services.planning import timeslots
from state.forms import ConfirmDialog
from state.workspace import WorkspaceState

DAYS = [d[:3] for d in timeslots.WEEKDAYS]
LEVELS = 5  # colour steps of a scored cell; 0 = no score


def _level(score: float | None, best: float | None) -> str:
    if score is None or not best:
        return "0"
    return str(max(1, min(LEVELS, round(LEVELS * score / best))))


def _title(day: str, hour: int, posts: int, score: float | None) -> str:
    when = f"{day} {hour:02d}:00–{hour:02d}:59"
    word = "post" if posts == 1 else "posts"
    if score is None:
        return f"{when}: {posts} {word}" + (" (too few for a score)" if posts else "")
    return f"{when}: {posts} {word}, {score:g} engagement per post"


class BestTimesState(ConfirmDialog, WorkspaceState):
    channel: str = ""  # "" = every channel
    channel_options: list[dict[str, str]] = []
    rows: list[dict[str, Any]] = []  # {"day": "Mon", "cells": [{"level", "title", "posts"}]}
    hours: list[str] = [f"{h:02d}" for h in range(24)]
    enough: bool = False
    sample: str = ""  # "7 of the 20 measured posts needed"
    zone_note: str = ""
    suggestions: list[dict[str, str]] = []  # {"label": "Tuesday 09:00", "weekday": "1", "time": "09:00"}
    error: str = ""
    loaded: bool = False

    @rx.var
    def can_use_times(self) -> bool:
        return "slot:manage" in self.allowed and self.channel != "" and len(self.suggestions) > 0

    @rx.var
    def channel_name(self) -> str:
        return next((c["name"] for c in self.channel_options if c["id"] == self.channel), "")

    @rx.event
    async def load(self):  # type: ignore[no-untyped-def]
        if not self._workspace_id:
            return
        try:
            mine = await self.run(lambda s, u, w: channels.list_channels(s, user_id=u, workspace_id=w))
            self.channel_options = [{"id": str(c.id), "name": c.name} for c in mine]
            if self.channel not in {c["id"] for c in self.channel_options}:
                self.channel = ""
            await self._refresh()
        except DomainError as exc:
            self.error = exc.message

    async def _refresh(self) -> None:
        chosen = uuid.UUID(self.channel) if self.channel else None
        m = await self.run(best_times.heatmap, chosen)
        self.error, self.loaded, self.enough = "", True, m.enough
        self.rows = [{"day": DAYS[d], "cells": [
            {"level": _level(c.score, m.best), "title": _title(DAYS[d], c.hour, c.posts, c.score),
             "posts": str(c.posts) if c.posts else ""} for c in row]} for d, row in enumerate(m.cells)]
        self.sample = (f"{m.measured} of the {m.needed} measured posts needed "
                       f"({m.published} published in the last {m.days} days)")
        self.zone_note = (f"Hours in {m.timezone}. Score: likes + reposts + replies + quotes per post; "
                          f"a cell needs {m.min_cell_posts} posts.")
        self.suggestions = [{"label": f"{timeslots.WEEKDAYS[s.weekday]} {s.local_time:%H:%M}",
                             "weekday": str(s.weekday), "time": f"{s.local_time:%H:%M}"}
                            for s in m.suggestions]

    @rx.event
    async def pick_channel(self, value: str):  # type: ignore[no-untyped-def]
        if value and value not in {c["id"] for c in self.channel_options}:
            return
        self.channel = value
        try:
            await self._refresh()
        except DomainError as exc:
            self.error = exc.message

    @rx.event
    def ask_use_times(self) -> None:
        self.confirm_id, self.confirm_label = self.channel, self.channel_name

    @rx.event
    async def use_times(self):  # type: ignore[no-untyped-def]
        channel = self._confirmed()
        if not channel or channel != self.channel:
            return None
        slots = [(int(s["weekday"]), time.fromisoformat(s["time"])) for s in self.suggestions]
        return await self.act(best_times.use_slots, uuid.UUID(channel), slots,
                              done=f"The queue of {self.channel_name} now uses these {len(slots)} times.",
                              refresh=self._refresh)
