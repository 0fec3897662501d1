"""Feed bytes -> plain-text entries: parse_feed never fetches and never trusts markup."""

from __future__ import annotations

import pickle
import re
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest

from bot.errors import FeedParseError, NotAFeed
from bot.feeds.charset import decode_feed, guess_legacy
from bot.feeds.discover import MAX_ADVERTISED, feed_links
from bot.feeds.parse import FUTURE_SLACK, MAX_ENTRIES, parse_feed
from bot.models import Entry

DEMO_FEEDS = sorted(
    (Path(__file__).parent.parent / "bot" / "commands" / "demo_feeds").glob("*.xml")
)
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


LAUGHS = ['<!ENTITY lol "lol">', f'<!ENTITY lol2 "{"&lol;" * 10}">'] + [
    f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10}">' for n in range(3, 10)
]
BOMB_BODY = (
    '<rss version="2.0"><channel><title>T</title>'
    "<item><title>&lol9;</title><guid>x</guid></item></channel></rss>"
)


@pytest.mark.parametrize(
    "prolog",
    [
        '<?xml version="1.0"?>\n<!DOCTYPE rss [\n' + "\n".join(LAUGHS) + "\n]>\n",
        '<?xml version="1.0"?><!DOCTYPE rss [' + "".join(LAUGHS) + "]>",  # one line: expat's
        '<?xml version="1.0"?>\n<!DOCTYPE rss [\n' + " ".join(LAUGHS) + "\n]>",
        '<?xml version="1.0"?><!-- a --><?pi x?><!DOCTYPE rss SYSTEM "x.dtd" ['
        + "".join(LAUGHS)
        + "]>",
        '<!DOCTYPE rss [<!ENTITY a "]>">' + "".join(LAUGHS) + "]>",  # a ]> inside a value
        # feedparser deletes the first DOCTYPE, or makes one of stray entity lines
        '<?xml version="1.0"?>\n<!DOCTYPE rss>\n<!-- x --><!DOCTYPE rss [' + "".join(LAUGHS) + "]>",
        '<?xml version="1.0"?><!DOCTYPE a []><!DOCTYPE rss [' + "".join(LAUGHS) + "]>",
        '<?xml version="1.0"?>\n<!ENTITY a "b">\n<!DOCTYPE rss [' + "".join(LAUGHS) + "]>",
        '<?xml version="1.0"?><!DOCTYPE rss [][' + "".join(LAUGHS) + "]>",
        '<?xml version="1.0"?><!DOCTYPE rss [<?x ]?>' + "".join(LAUGHS) + "]>",
    ],
)
def test_an_entity_bomb_costs_no_time(prolog: str) -> None:
    started = time.monotonic()
    try:
        titles = [
            e.title for e in parse_feed("steppe", (prolog + BOMB_BODY).encode(), FEED_URL).entries
        ]
    except FeedParseError:  # a malformed DOCTYPE ends the document
        titles = []
    assert time.monotonic() - started < 0.2  # expat spends 0.4-2 s before its own guard trips
    assert all(len(title) < 100 for title in titles)


def test_flat_entities_are_not_expanded_either() -> None:
    prolog = '<?xml version="1.0"?>\n<!DOCTYPE rss>\n<!ENTITY big "' + "x" * 10_000 + '">\n'
    body = BOMB_BODY.replace("&lol9;", "&big;" * 1000)  # 10 MB if expanded
    started = time.monotonic()
    feed = parse_feed("steppe", (prolog + body).encode(), FEED_URL)
    assert time.monotonic() - started < 0.2
    assert all("xxxx" not in e.title for e in feed.entries)


def test_external_entities_are_never_read(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP SECRET", encoding="utf-8")
    content = (
        f'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY x SYSTEM "{secret.as_uri()}">]>'
        '<rss version="2.0"><channel><title>T</title>'
        "<item><title>a &x; b</title><guid>g</guid></item></channel></rss>"
    ).encode()
    assert "SECRET" not in one(content).title


def test_a_doctype_without_an_internal_subset_is_kept() -> None:
    content = (
        b'<?xml version="1.0"?>\n'
        b'<!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN"'
        b' "http://my.netscape.com/publish/formats/rss-0.91.dtd">\n<rss version="0.91"><channel>'
        b"<title>Old</title><item><title>Still read</title><link>https://n.example/1</link>"
        b"</item></channel></rss>"
    )
    assert one(content).title == "Still read"


@pytest.mark.parametrize(
    "content",
    [
        b"<!DOCTYPE html><html><head><title>News</title></head><body>hi</body></html>",
        b'<html lang="en"><head><title>Site</title></head><body><p>x</p></body></html>',
        b'  \n<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01//EN"><HTML><BODY>x</BODY></HTML>',
    ],
)
def test_an_html_page_is_not_a_feed(content: bytes) -> None:
    with pytest.raises(NotAFeed, match=r"^an HTML page, not a feed$") as raised:
        parse_feed("steppe", content, FEED_URL, "text/html; charset=utf-8")
    assert raised.value.alternates == ()


def test_a_huge_html_page_is_turned_away_quickly() -> None:
    huge = page(
        '<link rel="alternate" type="application/rss+xml" href="/rss">' + "<p>x</p>" * 1_200_000
    )
    started = time.monotonic()
    with pytest.raises(NotAFeed, match=r"advertises https://news\.example/rss:"):
        parse_feed("steppe", huge, "https://news.example/", "text/html")
    assert time.monotonic() - started < 1  # feedparser's fallback parser: about a minute


def test_html_inside_a_feed_does_not_make_it_a_page() -> None:
    page_in_a_value = "<![CDATA[<html><body>hi</body></html>]]>"
    item = (
        f"<item><title>t</title><guid>x</guid><description>{page_in_a_value}</description></item>"
    )
    assert one(rss(item)).summary == "hi"


def test_not_a_feed_keeps_its_addresses_across_processes() -> None:
    error = NotAFeed("an HTML page, not a feed; ...", ("https://news.example/rss",))
    copy = pickle.loads(pickle.dumps(error))  # parsing may run in a worker process
    assert (type(copy), str(copy), copy.alternates) == (NotAFeed, str(error), error.alternates)


def page(head: str) -> bytes:
    return f"<!DOCTYPE html><html><head>{head}</head><body><p>News</p></body></html>".encode()


def test_an_html_page_says_which_feed_it_advertises() -> None:
    content = page('<link rel="alternate" type="application/rss+xml" href="/feed/">')
    with pytest.raises(NotAFeed) as raised:
        parse_feed("steppe", content, "https://news.example/", "text/html")
    assert raised.value.alternates == ("https://news.example/feed/",)
    assert str(raised.value) == (
        "an HTML page, not a feed; it advertises https://news.example/feed/: use that address"
    )


def test_an_html_page_with_several_feeds_names_them() -> None:
    content = page(
        '<link rel="alternate" type="application/rss+xml" href="/rss">'
        '<link rel="alternate" type="application/atom+xml" href="https://news.example/atom">'
    )
    with pytest.raises(NotAFeed, match=r"/rss, https://news.example/atom: use one of those"):
        parse_feed("steppe", content, "https://news.example/", "text/html")


def test_an_html_page_with_very_many_feeds_carries_the_first_few() -> None:
    links = "".join(
        f'<link rel="alternate" type="application/rss+xml" href="/rss/{n}">' for n in range(500)
    )
    with pytest.raises(NotAFeed, match=r"/rss/1, https://news.example/rss/2: use one of") as raised:
        parse_feed("steppe", page(links), "https://news.example/", "text/html")
    shown = tuple(f"https://news.example/rss/{n}" for n in range(MAX_ADVERTISED))
    assert raised.value.alternates == shown


@pytest.mark.parametrize(
    ("head", "links"),
    [
        ('<link rel="alternate" type="application/rss+xml" href="feed.xml">',
         ["https://site.example/news/feed.xml"]),
        ('<LINK REL="Alternate" TYPE="Application/Atom+XML; charset=utf-8" HREF="/atom">',
         ["https://site.example/atom"]),
        ('<link rel="alternate feed" type="application/rdf+xml" href="//cdn.example/rdf">',
         ["https://cdn.example/rdf"]),
        ('<base href="https://other.example/x/"><link rel=alternate '
         'type=application/rss+xml href=rss>', ["https://other.example/x/rss"]),
        ('<link rel="alternate" type="application/rss+xml" href="/a">' * 2
         + '<link rel="alternate" type="application/atom+xml" href="/b">',
         ["https://site.example/a", "https://site.example/b"]),
        ('<link rel="stylesheet" type="text/css" href="a.css">'
         '<link rel="alternate" type="text/html" hreflang="ru" href="/ru/">'
         '<link rel="alternate" type="application/json" href="/feed.json">', []),
        ('<link rel="alternate" type="application/rss+xml" href="javascript:alert(1)">'
         '<link rel="alternate" type="application/rss+xml" href="http://[::1">'
         '<link rel="alternate" type="application/rss+xml" href="  ">'
         f'<link rel="alternate" type="application/rss+xml" href="/{"x" * 5000}">', []),
        ("<link rel=alternate type=application/rss+xml href=/ok><!-- <x <!DOCTYPE",
         ["https://site.example/ok"]),
    ],
)  # fmt: skip
def test_feed_links(head: str, links: list[str]) -> None:
    assert feed_links(page(head), "https://site.example/news/index.html") == links


def test_feed_links_reads_only_the_start_of_a_huge_page() -> None:
    huge = page(
        "<title>x</title>" * 200_000
        + '<link rel="alternate" type="application/rss+xml" href="/late">'
    )
    started = time.monotonic()
    assert feed_links(huge, "https://site.example/") == []
    assert time.monotonic() - started < 1


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


# --- what a document that is not a feed is --------------------------------------------------


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", r"^an empty document, not a feed$"),
        (b" \n\t\r\n", r"^an empty document, not a feed$"),
        (b'{"items": []}', r"^JSON, not a feed: it has no JSON Feed version$"),
        (b"[1, 2, 3]", r"^JSON, not a feed: it has no JSON Feed version$"),
        (b'{"version": "1.1", "items": []}', r"^JSON, not a feed: it has no JSON Feed version$"),
        (b'{"version": "https://jso', r"^broken JSON, not a feed: .* at line 1, column \d+$"),
        (
            b'<?xml version="1.0"?><note><to>x</to></note>',
            r"^XML, not a feed: its root element is <note>, not <rss>, <feed> or <rdf:RDF>$",
        ),
        (
            b'<?xml version="1.0"?>\n<!-- c -->\n<x:Envelope xmlns:x="urn:x"/>',
            r"^XML, not a feed: its root element is <x:Envelope>, not <rss>, <feed> or <rdf:RDF>$",
        ),
        (b"Service temporarily unavailable.\nTry later.", r"^plain text, not a feed$"),
        (b"OK", r"^plain text, not a feed$"),
    ],
)
def test_what_is_not_a_feed_is_named(content: bytes, message: str) -> None:
    with pytest.raises(FeedParseError, match=message):
        parse_feed("steppe", content, FEED_URL)


def expat_position(content: bytes) -> tuple[int, int]:
    """Where expat itself finds the error in ``content``: line, and column from 1."""
    import xml.parsers.expat

    parser = xml.parsers.expat.ParserCreate()
    with pytest.raises(xml.parsers.expat.ExpatError) as raised:
        parser.Parse(content, True)
    return raised.value.lineno, raised.value.offset + 1


@pytest.mark.parametrize(
    "content",
    [
        b"<doc>\n<a>\n  </b>\n</doc>",
        b'<?xml version="1.0"?><doc>\n<a>\n  </b>\n</doc>',
        b'<?xml version="1.0" encoding="utf-8"?>\n<doc>\n<a>\n  </b>\n</doc>',
        b'<?xml version="1.0"?>\n<!DOCTYPE doc [\n<!ELEMENT doc ANY>\n\n]>\n<doc>\n<a>\n</b></doc>',
        b'<?xml version="1.0"?>\n<!DOCTYPE doc [\n<!ENTITY e "x">\n]>\n<doc><a></b>&e;</doc>',
        b"<doc><a></b></doc>",
        b'<?xml version="1.0"?>\n<!-- a\ncomment -->\n<doc>\n<a>\n</b></doc>',
    ],
)
def test_broken_xml_names_the_line_and_column_as_served(content: bytes) -> None:
    line, column = expat_position(content)
    with pytest.raises(FeedParseError) as raised:
        parse_feed("steppe", content, FEED_URL)
    assert str(raised.value) == (
        f"broken XML, not a feed: mismatched tag at line {line}, column {column}"
    )


def test_blank_lines_before_the_declaration_still_count() -> None:
    content = b'\n\n<?xml version="1.0"?>\n<doc>\n<a>\n</b></doc>'  # a common fault
    line, column = expat_position(content.lstrip())
    with pytest.raises(FeedParseError, match=f"at line {line + 2}, column {column}$"):
        parse_feed("steppe", content, FEED_URL)


# --- wrong and missing encodings ------------------------------------------------------------

RU = "Росатом построит АЭС в Казахстане, сообщил Токаев"
KZ = "Қазақстан Президенті Тоқаев атом электр станциясы туралы айтты"  # no cp1251 for қ, ә, ң


def titled(title: str, declaration: str = "") -> str:
    return (
        f'{declaration}<rss version="2.0"><channel><title>{title}</title>'
        f"<item><title>{title}</title><guid>x</guid></item></channel></rss>"
    )


UTF8_DECL = '<?xml version="1.0" encoding="utf-8"?>'


@pytest.mark.parametrize(
    ("text", "codec", "declaration", "content_type"),
    [
        (RU, "cp1251", UTF8_DECL, ""),  # declared UTF-8, but it is not
        (RU, "cp1251", UTF8_DECL, "application/rss+xml; charset=utf-8"),
        (RU, "cp1251", "", ""),  # declared nowhere
        (RU, "cp1251", "", "text/xml; charset=ISO-8859-1"),  # a server's default label
        (RU, "cp1251", '<?xml version="1.0" encoding="windows-1251"?>', "text/xml; charset=utf-8"),
        (RU, "koi8-r", "", ""),
        (RU, "cp866", "", ""),
        (KZ, "kz1048", UTF8_DECL, ""),
        (KZ, "kz1048", "", ""),
        (RU + " " + KZ, "utf-8", "", "text/xml; charset=windows-1251"),  # valid UTF-8 wins
        (RU + " " + KZ, "utf-8", '<?xml version="1.0" encoding="koi8-r"?>', ""),
        (RU + " " + KZ, "utf-16", '<?xml version="1.0" encoding="utf-16"?>', ""),
        (RU + " " + KZ, "utf-8-sig", "", "text/xml; charset=cp1251"),
        ("Präsident Tokajew in München", "cp1252", "", ""),
        ("Präsident Tokajew in München", "iso-8859-1", "", "text/xml; charset=ISO-8859-1"),
        (RU, "cp1251", '<?xml version="1.0" encoding="punycode"?>', "text/xml; charset=bogus"),
    ],
)
def test_text_comes_out_right_whatever_the_declared_encoding(
    text: str, codec: str, declaration: str, content_type: str
) -> None:
    content = titled(text, declaration).encode(codec)
    feed = parse_feed("ru", content, FEED_URL, content_type)
    assert feed.title == text
    assert feed.entries[0].title == text


WESTERN = "The deal is worth €5 million — about £4.3 million — the “official” figure said"
LATIN1_DECL = '<?xml version="1.0" encoding="ISO-8859-1"?>'
CP1252_DECL = '<?xml version="1.0" encoding="windows-1252"?>'
SAMPLES = Path(__file__).parent / "data" / "charset-normalizer"


def sample(name: str, codec: str, length: int = 600) -> str:
    """The start of one of charset-normalizer's sample texts, on one line, in ``codec``."""
    text = " ".join((SAMPLES / name).read_text("utf-8").split())[:length].strip()
    return text.encode(codec, errors="ignore").decode(codec)  # an accent mark or two


@pytest.mark.parametrize(
    ("text", "codec", "declaration", "content_type"),
    [
        # declared Western, with no accented letter to go by: the declaration wins
        (WESTERN, "cp1252", LATIN1_DECL, ""),
        (WESTERN, "cp1252", CP1252_DECL, ""),
        (WESTERN, "cp1252", "", "application/rss+xml; charset=windows-1252"),
        (WESTERN, "cp1252", "", "text/xml; charset=ISO-8859-1"),
        ("Shares rose 3% — “a good day”, he said", "cp1252", LATIN1_DECL, ""),
        ("Price: £40", "cp1252", "", "text/xml; charset=iso-8859-1"),
        # undeclared: the Western reading still wins over a stray Cyrillic letter
        (WESTERN, "cp1252", "", ""),
        # the label is the server's default, and the text is plainly something else
        (RU, "koi8-r", LATIN1_DECL, ""),
        (RU, "koi8-r", "", "text/xml; charset=ISO-8859-1"),
        (RU, "cp1251", CP1252_DECL, ""),
        (KZ, "kz1048", LATIN1_DECL, ""),
        (RU, "cp866", "", "text/xml; charset=windows-1252"),
        # real texts in each encoding, undeclared
        (sample("sample-russian-3.txt", "cp1251"), "cp1251", "", ""),
        (sample("sample-bulgarian.txt", "cp1251"), "cp1251", "", ""),
        (sample("sample-russian-2.txt", "koi8-r"), "koi8-r", "", ""),
        (sample("sample-russian-2.txt", "cp866"), "cp866", "", ""),
        (sample("sample-french.txt", "cp1252").lower(), "cp1252", "", ""),
        (sample("sample-spanish.txt", "cp1252"), "cp1252", "", "text/xml; charset=ISO-8859-1"),
        (KZ + " " + KZ.upper(), "kz1048", "", ""),
    ],
)
def test_western_and_regional_legacy_encodings(
    text: str, codec: str, declaration: str, content_type: str
) -> None:
    content = titled(text.replace("&", "&amp;"), declaration).encode(codec)
    assert parse_feed("ru", content, FEED_URL, content_type).title == text


@pytest.mark.parametrize("declaration", [UTF8_DECL, ""])
def test_utf8_with_one_broken_byte_is_still_utf8(declaration: str) -> None:
    content = titled(RU, declaration).encode().replace("Токаев".encode(), b"\xff")
    assert one(content).title == RU.replace("Токаев", "\ufffd")


@pytest.mark.parametrize(
    ("codec", "label"),
    [
        ("utf-16-le", "utf-16"),
        ("utf-16-be", "utf-16"),
        ("utf-32-le", "utf-32"),
        ("utf-32-be", "utf-32"),
        ("utf-32-le", "UTF-32LE"),
        ("utf-16-be", "UTF-16BE"),
    ],
)
def test_utf16_and_utf32_without_a_byte_order_mark(codec: str, label: str) -> None:
    content = titled(RU, f'<?xml version="1.0" encoding="{label}"?>').encode(codec)
    assert one(content).title == RU


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"])
def test_wide_encodings_without_mark_or_declaration(codec: str) -> None:
    content = titled(RU).encode(codec)  # starts "<rss": only the zero bytes tell
    assert one(content).title == RU


@pytest.mark.parametrize(
    ("text", "codec"),
    [
        ("Новости", "cp1251"),
        ("Новости", "koi8-r"),
        ("Ақтөбе мен Шымкент", "kz1048"),
        ("Café", "cp1252"),
        ("МИД РФ: новости", "cp1251"),
    ],
)
def test_guess_legacy_from_a_few_words(text: str, codec: str) -> None:
    assert guess_legacy(text.encode(codec)) == codec
    assert decode_feed(text.encode(codec)) == text


def test_a_long_ascii_head_does_not_hide_the_encoding() -> None:
    content = titled("Steppe News " * 10_000 + RU).encode("koi8-r")  # 120 KB of ASCII first
    assert RU in decode_feed(content)


def test_decoding_a_large_feed_is_quick() -> None:
    content = titled(RU * 100_000).encode("cp1251")  # 5 MB, no declaration
    started = time.monotonic()
    assert decode_feed(content).count("Росатом") == 200_000
    assert time.monotonic() - started < 1


@pytest.mark.parametrize("content", [bytes(range(256)), b"\xff\xfe\x00", b"\x98" * 10, b""])
def test_bytes_in_no_encoding_still_decode(content: bytes) -> None:
    assert 0 < len(decode_feed(content)) <= len(content) or content == b""


# --- dates and volume ------------------------------------------------------------------------

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("ahead", "published"),
    [
        (timedelta(hours=-3), NOW - timedelta(hours=3)),
        (timedelta(hours=12), NOW + timedelta(hours=12)),  # time zone slips: kept
        (FUTURE_SLACK, NOW + FUTURE_SLACK),
        (FUTURE_SLACK + timedelta(minutes=1), NOW),
        (timedelta(days=365 * 900), NOW),
    ],
)
def test_a_date_far_in_the_future_is_clamped_to_now(ahead: timedelta, published: datetime) -> None:
    date = format_datetime(NOW + ahead, usegmt=True)
    content = rss(f"<item><title>t</title><guid>x</guid><pubDate>{date}</pubDate></item>")
    (entry,) = parse_feed("steppe", content, FEED_URL, now=NOW).entries
    assert entry.published == published


def numbered(count: int, newest_first: bool = True, dated: bool = True) -> bytes:
    def item(n: int) -> str:
        date = format_datetime(NOW - timedelta(minutes=n), usegmt=True) if dated else ""
        return (
            f"<item><title>n{n}</title><link>https://n.example/{n}</link>"
            f"<description>&lt;p&gt;Body {n}&lt;/p&gt;</description>"
            + (f"<pubDate>{date}</pubDate>" if date else "")
            + "</item>"
        )

    order = range(count) if newest_first else reversed(range(count))
    return rss("".join(item(n) for n in order))


@pytest.mark.parametrize("newest_first", [True, False])
def test_twenty_thousand_entries_parse_quickly_and_keep_the_newest(newest_first: bool) -> None:
    content = numbered(20_000, newest_first)
    started = time.monotonic()
    feed = parse_feed("steppe", content, FEED_URL, now=NOW)
    assert time.monotonic() - started < 4  # all 20,000 through feedparser: over 10 s
    assert len(feed.entries) == MAX_ENTRIES == 1000
    titles = [e.title for e in feed.entries]
    expected = [f"n{n}" for n in range(MAX_ENTRIES)]
    assert titles == (expected if newest_first else expected[::-1])  # document order


def test_without_dates_the_first_entries_are_kept() -> None:
    feed = parse_feed("steppe", numbered(2500, dated=False), FEED_URL, now=NOW)
    assert [e.title for e in feed.entries] == [f"n{n}" for n in range(MAX_ENTRIES)]
    assert all(e.published is None for e in feed.entries)


def test_a_feed_just_over_the_cap_keeps_the_newest() -> None:
    feed = parse_feed("steppe", numbered(MAX_ENTRIES + 5, newest_first=False), FEED_URL, now=NOW)
    assert len(feed.entries) == MAX_ENTRIES
    assert feed.entries[-1].title == "n0"


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


@pytest.mark.parametrize(("ttl", "seconds"), [("60", 3600.0), ("0", None), ("soon", None)])
def test_rss_ttl_in_seconds(ttl: str, seconds: float | None) -> None:
    body = rss(f"<ttl>{ttl}</ttl><item><title>t</title><link>https://x.example/1</link></item>")
    assert parse_feed("steppe", body, FEED_URL).ttl == seconds


@pytest.mark.parametrize(
    "content",
    [
        b'<?xml version="1.0"?>\n<!-- c -->\n\n<<rss>',
        rss("")[:-30],  # cut inside the channel's description
        rss("<item><title>One</title></item>").split(b"<item>")[0] + b"<ite",
        b'<?xml version="1.0"?>\n<rss version="2.0"><channel><title>T</title>\n</rss>',
    ],
)
def test_broken_xml_that_mentions_rss_is_an_error_with_its_position(content: bytes) -> None:
    line, column = expat_position(content)
    with pytest.raises(FeedParseError) as raised:
        parse_feed("steppe", content, FEED_URL)
    assert re.fullmatch(rf"broken XML: .+ at line {line}, column {column}", str(raised.value))


def test_broken_xml_that_still_has_entries_keeps_them() -> None:
    content = rss("<item><title>One</title><link>https://news.example/1</link></item>")[:-25]
    assert [e.title for e in parse_feed("steppe", content, FEED_URL).entries] == ["One"]


def test_a_utf16_declaration_on_utf8_bytes_is_ignored() -> None:
    # .NET writes this: a UTF-16 declaration on a body it encoded as UTF-8.
    content = (
        '<?xml version="1.0" encoding="utf-16"?>\n<rss version="2.0"><channel>'
        "<title>Новости</title><item><title>Росатом строит АЭС</title>"
        "<link>https://news.example/1</link></item></channel></rss>"
    ).encode()
    feed = parse_feed("steppe", content, FEED_URL)
    assert (feed.title, [e.title for e in feed.entries]) == ("Новости", ["Росатом строит АЭС"])


@pytest.mark.parametrize("declared", ["utf-16", "UTF-16LE", "utf-32", "utf-32-be"])
def test_a_wide_declaration_without_zero_bytes_is_ignored(declared: str) -> None:
    text = f'<?xml version="1.0" encoding="{declared}"?><rss>Росатом</rss>'
    assert decode_feed(text.encode("utf-8")) == text
    assert decode_feed(text.encode("cp1251")) == text  # the usual guess
    assert decode_feed(text.encode("utf-8"), f"text/xml; charset={declared}") == text


def test_a_wide_declaration_with_its_zero_bytes_is_read() -> None:
    text = '<?xml version="1.0" encoding="utf-16"?><rss>Росатом</rss>'
    assert decode_feed(text.encode("utf-16-le")) == text
    assert decode_feed(text.encode("utf-16-be")) == text
