"""rss_feeds: RSS / Atom feeds a workspace subscribes to, and the items already turned into posts

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 20:10:00.000000

Two new tables (expand only). Members read them; whoever may write posts (contributors and up) may add
and change feeds, as posts; the poller writes as the service.
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql

from app.core import rls

revision: str = '0012'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

RSS_TABLES = ("rss_feeds", "rss_feed_items")


def upgrade() -> None:
    op.create_table('rss_feeds',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('workspace_id', sa.Uuid(), nullable=False),
    sa.Column('url', sa.Text(), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=200), server_default='', nullable=False),
    sa.Column('channel_ids', postgresql.JSONB(astext_type=sa.Text()), server_default='[]', nullable=False),
    sa.Column('mode', sqlmodel.sql.sqltypes.AutoString(length=16), server_default='draft', nullable=False),
    sa.Column('delay_minutes', sa.Integer(), server_default='60', nullable=False),
    sa.Column('template', sa.Text(), nullable=False),
    sa.Column('utm_campaign', sqlmodel.sql.sqltypes.AutoString(length=100), server_default='rss',
              nullable=False),
    sa.Column('short_links', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('active', sa.Boolean(), server_default=sa.true(), nullable=False),
    sa.Column('created_by_id', sa.Uuid(), nullable=True),
    sa.Column('etag', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.Column('last_modified', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
    sa.Column('last_polled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_error', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.Column('failures', sa.Integer(), server_default='0', nullable=False),
    sa.Column('next_poll_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("mode IN ('draft', 'queue', 'delay')", name='ck_rss_feeds_mode'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_rss_feeds_workspace_id'), 'rss_feeds', ['workspace_id'], unique=False)
    op.create_index(op.f('ix_rss_feeds_created_by_id'), 'rss_feeds', ['created_by_id'], unique=False)
    op.create_index('ix_rss_feeds_active_next_poll', 'rss_feeds', ['active', 'next_poll_at'], unique=False)
    op.create_table('rss_feed_items',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('workspace_id', sa.Uuid(), nullable=False),
    sa.Column('feed_id', sa.Uuid(), nullable=False),
    sa.Column('item_key', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
    sa.Column('post_id', sa.Uuid(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['feed_id'], ['rss_feeds.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['post_id'], ['posts.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('feed_id', 'item_key', name='uq_rss_feed_items_feed_key')
    )
    op.create_index(op.f('ix_rss_feed_items_workspace_id'), 'rss_feed_items', ['workspace_id'], unique=False)
    op.create_index(op.f('ix_rss_feed_items_post_id'), 'rss_feed_items', ['post_id'], unique=False)

    for table in RSS_TABLES:
        for stmt in rls.tenant_table_sql(table, writers=rls.WRITERS_ALL):
            op.execute(stmt)


def downgrade() -> None:
    for table in RSS_TABLES:
        for stmt in rls.drop_policies_sql(table):
            op.execute(stmt)
    op.drop_index(op.f('ix_rss_feed_items_post_id'), table_name='rss_feed_items')
    op.drop_index(op.f('ix_rss_feed_items_workspace_id'), table_name='rss_feed_items')
    op.drop_table('rss_feed_items')
    op.drop_index('ix_rss_feeds_active_next_poll', table_name='rss_feeds')
    op.drop_index(op.f('ix_rss_feeds_created_by_id'), table_name='rss_feeds')
    op.drop_index(op.f('ix_rss_feeds_workspace_id'), table_name='rss_feeds')
    op.drop_table('rss_feeds')
