"""How a published post did: the network's own counts, read back at intervals by the metrics sync."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Column, DateTime, Index, func
from sqlmodel import Field, SQLModel

from models.base import fk_field, id_field, json_field


class MetricSnapshot(SQLModel, table=True):
    """One reading of a target's counts. Rows are only added: the latest per target is the current one."""

    __tablename__ = "metric_snapshots"
    __table_args__ = (
        # "The latest snapshot of each target" (analytics, post page, the sync's schedule) reads this.
        Index("ix_metric_snapshots_target_taken", "target_id", "taken_at"),
    )

    id: uuid.UUID = id_field()
    workspace_id: uuid.UUID = fk_field("workspaces.id")
    target_id: uuid.UUID = fk_field("post_targets.id", index=False)
    taken_at: datetime = Field(
        sa_column=Column(DateTime(timezone=True), nullable=False, server_default=func.now())
    )
    likes: int = Field(default=0, ge=0)
    reposts: int = Field(default=0, ge=0)
    replies: int = Field(default=0, ge=0)
    quotes: int | None = Field(default=None, ge=0)  # None: the network does not count quotes
    impressions: int | None = Field(default=None, ge=0)  # None: the network does not tell
    raw: dict[str, Any] = json_field()  # the network's counts object as it came, for later questions
