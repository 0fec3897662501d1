"""Texts taken from a feed carry no control characters and no bidirectional overrides."""

from __future__ import annotations

import pytest

from bot.feeds.entries import MAX_TEXT, MAX_TITLE
from bot.feeds.parse import parse_feed
from bot.feeds.text import clean

FEED_URL = "https://news.example/feed.xml"
HOSTILE = [
    "\x00",  # NUL
    "\x01",
    "\x07",  # BEL
    "\x1b",  # ESC: terminal escapes in the console transport
    "\x7f",  # DEL
    "\x81",  # C1, undefined in windows-1252
    "\x85",  # C1, read as windows-1252 (as HTML does): "…"
    "\x9b",  # C1 CSI, read as windows-1252: "›"
    "\x9d",
    "\u202a",
    "\u202b",
    "\u202c",
    "\u202d",
    "\u202e",  # RIGHT-TO-LEFT OVERRIDE: "moc.elgoog" shown as "google.com"
    "\u2066",
    "\u2067",
    "\u2068",
    "\u2069",
]


@pytest.mark.parametrize("char", HOSTILE)
def test_clean_strips_controls_and_bidi_overrides(char: str) -> None:
    assert clean(f"Ros{char}atom") == "Rosatom"


def test_clean_keeps_whitespace_and_ordinary_letters() -> None:
    text = "Tab\there\nline\r\nҚазақстан — “quoted” \u200f"  # RLM is a mark, not an override
    assert clean(text) == text


def shown(char: str) -> str:
    """What is left of ``char``: nothing, or for most C1 codes their windows-1252 reading.

    feedparser reads C1 codes as windows-1252, as HTML does, since feeds that contain
    them were written in that encoding; the result is printable.
    """
    try:
        return bytes([ord(char)]).decode("cp1252") if 0x80 <= ord(char) < 0xA0 else ""
    except UnicodeDecodeError:
        return ""


def feed_with(char: str, *, referenced: bool) -> bytes:
    mark = f"&#x{ord(char):x};" if referenced else char
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0" '
        'xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>'
        f"<title>Steppe{mark} News</title><link>https://news.example/</link>"
        f"<item><title>Ros{mark}atom</title><link>https://news.example/a{mark}b</link>"
        f"<guid>g1</guid><description>sum{mark}mary</description>"
        f"<content:encoded>con{mark}tent</content:encoded></item></channel></rss>"
    ).encode()


@pytest.mark.parametrize("referenced", [False, True], ids=["raw", "character-reference"])
@pytest.mark.parametrize("char", HOSTILE)
def test_every_feed_text_is_stripped(char: str, referenced: bool) -> None:
    feed = parse_feed("steppe", feed_with(char, referenced=referenced), FEED_URL)
    (entry,) = feed.entries
    mark = shown(char)
    assert feed.title == f"Steppe{mark} News"
    assert (entry.title, entry.summary, entry.content) == (
        f"Ros{mark}atom",
        f"sum{mark}mary",
        f"con{mark}tent",
    )
    assert entry.link == f"https://news.example/a{mark}b"


@pytest.mark.parametrize("surrogate", ["\ud800", "\udbff", "\udc00", "\udfff", "\ud83d"])
def test_clean_replaces_lone_surrogates(surrogate: str) -> None:
    # A truncated emoji cannot be stored or sent: it is not encodable as UTF-8.
    assert clean(f"emoji {surrogate} cut") == "emoji \ufffd cut"
    assert clean(f"emoji {surrogate} cut").encode("utf-8")


def test_clean_keeps_whole_emoji() -> None:
    assert clean("flag \U0001f1f0\U0001f1ff ok") == "flag \U0001f1f0\U0001f1ff ok"


@pytest.mark.parametrize("reference", ["&#xD800;", "&#55296;", "&#xDFFF;"])
def test_surrogate_references_in_rss_are_replaced(reference: str) -> None:
    content = (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>T</title>'
        f"<item><title>Rosatom {reference} x</title><link>https://news.example/1</link>"
        f"<description>a {reference} b</description></item></channel></rss>"
    ).encode()
    (entry,) = parse_feed("steppe", content, "https://news.example/rss").entries
    assert "\ufffd" in entry.title and entry.title.encode("utf-8")
    assert entry.summary.encode("utf-8")


def test_a_link_too_broken_to_read_costs_that_link_only() -> None:
    rss = (
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>'
        b"<link>http://[oops/</link>"
        b"<item><title>One</title><link>http://[x/</link><guid>g1</guid></item>"
        b"<item><title>Two</title><link>https://news.example/2</link></item>"
        b"</channel></rss>"
    )
    parsed = parse_feed("f", rss, "https://news.example/rss")
    assert [(e.title, e.link) for e in parsed.entries] == [
        ("One", ""),
        ("Two", "https://news.example/2"),
    ]


def test_a_json_feed_item_with_a_broken_url_keeps_the_others() -> None:
    body = (
        b'{"version": "https://jsonfeed.org/version/1.1", "title": "T",'
        b' "home_page_url": "http://[oops/", "items": ['
        b'{"id": "1", "url": "http://[x/", "title": "One"},'
        b'{"id": "2", "url": "https://news.example/2", "title": "Two"}]}'
    )
    parsed = parse_feed("f", body, "https://news.example/feed.json", "application/feed+json")
    assert [(e.title, e.link) for e in parsed.entries] == [
        ("One", ""),
        ("Two", "https://news.example/2"),
    ]


def test_an_entrys_texts_are_read_up_to_their_bounds() -> None:
    word = "Rosatom "
    rss = (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>'
        f"<item><title>{word * 1000}</title><description>{word * 100_000}</description>"
        "<link>https://news.example/1</link></item></channel></rss>"
    ).encode()
    [entry] = parse_feed("f", rss, "https://news.example/rss").entries
    assert len(entry.title) <= MAX_TITLE < len(word * 1000)
    assert len(entry.summary) <= MAX_TEXT < len(word * 100_000)
    assert entry.summary.startswith("Rosatom Rosatom")
