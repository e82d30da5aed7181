"""People who sign in."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Column, Index, String, func
from sqlmodel import Field, SQLModel

from models.base import created_at_field, id_field, json_field, timestamp_field, updated_at_field


class User(SQLModel, table=True):
    __tablename__ = "users"
    __table_args__ = (
        # E-mail is matched case-insensitively; the unique index is on its lower-case form.
        Index("uq_users_email_lower", func.lower(Column("email", String)), unique=True),
    )

    id: uuid.UUID = id_field()
    email: str = Field(max_length=320)
    display_name: str = Field(default="", max_length=120)
    password_hash: str | None = Field(default=None, max_length=255)
    email_verified_at: datetime | None = timestamp_field()
    timezone: str = Field(default="UTC", max_length=64)
    is_admin: bool = Field(default=False)
    is_active: bool = Field(default=True)
    totp_secret: str | None = Field(default=None, max_length=512)  # Fernet-encrypted
    totp_last_step: int | None = Field(default=None)
    # Set when the first code confirmed the enrolment; a secret without it is an unfinished enrolment.
    totp_enabled_at: datetime | None = timestamp_field()
    # A changed e-mail waits here until the link sent to it is followed.
    pending_email: str | None = Field(default=None, max_length=320)
    password_changed_at: datetime | None = timestamp_field()
    last_sign_in_at: datetime | None = timestamp_field()
    # Which notice e-mails this person wants, {kind: bool} (app.services.messaging.notifications); a kind not
    # named here is on. Security mails ignore it.
    notification_prefs: dict[str, bool] = json_field()
    created_at: datetime = created_at_field()
    updated_at: datetime = updated_at_field()
