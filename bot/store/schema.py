"""The database schema (SQLAlchemy Core). Alembic migrations in ``migrations/`` create it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
)


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in, aware UTC datetimes out, on every backend."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if not isinstance(value, datetime):
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


metadata = MetaData()

feeds = Table(
    "feeds",
    metadata,
    Column("id", String(100), primary_key=True),
    Column("config_url", Text, nullable=False),  # as in config.yaml; a change resets ``url``
    Column("url", Text, nullable=False),  # where to poll now (after permanent redirects)
    Column("title", Text),
    Column("etag", Text),
    Column("last_modified", Text),
    Column("initialized", Boolean, nullable=False, default=False),
    Column("status", String(20), nullable=False, default="active"),  # active | gone
    Column("next_poll_at", UTCDateTime),
    Column("last_attempt_at", UTCDateTime),
    Column("last_success_at", UTCDateTime),
    Column("last_error", Text),
    Column("failures", Integer, nullable=False, default=0),
    Column("failing_since", UTCDateTime),  # first failure of the current run of failures
    Column("health_notice_at", UTCDateTime),  # when admins were told it is unhealthy
    Column("ttl", Float),  # seconds its <ttl> allows caching, from the last 200 (NULL: none)
    # The feeds that the HTML page found at ``url`` advertises, as a JSON list of at
    # most five addresses, when the last poll found one; else NULL.
    Column("advertised", Text),
    # Several instances on one database: the one polling the feed now, and until when
    # its claim holds unless renewed (bot.store.leases)
    Column("lease_owner", String(100)),
    Column("lease_until", UTCDateTime),
)

entries = Table(
    "entries",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("feed_id", String(100), nullable=False),
    Column("key", Text, nullable=False),
    Column("story", Text, nullable=False),
    Column("title", Text, nullable=False),
    Column("link", Text, nullable=False),
    Column("published_at", UTCDateTime),
    Column("seen_at", UTCDateTime, nullable=False),
    # the entry's texts, cut short (bot.store.feeds.ENTRY_TEXT): what /search looks through
    Column("summary", Text),
    Column("content", Text),
    # the story this entry repeats, told first by another outlet (that story's first
    # entry's ``story``); NULL: its own ``story``
    Column("same_as", Text),
    UniqueConstraint("feed_id", "key", name="uq_entries_feed_key"),
)
Index("ix_entries_seen_at", entries.c.seen_at)
Index("ix_entries_story", entries.c.story)
Index("ix_entries_same_as", entries.c.same_as)

story_outlets = Table(
    "story_outlets",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),  # the order they told it
    Column("story", Text, nullable=False),
    Column("name", String(200), nullable=False),  # the feed's name then, as alerts show it
    Column("link", Text, nullable=False),  # its entry's link ("" if too long to be one)
    Column("feed_id", String(100), nullable=False),
    Column("seen_at", UTCDateTime, nullable=False),
    UniqueConstraint("story", "feed_id", name="uq_story_outlets_story_feed"),
)

chats = Table(
    "chats",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("type", String(20), nullable=False),
    Column("title", Text),
    Column("language", String(8)),
    Column("active", Boolean, nullable=False, default=True),
    Column("inactive_reason", Text),
    Column("created_at", UTCDateTime, nullable=False),
    # chosen with /lang: no longer follows the language of the user who configures it
    Column("language_set", Boolean, nullable=False, default=False, server_default=false()),
    Column("time_zone", String(64)),  # IANA name; NULL: UTC
    Column("quiet", String(16)),  # daily quiet hours "HH:MM-HH:MM"; NULL: none
    Column("digest", String(16)),  # "hourly" or "daily HH:MM"; NULL: one message per alert
)

mutes = Table(
    "mutes",
    metadata,
    Column("chat_id", BigInteger, primary_key=True, autoincrement=False),
    Column("watchlist", String(100), primary_key=True),  # "*": the whole chat
    Column("until", UTCDateTime, nullable=False),
)

subscriptions = Table(
    "subscriptions",
    metadata,
    Column("chat_id", BigInteger, primary_key=True, autoincrement=False),
    Column("watchlist", String(100), primary_key=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("thread_id", BigInteger),  # the forum topic its alerts go to; NULL: the chat
)

rules = Table(
    "rules",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("chat_id", BigInteger, nullable=False, index=True),
    Column("query", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

outbox = Table(
    "outbox",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("chat_id", BigInteger, nullable=False),
    Column("entry_id", Integer, ForeignKey("entries.id")),  # an alert's entry
    Column("story", Text, nullable=False),  # one message per story per chat
    Column("kind", String(20), nullable=False),  # alert | notice | held | html
    Column("payload", Text, nullable=False),  # the message as data (bot.messages)
    Column("status", String(20), nullable=False, default="pending"),  # pending|sent|failed|held
    Column("attempts", Integer, nullable=False, default=0),
    Column("not_before", UTCDateTime, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("sent_at", UTCDateTime),
    Column("error", Text),
    Column("watchlists", Text),  # an alert's: JSON list of the watchlist names that matched
    Column("thread_id", BigInteger),  # the forum topic it goes to; NULL: the chat
    Column("held_at", UTCDateTime),  # held by a mute, quiet hours or a digest, since
    Column("message_id", BigInteger),  # the Telegram message it became, once sent
    # Another outlet of its story (story_outlets) changes what an alert shows ("Also:"):
    # ``revision`` counts the changes, ``shown`` is the one its message shows,
    # ``edit_due`` is when the message is to be edited to show the latest.
    Column("revision", Integer, nullable=False, default=0, server_default="0"),
    Column("shown", Integer, nullable=False, default=0, server_default="0"),
    Column("edit_due", UTCDateTime),
    UniqueConstraint("chat_id", "story", name="uq_outbox_chat_story"),
)
Index("ix_outbox_due", outbox.c.status, outbox.c.not_before)
Index("ix_outbox_chat_status", outbox.c.chat_id, outbox.c.status)
Index("ix_outbox_story", outbox.c.story)
Index("ix_outbox_edit_due", outbox.c.edit_due)
