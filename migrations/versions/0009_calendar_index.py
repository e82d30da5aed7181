"""calendar index: post_targets.calendar_at and an index for the calendar's range query

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-26 15:30:00.000000

The calendar reads a workspace's targets by coalesce(published_at, scheduled_at). An index on that
expression is not used for the app's queries: under Row Level Security Postgres only searches an index
with conditions it knows cannot leak rows, and a coalesce(...) comparison is not one of them (as the
table owner it was used; as the app role the month query read all of the workspace's targets). A stored
generated column compares as a plain column. Adding it rewrites post_targets once.

The new index leads with workspace_id, so the single-column ix_post_targets_workspace_id goes: while it
was there, the planner took it for the month query (its cost model did not see the Row Level Security
filter run on each of the workspace's targets) and read them all.
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column('post_targets', sa.Column(
        'calendar_at', sa.DateTime(timezone=True),
        sa.Computed('coalesce(published_at, scheduled_at)', persisted=True), nullable=True))
    # updated_at rides along so the open calendar's change check (count, latest change) needs no table read
    op.create_index('ix_post_targets_calendar', 'post_targets', ['workspace_id', 'calendar_at'],
                    unique=False, postgresql_include=['updated_at'])
    op.drop_index('ix_post_targets_workspace_id', table_name='post_targets')


def downgrade() -> None:
    op.create_index('ix_post_targets_workspace_id', 'post_targets', ['workspace_id'], unique=False)
    op.drop_index('ix_post_targets_calendar', table_name='post_targets')
    op.drop_column('post_targets', 'calendar_at')
