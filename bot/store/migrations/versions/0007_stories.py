"""Stories told by several outlets, and the alert messages that grow with them.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02

- entries.same_as: the story an entry repeats when another outlet told it first (the
  story of that story's first entry); NULL: the entry's own ``story``.
- story_outlets: the outlets (feeds) that told each story, in the order they told it,
  each with its name then and its link: an alert's "Also:" line is read from here when
  it is sent or edited.
- outbox.message_id: the Telegram message an alert became, so that it can be edited.
- outbox.revision / outbox.shown: another outlet of its story bumps an alert's
  ``revision``; ``shown`` is the revision its message shows.
- outbox.edit_due: when the message is to be edited to show the latest revision.
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("entries") as batch:
        batch.add_column(sa.Column("same_as", sa.Text))
    op.create_index("ix_entries_story", "entries", ["story"])
    op.create_index("ix_entries_same_as", "entries", ["same_as"])
    op.create_table(
        "story_outlets",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("story", sa.Text, nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("link", sa.Text, nullable=False),
        sa.Column("feed_id", sa.String(100), nullable=False),
        sa.Column("seen_at", sa.DateTime, nullable=False),
        sa.UniqueConstraint("story", "feed_id", name="uq_story_outlets_story_feed"),
    )
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("message_id", sa.BigInteger))
        batch.add_column(sa.Column("revision", sa.Integer, nullable=False, server_default="0"))
        batch.add_column(sa.Column("shown", sa.Integer, nullable=False, server_default="0"))
        batch.add_column(sa.Column("edit_due", sa.DateTime))
    op.create_index("ix_outbox_story", "outbox", ["story"])
    op.create_index("ix_outbox_edit_due", "outbox", ["edit_due"])


def downgrade() -> None:
    op.drop_index("ix_outbox_edit_due", "outbox")
    op.drop_index("ix_outbox_story", "outbox")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("edit_due")
        batch.drop_column("shown")
        batch.drop_column("revision")
        batch.drop_column("message_id")
    op.drop_table("story_outlets")
    op.drop_index("ix_entries_same_as", "entries")
    op.drop_index("ix_entries_story", "entries")
    with op.batch_alter_table("entries") as batch:
        batch.drop_column("same_as")
