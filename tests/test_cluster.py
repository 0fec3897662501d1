"""Three ``newsbot run`` processes on one PostgreSQL database, as an operator runs them.

Real processes against the real PostgreSQL server, the fake Bot API and the local feed
server: each feed is fetched by one instance per interval, each alert is sent once, a
personal rule added through one instance matches in the polls of all, and a ``kill -9``
of the instance holding the Telegram lock in the middle of a fan-out is taken over
within ``cluster.failover``, nothing lost and at most the messages in flight repeated.
"""

from __future__ import annotations

import itertools
import re
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from support.configs import NUCLEAR, write_config
from support.databases import execute, postgres_database
from support.fakebotapi import FakeBotAPI
from support.feedserver import FeedServer, Item
from support.processes import Service

INTERVAL = 2.0  # each feed's fixed poll interval, seconds
FAILOVER = 5.0
HOLDS = "holds the Telegram lock"


@pytest.fixture
def database() -> Iterator[str]:
    with postgres_database() as url:
        yield url


def serve_feeds(server: FeedServer, count: int) -> list[str]:
    """``count`` feeds on the server, each with one old entry; their paths."""
    paths = [f"/feed-{n}.xml" for n in range(count)]
    for path in paths:
        server.publish(path, "Old news: annual report", f"https://news.example{path}/old")
    return paths


def cluster_config(
    folder: Path, server: FeedServer, paths: list[str], url: str, api: FakeBotAPI
) -> Path:
    """A config for instances on the database at ``url`` polling the feeds at ``paths``."""
    config = write_config(
        folder,
        {f"f{n}": server.url(path) for n, path in enumerate(paths)},
        {"kz-nuclear": NUCLEAR},
        token=api.token,
        api_url=api.api_url,
        interval=f"{INTERVAL:g}s",
        extra="  per_host: 16\n",
    )
    text = config.read_text(encoding="utf-8")
    text = text.replace("url: sqlite:///newsbot.db", f"url: '{url}'")
    config.write_text(text + f"cluster:\n  failover: {FAILOVER:g}s\n", encoding="utf-8")
    return config


def start(config: Path, services: list[Service], count: int = 3) -> list[Service]:
    started = [Service(config) for _ in range(count)]  # on a new database: one makes it
    services.extend(started)
    for service in started:
        service.wait_output("newsbot running", timeout=90)  # three start on two cores
    return started


def holder(services: list[Service], timeout: float = 30) -> Service:
    """The one live instance holding the Telegram lock, once there is exactly one."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        leading = [s for s in services if s.process.poll() is None and leads(s)]
        if len(leading) == 1:
            return leading[0]
        time.sleep(0.1)
    raise AssertionError("no single instance took the Telegram lock:\n" + logs(services))


def leads(service: Service) -> bool:
    """Whether the instance's last word on the lock is that it holds it."""
    lines = [line for line in service.output.splitlines() if "Telegram lock" in line]
    return bool(lines) and HOLDS in lines[-1]


def logs(services: list[Service]) -> str:
    return "\n\n".join(f"--- instance {n}\n{s.output}" for n, s in enumerate(services))


def subscribe(api: FakeBotAPI, url: str, chats: range) -> None:
    """Private chats subscribed to kz-nuclear, written straight into the database (a
    fan-out wide enough to interrupt; one /sub through Telegram is in another test)."""
    now = datetime.now(UTC).replace(tzinfo=None)
    for chat_id in chats:
        api.add_chat(chat_id)
    execute(
        url,
        "INSERT INTO chats (id, type, title, active, language_set, created_at) "
        "VALUES (:id, 'private', 'reader', true, false, :now)",
        *({"id": c, "now": now} for c in chats),
    )
    execute(
        url,
        "INSERT INTO subscriptions (chat_id, watchlist, created_at) "
        "VALUES (:id, 'kz-nuclear', :now)",
        *({"id": c, "now": now} for c in chats),
    )


def alerts(api: FakeBotAPI) -> list[tuple[int, str]]:
    return [(m["chat_id"], m["plain_text"]) for m in api.sent() if m["plain_text"].startswith("🔔")]


def fetch_times(server: FeedServer, paths: list[str], since: float) -> dict[str, list[float]]:
    return {p: [h.at for h in server.hits(p) if h.at >= since] for p in paths}


def test_three_instances_fetch_each_feed_once_per_interval_and_send_each_alert_once(
    tmp_path: Path,
    feed_server: FeedServer,
    bot_api: FakeBotAPI,
    database: str,
    services: list[Service],
) -> None:
    paths = serve_feeds(feed_server, 12)
    config = cluster_config(tmp_path, feed_server, paths, database, bot_api)
    began = time.time()
    instances = start(config, services)
    leader = holder(instances)
    # Through Telegram, to whichever instance takes updates: a subscription and a rule.
    alice, bob = 100, 200
    for user in (alice, bob):
        bot_api.add_user(user, f"user {user}")
        bot_api.add_chat(user)
    bot_api.push_message(alice, alice, "/sub kz-nuclear")
    bot_api.push_message(bob, bob, "/watch Baikonur")
    assert "Subscribed" in bot_api.wait_sent(alice, timeout=30)[0]["plain_text"]
    bot_api.wait_sent(bob, timeout=30)

    # News in every feed: each its own story, matched by the watchlist or by the rule.
    for n, path in enumerate(paths):
        topic = "Rosatom" if n % 2 else "Baikonur"
        feed_server.set_feed(
            path,
            [
                Item(
                    f"{topic} report number {n} from region {n * 7}",
                    f"https://news.example{path}/new",
                ),
                Item("Old news: annual report", f"https://news.example{path}/old"),
            ],
        )
    expected = {(alice if n % 2 else bob, n) for n in range(len(paths))}
    bot_api.wait_for(lambda: len(alerts(bot_api)) >= len(expected), timeout=60, what="alerts")
    time.sleep(3 * INTERVAL)  # more polls: nothing may go out twice
    # never two instances long-polling at once (the stop below leaves one last poll
    # unanswered, which the fake records as ended by a newer one)
    assert [c for c in bot_api.calls("getUpdates") if c.status == 409] == []
    # the holder last: stopped first, another would take Telegram over (a test below)
    for service in sorted(instances, key=lambda s: s is leader):
        assert service.stop() == 0, logs(instances)

    sent = alerts(bot_api)
    numbers = Counter((chat, int(re.search(r"number (\d+)", text)[1])) for chat, text in sent)
    assert set(numbers) == expected
    assert max(numbers.values()) == 1, sent
    times = fetch_times(feed_server, paths, began)
    for path, when in times.items():
        assert len(when) >= 3, (path, when)
        gaps = [b - a for a, b in itertools.pairwise(when)]
        assert min(gaps) >= 0.8 * INTERVAL, f"{path} fetched twice in one interval: {gaps}"
    assert all(s.output.count("ERROR") == 0 for s in instances), logs(instances)


def test_kill_9_of_the_telegram_lock_holder_mid_fan_out_is_taken_over_within_failover(
    tmp_path: Path,
    feed_server: FeedServer,
    bot_api: FakeBotAPI,
    database: str,
    services: list[Service],
) -> None:
    paths = serve_feeds(feed_server, 6)
    config = cluster_config(tmp_path, feed_server, paths, database, bot_api)
    readers = range(1000, 1150)  # at Telegram's 30 messages a second: 5 s of fan-out
    instances = start(config, services)
    subscribe(bot_api, database, readers)
    leader = holder(instances)
    feed_server.publish(paths[0], "Rosatom signs a deal in Astana", "https://news.example/deal")

    bot_api.wait_for(lambda: len(alerts(bot_api)) >= 20, timeout=60, what="fan-out under way")
    leader.process.kill()  # SIGKILL
    killed = time.monotonic()
    leader.process.wait()
    sent_before = len(alerts(bot_api))
    rest = [s for s in instances if s is not leader]
    successor = holder(rest, timeout=FAILOVER + 30)
    took = time.monotonic() - killed

    bot_api.wait_for(
        lambda: {chat for chat, _ in alerts(bot_api)} >= set(readers),
        timeout=60,
        what="every reader's alert",
    )
    time.sleep(FAILOVER + 2 * INTERVAL)  # the dead one's feed claims lapse; polls go on
    ended = time.time()
    for service in sorted(rest, key=lambda s: s is successor):
        assert service.stop() == 0, logs(instances)

    assert sent_before < len(readers), "the fan-out was over before the kill"
    assert took <= FAILOVER, f"taken over after {took:.1f}s:\n{logs(instances)}"
    per_chat = Counter(chat for chat, _ in alerts(bot_api))
    assert set(per_chat) == set(readers)  # nothing lost
    repeated = sum(n - 1 for n in per_chat.values())
    assert repeated <= 8, per_chat  # at most those in flight: the sender's chats at a time
    # Every feed is still polled, those the dead instance had claimed included.
    late = fetch_times(feed_server, paths, ended - 2 * INTERVAL)
    assert all(late.values()), late
