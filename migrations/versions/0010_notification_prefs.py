"""notification preferences and one-click unsubscribe

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-26 15:30:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A column on users, not a table: the users table already has its RLS (only oneself writes it).
    op.add_column('users', sa.Column('notification_prefs', postgresql.JSONB(astext_type=sa.Text()),
                                     server_default='{}', nullable=False))
    op.add_column('email_outbox', sa.Column('unsubscribe_url', sqlmodel.sql.sqltypes.AutoString(length=1000),
                                            nullable=True))


def downgrade() -> None:
    op.drop_column('email_outbox', 'unsubscribe_url')
    op.drop_column('users', 'notification_prefs')
