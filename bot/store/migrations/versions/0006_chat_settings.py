"""Chat settings, held alerts, forum topics and searchable entries.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01

- chats: ``language_set`` (chosen with /lang, no longer follows the user's Telegram
  language), ``time_zone``, ``quiet`` ("HH:MM-HH:MM"), ``digest`` ("hourly",
  "daily HH:MM").
- mutes: one row per muted watchlist of a chat ("*" for the whole chat), until when.
- subscriptions.thread_id: the forum topic a watchlist's alerts go to.
- outbox: ``watchlists`` (JSON list of the names that matched), ``thread_id``,
  ``held_at`` (when an alert was held by a mute, quiet hours or a digest).
- entries: ``summary`` and ``content``, cut short, so that /search and /watch previews
  can run the query language over what was stored. Entries stored before have none.
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("chats") as batch:
        batch.add_column(
            sa.Column("language_set", sa.Boolean, nullable=False, server_default=sa.false())
        )
        batch.add_column(sa.Column("time_zone", sa.String(64)))
        batch.add_column(sa.Column("quiet", sa.String(16)))
        batch.add_column(sa.Column("digest", sa.String(16)))
    op.create_table(
        "mutes",
        sa.Column("chat_id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("watchlist", sa.String(100), primary_key=True),
        sa.Column("until", sa.DateTime, nullable=False),
    )
    with op.batch_alter_table("subscriptions") as batch:
        batch.add_column(sa.Column("thread_id", sa.BigInteger))
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("watchlists", sa.Text))
        batch.add_column(sa.Column("thread_id", sa.BigInteger))
        batch.add_column(sa.Column("held_at", sa.DateTime))
    op.create_index("ix_outbox_chat_status", "outbox", ["chat_id", "status"])
    with op.batch_alter_table("entries") as batch:
        batch.add_column(sa.Column("summary", sa.Text))
        batch.add_column(sa.Column("content", sa.Text))
    op.create_index("ix_entries_seen_at", "entries", ["seen_at"])


def downgrade() -> None:
    op.drop_index("ix_entries_seen_at", "entries")
    with op.batch_alter_table("entries") as batch:
        batch.drop_column("content")
        batch.drop_column("summary")
    op.drop_index("ix_outbox_chat_status", "outbox")
    # held alerts would never be sent by the older version: they go out as alerts
    op.execute("UPDATE outbox SET status = 'pending' WHERE status = 'held'")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("held_at")
        batch.drop_column("thread_id")
        batch.drop_column("watchlists")
    with op.batch_alter_table("subscriptions") as batch:
        batch.drop_column("thread_id")
    op.drop_table("mutes")
    with op.batch_alter_table("chats") as batch:
        batch.drop_column("digest")
        batch.drop_column("quiet")
        batch.drop_column("time_zone")
        batch.drop_column("language_set")
