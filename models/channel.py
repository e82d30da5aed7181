"""A connected social account a workspace publishes to."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

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

# The database's vocabulary of networks (a check constraint). What Quillcast knows about each one is in
# the network catalogue (app/connectors/catalogue.py); a unit test keeps the two naming the same networks.
NETWORKS = ("bluesky", "matrix", "mastodon", "x", "linkedin", "telegram", "discord", "webhook")
CHANNEL_STATUSES = ("active", "needs_reauth", "disabled")


class Channel(SQLModel, table=True):
    __tablename__ = "channels"
    __table_args__ = (
        one_of("network", NETWORKS, "ck_channels_network"),
        one_of("status", CHANNEL_STATUSES, "ck_channels_status"),
    )

    id: uuid.UUID = id_field()
    workspace_id: uuid.UUID = fk_field("workspaces.id")
    network: str = Field(max_length=20)
    name: str = Field(max_length=120)
    account: str = Field(max_length=255)  # handle / room / page as the network names it
    credentials: str = Field(default="")  # Fernet-encrypted JSON, never logged
    status: str = Field(default="active", max_length=20)
    settings: dict[str, Any] = json_field()  # endpoint, per-network limits read from the network
    # Why it needs re-connecting, in the network's words.
    status_reason: str = Field(default="", max_length=500)
    last_verified_at: datetime | None = timestamp_field()  # last time the network accepted the credentials
    created_at: datetime = created_at_field()
    updated_at: datetime = updated_at_field()
