"""Story links and entry identity: normalize_link and entry_key."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.feeds.entries import own_stories, settle_keys, text_key
from bot.feeds.links import entry_key, normalize_link
from bot.feeds.parse import parse_feed
from bot.models import Entry


@pytest.mark.parametrize(
    ("link", "normal"),
    [
        # scheme and host case; the path keeps its case
        ("HTTPS://News.Example.COM/Story/One", "https://news.example.com/Story/One"),
        # default ports dropped, other ports kept
        ("http://news.example:80/a", "http://news.example/a"),
        ("https://news.example:443/a", "https://news.example/a"),
        ("https://news.example:8443/a", "https://news.example:8443/a"),
        ("http://news.example:443/a", "http://news.example:443/a"),
        # trailing slash, empty query and fragment
        ("https://news.example/a/", "https://news.example/a"),
        ("https://news.example/", "https://news.example"),
        ("https://news.example/a/?", "https://news.example/a"),
        ("https://news.example/a#comments", "https://news.example/a"),
        # tracking parameters dropped, in any case
        ("https://news.example/a?utm_source=tg&utm_medium=social", "https://news.example/a"),
        ("https://news.example/a?UTM_Campaign=x", "https://news.example/a"),
        ("https://news.example/a?fbclid=abc&gclid=def&yclid=1", "https://news.example/a"),
        ("https://news.example/a?mc_cid=1&mc_eid=2&_ga=3&pk_kwd=4", "https://news.example/a"),
        # real parameters kept and sorted
        ("https://news.example/a?utm_source=x&id=7", "https://news.example/a?id=7"),
        ("https://news.example/a?page=2&id=7", "https://news.example/a?id=7&page=2"),
        ("https://news.example/a?tag=b&tag=a", "https://news.example/a?tag=a&tag=b"),
        ("https://news.example/a?flag=", "https://news.example/a?flag="),
        # surrounding whitespace
        ("  https://news.example/a \n", "https://news.example/a"),
        # an IPv6 host keeps its brackets
        ("http://[2001:DB8::1]:8080/a/", "http://[2001:db8::1]:8080/a"),
        ("https://[::1]:443/", "https://[::1]"),
    ],
)
def test_normalize_link(link: str, normal: str) -> None:
    assert normalize_link(link) == normal


@pytest.mark.parametrize(
    "variants",
    [
        [
            "https://news.example/story/42",
            "HTTPS://NEWS.EXAMPLE:443/story/42/",
            "https://news.example/story/42?utm_source=telegram#top",
            "https://news.example/story/42/?fbclid=xyz&utm_campaign=daily",
        ],
        [
            "https://news.example/list?b=2&a=1",
            "https://news.example/list?a=1&b=2&utm_medium=rss",
            "https://News.Example/list/?a=1&b=2",
        ],
    ],
)
def test_variants_of_one_story_normalize_the_same(variants: list[str]) -> None:
    assert len({normalize_link(v) for v in variants}) == 1


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("https://news.example/a?id=1", "https://news.example/a?id=2"),
        ("https://news.example/a", "https://news.example/b"),
        ("https://news.example/A", "https://news.example/a"),
        ("http://news.example:8080/a", "http://news.example/a"),
    ],
)
def test_different_stories_stay_different(one: str, other: str) -> None:
    assert normalize_link(one) != normalize_link(other)


@pytest.mark.parametrize(
    "link",
    [
        "http://[oops/a",
        "http://news.example:99999/a",
        "http://news.example:port/a",
        "not a url at all",
        "",
        "::::",
        "https://news.example/a?%zz=1&x=%",
    ],
)
def test_malformed_links_do_not_raise(link: str) -> None:
    normal = normalize_link(link)
    assert isinstance(normal, str)
    assert normalize_link(link) == normal  # stable


@pytest.mark.parametrize(
    ("guid", "link", "key"),
    [
        ("urn:uuid:1234", "https://news.example/a", "urn:uuid:1234"),
        ("  tag:news.example,2026:7  ", None, "tag:news.example,2026:7"),
        (None, "HTTPS://News.Example/a/?utm_source=x", "https://news.example/a"),
        ("", "https://news.example/a#x", "https://news.example/a"),
        ("   ", "https://news.example/a", "https://news.example/a"),
    ],
)
def test_entry_key_prefers_guid_then_normalized_link(
    guid: str | None, link: str | None, key: str
) -> None:
    assert entry_key(guid, link, "Title", "Body") == key


def test_entry_key_without_guid_or_link_is_a_stable_hash() -> None:
    key = entry_key(None, None, "Rosatom signs", "The contract was signed.")
    assert key.startswith("sha256:")
    assert len(key) > len("sha256:") + 16
    assert entry_key("", "  ", "Rosatom signs", "The contract was signed.") == key
    assert entry_key(None, None, "Rosatom signs", "Another body.") != key
    assert entry_key(None, None, "Other title", "The contract was signed.") != key
    # the separator keeps title and content apart
    assert entry_key(None, None, "ab", "c") != entry_key(None, None, "a", "bc")


def test_very_long_keys_are_bounded_and_still_distinct() -> None:
    long_a = "https://news.example/" + "a" * 5000
    long_b = "https://news.example/" + "a" * 4999 + "b"
    key_a, key_b = entry_key(None, long_a, "t", "c"), entry_key(None, long_b, "t", "c")
    assert len(key_a) <= 512 and len(key_b) <= 512
    assert key_a != key_b
    assert entry_key("g" * 3000, None, "t", "c") == entry_key("g" * 3000, None, "x", "y")


# --- links that do not identify a story ----------------------------------------------------


def shared_feed(items: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Live</title>'
        f"<link>https://news.example/</link>{items}</channel></rss>"
    ).encode()


def item(title: str, link: str, guid: str | None = None) -> str:
    return f"<item><title>{title}</title><link>{link}</link>" + (
        f"<guid>{guid}</guid></item>" if guid else "</item>"
    )


def stories(content: bytes) -> list[tuple[str, str]]:
    feed = parse_feed("live", content, "https://news.example/rss")
    return [(e.key, e.story) for e in feed.entries]


def test_a_link_shared_by_different_entries_is_no_story() -> None:
    content = shared_feed(
        item("One", "https://news.example/live", "g1")
        + item("Two", "https://news.example/live/?utm_source=x", "g2")
        + item("Own page", "https://news.example/own", "g3")
    )
    assert stories(content) == [
        ("g1", "live:g1"),
        ("g2", "live:g2"),
        ("g3", "https://news.example/own"),
    ]


def test_the_feeds_own_site_link_is_no_story() -> None:
    content = shared_feed(item("One", "https://news.example/", "g1"))
    assert stories(content) == [("g1", "live:g1")]


def test_entries_without_guids_sharing_a_link_are_known_by_their_text() -> None:
    content = shared_feed(
        item("One", "https://news.example/live")
        + item("Two", "https://news.example/live/")
        + item("One", "https://news.example/live?utm_source=x")  # the first again
        + item("Own page", "https://news.example/own")
    )
    (one, one_story), (two, two_story), again, own = stories(content)
    assert one.startswith("https://news.example/live#text:") and two != one
    assert (one_story, two_story, again) == (f"live:{one}", f"live:{two}", (one, one_story))
    assert own == ("https://news.example/own", "https://news.example/own")


def test_one_entry_without_a_guid_on_its_own_link_is_known_by_it() -> None:
    twice = item("One", "https://news.example/a") + item("One", "https://news.example/a/")
    assert stories(shared_feed(twice)) == [("https://news.example/a", "https://news.example/a")] * 2


def test_an_entry_without_a_guid_on_the_site_link_is_known_by_its_text() -> None:
    ((key, story),) = stories(shared_feed(item("One", "https://news.example/")))
    assert key.startswith("https://news.example#text:") and story == f"live:{key}"


def test_settle_keys_across_polls() -> None:
    live = "https://news.example/live"
    alone = Entry("live", live, title="Weather", link=live, story=live)
    one = replace(alone, title="One")
    one = replace(one, key=text_key(one), story=f"live:{text_key(one)}")
    weather_by_text = replace(alone, key=text_key(alone), story=f"live:{text_key(alone)}")
    # Weather had the link to itself, and was stored under it: seen, not new.
    stored = [(live, live, live, "Weather")]
    assert settle_keys([one, weather_by_text], stored, {live: "Weather"}) == [one]
    # Alone again after the link was shared: known by its text.
    stored = [(text_key(one), one.story, live, "One")]
    assert settle_keys([replace(one, key=live, story=live)], stored, {}) == [one]
    # An ordinary entry: its link is its own.
    assert settle_keys([alone], [], {}) == [alone]


def test_one_entry_repeated_keeps_its_link_as_story() -> None:
    twice = item("One", "https://news.example/a", "g1") * 2
    assert stories(shared_feed(twice)) == [("g1", "https://news.example/a")] * 2


def entry(key: str, link: str) -> Entry:
    return Entry("live", key, title=key, link=link, story=normalize_link(link))


def test_own_stories_against_the_stored_entries() -> None:
    new = [entry("g2", "https://news.example/live"), entry("g3", "https://news.example/x")]
    stored = [
        # stored with a story of its own
        ("g1", "live:g1", "https://news.example/live/", "g1"),
        ("g3", "https://news.example/x", "https://news.example/x", "g3"),  # itself, seen again
    ]
    assert [e.story for e in own_stories(new, stored)] == ["live:g2", "https://news.example/x"]
    assert own_stories(new, []) == new


def test_one_article_under_another_guid_keeps_its_link_as_story() -> None:
    # the same article with a second guid, or a guid the feed changes on every poll
    new = [entry("urn:uuid:2", "https://news.example/a/123")]
    new = [replace(new[0], title="Tokayev  visits Moscow")]
    stored = [
        (
            "urn:uuid:1",
            "https://news.example/a/123",
            "https://news.example/a/123",
            "Tokayev visits moscow",
        )
    ]
    assert [e.story for e in own_stories(new, stored)] == ["https://news.example/a/123"]


def test_one_article_twice_in_a_document_is_one_story() -> None:
    twice = item("Tokayev visits Moscow", "https://news.example/a/123", "news-123") + item(
        "Tokayev visits Moscow", "https://news.example/a/123", "politics-123"
    )
    assert stories(shared_feed(twice)) == [
        ("news-123", "https://news.example/a/123"),
        ("politics-123", "https://news.example/a/123"),
    ]


@pytest.mark.parametrize("guid", ["\x00", "  \x00 ", "\x00\x00"])
def test_a_guid_with_nothing_storable_falls_back_to_the_link(guid: str) -> None:
    assert entry_key(guid, "https://x.example/a?utm_source=t", "T", "B") == "https://x.example/a"


def test_a_guid_keeps_what_a_database_stores_so_old_keys_stay() -> None:
    assert entry_key("post\x0b42", None, "T", "B") == "post\x0b42"  # as stored before
    assert entry_key("\x01", None, "T", "B") != entry_key("\x02", None, "T", "B")
    assert entry_key("urn:a\x00b", None, "T", "B") == "urn:ab"  # PostgreSQL refuses NUL
    assert entry_key("urn:c\ud800d", None, "T", "B") == "urn:c\ufffdd"  # no UTF-8 for it
