"""Workspaces (tenants) and who belongs to them with which role."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from models.base import created_at_field, fk_field, id_field, one_of

ROLES = ("owner", "admin", "editor", "contributor", "viewer")


class Workspace(SQLModel, table=True):
    __tablename__ = "workspaces"

    id: uuid.UUID = id_field()
    name: str = Field(max_length=120)
    slug: str = Field(max_length=64, unique=True, index=True)
    timezone: str = Field(default="UTC", max_length=64)
    require_2fa: bool = Field(default=False)
    created_at: datetime = created_at_field()


class Membership(SQLModel, table=True):
    __tablename__ = "memberships"
    __table_args__ = (
        UniqueConstraint("workspace_id", "user_id", name="uq_memberships_workspace_user"),
        one_of("role", ROLES, "ck_memberships_role"),
    )

    id: uuid.UUID = id_field()
    workspace_id: uuid.UUID = fk_field("workspaces.id")
    user_id: uuid.UUID = fk_field("users.id")
    role: str = Field(max_length=20)
    created_at: datetime = created_at_field()
