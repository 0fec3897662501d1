"""Outbox messages as data: a kind and a payload, rendered when sent.

Rows queued before hold rendered Telegram HTML: they become kind "html", sent as they
are. Admins' feed notices have no entry.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("kind", sa.String(20), nullable=False, server_default="html"))
        batch.alter_column("text", new_column_name="payload", existing_type=sa.Text)
        batch.alter_column("entry_id", existing_type=sa.Integer, nullable=True)
    with op.batch_alter_table("outbox") as batch:
        batch.alter_column("kind", server_default=None, existing_type=sa.String(20))


def downgrade() -> None:
    op.execute("DELETE FROM outbox WHERE entry_id IS NULL")
    op.execute("UPDATE outbox SET status = 'failed' WHERE kind != 'html' AND status = 'pending'")
    with op.batch_alter_table("outbox") as batch:
        batch.alter_column("entry_id", existing_type=sa.Integer, nullable=False)
        batch.alter_column("payload", new_column_name="text", existing_type=sa.Text)
        batch.drop_column("kind")
