"""row level security on the e-mail outbox, one-time tokens and recovery codes

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 12:45:00.000000

These three tables hold sign-in material (verification and reset links, hashed link tokens, hashed 2FA
recovery codes) and had no policies: any connection of the app role read all of them. Now a person reads
their own tokens and recovery codes, instance administrators read the outbox, and only the service
(account flows, the e-mail service and worker) writes any of them.
"""
from collections.abc import Sequence

from alembic import op

from app.core import rls

revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ACCOUNT_SECRETS = ("one_time_tokens", "recovery_codes")


def upgrade() -> None:
    for stmt in [*rls.outbox_sql(), *(s for t in ACCOUNT_SECRETS for s in rls.account_secrets_sql(t))]:
        op.execute(stmt)


def downgrade() -> None:
    for table in ("email_outbox", *ACCOUNT_SECRETS):
        for stmt in rls.drop_policies_sql(table):
            op.execute(stmt)
