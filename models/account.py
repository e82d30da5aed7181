"""Account secrets that live in Postgres: single-use links and 2FA recovery codes (hashes only)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlmodel import Field, SQLModel

from models.base import created_at_field, fk_field, id_field, one_of, timestamp_field

TOKEN_PURPOSES = ("verify_email", "reset_password", "change_email")


class OneTimeToken(SQLModel, table=True):
    """A link sent by e-mail. Only the SHA-256 of the token is stored; `used_at` makes it single-use."""

    __tablename__ = "one_time_tokens"
    __table_args__ = (one_of("purpose", TOKEN_PURPOSES, "ck_one_time_tokens_purpose"),)

    id: uuid.UUID = id_field()
    user_id: uuid.UUID = fk_field("users.id")
    purpose: str = Field(max_length=32)
    token_hash: str = Field(max_length=64, unique=True)
    # For change_email: the address the link was sent to (it becomes the user's e-mail when followed).
    email: str | None = Field(default=None, max_length=320)
    expires_at: datetime = timestamp_field(nullable=False)
    used_at: datetime | None = timestamp_field()
    created_at: datetime = created_at_field()


class RecoveryCode(SQLModel, table=True):
    """One of a user's 10 two-factor recovery codes, hashed; usable once."""

    __tablename__ = "recovery_codes"

    id: uuid.UUID = id_field()
    user_id: uuid.UUID = fk_field("users.id")
    code_hash: str = Field(max_length=64)
    used_at: datetime | None = timestamp_field()
    created_at: datetime = created_at_field()
