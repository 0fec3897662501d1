"""Feed health: when the current run of failures began, and when admins were told.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

from bot.store.schema import UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("feeds") as batch:
        batch.add_column(sa.Column("failing_since", UTCDateTime))
        batch.add_column(sa.Column("health_notice_at", UTCDateTime))


def downgrade() -> None:
    with op.batch_alter_table("feeds") as batch:
        batch.drop_column("health_notice_at")
        batch.drop_column("failing_since")
