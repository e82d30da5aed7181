"""metric snapshots

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26 14:55:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from app.core import rls


revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Members read; nobody writes but the metrics sync (the service role): the counts are the network's word.
NO_WRITERS: tuple[str, ...] = ()


def upgrade() -> None:
    op.create_table('metric_snapshots',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('workspace_id', sa.Uuid(), nullable=False),
    sa.Column('target_id', sa.Uuid(), nullable=False),
    sa.Column('taken_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('likes', sa.Integer(), nullable=False),
    sa.Column('reposts', sa.Integer(), nullable=False),
    sa.Column('replies', sa.Integer(), nullable=False),
    sa.Column('quotes', sa.Integer(), nullable=True),
    sa.Column('impressions', sa.Integer(), nullable=True),
    sa.Column('raw', postgresql.JSONB(astext_type=sa.Text()), server_default='{}', nullable=False),
    sa.ForeignKeyConstraint(['target_id'], ['post_targets.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_metric_snapshots_workspace_id'), 'metric_snapshots', ['workspace_id'], unique=False)
    op.create_index('ix_metric_snapshots_target_taken', 'metric_snapshots', ['target_id', 'taken_at'],
                    unique=False)
    for stmt in rls.tenant_table_sql("metric_snapshots", NO_WRITERS):
        op.execute(stmt)


def downgrade() -> None:
    for stmt in rls.drop_policies_sql("metric_snapshots"):
        op.execute(stmt)
    op.drop_index('ix_metric_snapshots_target_taken', table_name='metric_snapshots')
    op.drop_index(op.f('ix_metric_snapshots_workspace_id'), table_name='metric_snapshots')
    op.drop_table('metric_snapshots')
