"""Local times in IANA zones (DST-correct, never a silent shift) and per-channel weekly queue slots."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from app.services import inputs, zones
from app.services.errors import NotFound, Problem, ValidationFailed
from app.services.tenancy import permissions
from models import Channel, PostTarget, TimeSlot
from models.post import TARGET_HOLDS_SLOT

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
QUEUE_HORIZON_DAYS = 7 * 26  # half a year of slots is searched before "the queue is full"
_TAKEN = TARGET_HOLDS_SLOT


def zone(name: str, field: str = "timezone") -> ZoneInfo:
    """The IANA zone `name` by the one time-zone rule (app.services.zones), or a ValidationFailed."""
    return zones.zone(name, field)


def _label(moment: datetime, tz: ZoneInfo) -> str:
    local = moment.astimezone(tz)
    offset = local.strftime("%z")
    return f"{local:%Y-%m-%d %H:%M} {local.tzname()} (UTC{offset[:3]}:{offset[3:]})"


def to_utc(local: datetime, tz_name: str, fold: int | None = None, field: str = "scheduled_at") -> datetime:
    """A wall-clock time in `tz_name` as an aware UTC datetime.

    A time that does not exist (clocks spring forward) or exists twice (clocks fall back) is refused with
    both real options named, unless `fold` says which one: 0 = the earlier offset's reading (for a gap:
    the later wall time), 1 = the later offset's reading.
    """
    tz = zone(tz_name)
    naive = local.replace(tzinfo=None)
    why = inputs.moment_problem(naive)
    if why:
        raise ValidationFailed(f"{naive:%Y-%m-%d} {why}", field=field,
                               problems=[Problem(field, f"{naive:%Y-%m-%d} {why}", "date_out_of_range")])
    first = naive.replace(tzinfo=tz, fold=0).astimezone(UTC)
    second = naive.replace(tzinfo=tz, fold=1).astimezone(UTC)
    if first == second:
        return first
    if fold in (0, 1):
        return first if fold == 0 else second
    exists = first.astimezone(tz).replace(tzinfo=None) == naive
    if not exists:  # a gap: neither reading shows this wall time
        earlier, later = sorted((first, second))
        message = (
            f"{naive:%Y-%m-%d %H:%M} does not exist in {tz_name}: the clocks jump forward then. "
            f"Choose {_label(earlier, tz)} (fold={1 if earlier == second else 0}) or "
            f"{_label(later, tz)} (fold={1 if later == second else 0})."
        )
        raise ValidationFailed(message, field=field, problems=[Problem(field, message, "dst_gap")])
    message = (
        f"{naive:%Y-%m-%d %H:%M} happens twice in {tz_name}: the clocks go back then. "
        f"Choose the first, {_label(first, tz)} (fold=0), or the second, {_label(second, tz)} (fold=1)."
    )
    raise ValidationFailed(message, field=field, problems=[Problem(field, message, "dst_ambiguous")])


def require_future(
    moment: datetime, tz_name: str, now: datetime | None = None, field: str = "scheduled_at"
) -> None:
    now = now or datetime.now(UTC)
    if moment <= now:
        tz = zone(tz_name)
        raise ValidationFailed(
            f"{_label(moment, tz)} is in the past (it is now {_label(now, tz)}): choose a later time, "
            "or publish now.",
            field=field,
        )


# --- slots ---
@dataclass(frozen=True)
class SlotInput:
    weekday: int  # Monday = 0
    local_time: time


def _channel(session: Session, actor_user_id: uuid.UUID, channel_id: uuid.UUID, permission: str) -> Channel:
    channel = session.get(Channel, channel_id)
    if channel is None:
        raise NotFound("channel not found", field="channel_id")
    permissions.require(session, actor_user_id, channel.workspace_id, permission)
    return channel


def list_slots(session: Session, actor_user_id: uuid.UUID, channel_id: uuid.UUID) -> list[TimeSlot]:
    _channel(session, actor_user_id, channel_id, "channel:read")
    return list(
        session.exec(
            select(TimeSlot)
            .where(TimeSlot.channel_id == channel_id)
            .order_by(col(TimeSlot.weekday), col(TimeSlot.local_time))
        ).all()
    )


def set_slots(
    session: Session, actor_user_id: uuid.UUID, channel_id: uuid.UUID, slots: list[SlotInput], timezone: str
) -> list[TimeSlot]:
    """Replace the channel's weekly slots (duplicates collapse; seconds are dropped)."""
    channel = _channel(session, actor_user_id, channel_id, "slot:manage")
    zone(timezone)
    problems = [
        Problem(f"slots[{i}].weekday", "weekday must be 0 (Monday) to 6 (Sunday)")
        for i, s in enumerate(slots)
        if not 0 <= s.weekday <= 6
    ]
    if len(slots) > 200:
        problems.append(Problem("slots", "at most 200 slots per channel"))
    if problems:
        raise ValidationFailed(problems[0].message, field=problems[0].field, problems=problems)
    for old in session.exec(select(TimeSlot).where(TimeSlot.channel_id == channel_id)).all():
        session.delete(old)
    session.flush()
    unique = sorted({(s.weekday, s.local_time.replace(second=0, microsecond=0)) for s in slots})
    rows = [
        TimeSlot(
            workspace_id=channel.workspace_id,
            channel_id=channel_id,
            weekday=w,
            local_time=t,
            timezone=timezone,
        )
        for w, t in unique
    ]
    session.add_all(rows)
    session.flush()
    return rows


def slots_of(session: Session, channel_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[TimeSlot]]:
    """The weekly slots of each channel (one query for all), in weekday and time order."""
    out: dict[uuid.UUID, list[TimeSlot]] = {cid: [] for cid in channel_ids}
    if not channel_ids:
        return out
    for slot in session.exec(
        select(TimeSlot)
        .where(col(TimeSlot.channel_id).in_(list(channel_ids)))
        .order_by(col(TimeSlot.weekday), col(TimeSlot.local_time))
    ).all():
        out[slot.channel_id].append(slot)
    return out


def taken_times(
    session: Session, channel_ids: Sequence[uuid.UUID], after: datetime
) -> dict[uuid.UUID, set[datetime]]:
    """The times after `after` that live targets already hold, per channel (one query for all)."""
    out: dict[uuid.UUID, set[datetime]] = {cid: set() for cid in channel_ids}
    if not channel_ids:
        return out
    for channel_id, moment in session.exec(
        select(PostTarget.channel_id, PostTarget.scheduled_at).where(
            col(PostTarget.channel_id).in_(list(channel_ids)),
            col(PostTarget.status).in_(_TAKEN),
            col(PostTarget.scheduled_at) > after,
        )
    ).all():
        if moment is not None:
            out[channel_id].add(moment)
    return out


def first_free(
    channel: Channel, slots: Sequence[TimeSlot], taken: set[datetime], after: datetime
) -> datetime:
    """The first of `slots` after `after` that is not in `taken`; refuses when the channel has no slots
    or every slot within the horizon is taken."""
    if not slots:
        raise ValidationFailed(
            f"The channel “{channel.name}” has no queue slots yet: add weekly time slots to it first, or "
            "pick a date and time.",
            field="queue",
        )
    start: date = after.astimezone(zone(slots[0].timezone)).date()
    for offset in range(QUEUE_HORIZON_DAYS + 1):
        day = start + timedelta(days=offset)
        candidates = []
        for slot in slots:
            if slot.weekday != day.weekday():
                continue
            # A slot inside a DST gap or overlap takes the first real instant: slots never raise.
            candidates.append(to_utc(datetime.combine(day, slot.local_time), slot.timezone, fold=0))
        for moment in sorted(candidates):
            if moment > after and moment not in taken:
                return moment
    raise ValidationFailed(
        f"Every queue slot of “{channel.name}” in the next {QUEUE_HORIZON_DAYS // 7} weeks is taken: add "
        "slots, or pick a date and time.",
        field="queue",
    )


def next_free_slot(
    session: Session, channel: Channel, after: datetime, also_taken: set[datetime] | None = None
) -> datetime:
    """The first slot of `channel` after `after` that no live target of the channel already holds."""
    slots = slots_of(session, [channel.id])[channel.id]
    if not slots:
        return first_free(channel, slots, set(), after)
    taken = set(also_taken or ()) | taken_times(session, [channel.id], after)[channel.id]
    return first_free(channel, slots, taken, after)
