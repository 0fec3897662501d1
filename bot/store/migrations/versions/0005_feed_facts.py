"""Feed facts as data: the feeds an HTML page advertises; no <ttl> is NULL, never 0.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28

Before this revision the advertised addresses lived only in the text of ``last_error``;
they are not read back from it: the next poll of such a feed stores them.
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("feeds") as batch:
        batch.add_column(sa.Column("advertised", sa.Text))
    op.execute("UPDATE feeds SET ttl = NULL WHERE ttl = 0")


def downgrade() -> None:
    # 0003 read a NULL ttl as it read 0: nothing to turn back.
    with op.batch_alter_table("feeds") as batch:
        batch.drop_column("advertised")
