"""The database: migrations at start-up, the schema they build, and reopening."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic.config import Config as AlembicConfig
from alembic.script import ScriptDirectory
from support.databases import at_revision, execute, fresh_database, schema_differences

from bot.messages import StoredHtml
from bot.store.engine import HEAD, MIGRATIONS
from bot.store.store import Store


def test_head_constant_matches_the_newest_migration() -> None:
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    assert ScriptDirectory.from_config(config).get_current_head() == HEAD


async def test_a_new_database_is_migrated_and_uses_wal(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "newsbot.db"
    store = await Store.open(f"sqlite:///{path}")
    await store.close()
    with sqlite3.connect(path) as db:
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        version = db.execute("SELECT version_num FROM alembic_version").fetchone()[0]
        mode = db.execute("PRAGMA journal_mode").fetchone()[0]
    assert {"feeds", "entries", "chats", "subscriptions", "rules", "outbox"} <= tables
    assert version == HEAD
    assert mode == "wal"


async def test_an_older_database_is_upgraded_and_keeps_its_rows(database_url: str) -> None:
    at_revision(database_url, "0001")
    execute(
        database_url,
        "INSERT INTO feeds (id, config_url, url, initialized, status, failures) "
        "VALUES ('a', 'https://a.example/rss', 'https://a.example/rss', false, 'active', 0)",
    )
    store = await Store.open(database_url)
    try:
        [state] = await store.feed_states()
        assert state.id == "a" and state.failing_since is None and state.ttl is None
    finally:
        await store.close()
    assert execute(database_url, "SELECT version_num FROM alembic_version") == [(HEAD,)]


async def test_alerts_queued_as_html_by_an_older_version_are_still_sent(
    database_url: str,
) -> None:
    at_revision(database_url, "0003")
    now = datetime.now(UTC)
    [(entry,)] = execute(
        database_url,
        "INSERT INTO entries (feed_id, key, story, title, link, seen_at) "
        "VALUES ('a', 'k', 's', 'Rosatom signs', 'https://a.example/1', :seen_at) RETURNING id",
        {"seen_at": now},
    )
    execute(
        database_url,
        "INSERT INTO outbox (chat_id, entry_id, story, text, status, attempts, not_before, "
        "created_at) VALUES (100, :entry, 's', '🔔 <b>Nuclear</b>', 'pending', 0, "
        ":not_before_at, :created_at)",
        {"entry": entry, "not_before_at": now, "created_at": now},
    )
    store = await Store.open(database_url)
    try:
        [row] = await store.due(datetime.now(UTC))
    finally:
        await store.close()
    assert row.message == StoredHtml("🔔 <b>Nuclear</b>")
    assert (row.chat_id, row.title, row.link) == (100, "Rosatom signs", "https://a.example/1")


async def test_a_new_database_has_exactly_the_migrated_schema(
    database_url: str, tmp_path: Path
) -> None:
    at_revision(database_url, "head")
    backend = database_url.partition(":")[0]
    with fresh_database(backend, tmp_path / "fresh") as fresh:
        store = await Store.open(fresh)  # created in one step
        await store.close()
        assert schema_differences(fresh) == []
    assert schema_differences(database_url) == []


@pytest.mark.parametrize("revision", ["0001", "0002", "0003", "0004", "0005", "0006"])
async def test_a_database_at_every_earlier_revision_is_migrated_to_the_schema(
    database_url: str, revision: str
) -> None:
    at_revision(database_url, revision)
    store = await Store.open(database_url)
    await store.close()
    assert execute(database_url, "SELECT version_num FROM alembic_version") == [(HEAD,)]
    assert schema_differences(database_url) == []


async def test_concurrent_feed_updates_share_transactions(database_url: str) -> None:
    import asyncio
    from datetime import UTC, datetime

    from sqlalchemy import event

    from bot.store.records import FeedUpdate

    store = await Store.open(database_url)
    try:
        ids = [f"f{n}" for n in range(50)]
        await store.sync_feeds([(i, f"https://x.example/{i}", None) for i in ids])
        commits: list[int] = []
        event.listen(store.engine.sync_engine, "commit", lambda conn: commits.append(1))
        now = datetime.now(UTC)
        await asyncio.gather(
            *(store.record_attempt(i, FeedUpdate(now, None, ok=False, error=i)) for i in ids)
        )
        states = {s.id: s for s in await store.feed_states()}
    finally:
        await store.close()
    assert all(states[i].last_error == i and states[i].failures == 1 for i in ids)
    assert 1 <= len(commits) <= 3  # 50 updates, a few transactions


async def test_a_batch_of_differently_shaped_feed_updates_applies_each(database_url: str) -> None:
    import asyncio
    from datetime import UTC, datetime, timedelta

    from bot.store.records import FeedUpdate

    store = await Store.open(database_url)
    try:
        ids = ["ok", "failed", "moved", "gone", "ok2"]
        await store.sync_feeds([(i, f"https://x.example/{i}", None) for i in ids])
        now = datetime.now(UTC)
        later = now + timedelta(minutes=10)
        updates = {
            "ok": FeedUpdate(now, later, ok=True, etag='"e1"'),
            "failed": FeedUpdate(now, later, ok=False, error="HTTP 500"),
            "moved": FeedUpdate(now, later, ok=True, url="https://y.example/moved"),
            "gone": FeedUpdate(now, None, ok=False, error="HTTP 410 Gone", gone=True),
            "ok2": FeedUpdate(now, later, ok=True, etag='"e2"', last_modified="Mon"),
        }
        await asyncio.gather(*(store.record_attempt(i, u) for i, u in updates.items()))
        await store.record_attempt("failed", FeedUpdate(later, later, ok=False, error="again"))
        states = {s.id: s for s in await store.feed_states()}
    finally:
        await store.close()
    assert (states["ok"].etag, states["ok"].last_success_at, states["ok"].failures) == (
        '"e1"',
        now,
        0,
    )
    failed = states["failed"]
    assert (failed.last_error, failed.failures, failed.failing_since) == ("again", 2, now)
    assert failed.last_success_at is None and failed.next_poll_at == later
    assert states["moved"].url == "https://y.example/moved"
    assert (states["gone"].status, states["gone"].next_poll_at) == ("gone", None)
    assert (states["ok2"].etag, states["ok2"].last_modified) == ('"e2"', "Mon")
    assert states["ok2"].url == "https://x.example/ok2"  # what was not given stays


async def test_one_bad_write_in_a_shared_transaction_fails_alone(database_url: str) -> None:
    import asyncio
    from datetime import UTC, datetime

    from bot.store.records import FeedUpdate

    store = await Store.open(database_url)
    try:
        ids = ["a", "b", "bad", "c"]
        await store.sync_feeds([(i, f"https://x.example/{i}", None) for i in ids])
        now = datetime.now(UTC)
        errors = {i: f"HTTP 500 on {i}" for i in ids}
        updates = {i: FeedUpdate(now, None, ok=False, error=errors[i]) for i in ids}
        updates["bad"] = FeedUpdate(now, None, ok=False, error="x", title="caf\udce9")
        results = await asyncio.gather(
            *(store.record_attempt(i, updates[i]) for i in ids), return_exceptions=True
        )
        states = {s.id: s for s in await store.feed_states()}
    finally:
        await store.close()
    outcome = dict(zip(ids, results, strict=True))
    bad = outcome.pop("bad")  # SQLite's driver raises it as is, asyncpg wraps it
    assert isinstance(bad, Exception) and "surrogates not allowed" in str(bad)
    assert outcome == {"a": None, "b": None, "c": None}
    assert [states[i].last_error for i in ("a", "b", "c")] == [errors[i] for i in ("a", "b", "c")]
    assert states["bad"].failures == 0 and states["bad"].last_error is None


async def test_an_error_text_with_undecodable_bytes_is_stored_readable(database_url: str) -> None:
    from datetime import UTC, datetime

    from bot.store.records import FeedUpdate

    store = await Store.open(database_url)
    try:
        await store.sync_feeds([("a", "https://x.example/a", None)])
        failed = FeedUpdate(
            datetime.now(UTC), None, ok=False, error="HTTP 404 Non trouv\udce9 \x00 here"
        )
        await store.record_attempt("a", failed)
        state = await store.feed_state("a")
    finally:
        await store.close()
    assert state is not None and state.last_error == "HTTP 404 Non trouv? ? here"


async def test_entries_whose_ids_hold_a_nul_or_a_lone_surrogate_are_stored(
    database_url: str,
) -> None:
    import json
    from datetime import UTC, datetime

    from bot.feeds.jsonfeed import parse_json_feed
    from bot.store.records import FeedUpdate

    items = [
        {"id": "urn:a\u0000b", "title": "NUL", "content_text": "one"},
        {"id": "urn:c\ud800d", "title": "Surrogate", "content_text": "two"},
    ]
    text = json.dumps({"version": "https://jsonfeed.org/version/1.1", "items": items})
    now = datetime.now(UTC)
    parsed = parse_json_feed("a", text, "https://x.example/a", now)
    entries = list(parsed.entries)
    keys = [e.key for e in entries]
    store = await Store.open(database_url)
    try:
        await store.sync_feeds([("a", "https://x.example/a", None)])
        await store.commit_poll("a", FeedUpdate(now, None, ok=True), entries, [])
        unseen = await store.unseen("a", keys)
    finally:
        await store.close()
    assert len(set(keys)) == 2 and unseen == set()


async def test_a_feed_whose_url_changes_in_config_starts_afresh(database_url: str) -> None:
    from datetime import UTC, datetime

    from bot.store.records import FeedUpdate

    store = await Store.open(database_url)
    try:
        await store.sync_feeds([("a", "https://old.example/rss", None)])
        polled = FeedUpdate(
            datetime.now(UTC), None, ok=True, etag='"v1"', last_modified="Mon", ttl=3600.0
        )
        await store.record_attempt("a", polled)
        await store.record_attempt("a", FeedUpdate(datetime.now(UTC), None, ok=False, gone=True))
        await store.sync_feeds([("a", "https://new.example/rss", None)])
        state = await store.feed_state("a")
    finally:
        await store.close()
    assert state is not None and state.url == "https://new.example/rss"
    assert (state.etag, state.last_modified, state.ttl) == (None, None, None)
    assert (state.status, state.failures) == ("active", 0)


async def test_a_0003_database_keeps_its_feeds_and_a_ttl_of_0_becomes_none(
    database_url: str,
) -> None:
    at_revision(database_url, "0003")
    html = "an HTML page, not a feed; it advertises https://a.example/rss: use that address"
    rows = [  # id, config_url, url, status, failures, last_error, ttl
        ("none", "https://n.example/rss", "https://n.example/rss", "active", 0, None, 0.0),
        ("hour", "https://h.example/rss", "https://h.example/new", "active", 0, None, 3600.0),
        ("page", "https://a.example/", "https://a.example/", "active", 2, html, None),
        ("gone", "https://g.example/rss", "https://g.example/rss", "gone", 1, "HTTP 410", None),
    ]
    names = ("id", "config_url", "url", "status", "failures", "last_error", "ttl")
    execute(
        database_url,
        "INSERT INTO feeds (id, config_url, url, status, failures, last_error, ttl, "
        "initialized) VALUES (:id, :config_url, :url, :status, :failures, :last_error, :ttl, "
        "true)",
        *(dict(zip(names, row, strict=True)) for row in rows),
    )
    store = await Store.open(database_url)
    try:
        states = {s.id: s for s in await store.feed_states()}
    finally:
        await store.close()
    assert (states["none"].ttl, states["none"].initialized) == (None, True)
    assert (states["hour"].ttl, states["hour"].url) == (3600.0, "https://h.example/new")
    assert (states["page"].failures, states["page"].last_error) == (2, html)
    assert (states["gone"].status, states["gone"].failures) == ("gone", 1)
    # the addresses were only ever in the error's text: the next poll stores them
    assert {s.advertised for s in states.values()} == {()}
    assert execute(database_url, "SELECT count(*) FROM feeds WHERE ttl = 0") == [(0,)]
    assert execute(database_url, "SELECT version_num FROM alembic_version") == [(HEAD,)]


async def test_a_feed_without_ttl_is_stored_as_null_and_other_outcomes_keep_it(
    database_url: str,
) -> None:
    from datetime import UTC, datetime

    from bot.store.records import FeedUpdate

    store = await Store.open(database_url)
    now = datetime.now(UTC)
    ttls = []
    try:
        await store.sync_feeds([("a", "https://a.example/rss", None)])
        for change in (
            FeedUpdate(now, None, ok=True, ttl=3600.0),  # a 200 with <ttl>
            FeedUpdate(now, None, ok=True),  # a 304: nothing said
            FeedUpdate(now, None, ok=False, error="HTTP 500"),  # a failure: nothing said
            FeedUpdate(now, None, ok=True, ttl=None),  # a 200 without <ttl>
        ):
            await store.record_attempt("a", change)
            state = await store.feed_state("a")
            assert state is not None
            ttls.append(state.ttl)
    finally:
        await store.close()
    assert ttls == [3600.0, 3600.0, 3600.0, None]
    assert execute(database_url, "SELECT ttl FROM feeds") == [(None,)]


async def test_advertised_addresses_last_until_the_next_other_outcome(database_url: str) -> None:
    from datetime import UTC, datetime

    from bot.store.records import FeedUpdate

    now = datetime.now(UTC)
    found = ("https://x.example/rss", "https://x.example/атом")
    page = FeedUpdate(now, None, ok=False, error="an HTML page...", advertised=found)
    store = await Store.open(database_url)
    try:
        feeds = [(name, f"https://{name}.example/", None) for name in ("ok", "fail", "moved")]
        await store.sync_feeds(feeds)
        for name, _, _ in feeds:
            await store.record_attempt(name, page)
        stored = {s.id: s.advertised for s in await store.feed_states()}
        await store.record_attempt("ok", FeedUpdate(now, None, ok=True))
        await store.record_attempt("fail", FeedUpdate(now, None, ok=False, error="HTTP 500"))
        await store.sync_feeds([*feeds[:2], ("moved", "https://x.example/rss", None)])
        after = {s.id: s.advertised for s in await store.feed_states()}
    finally:
        await store.close()
    assert stored == {"ok": found, "fail": found, "moved": found}
    assert after == {"ok": (), "fail": (), "moved": ()}


def test_an_advertised_column_that_is_not_a_list_of_addresses_reads_as_none() -> None:
    from bot.store.feeds import advertised_column, advertised_from_column

    assert advertised_from_column(advertised_column(("https://a/", "https://b/"))) == (
        "https://a/",
        "https://b/",
    )
    assert advertised_column(()) is None
    for value in (None, "", "not json", '{"a": 1}', '["https://a/", 2]', "[[]]", 5):
        assert advertised_from_column(value) == ()


async def test_a_supergroup_keeps_the_settings_and_mutes_of_its_group(database_url: str) -> None:
    store = await Store.open(database_url)
    group, supergroup = -700, -100700
    now = datetime(2030, 1, 1, tzinfo=UTC)
    later = datetime(2030, 1, 2, tzinfo=UTC)
    try:
        await store.upsert_chat(group, "group", "Desk", "en")
        await store.set_language(group, "kk")
        await store.set_time_zone(group, "Asia/Almaty")
        await store.set_quiet(group, "22:00-07:00")
        await store.set_digest(group, "daily 08:00")
        await store.mute(group, "kz-nuclear", later, now)
        # the supergroup spoke first: its own mute of the same watchlist gives way
        await store.upsert_chat(supergroup, "supergroup", "Desk", "ru")
        await store.mute(supergroup, "kz-nuclear", now.replace(hour=1), now)
        await store.mute(supergroup, "csto-cis", later, now)
        await store.migrate_chat(group, supergroup)
        settings = await store.chat_settings(supergroup, now)
        assert (settings.language, settings.time_zone) == ("kk", "Asia/Almaty")
        assert (settings.quiet, settings.digest) == ("22:00-07:00", "daily 08:00")
        assert settings.mutes == {"kz-nuclear": later, "csto-cis": later}
        moved = await store.chat(supergroup)
        assert moved is not None and moved.language_set
        assert (await store.chat_settings(group, now)).mutes == {}
    finally:
        await store.close()
