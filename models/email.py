"""The e-mail outbox: every mail Quillcast sends is a row first, so none is lost and admins can read
held mail when no SMTP server is configured."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlmodel import Field, SQLModel

from models.base import created_at_field, id_field, one_of, timestamp_field, updated_at_field

EMAIL_STATUSES = ("queued", "sent", "failed", "held")


class EmailOutbox(SQLModel, table=True):
    __tablename__ = "email_outbox"
    __table_args__ = (one_of("status", EMAIL_STATUSES, "ck_email_outbox_status"),)

    id: uuid.UUID = id_field()
    to_address: str = Field(max_length=320)
    template: str = Field(max_length=64)
    subject: str = Field(max_length=255)
    text_body: str
    html_body: str
    status: str = Field(default="queued", max_length=16, index=True)
    attempts: int = Field(default=0)
    last_error: str | None = Field(default=None, max_length=1000)
    # Notice mails only: the one-click unsubscribe URL sent as List-Unsubscribe (RFC 8058). Security
    # mails have none: nobody may turn those off.
    unsubscribe_url: str | None = Field(default=None, max_length=1000)
    sent_at: datetime | None = timestamp_field()
    created_at: datetime = created_at_field()
    updated_at: datetime = updated_at_field()
