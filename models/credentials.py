"""API credentials: rotating refresh tokens (in families) and scoped API keys. Only hashes are stored."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Column
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from models.base import created_at_field, fk_field, id_field, timestamp_field


class RefreshToken(SQLModel, table=True):
    """One refresh token. Each use replaces it with a new one in the same family; a second use of a
    replaced token means it was stolen, and the whole family is revoked."""

    __tablename__ = "refresh_tokens"

    id: uuid.UUID = id_field()
    user_id: uuid.UUID = fk_field("users.id")
    family_id: uuid.UUID = Field(index=True)
    token_hash: str = Field(max_length=64, unique=True)  # sha256 hex
    expires_at: datetime = timestamp_field(nullable=False)
    used_at: datetime | None = timestamp_field()  # rotated: a replacement was issued
    revoked_at: datetime | None = timestamp_field()
    created_at: datetime = created_at_field()


class ApiKey(SQLModel, table=True):
    """A key acting for one user in one workspace, limited to its scopes."""

    __tablename__ = "api_keys"

    id: uuid.UUID = id_field()
    workspace_id: uuid.UUID = fk_field("workspaces.id")
    user_id: uuid.UUID = fk_field("users.id")
    name: str = Field(max_length=120)
    prefix: str = Field(max_length=16, index=True)  # shown in lists so people can tell keys apart
    key_hash: str = Field(max_length=64, unique=True)  # sha256 hex of the whole key
    scopes: list[str] = Field(
        default_factory=list, sa_column=Column(JSONB, nullable=False, server_default="[]")
    )
    last_used_at: datetime | None = timestamp_field()
    expires_at: datetime | None = timestamp_field()
    revoked_at: datetime | None = timestamp_field()
    created_at: datetime = created_at_field()
