"""studio

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26 11:32:11.569871
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

from app.core import rls


revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# Members read; writers write. A calendar feed is personal: only its own user sees or changes it.
STUDIO_TABLES = {"links": rls.WRITERS_ALL, "link_clicks": rls.WRITERS_ALL, "snippets": rls.WRITERS_ALL,
                 "ideas": rls.WRITERS_ALL,
                 # time_slots comes from 0004 (publishing); its policies are set here, with the others.
                 "time_slots": rls.WRITERS_EDITORS}
OWN_FEED = f"user_id = quillcast_uid() AND {rls.in_workspaces()}"


def _policies() -> list[str]:
    stmts = [s for table, writers in STUDIO_TABLES.items() for s in rls.tenant_table_sql(table, writers)]
    return stmts + rls.policies_sql("calendar_feeds", read=OWN_FEED, insert=OWN_FEED, update=OWN_FEED,
                                    delete=OWN_FEED)


def upgrade() -> None:
    op.create_table('calendar_feeds',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('workspace_id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('token_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('token_hash')
    )
    op.create_index(op.f('ix_calendar_feeds_user_id'), 'calendar_feeds', ['user_id'], unique=False)
    op.create_index(op.f('ix_calendar_feeds_workspace_id'), 'calendar_feeds', ['workspace_id'], unique=False)
    op.create_table('links',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('workspace_id', sa.Uuid(), nullable=False),
    sa.Column('code', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('destination', sa.Text(), nullable=False),
    sa.Column('created_by_id', sa.Uuid(), nullable=True),
    sa.Column('clicks', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_links_code'), 'links', ['code'], unique=True)
    op.create_index(op.f('ix_links_created_by_id'), 'links', ['created_by_id'], unique=False)
    op.create_index(op.f('ix_links_workspace_id'), 'links', ['workspace_id'], unique=False)
    op.create_table('snippets',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('workspace_id', sa.Uuid(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("kind IN ('hashtags', 'snippet')", name='ck_snippets_kind'),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('workspace_id', 'kind', 'name', name='uq_snippets_workspace_kind_name')
    )
    op.create_index(op.f('ix_snippets_workspace_id'), 'snippets', ['workspace_id'], unique=False)
    op.create_table('ideas',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('workspace_id', sa.Uuid(), nullable=False),
    sa.Column('author_id', sa.Uuid(), nullable=True),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('notes', sa.Text(), server_default='', nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('post_id', sa.Uuid(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("status IN ('open', 'used', 'archived')", name='ck_ideas_status'),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['post_id'], ['posts.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_ideas_author_id'), 'ideas', ['author_id'], unique=False)
    op.create_index(op.f('ix_ideas_post_id'), 'ideas', ['post_id'], unique=False)
    op.create_index('ix_ideas_workspace_status', 'ideas', ['workspace_id', 'status'], unique=False)
    op.create_table('link_clicks',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('workspace_id', sa.Uuid(), nullable=False),
    sa.Column('link_id', sa.Uuid(), nullable=False),
    sa.Column('referrer_host', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['link_id'], ['links.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_link_clicks_link_id'), 'link_clicks', ['link_id'], unique=False)
    op.create_index(op.f('ix_link_clicks_workspace_id'), 'link_clicks', ['workspace_id'], unique=False)

    for stmt in _policies():
        op.execute(stmt)


def downgrade() -> None:
    for table in [*STUDIO_TABLES, "calendar_feeds"]:
        for stmt in rls.drop_policies_sql(table):
            op.execute(stmt)
    op.drop_index(op.f('ix_link_clicks_workspace_id'), table_name='link_clicks')
    op.drop_index(op.f('ix_link_clicks_link_id'), table_name='link_clicks')
    op.drop_table('link_clicks')
    op.drop_index('ix_ideas_workspace_status', table_name='ideas')
    op.drop_index(op.f('ix_ideas_post_id'), table_name='ideas')
    op.drop_index(op.f('ix_ideas_author_id'), table_name='ideas')
    op.drop_table('ideas')
    op.drop_index(op.f('ix_snippets_workspace_id'), table_name='snippets')
    op.drop_table('snippets')
    op.drop_index(op.f('ix_links_workspace_id'), table_name='links')
    op.drop_index(op.f('ix_links_created_by_id'), table_name='links')
    op.drop_index(op.f('ix_links_code'), table_name='links')
    op.drop_table('links')
    op.drop_index(op.f('ix_calendar_feeds_workspace_id'), table_name='calendar_feeds')
    op.drop_index(op.f('ix_calendar_feeds_user_id'), table_name='calendar_feeds')
    op.drop_table('calendar_feeds')
