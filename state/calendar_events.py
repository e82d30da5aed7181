"""What the calendar draws, as plain data: a target placed on the calendar, a month's crowded days cut
to "+N more", and the comparison that tells whether a new list differs from the one drawn."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, NamedTuple

from app.services.errors import DomainError

DAY_LIMIT = 4  # a month-view day with more posts shows the first few and one "+N more" summary
SUMMARISED_VIEWS = ("dayGridMonth", "listMonth")  # a month: crowded days as "+N more"


def moment(value: str) -> datetime:
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise DomainError("the calendar sent a time without an offset", field="start")
    return moment


class Placed(NamedTuple):
    """A target on the calendar. A tuple, not a dict: Reflex wraps every dict or list read from state in
    a change-tracking proxy, which made walking a month of 2,000 of them after each drop cost ~30 ms."""

    id: str
    post_id: str
    start: str  # UTC ISO 8601: these strings sort as the times do
    day: str  # the local date in the workspace's time zone
    event: dict[str, Any]  # what the calendar draws (CalendarEvent.as_fullcalendar)


def canonical(events: list[dict[str, Any]]) -> str:
    return json.dumps(sorted(({k: v for k, v in e.items() if k != "revision"} for e in events),
                             key=lambda e: str(e["id"])), sort_keys=True)


def summarised(placed: list[Placed]) -> list[dict[str, Any]]:
    """A month's events with crowded days cut to their first posts plus one "+N more" event.

    FullCalendar builds a node for every event even when `dayMaxEvents` hides it, and 2,000 nodes
    make the month slow to draw and to drag in."""
    by_day: dict[str, list[Placed]] = {}
    for p in placed:
        by_day.setdefault(p.day, []).append(p)
    out: list[dict[str, Any]] = []
    for day, items in by_day.items():
        shown = items if len(items) <= DAY_LIMIT else items[: DAY_LIMIT - 1]
        out.extend(dict(p.event) for p in shown)
        if len(shown) < len(items):
            out.append({"id": f"more-{day}", "title": f"+{len(items) - len(shown)} more",
                        "start": day, "allDay": True, "startEditable": False, "display": "block",
                        "backgroundColor": "var(--iris-a3)", "borderColor": "var(--iris-9)",
                        "textColor": "var(--iris-12)", "classNames": ["qc-more"]})
    return out
