"""Invitations to join a workspace, sent by e-mail. Only the token's hash is stored."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlmodel import Field, SQLModel

from models.base import created_at_field, fk_field, id_field, one_of, timestamp_field

# An invitation never makes an owner: ownership is transferred by an owner, not mailed around.
INVITABLE_ROLES = ("admin", "editor", "contributor", "viewer")


class Invitation(SQLModel, table=True):
    __tablename__ = "invitations"
    __table_args__ = (one_of("role", INVITABLE_ROLES, "ck_invitations_role"),)

    id: uuid.UUID = id_field()
    workspace_id: uuid.UUID = fk_field("workspaces.id")
    email: str = Field(max_length=320)
    role: str = Field(max_length=20)
    token_hash: str = Field(max_length=64, unique=True)  # sha256 hex of the mailed token
    invited_by_id: uuid.UUID | None = fk_field("users.id", nullable=True, ondelete="SET NULL")
    expires_at: datetime = timestamp_field(nullable=False)
    accepted_at: datetime | None = timestamp_field()
    accepted_by_id: uuid.UUID | None = fk_field("users.id", nullable=True, ondelete="SET NULL")
    revoked_at: datetime | None = timestamp_field()
    created_at: datetime = created_at_field()
