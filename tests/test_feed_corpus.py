"""Real-world feed documents: parse_feed beside feedparser's own reading of the same bytes.

The documents are a selection of feedparser's test suite (tests/data/feedparser, see the
README there): encodings, entities, ill-formed and well-formed RSS, Atom and RDF. Each
is read by feedparser directly, from the raw bytes, and by :func:`parse_feed`; the feed
titles (as plain text) and the entry counts must agree, or both must find no feed.
A ``Header: Content-type`` line in a document's comment is given to both as the HTTP
``Content-Type``, as feedparser's own test runner does.

Every deliberate difference is listed in :data:`DIFFERENCES` with its reason, and a
listed document must still differ: the list cannot go stale. Differences by design that
no document here shows, and how the comparison allows for them:

- control characters and bidirectional overrides are stripped from every text: the
  reference strips them too (:func:`plain`);
- entity declarations in a DOCTYPE are cut (entity bombs): no document here declares one;
- at most 1,000 entries are kept: no document here has as many.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import feedparser
import pytest

from bot.errors import FeedParseError
from bot.feeds.parse import parse_feed
from bot.feeds.text import clean
from bot.matching import html_to_text

DATA = Path(__file__).parent / "data" / "feedparser"
DOCUMENTS = sorted(p.relative_to(DATA).as_posix() for p in DATA.rglob("*.xml"))
_HEADER = re.compile(rb"^Header:\s*Content-type:\s*(.+?)\s*$", re.IGNORECASE | re.MULTILINE)

Reading = tuple[str, int] | None  # (feed title, entries), or None: not a feed

UNKNOWN_LABEL = (
    "an encoding Python does not know, and one byte (0x80) to go by: newsbot guesses among "
    "the region's encodings, feedparser falls back to windows-1252 (its own suite skips "
    "these documents where Python lacks the codec)"
)
EBCDIC = "EBCDIC: newsbot does not read it (no feed is written in it), feedparser does"

# document -> why newsbot reads it differently from feedparser
DIFFERENCES: dict[str, str] = {
    **dict.fromkeys(
        [
            "encoding/x80_csmacintosh.xml",
            "encoding/x80_dbcs.xml",
            "encoding/x80_mac.xml",
            "encoding/x80_ms-arab.xml",
            "encoding/x80_ms-ee.xml",
            "encoding/x80_ms-hebr.xml",
            "encoding/x80_tcvn-5712.xml",
            "encoding/x80_tcvn5712-1.xml",
            "encoding/x80_winbaltrim.xml",
        ],
        UNKNOWN_LABEL,
    ),
    **dict.fromkeys(
        [
            "encoding/x80_csibm500.xml",
            "encoding/x80_ebcdic-cp-ca.xml",
            "encoding/x80_ebcdic-cp-nl.xml",
            "encoding/x80_ebcdic-cp-wt.xml",
            "encoding/x80_ebcdic_cp_ca.xml",
            "encoding/x80_ebcdic_cp_nl.xml",
            "encoding/x80_ebcdic_cp_wt.xml",
            "encoding/x80_ibm039.xml",
        ],
        EBCDIC,
    ),
    "illformed/aaa_illformed.xml": (
        "broken XML with no entry and no channel end (<rss> closed by '</rss'): newsbot "
        "reports the break and where it is, feedparser reads an empty feed"
    ),
}


def content_type(content: bytes) -> str:
    found = _HEADER.search(content[:2048])
    return found[1].decode("latin-1").replace("'", "") if found else ""


def plain(node: Any, name: str) -> str:
    """A text construct as plain text, the way newsbot shows it."""
    value = node.get(name) or ""
    if (node.get(f"{name}_detail") or {}).get("type") == "text/plain":
        return " ".join(clean(value).split())
    return clean(html_to_text(value))


def feedparsers_reading(content: bytes) -> Reading:
    headers = {"content-type": content_type(content)} if content_type(content) else {}
    doc = feedparser.parse(
        content, response_headers=headers, sanitize_html=False, resolve_relative_uris=False
    )
    if not doc.get("version") and not doc.entries:
        return None
    return plain(doc.feed, "title"), len(doc.entries)


def newsbots_reading(content: bytes) -> Reading:
    try:
        feed = parse_feed("corpus", content, "https://feeds.example/feed", content_type(content))
    except FeedParseError:
        return None
    return feed.title, len(feed.entries)


def test_the_corpus_is_there() -> None:
    assert len(DOCUMENTS) > 250
    assert not set(DIFFERENCES) - set(DOCUMENTS)


@pytest.mark.parametrize("name", DOCUMENTS)
def test_titles_and_entry_counts_match_feedparser(name: str) -> None:
    content = (DATA / name).read_bytes()
    ours, theirs = newsbots_reading(content), feedparsers_reading(content)
    if name in DIFFERENCES:
        assert ours != theirs, f"no longer differs: {DIFFERENCES[name]}"
    else:
        assert ours == theirs
