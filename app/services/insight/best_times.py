"""Best time to post: when, in the workspace's own week, posts have drawn the most engagement.

Each published target of the last `DAYS` days that the metrics sync has measured counts once, in the
cell (weekday, hour) of its publish time in the workspace's time zone. Each moment is converted on its
own with ZoneInfo, so a post at 09:00 in Berlin lands at 09:00 on both sides of a DST change although
its UTC hour moved. A post's engagement is its latest snapshot's likes + reposts + replies + quotes
(quotes count 0 where the network does not report them); a cell's score is the mean of that over its
posts: engagement per post, so an hour used often is not favoured for being used often.

Small samples lie, so a cell shows a score only from `MIN_CELL_POSTS` posts, and nothing is scored (or
suggested) until the scope holds `MIN_POSTS` measured posts: below that the answer says how many there
are and how many are needed. Suggestions are only offered; a person applies them to a channel's queue
with `use_slots`, which goes through the queue's own `timeslots.set_slots`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import text
from sqlmodel import Session

from app.services import zones
from app.services.errors import NotFound, ValidationFailed
from app.services.planning import timeslots
from app.services.tenancy import permissions
from models import Channel, TimeSlot, Workspace

DAYS = 180  # older habits say little about today's audience
MIN_CELL_POSTS = 3
MIN_POSTS = 20
MAX_SUGGESTIONS = 14  # two a day: more is a schedule, not a suggestion
DEFAULT_SUGGESTIONS = 5

# Published targets of the period with their latest snapshot; unmeasured ones count as published only.
_ROWS = """
    SELECT t.published_at, l.likes + l.reposts + l.replies + coalesce(l.quotes, 0) AS engagement
    FROM post_targets t
    LEFT JOIN LATERAL (
        SELECT s.likes, s.reposts, s.replies, s.quotes FROM metric_snapshots s
        WHERE s.target_id = t.id ORDER BY s.taken_at DESC LIMIT 1
    ) l ON true
    WHERE t.workspace_id = :ws AND t.status = 'published' AND t.published_at >= :since
"""


@dataclass(frozen=True)
class Cell:
    weekday: int  # Monday = 0
    hour: int  # 0-23, local to the workspace
    posts: int  # measured posts published in this hour
    score: float | None  # engagement per post; None below MIN_CELL_POSTS or while the sample is short


@dataclass(frozen=True)
class Suggestion:
    weekday: int
    local_time: time
    score: float
    posts: int


@dataclass
class Heatmap:
    timezone: str
    channel_id: uuid.UUID | None  # None: every channel of the workspace
    days: int
    published: int = 0  # published targets in the period
    measured: int = 0  # of those, the ones with engagement read back
    needed: int = MIN_POSTS
    min_cell_posts: int = MIN_CELL_POSTS
    cells: list[list[Cell]] = field(default_factory=list)  # 7 rows (Monday first) of 24 hours
    best: float | None = None  # the highest score shown
    suggestions: list[Suggestion] = field(default_factory=list)

    @property
    def enough(self) -> bool:
        return self.measured >= self.needed


def _channel_in(session: Session, workspace_id: uuid.UUID, channel_id: uuid.UUID) -> Channel:
    channel = session.get(Channel, channel_id)
    if channel is None or channel.workspace_id != workspace_id:
        raise NotFound("channel not found: choose a channel of this workspace", field="channel_id")
    return channel


def heatmap(session: Session, actor_id: uuid.UUID, workspace_id: uuid.UUID,
            channel_id: uuid.UUID | None = None, n: int = DEFAULT_SUGGESTIONS,
            now: datetime | None = None) -> Heatmap:
    """The weekday x hour map of engagement per post for one channel (or all), with the best `n` cells."""
    permissions.require(session, actor_id, workspace_id, "analytics:read")
    if not 0 <= n <= MAX_SUGGESTIONS:
        raise ValidationFailed(f"n: choose 0 to {MAX_SUGGESTIONS} suggestions", field="n")
    sql, params = _ROWS, {"ws": workspace_id, "since": (now or datetime.now(UTC)) - timedelta(days=DAYS)}
    if channel_id is not None:
        _channel_in(session, workspace_id, channel_id)
        sql, params = sql + " AND t.channel_id = :channel", {**params, "channel": channel_id}
    workspace = session.get(Workspace, workspace_id)
    assert workspace is not None  # the permission check found its membership
    tz = zones.zone(workspace.timezone)
    out = Heatmap(timezone=workspace.timezone, channel_id=channel_id, days=DAYS)
    posts = [[0] * 24 for _ in range(7)]
    total = [[0] * 24 for _ in range(7)]
    for published_at, engagement in session.connection().execute(text(sql), params):
        out.published += 1
        if engagement is None:
            continue
        local = published_at.astimezone(tz)
        posts[local.weekday()][local.hour] += 1
        total[local.weekday()][local.hour] += int(engagement)
        out.measured += 1
    scored = out.enough
    out.cells = [[Cell(d, h, posts[d][h], round(total[d][h] / posts[d][h], 2)
                       if scored and posts[d][h] >= MIN_CELL_POSTS else None)
                  for h in range(24)] for d in range(7)]
    shown = [c for row in out.cells for c in row if c.score is not None]
    out.best = max((c.score for c in shown if c.score is not None), default=None)
    ranked = sorted(shown, key=lambda c: (-(c.score or 0), -c.posts, c.weekday, c.hour))
    out.suggestions = [Suggestion(c.weekday, time(c.hour), c.score or 0.0, c.posts) for c in ranked[:n]]
    return out


def suggest_slots(session: Session, actor_id: uuid.UUID, workspace_id: uuid.UUID, channel_id: uuid.UUID,
                  n: int = DEFAULT_SUGGESTIONS, now: datetime | None = None) -> list[Suggestion]:
    """The channel's best `n` (weekday, hour) cells as queue slots, best first; none while its sample is
    short (the channel's own posts decide: audiences differ per network)."""
    return heatmap(session, actor_id, workspace_id, channel_id, n, now).suggestions


def use_slots(session: Session, actor_id: uuid.UUID, workspace_id: uuid.UUID, channel_id: uuid.UUID,
              slots: list[tuple[int, time]]) -> list[TimeSlot]:
    """Make `slots` (the suggestions the person confirmed) the channel's weekly queue slots, in the
    workspace's time zone: the queue's own rule (timeslots.set_slots, slot:manage) replaces the old ones."""
    _channel_in(session, workspace_id, channel_id)
    if not slots:
        raise ValidationFailed("slots: there are no suggested times to use yet", field="slots")
    workspace = session.get(Workspace, workspace_id)
    if workspace is None:
        raise NotFound("workspace not found", field="workspace_id")
    return timeslots.set_slots(session, actor_id, channel_id,
                               [timeslots.SlotInput(w, t) for w, t in slots], workspace.timezone)
