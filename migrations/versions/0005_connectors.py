"""connectors: channel status reason and verification time, media dedupe by sha256

Revision ID: 0005
Revises: 0004
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("channels", sa.Column("status_reason", sa.String(length=500), nullable=False,
                                        server_default=""))
    op.alter_column("channels", "status_reason", server_default=None)
    op.add_column("channels", sa.Column("last_verified_at", sa.DateTime(timezone=True), nullable=True))
    op.create_unique_constraint("uq_media_assets_workspace_sha256", "media_assets", ["workspace_id", "sha256"])


def downgrade() -> None:
    op.drop_constraint("uq_media_assets_workspace_sha256", "media_assets", type_="unique")
    op.drop_column("channels", "last_verified_at")
    op.drop_column("channels", "status_reason")
