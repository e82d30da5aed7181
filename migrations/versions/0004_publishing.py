"""publishing: recurring series on posts, weekly time slots, attempt outcomes written before the call

Revision ID: 0004
Revises: 0003
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_OUTCOMES = ("published", "transient_error", "permanent_error", "unknown", "already_published")
NEW_OUTCOMES = OLD_OUTCOMES + ("in_progress", "interrupted")


def _outcomes(values: tuple[str, ...]) -> str:
    return "outcome IN (" + ", ".join(f"'{v}'" for v in values) + ")"


def upgrade() -> None:
    op.add_column("posts", sa.Column("series_id", sa.Uuid(), nullable=True))
    op.add_column("posts", sa.Column("occurrence", sa.Integer(), nullable=True))
    op.add_column("posts", sa.Column("repeat_every_days", sa.Integer(), nullable=True))
    op.add_column("posts", sa.Column("repeat_times", sa.Integer(), nullable=True))
    op.create_index(op.f("ix_posts_series_id"), "posts", ["series_id"], unique=False)

    op.create_table(
        "time_slots",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("workspace_id", sa.Uuid(), nullable=False),
        sa.Column("channel_id", sa.Uuid(), nullable=False),
        sa.Column("weekday", sa.Integer(), nullable=False),
        sa.Column("local_time", sa.Time(), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("weekday BETWEEN 0 AND 6", name="ck_time_slots_weekday"),
        sa.ForeignKeyConstraint(["channel_id"], ["channels.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspaces.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("channel_id", "weekday", "local_time", name="uq_time_slots_channel_time"),
    )
    op.create_index(op.f("ix_time_slots_channel_id"), "time_slots", ["channel_id"], unique=False)
    op.create_index(op.f("ix_time_slots_workspace_id"), "time_slots", ["workspace_id"], unique=False)

    op.drop_constraint("ck_publish_attempts_outcome", "publish_attempts", type_="check")
    op.create_check_constraint("ck_publish_attempts_outcome", "publish_attempts", _outcomes(NEW_OUTCOMES))


def downgrade() -> None:
    op.execute("UPDATE publish_attempts SET outcome = 'unknown' WHERE outcome IN ('in_progress', 'interrupted')")
    op.drop_constraint("ck_publish_attempts_outcome", "publish_attempts", type_="check")
    op.create_check_constraint("ck_publish_attempts_outcome", "publish_attempts", _outcomes(OLD_OUTCOMES))
    op.drop_index(op.f("ix_time_slots_workspace_id"), table_name="time_slots")
    op.drop_index(op.f("ix_time_slots_channel_id"), table_name="time_slots")
    op.drop_table("time_slots")
    op.drop_index(op.f("ix_posts_series_id"), table_name="posts")
    op.drop_column("posts", "repeat_times")
    op.drop_column("posts", "repeat_every_days")
    op.drop_column("posts", "occurrence")
    op.drop_column("posts", "series_id")
