"""Feed bytes -> plain-text entries: parse_feed never fetches and never trusts markup."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.errors import FeedParseError
from bot.feeds.parse import parse_feed
from bot.models import Entry

DEMO_FEEDS = sorted((Path(__file__).parent.parent / "bot" / "demo" / "feeds").glob("*.xml"))
FEED_URL = "https://news.example/section/feed.xml"


def rss(items: str, title: str = "Steppe News") -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>'
        f"<title>{title}</title><link>https://news.example/</link>"
        f"<description>test</description>{items}</channel></rss>"
    ).encode()


def atom(entries: str, title: str = '<title type="text">Steppe Atom</title>') -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">'
        f"{title}<id>urn:feed</id><updated>2026-11-02T10:00:00Z</updated>{entries}</feed>"
    ).encode()


def one(content: bytes, url: str = FEED_URL) -> Entry:
    (entry,) = parse_feed("steppe", content, url).entries
    return entry


# --- RSS and Atom ------------------------------------------------------------------------


def test_rss_entry() -> None:
    feed = parse_feed(
        "steppe",
        rss(
            "<item><title>Rosatom signs the Ulken contract</title>"
            "<link>https://news.example/2026/11/ulken?utm_source=rss</link>"
            "<guid isPermaLink='false'>ulken-42</guid>"
            "<description>&lt;p&gt;The &lt;b&gt;plant&lt;/b&gt; will be built.&lt;/p&gt;"
            "</description><pubDate>Mon, 02 Nov 2026 10:15:00 +0500</pubDate></item>"
        ),
        FEED_URL,
    )
    assert feed.title == "Steppe News"
    assert feed.entries == (
        Entry(
            feed_id="steppe",
            key="ulken-42",
            title="Rosatom signs the Ulken contract",
            link="https://news.example/2026/11/ulken?utm_source=rss",
            story="https://news.example/2026/11/ulken",
            summary="The plant will be built.",
            content="",
            published=datetime(2026, 11, 2, 5, 15, tzinfo=UTC),
        ),
    )


def test_atom_entry() -> None:
    feed = parse_feed(
        "steppe",
        atom(
            '<entry><title type="text">Tokayev visits Tashkent</title><id>urn:e:1</id>'
            '<link rel="alternate" href="/2026/tokayev/"/>'
            "<published>2026-11-01T08:00:00+06:00</published>"
            "<updated>2026-11-01T09:00:00+06:00</updated>"
            '<summary type="html">&lt;p&gt;State visit&lt;/p&gt;</summary>'
            '<content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml">'
            "<p>The <b>state</b> visit</p><p>begins.</p></div></content></entry>"
        ),
        FEED_URL,
    )
    assert feed.title == "Steppe Atom"
    (entry,) = feed.entries
    assert entry.key == "urn:e:1"
    assert entry.title == "Tokayev visits Tashkent"
    assert entry.link == "https://news.example/2026/tokayev/"
    assert entry.story == "https://news.example/2026/tokayev"
    assert entry.summary == "State visit"
    assert entry.content == "The state visit begins."
    assert entry.published == datetime(2026, 11, 1, 2, 0, tzinfo=UTC)


def test_rss_1_0() -> None:
    content = (
        b'<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"'
        b' xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">'
        b'<channel rdf:about="https://news.example/"><title>RDF</title>'
        b"<link>https://news.example/</link><description>d</description></channel>"
        b'<item rdf:about="https://news.example/1"><title>One</title>'
        b"<link>https://news.example/1</link><dc:date>2026-11-02T10:00:00+05:00</dc:date>"
        b"</item></rdf:RDF>"
    )
    entry = one(content)
    assert (entry.title, entry.link) == ("One", "https://news.example/1")
    assert entry.published == datetime(2026, 11, 2, 5, 0, tzinfo=UTC)


def test_entries_keep_document_order() -> None:
    items = "".join(f"<item><title>n{n}</title><guid>g{n}</guid></item>" for n in range(5))
    feed = parse_feed("steppe", rss(items), FEED_URL)
    assert [e.title for e in feed.entries] == ["n0", "n1", "n2", "n3", "n4"]
    assert all(e.feed_id == "steppe" for e in feed.entries)


def test_a_feed_without_entries_is_still_a_feed() -> None:
    feed = parse_feed("steppe", rss(""), FEED_URL)
    assert feed.title == "Steppe News"
    assert feed.entries == ()


# --- plain text ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "title"),
    [
        # text/plain titles are kept literally, markup-looking text and all
        (atom('<entry><title type="text">R&amp;D &lt;update&gt;</title><id>x</id></entry>'),
         "R&D <update>"),
        (rss("<item><title>R&amp;D &lt;update&gt;</title><guid>x</guid></item>"), "R&D <update>"),
        (atom('<entry><title type="text">a &lt;b&gt; b</title><id>x</id></entry>'), "a <b> b"),
        (atom('<entry><title type="text">  spaced\n  out  </title><id>x</id></entry>'),
         "spaced out"),
        # HTML titles are stripped, entities decoded
        (atom('<entry><title type="html">Ros&lt;b&gt;atom&lt;/b&gt; &amp;amp; co</title>'
              "<id>x</id></entry>"), "Rosatom & co"),
        (rss("<item><title>AT&amp;T &#1056;&#1060; &#x49A;</title><guid>x</guid></item>"),
         "AT&T РФ Қ"),
        (rss("<item><title>Toqaev &amp;amp; Putin</title><guid>x</guid></item>"),
         "Toqaev & Putin"),
    ],
)  # fmt: skip
def test_titles(content: bytes, title: str) -> None:
    assert one(content).title == title


@pytest.mark.parametrize(
    ("description", "summary"),
    [
        ("&lt;p&gt;Hello &lt;b&gt;world&lt;/b&gt;&lt;/p&gt;", "Hello world"),
        ("<![CDATA[<p>Hello &amp; <i>world</i>&nbsp;again</p>]]>", "Hello & world again"),
        ("<![CDATA[x<script>alert('no')</script>y<style>p{}</style>z]]>", "xyz"),
        ("<![CDATA[<p>one</p><p>two</p><br>three]]>", "one two three"),
        ("<![CDATA[<a href='javascript:alert(1)'>link</a> text]]>", "link text"),
        ("<![CDATA[broken <b>bold <i>never closed]]>", "broken bold never closed"),
        ("plain text, no tags", "plain text, no tags"),
        ("", ""),
    ],
)
def test_summaries_are_plain_text(description: str, summary: str) -> None:
    item = f"<item><title>t</title><guid>x</guid><description>{description}</description></item>"
    assert one(rss(item)).summary == summary


def test_rss_content_encoded_is_plain_text() -> None:
    item = (
        '<item xmlns:content="http://purl.org/rss/1.0/modules/content/"><title>t</title>'
        "<guid>x</guid><description>short</description>"
        "<content:encoded><![CDATA[<p>Long &mdash; <b>body</b></p>]]></content:encoded></item>"
    )
    entry = one(rss(item))
    assert entry.summary == "short"
    assert entry.content == "Long — body"


def test_atom_text_content_is_kept_literally() -> None:
    text = '<content type="text">a &lt;b&gt; c</content>'
    entry = one(atom(f"<entry><title>t</title><id>x</id>{text}</entry>"))
    assert entry.content == "a <b> c"
    assert entry.summary == "a <b> c"  # a summary copied from the content keeps its type


# --- links and identity --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "href", "link"),
    [
        (FEED_URL, "/2026/11/story", "https://news.example/2026/11/story"),
        (FEED_URL, "story.html", "https://news.example/section/story.html"),
        (FEED_URL, "../other/x", "https://news.example/other/x"),
        (FEED_URL, "//cdn.example/x", "https://cdn.example/x"),
        (FEED_URL, "https://elsewhere.example/a", "https://elsewhere.example/a"),
        ("http://news.example/feed/", "?p=42", "http://news.example/feed/?p=42"),
    ],
)
def test_relative_links_resolve_against_the_feed_url(url: str, href: str, link: str) -> None:
    from_rss = one(rss(f"<item><title>t</title><link>{href}</link></item>"), url)
    from_atom = one(atom(f'<entry><title>t</title><id>x</id><link href="{href}"/></entry>'), url)
    assert from_rss.link == link
    assert from_atom.link == link


@pytest.mark.parametrize(
    ("item", "key", "story"),
    [
        (
            "<guid isPermaLink='false'>id-7</guid><link>https://News.example/a/?utm_medium=x</link>",
            "id-7",
            "https://news.example/a",
        ),
        (
            "<link>https://news.example/b/?fbclid=1#top</link>",
            "https://news.example/b",
            "https://news.example/b",
        ),
        (
            "<guid>https://news.example/c/</guid>",  # a permalink guid is also the link
            "https://news.example/c/",
            "https://news.example/c",
        ),
    ],
)
def test_identity_by_guid_then_link(item: str, key: str, story: str) -> None:
    entry = one(rss(f"<item><title>t</title>{item}</item>"))
    assert entry.key == key
    assert entry.story == story


def test_identity_without_guid_or_link_is_a_stable_hash() -> None:
    first = one(rss("<item><title>Only a title</title><description>d</description></item>"))
    again = one(rss("<item><title>Only a title</title><description>d</description></item>"))
    other = one(rss("<item><title>Another title</title><description>d</description></item>"))
    assert first.key.startswith("sha256:")
    assert first.link == ""
    assert first.story == f"steppe:{first.key}"  # a hash or guid is unique per feed only
    assert again.key == first.key
    assert other.key != first.key


# --- dates ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "published"),
    [
        (
            rss("<item><title>t</title><guid>x</guid>"
                "<pubDate>Mon, 02 Nov 2026 10:15:00 GMT</pubDate></item>"),
            datetime(2026, 11, 2, 10, 15, tzinfo=UTC),
        ),
        (
            rss("<item><title>t</title><guid>x</guid>"
                "<pubDate>Mon, 02 Nov 2026 10:15:00 +0500</pubDate></item>"),
            datetime(2026, 11, 2, 5, 15, tzinfo=UTC),
        ),
        (
            atom("<entry><title>t</title><id>x</id>"
                 "<updated>2026-11-02T10:00:00-03:00</updated></entry>"),
            datetime(2026, 11, 2, 13, 0, tzinfo=UTC),
        ),
        (
            atom("<entry><title>t</title><id>x</id><published>2026-11-01T00:00:00Z</published>"
                 "<updated>2026-11-03T00:00:00Z</updated></entry>"),
            datetime(2026, 11, 1, 0, 0, tzinfo=UTC),  # published wins over updated
        ),
        (rss("<item><title>t</title><guid>x</guid></item>"), None),
        (rss("<item><title>t</title><guid>x</guid><pubDate>not a date</pubDate></item>"), None),
        (atom("<entry><title>t</title><id>x</id></entry>"), None),
    ],
)  # fmt: skip
def test_published_dates_are_aware_utc_or_none(content: bytes, published: datetime | None) -> None:
    entry = one(content)
    assert entry.published == published
    if entry.published is not None:
        assert entry.published.utcoffset() is not None
        assert entry.published.tzinfo == UTC


# --- encodings and hostile input --------------------------------------------------------


def test_declared_encoding_is_honoured() -> None:
    content = (
        '<?xml version="1.0" encoding="windows-1251"?><rss version="2.0"><channel>'
        "<title>Новости</title><item><title>Росатом строит АЭС</title><guid>x</guid></item>"
        "</channel></rss>"
    ).encode("cp1251")
    feed = parse_feed("ru", content, FEED_URL)
    assert feed.title == "Новости"
    assert feed.entries[0].title == "Росатом строит АЭС"


def test_entity_declarations_are_not_expanded() -> None:
    lines = ['<!ENTITY lol "lol">', f'<!ENTITY lol2 "{"&lol;" * 10}">'] + [
        f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10}">' for n in range(3, 10)
    ]
    content = (
        '<?xml version="1.0"?>\n<!DOCTYPE rss [\n' + "\n".join(lines) + "\n]>\n"
        '<rss version="2.0"><channel><title>T</title>'
        "<item><title>&lol9;</title><guid>x</guid></item></channel></rss>"
    ).encode()
    assert len(one(content).title) < 100


@pytest.mark.parametrize(
    "content",
    [
        b"<!DOCTYPE html><html><head><title>News</title></head><body>hi</body></html>",
        b'<html lang="en"><head><title>Site</title></head><body><p>x</p></body></html>',
        b'  \n<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01//EN"><HTML><BODY>x</BODY></HTML>',
    ],
)
def test_an_html_page_is_not_a_feed(content: bytes) -> None:
    with pytest.raises(FeedParseError, match="HTML page"):
        parse_feed("steppe", content, FEED_URL, "text/html; charset=utf-8")


@pytest.mark.parametrize(
    "content",
    [
        bytes(range(256)) * 8,
        b"\xff\xfe\x00\x00garbage",
        b"",
        b'{"items": []}',
        b'<?xml version="1.0"?><note><to>x</to></note>',
    ],
)
def test_garbage_is_not_a_feed(content: bytes) -> None:
    with pytest.raises(FeedParseError, match="not a feed"):
        parse_feed("steppe", content, FEED_URL)


# --- the bundled demo feeds ---------------------------------------------------------------


@pytest.mark.parametrize("path", DEMO_FEEDS, ids=lambda p: p.stem)
def test_demo_feeds_parse(path: Path) -> None:
    feed = parse_feed(path.stem, path.read_bytes(), f"https://demo.example/{path.name}")
    assert feed.title
    assert len(feed.entries) >= 5
    assert len({e.key for e in feed.entries}) == len(feed.entries)
    for entry in feed.entries:
        assert entry.title
        assert not re.search(r"</?(p|b|i|a|div|br)\b", entry.summary + entry.content)
        assert entry.link.startswith("https://")
        assert entry.published is not None and entry.published.tzinfo == UTC


def test_there_are_demo_feeds() -> None:
    assert len(DEMO_FEEDS) >= 3
