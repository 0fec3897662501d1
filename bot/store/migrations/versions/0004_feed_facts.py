"""Feed facts as data: a feed without <ttl> has a NULL ttl, never 0.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28
"""

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("UPDATE feeds SET ttl = NULL WHERE ttl = 0")


def downgrade() -> None:
    pass  # 0003 reads a NULL ttl as it reads 0
