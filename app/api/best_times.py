"""Best time to post: the weekday x hour heatmap of engagement per post, over app.services.insight.best_times.

Applying the suggestions is the queue's own route, `PUT /workspaces/{id}/channels/{channel_id}/slots`:
each suggestion's weekday, local time and the map's time zone are that route's body as they are.
"""

from __future__ import annotations

import uuid
from datetime import time
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from app.api.deps import AnalyticsReader, SessionDep
from app.services.insight import best_times

router = APIRouter(prefix="/workspaces/{workspace_id}", tags=["analytics"])


class CellOut(BaseModel):
    weekday: int = Field(description="0 = Monday ... 6 = Sunday, in the workspace's time zone")
    hour: int = Field(description="0-23, the local hour the posts were published in")
    posts: int = Field(description="measured posts published in this hour of the week")
    score: float | None = Field(description=(
        "mean engagement per post (likes + reposts + replies + quotes of each post's latest snapshot); "
        f"null below {best_times.MIN_CELL_POSTS} posts in the cell or while the sample is too small"))


class SuggestionOut(BaseModel):
    weekday: int = Field(description="0 = Monday ... 6 = Sunday")
    local_time: time = Field(description="the slot's wall-clock time in `timezone`")
    score: float = Field(description="the cell's engagement per post")
    posts: int = Field(description="posts behind the score")


class BestTimesOut(BaseModel):
    timezone: str = Field(description="the workspace's IANA time zone; hours and slots are local to it")
    channel_id: uuid.UUID | None = Field(description="the channel mapped; null: every channel")
    days: int = Field(description="how far back published posts are counted")
    published: int = Field(description="published posts in the period")
    measured: int = Field(description="of those, posts whose engagement has been read back")
    needed: int = Field(description="measured posts needed before any cell is scored")
    enough: bool = Field(description="false: not enough data yet; no scores and no suggestions")
    min_cell_posts: int = Field(description="posts a cell needs to show a score")
    best: float | None = Field(description="the highest score on the map")
    cells: list[list[CellOut]] = Field(description="7 rows, Monday first, of 24 hours each")
    suggestions: list[SuggestionOut] = Field(description=(
        "the best cells, best first, as queue slots: send them with `timezone` to "
        "PUT /workspaces/{id}/channels/{channel_id}/slots to use them"))


@router.get("/best-times", response_model=BestTimesOut)
def get_best_times(
    session: SessionDep, ctx: AnalyticsReader,
    channel_id: Annotated[uuid.UUID | None, Query(description="one channel; omit for every channel")] = None,
    n: Annotated[int, Query(ge=0, le=best_times.MAX_SUGGESTIONS, description="how many slots to suggest")] = (
        best_times.DEFAULT_SUGGESTIONS),
) -> BestTimesOut:
    """When posts drew the most engagement, by weekday and hour in the workspace's time zone."""
    m = best_times.heatmap(session, ctx.user.id, ctx.workspace.id, channel_id, n)
    return BestTimesOut(
        timezone=m.timezone, channel_id=m.channel_id, days=m.days, published=m.published, measured=m.measured,
        needed=m.needed, enough=m.enough, min_cell_posts=m.min_cell_posts, best=m.best,
        cells=[[CellOut(weekday=c.weekday, hour=c.hour, posts=c.posts, score=c.score) for c in row]
               for row in m.cells],
        suggestions=[SuggestionOut(weekday=s.weekday, local_time=s.local_time, score=s.score, posts=s.posts)
                     for s in m.suggestions],
    )
