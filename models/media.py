"""Uploaded images and videos."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from models.base import created_at_field, fk_field, id_field


class MediaAsset(SQLModel, table=True):
    __tablename__ = "media_assets"
    # The same file uploaded twice to a workspace is one asset (double submits do not pile up copies).
    __table_args__ = (UniqueConstraint("workspace_id", "sha256", name="uq_media_assets_workspace_sha256"),)

    id: uuid.UUID = id_field()
    workspace_id: uuid.UUID = fk_field("workspaces.id")
    uploaded_by_id: uuid.UUID | None = fk_field("users.id", nullable=True, ondelete="SET NULL")
    filename: str = Field(max_length=255)
    content_type: str = Field(max_length=100)
    size_bytes: int = Field(ge=0)
    width: int | None = Field(default=None)
    height: int | None = Field(default=None)
    sha256: str = Field(max_length=64, index=True)
    # Where the bytes are (app/core/storage.py): an absolute path on the local disk (DATA_DIR/media, and
    # every row from before object storage), or a key `<workspace_id>/<sha256>.<ext>` in the media bucket.
    storage_path: str = Field(max_length=1024)
    alt_text: str = Field(default="", max_length=2000)
    created_at: datetime = created_at_field()
