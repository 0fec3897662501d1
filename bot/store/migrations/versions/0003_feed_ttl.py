"""Feed TTL: the feed's <ttl>, kept so that it outlasts a restart.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("feeds") as batch:
        batch.add_column(sa.Column("ttl", sa.Float))


def downgrade() -> None:
    with op.batch_alter_table("feeds") as batch:
        batch.drop_column("ttl")
