"""JSON Feed 1.0 and 1.1 read into the same entries as RSS and Atom, with the same bounds."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from support.configs import NUCLEAR, write_config
from support.feedserver import FeedServer, Reply

from bot.cli import main
from bot.errors import FeedParseError
from bot.feeds.parse import MAX_ENTRIES, ParsedFeed, parse_feed

FEED_URL = "https://news.example/feed.json"
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)

JSON_FEED_1_0 = {
    "version": "https://jsonfeed.org/version/1",
    "title": "Steppe JSON",
    "home_page_url": "https://news.example/",
    "feed_url": FEED_URL,
    "author": {"name": "Desk"},
    "items": [
        {
            "id": "2",
            "url": "https://news.example/2",
            "title": "Rosatom signs",
            "content_text": "Plain <text> & more",
            "date_modified": "2026-11-02T10:00:00+05:00",
            "author": {"name": "Aliya"},
        },
        {
            "id": 1,  # JSON Feed 1.0 allowed numbers
            "external_url": "https://elsewhere.example/1",
            "content_html": "<p>Only <b>HTML</b>, no title</p>",
            "date_published": "2026-11-01T10:00:00Z",
        },
    ],
}

JSON_FEED_1_1 = {
    "version": "https://jsonfeed.org/version/1.1",
    "title": "Steppe JSON 1.1",
    "home_page_url": "https://news.example/",
    "language": "ru",
    "items": [
        {
            "id": "urn:x:3",
            "url": "/2026/11/3",
            "title": "Росатом  строит\nАЭС",
            "summary": "Кратко",
            "content_html": "<p>Долгий &mdash; <i>текст</i></p>",
            "content_text": "ignored when there is HTML",
            "date_published": "2026-11-03T09:30:00+03:00",
            "authors": [{"name": "Айгуль"}, {"url": "https://x"}, {"name": "Марат"}],
            "tags": ["nuclear"],
        }
    ],
}


def parse(doc: object, content_type: str = "application/feed+json") -> ParsedFeed:
    return parse_feed("steppe", json.dumps(doc).encode(), FEED_URL, content_type, now=NOW)


def test_json_feed_1_0() -> None:
    feed = parse_feed("steppe", json.dumps(JSON_FEED_1_0).encode(), FEED_URL, now=NOW)
    assert (feed.title, feed.link) == ("Steppe JSON", "https://news.example/")
    first, second = feed.entries
    assert (first.key, first.link, first.story) == ("2", "https://news.example/2", first.link)
    assert (first.title, first.content, first.author) == (
        "Rosatom signs",
        "Plain <text> & more",
        "Aliya",
    )
    assert first.published == datetime(2026, 11, 2, 5, 0, tzinfo=UTC)
    assert (second.key, second.link, second.title) == ("1", "https://elsewhere.example/1", "")
    assert second.content == "Only HTML, no title"
    assert second.published == datetime(2026, 11, 1, 10, 0, tzinfo=UTC)


def test_json_feed_1_1() -> None:
    feed = parse_feed(
        "steppe", json.dumps(JSON_FEED_1_1).encode(), FEED_URL, "application/feed+json", now=NOW
    )
    (entry,) = feed.entries
    assert entry.link == "https://news.example/2026/11/3"
    assert (entry.title, entry.summary, entry.content) == (
        "Росатом строит АЭС",
        "Кратко",
        "Долгий — текст",
    )
    assert entry.author == "Айгуль, Марат"
    assert entry.published == datetime(2026, 11, 3, 6, 30, tzinfo=UTC)


def test_json_feed_in_another_encoding_and_served_as_plain_json() -> None:
    content = json.dumps(JSON_FEED_1_1, ensure_ascii=False).encode("utf-16")
    feed = parse_feed("steppe", content, FEED_URL, "application/json", now=NOW)
    assert feed.entries[0].title == "Росатом строит АЭС"


def test_an_rss_feed_served_as_json_is_still_read() -> None:
    rss = b'<?xml version="1.0"?><rss version="2.0"><channel><title>R</title></channel></rss>'
    assert parse_feed("steppe", rss, FEED_URL, "application/json").title == "R"


@pytest.mark.parametrize(
    ("items", "titles"),
    [
        ([{"id": "a", "title": "ok"}, "not an object", 7, None, []], ["ok"]),
        ([{"id": "a", "title": 5, "url": ["x"], "content_html": {"a": 1}}], [""]),
        ([{"id": True, "title": "t", "date_published": "yesterday"}], ["t"]),
    ],
)
def test_items_and_fields_of_the_wrong_type_are_skipped(
    items: list[object], titles: list[str]
) -> None:
    feed = parse({"version": "https://jsonfeed.org/version/1.1", "items": items})
    assert [e.title for e in feed.entries] == titles


@pytest.mark.parametrize("items", [None, "x", {"id": "a"}])
def test_a_feed_without_an_item_list_has_no_entries(items: object) -> None:
    feed = parse({"version": "https://jsonfeed.org/version/1", "title": "T", "items": items})
    assert feed.entries == ()


def test_control_characters_are_stripped() -> None:
    item = {"id": "a", "title": "Ros\u202eatom\x00", "url": "https://news.example/\x1b1"}
    feed = parse({"version": "https://jsonfeed.org/version/1.1", "title": "T\x07", "items": [item]})
    (entry,) = feed.entries
    assert (feed.title, entry.title, entry.link) == ("T", "Rosatom", "https://news.example/1")


def test_many_items_keep_the_newest() -> None:
    old, new = "2020-01-01T00:00:00Z", "2026-11-01T00:00:00Z"
    items = [{"id": f"old{n}", "date_published": old} for n in range(2 * MAX_ENTRIES)]
    items += [{"id": f"new{n}", "date_published": new} for n in range(MAX_ENTRIES)]
    feed = parse({"version": "https://jsonfeed.org/version/1.1", "items": items})
    assert [e.key for e in feed.entries] == [f"new{n}" for n in range(MAX_ENTRIES)]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"[" * 100_000 + b"]" * 100_000, r"^unreadable JSON, not a feed: nested too deeply$"),
        (
            b'{"version": "https://jsonfeed.org/version/1", "items": [' * 30_000,
            r"^(broken|unreadable) JSON, not a feed",
        ),
        (b'{"version": "https://jsonfeed.org/version/1",\n "items": [,]}', r"line 2, column 12$"),
        (
            b'{"title": "no version", "items": []}',
            r"^JSON, not a feed: it has no JSON Feed version$",
        ),
    ],
)
def test_malformed_json(content: bytes, message: str) -> None:
    with pytest.raises(FeedParseError, match=message):
        parse_feed("steppe", content, FEED_URL, "application/feed+json")


def test_newsbot_poll_reads_a_json_feed(
    tmp_path: Path, feed_server: FeedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    def serve(*titles: str) -> None:
        items = [{"id": t, "url": f"https://news.example/{t}", "title": t} for t in titles]
        doc = {"version": "https://jsonfeed.org/version/1.1", "title": "J", "items": items}
        headers = {"Content-Type": "application/feed+json"}
        feed_server.reply("/feed.json", Reply(200, json.dumps(doc).encode(), headers))

    serve("Weather")
    config = write_config(tmp_path, {"j": feed_server.url("/feed.json")}, {"kz-nuclear": NUCLEAR})
    assert main(["poll", "--config", str(config), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["new_entries"] == 1
    serve("Rosatom builds", "Football", "Weather")
    assert main(["poll", "--config", str(config), "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {
        "feed": "j",
        "status": "ok",
        "new_entries": 2,
        "matches": 1,
    }


def test_a_lone_surrogate_in_a_title_is_replaced() -> None:
    content = (
        b'{"version":"https://jsonfeed.org/version/1.1","title":"J \\udc00",'
        b'"items":[{"id":"1","url":"https://news.example/1","title":"emoji \\ud83d cut"}]}'
    )
    feed = parse_feed("steppe", content, FEED_URL, "application/feed+json", now=NOW)
    assert (feed.title, feed.entries[0].title) == ("J \ufffd", "emoji \ufffd cut")


def test_a_number_too_long_to_convert_in_an_ignored_field_does_not_matter() -> None:
    long = "9" * 100_000
    content = (
        '{"version":"https://jsonfeed.org/version/1.1","_views":' + long + ","
        '"items":[{"id":' + long + ',"url":"https://news.example/1","title":"One",'
        '"_score":-' + long + ".5e3}]}"
    ).encode()
    (entry,) = parse_feed("steppe", content, FEED_URL, "application/feed+json", now=NOW).entries
    # An id too long to be a number is no id: the entry is known by its link.
    assert (entry.title, entry.key) == ("One", "https://news.example/1")


def test_a_numeric_id_is_still_an_id() -> None:
    content = (
        b'{"version":"https://jsonfeed.org/version/1.1",'
        b'"items":[{"id":12345,"url":"https://news.example/1","title":"One"}]}'
    )
    (entry,) = parse_feed("steppe", content, FEED_URL, "application/feed+json", now=NOW).entries
    assert entry.key == "12345"
