"""Feeds as real servers send them, polled end to end: ``newsbot poll`` on the local server.

Feeds without guids whose items share a link, texts with lone surrogates, numbers too
long to convert, wrong wide-encoding declarations and broken XML.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support.configs import NUCLEAR, write_config
from support.fakebotapi import FakeBotAPI
from support.feedserver import FeedServer, Reply
from support.processes import Service

from bot.cli import main

XML = {"Content-Type": "application/rss+xml"}


def rss(items: list[tuple[str, str]], site: str = "https://home.example/") -> bytes:
    """An RSS document whose items have a title and a link and no guid."""
    body = "".join(f"<item><title>{t}</title><link>{link}</link></item>" for t, link in items)
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>Live</title><link>{site}</link>{body}</channel></rss>"
    ).encode()


class Poller:
    """Serves one document at a time at /feed and polls it with ``newsbot poll --json``."""

    def __init__(self, folder: Path, server: FeedServer, capsys: pytest.CaptureFixture[str]):
        self.server, self.capsys = server, capsys
        self.config = write_config(folder, {"f": server.url("/feed")}, {"kz-nuclear": NUCLEAR})

    def poll(self, body: bytes, headers: dict[str, str] = XML) -> dict[str, object]:
        self.server.reply("/feed", Reply(200, body, headers))
        self.capsys.readouterr()
        main(["poll", "--config", str(self.config), "--json"])
        result: dict[str, object] = json.loads(self.capsys.readouterr().out)
        return result

    def counts(self, items: list[tuple[str, str]], site: str = "https://home.example/") -> tuple:
        result = self.poll(rss(items, site))
        assert result["status"] == "ok", result
        return result["new_entries"], result["matches"]


@pytest.fixture
def poller(tmp_path: Path, feed_server: FeedServer, capsys: pytest.CaptureFixture[str]) -> Poller:
    return Poller(tmp_path, feed_server, capsys)


LIVE = "https://home.example/live"


def test_items_without_guids_on_one_live_page_each_alert_once(poller: Poller) -> None:
    weather, one, two, three = (
        ("Weather", LIVE),
        ("Rosatom signs a deal", LIVE),
        ("Rosatom starts building", LIVE),
        ("Rosatom hires engineers", LIVE),
    )
    assert poller.counts([weather]) == (1, 0)  # the first poll records
    assert poller.counts([one, weather]) == (1, 1)
    assert poller.counts([two, one, weather]) == (1, 1)
    assert poller.counts([two, one, weather]) == (0, 0)
    assert poller.counts([three, two]) == (1, 1)
    assert poller.counts([two]) == (0, 0)  # alone again, still the one it was
    assert poller.counts([three, two]) == (0, 0)


def test_items_without_guids_on_the_feeds_own_site_each_alert_once(poller: Poller) -> None:
    site = "https://home.example/"
    assert poller.counts([("Weather", site)]) == (1, 0)
    assert poller.counts([("Rosatom signs a deal", site)]) == (1, 1)
    assert poller.counts([("Rosatom starts building", site)]) == (1, 1)
    assert poller.counts([("Rosatom starts building", site)]) == (0, 0)
    assert poller.counts([("Rosatom starts building", site), ("Weather", site)]) == (0, 0)


def test_an_ordinary_item_without_a_guid_is_known_by_its_link(poller: Poller) -> None:
    story = "https://home.example/rosatom"
    assert poller.counts([("Weather", "https://home.example/weather")]) == (1, 0)
    assert poller.counts([("Rosatom signs", story)]) == (1, 1)
    assert poller.counts([("Rosatom signs a deal (updated)", story)]) == (0, 0)


def test_a_lone_surrogate_in_a_json_feed_is_replaced(poller: Poller) -> None:
    def doc(*titles: str) -> bytes:
        items = ",".join(
            f'{{"id":"{i}","url":"https://home.example/{i}","title":"{t}"}}'
            for i, t in enumerate(titles)
        )
        return f'{{"version":"https://jsonfeed.org/version/1.1","items":[{items}]}}'.encode()

    headers = {"Content-Type": "application/feed+json"}
    assert poller.poll(doc("Weather"), headers)["status"] == "ok"
    result = poller.poll(doc("Weather", "Rosatom emoji \\ud83d cut"), headers)
    assert (result["status"], result["new_entries"], result["matches"]) == ("ok", 1, 1)


def test_a_lone_surrogate_reference_in_rss_is_replaced(poller: Poller) -> None:
    assert poller.counts([("Weather", "https://home.example/w")]) == (1, 0)
    assert poller.counts([("Rosatom &#xD800; cut", "https://home.example/r")]) == (1, 1)


def test_a_truncated_feed_is_broken_xml_with_its_line_and_column(poller: Poller) -> None:
    whole = rss([("Weather", "https://home.example/w")])
    cut = whole[: whole.index(b"<item>") + 4]  # ends in "<ite"
    result = poller.poll(cut)
    assert result["status"] == "error"
    assert "broken XML" in str(result["error"]) and "at line 1, column" in str(result["error"])


def test_a_utf8_feed_declared_utf16_is_read(poller: Poller) -> None:
    def body(*titles: str) -> bytes:
        return rss([(t, f"https://home.example/{n}") for n, t in enumerate(titles)]).replace(
            b'encoding="utf-8"', b'encoding="utf-16"'
        )

    assert poller.poll(body("Погода"))["status"] == "ok"
    result = poller.poll(body("Погода", "Росатом строит АЭС"))
    assert (result["status"], result["new_entries"]) == ("ok", 1), result


def test_a_live_page_feed_without_guids_alerts_a_chat_for_each_new_item(
    tmp_path: Path, feed_server: FeedServer, bot_api: FakeBotAPI
) -> None:
    alice = 100
    feed_server.publish("/live.xml", "Weather", LIVE)
    config = write_config(
        tmp_path,
        {"live": feed_server.url("/live.xml")},
        {"kz-nuclear": NUCLEAR},
        token=bot_api.token,
        api_url=bot_api.api_url,
    )
    service = Service(config)
    try:
        bot_api.wait_calls("getUpdates", timeout=20)
        bot_api.add_user(alice, "Alice")
        bot_api.add_chat(alice)
        bot_api.push_message(alice, alice, "/sub kz-nuclear")
        bot_api.wait_sent(alice)
        polled = len(feed_server.hits("/live.xml"))
        bot_api.wait_for(
            lambda: len(feed_server.hits("/live.xml")) > polled, timeout=10, what="a poll"
        )
        titles = ["Rosatom signs a deal", "Rosatom starts building", "Rosatom hires engineers"]
        for count, title in enumerate(titles, start=2):
            feed_server.publish("/live.xml", title, LIVE)
            bot_api.wait_sent(alice, count, timeout=20)
        polled = len(feed_server.hits("/live.xml"))
        bot_api.wait_for(
            lambda: len(feed_server.hits("/live.xml")) > polled + 2, timeout=20, what="polls"
        )
    finally:
        assert service.stop() == 0, service.output
    alerts = [m["plain_text"] for m in bot_api.sent(alice) if m["plain_text"].startswith("🔔")]
    assert [next(t for t in titles if t in a) for a in alerts] == titles
