"""Feed leases: which instance polls a feed now, when several share the database.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02

- feeds.lease_owner: the instance polling the feed now (NULL: none).
- feeds.lease_until: when that claim lapses unless renewed; another instance may then
  take the feed (its owner died mid-poll).
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("feeds") as batch:
        batch.add_column(sa.Column("lease_owner", sa.String(100)))
        batch.add_column(sa.Column("lease_until", sa.DateTime))


def downgrade() -> None:
    with op.batch_alter_table("feeds") as batch:
        batch.drop_column("lease_until")
        batch.drop_column("lease_owner")
