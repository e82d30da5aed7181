"""The queue overview and its slot changes: for each channel of a workspace, its weekly time slots, the
next free slot and the targets coming up, read with one query per kind for all channels.

Plain functions over a Session for the Reflex state, the API and an MCP server alike; the slot rules
themselves (time zones, DST, what "taken" means) are in `timeslots`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any

from sqlmodel import Session

from app.connectors.catalogue import subject
from app.services.channels import channels
from app.services.errors import NotFound, ValidationFailed
from app.services.planning import post_queries, timeslots
from models import Channel

HORIZON = timedelta(days=28)  # how far ahead the overview lists upcoming targets
UPCOMING_LIMIT = 20  # per channel
SLOT_FORMAT_MESSAGE = "pick a weekday and a time, e.g. 09:30"


@dataclass
class ChannelQueue:
    """One channel's queue: its slots (weekday 0 = Monday, local time), the next free slot or why there
    is none, and its upcoming targets (when, status, text) in time order."""

    id: uuid.UUID
    name: str
    network: str
    network_label: str
    slots: list[tuple[int, time]] = field(default_factory=list)
    next_free: datetime | None = None
    no_free_reason: str = ""  # set when the channel has slots but none is free within the horizon
    upcoming: list[dict[str, Any]] = field(default_factory=list)


def overview(session: Session, actor: uuid.UUID, workspace_id: uuid.UUID,
             now: datetime | None = None) -> list[ChannelQueue]:
    """Every channel of the workspace (that is not disconnected) with its queue."""
    now = now or datetime.now(UTC)
    chans = list(channels.list_channels(session, user_id=actor, workspace_id=workspace_id))
    ids = [c.id for c in chans]
    slots = timeslots.slots_of(session, ids)
    taken = timeslots.taken_times(session, ids, now)
    rows = post_queries.list_targets(session, actor, workspace_id, now, now + HORIZON)
    out = []
    for ch in chans:
        entry = ChannelQueue(id=ch.id, name=ch.name, network=ch.network, network_label=subject(ch.network),
                             slots=[(s.weekday, s.local_time) for s in slots[ch.id]])
        if slots[ch.id]:
            try:
                entry.next_free = timeslots.first_free(ch, slots[ch.id], taken[ch.id], now)
            except ValidationFailed as exc:  # every slot in the horizon is taken
                entry.no_free_reason = exc.message
        entry.upcoming = [
            {"scheduled_at": r["scheduled_at"], "status": r["status"], "text": r["text"] or ""}
            for r in rows if r["channel_id"] == ch.id and r["scheduled_at"] is not None
        ][:UPCOMING_LIMIT]
        out.append(entry)
    return out


def parse_slot(weekday: str, clock: str) -> tuple[int, time]:
    """A slot from a form's fields: weekday "0" (Monday) to "6" and a time "HH:MM"."""
    try:
        day = int(weekday)
        hh, mm = clock.split(":")[:2]
        return day, time(int(hh), int(mm))
    except ValueError:
        raise ValidationFailed(SLOT_FORMAT_MESSAGE, field="slots") from None


def change_slots(session: Session, actor: uuid.UUID, workspace_id: uuid.UUID, channel_id: uuid.UUID,
                 timezone: str, *, add: tuple[int, time] | None = None,
                 remove: tuple[int, time] | None = None) -> list[tuple[int, time]]:
    """Add one weekly slot to a channel of the workspace and/or remove one (slot:manage); the channel's
    slots all take `timezone`. Returns the slots now set."""
    channel = session.get(Channel, channel_id)
    if channel is None or channel.workspace_id != workspace_id:
        raise NotFound("channel not found", field="channel_id")
    current = {(s.weekday, s.local_time.replace(second=0, microsecond=0))
               for s in timeslots.list_slots(session, actor, channel_id)}
    if add is not None:
        current.add(add)
    if remove is not None:
        current.discard(remove)
    rows = timeslots.set_slots(session, actor, channel_id,
                               [timeslots.SlotInput(w, t) for w, t in sorted(current)], timezone)
    return [(r.weekday, r.local_time) for r in rows]


def next_free_for(session: Session, actor: uuid.UUID, workspace_id: uuid.UUID,
                  channel_ids: list[uuid.UUID], after: datetime | None = None) -> datetime:
    """The latest of the chosen channels' next free slots: the first moment every one of them is free."""
    if not channel_ids:
        raise ValidationFailed("choose at least one channel first", field="targets")
    after = after or datetime.now(UTC)
    chans = [channels.get_channel(session, user_id=actor, workspace_id=workspace_id, channel_id=cid)
             for cid in channel_ids]
    slots = timeslots.slots_of(session, channel_ids)
    taken = timeslots.taken_times(session, channel_ids, after)
    return max(timeslots.first_free(ch, slots[ch.id], taken[ch.id], after) for ch in chans)
