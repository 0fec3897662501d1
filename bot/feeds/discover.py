"""The feeds an HTML page advertises, for telling an operator which address to use.

A page advertises a feed with ``<link rel="alternate" type="application/rss+xml"
href="...">`` (or ``application/atom+xml``, ``application/rdf+xml``) in its head. Pure:
bytes in, addresses out; never raises, never fetches.
"""

from __future__ import annotations

from collections.abc import Sequence
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

FEED_TYPES = frozenset({"application/rss+xml", "application/atom+xml", "application/rdf+xml"})
SCAN_BYTES = 256 * 1024  # <link> elements live in the head, which is far smaller
MAX_URL = 2048  # longer "addresses" are noise, not something to show an operator
MAX_ADVERTISED = 5  # a page's first feeds: enough to choose from; the store keeps them


def feed_links(html: bytes, base_url: str) -> list[str]:
    """Absolute http(s) addresses of the feeds ``html`` advertises: page order, no repeats,
    at most ``MAX_ADVERTISED`` of them.

    Relative addresses resolve against ``<base href>`` if the page has one, else against
    ``base_url`` (where the page came from).
    """
    finder = _LinkFinder()
    try:
        finder.feed(html[:SCAN_BYTES].decode("utf-8", errors="replace"))
        finder.close()
    except AssertionError:  # html.parser's verdict on some malformed declarations
        pass
    base = _join(base_url, finder.base or "") or base_url
    found = (_join(base, href) for href in finder.hrefs)
    return list(dict.fromkeys(url for url in found if url))[:MAX_ADVERTISED]


def _join(base: str, href: str) -> str | None:
    """``href`` made absolute against ``base``, if that is a usable http(s) address."""
    try:
        url = urljoin(base, href.strip())
        scheme = urlsplit(url).scheme
    except ValueError:  # e.g. a malformed IPv6 host
        return None
    return url if scheme in ("http", "https") and len(url) <= MAX_URL else None


class _LinkFinder(HTMLParser):
    """Collects the href of every feed ``<link>`` and the first ``<base href>``."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.hrefs: list[str] = []
        self.base: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {name: value or "" for name, value in attrs}
        if tag == "base" and self.base is None and found.get("href"):
            self.base = found["href"]
        elif tag == "link" and _advertises_feed(found):
            self.hrefs.append(found["href"])


def _advertises_feed(attrs: dict[str, str]) -> bool:
    rel = attrs.get("rel", "").lower().split()
    kind = attrs.get("type", "").split(";")[0].strip().lower()
    return "alternate" in rel and kind in FEED_TYPES and bool(attrs.get("href", "").strip())


NOT_A_FEED = "an HTML page, not a feed"


def not_a_feed_message(alternates: Sequence[str]) -> str:
    """What to tell the operator about an HTML page, naming the feeds it advertises."""
    if len(alternates) == 1:
        return f"{NOT_A_FEED}; it advertises {alternates[0]}: use that address"
    if alternates:
        shown = ", ".join(alternates[:3])
        return f"{NOT_A_FEED}; it advertises {shown}: use one of those addresses"
    return NOT_A_FEED
