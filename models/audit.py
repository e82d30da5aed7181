"""Who did what, when, from where. Never holds a secret."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlmodel import Field, SQLModel

from models.base import created_at_field, fk_field, id_field, json_field


class AuditLog(SQLModel, table=True):
    __tablename__ = "audit_log"

    id: uuid.UUID = id_field()
    workspace_id: uuid.UUID | None = fk_field("workspaces.id", nullable=True, ondelete="SET NULL")
    actor_id: uuid.UUID | None = fk_field("users.id", nullable=True, ondelete="SET NULL")
    action: str = Field(max_length=64, index=True)
    subject_type: str | None = Field(default=None, max_length=40)
    subject_id: str | None = Field(default=None, max_length=64)
    ip: str | None = Field(default=None, max_length=64)
    details: dict[str, Any] = json_field()
    created_at: datetime = created_at_field()
