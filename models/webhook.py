"""Outgoing event webhooks: a workspace's subscriptions, and each delivery of one event to one of them."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Column, Index, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from models.base import (
    created_at_field,
    fk_field,
    id_field,
    json_field,
    one_of,
    timestamp_field,
    updated_at_field,
)

# What a webhook can subscribe to. `webhook.test` is sent only by "Send test", to that one webhook.
WEBHOOK_EVENTS = (
    "target.published",
    "target.failed",
    "target.unknown",
    "post.approval_requested",
    "post.approved",
    "post.changes_requested",
)
TEST_EVENT = "webhook.test"
DELIVERY_STATUSES = ("pending", "delivered", "failed")


class Webhook(SQLModel, table=True):
    """A URL of the workspace's own systems that is told about events, signed with its secret."""

    __tablename__ = "webhooks"

    id: uuid.UUID = id_field()
    workspace_id: uuid.UUID = fk_field("workspaces.id")
    url: str = Field(sa_column=Column(Text, nullable=False))
    secret: str = Field(sa_column=Column(Text, nullable=False))  # Fernet-encrypted, never logged
    events: list[str] = Field(
        default_factory=list, sa_column=Column(JSONB, nullable=False, server_default="[]"))
    active: bool = Field(default=True)
    description: str = Field(default="", max_length=200)
    created_by_id: uuid.UUID | None = fk_field("users.id", nullable=True, ondelete="SET NULL")
    # The outcome of its latest finished delivery (delivered / failed), shown in the list.
    last_status: str | None = Field(default=None, max_length=16)
    last_delivery_at: datetime | None = timestamp_field()
    created_at: datetime = created_at_field()
    updated_at: datetime = updated_at_field()


class WebhookDelivery(SQLModel, table=True):
    """One event for one webhook: the exact body sent (the same on every attempt) and how it went."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        one_of("status", DELIVERY_STATUSES, "ck_webhook_deliveries_status"),
        Index("ix_webhook_deliveries_webhook_created", "webhook_id", "created_at"),
        Index("ix_webhook_deliveries_status_next", "status", "next_attempt_at"),
    )

    id: uuid.UUID = id_field()  # also the receiver's de-duplication key (X-Quillcast-Delivery)
    workspace_id: uuid.UUID = fk_field("workspaces.id")
    webhook_id: uuid.UUID = fk_field("webhooks.id", index=False)
    event: str = Field(max_length=64)
    payload: dict[str, Any] = json_field()
    attempts: int = Field(default=0, ge=0)
    status: str = Field(default="pending", max_length=16)
    http_status: int | None = None  # the receiver's answer to the latest attempt
    # The receiver's words (start of its body) or what went wrong on the way (timeout, refused address).
    response_excerpt: str | None = Field(default=None, max_length=500)
    # Pending: when the next attempt may run (while one is in flight: when its lease ends).
    next_attempt_at: datetime | None = timestamp_field()
    delivered_at: datetime | None = timestamp_field()
    created_at: datetime = created_at_field()
    updated_at: datetime = updated_at_field()
