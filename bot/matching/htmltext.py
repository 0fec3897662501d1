"""HTML to plain text, for entry titles, summaries and content."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

# Elements that end a line or a cell: their tags separate words. Inline tags do not, so
# "Ros<b>atom</b>" stays one word.
_BLOCKS = frozenset(
    {
        *("address", "article", "aside", "blockquote", "br", "caption", "dd", "div", "dl"),
        *("dt", "fieldset", "figcaption", "figure", "footer", "form", "header", "hr", "li"),
        *("main", "nav", "ol", "p", "pre", "section", "table", "tbody", "td", "tfoot", "th"),
        *("thead", "title", "tr", "ul", "h1", "h2", "h3", "h4", "h5", "h6"),
    }
)
_DROPPED = frozenset({"script", "style", "template"})  # their contents are not text
_TAG_RE = re.compile(r"<[^>]*>?")
_SPACE_RE = re.compile(r"\s+")  # NBSP and thin spaces too; zero-width ones are not spaces


def html_to_text(markup: str) -> str:
    """The text of ``markup``: tags stripped, entities decoded, whitespace collapsed.

    Block elements separate words, inline ones do not; script and style contents are
    dropped; non-breaking and other Unicode spaces become ordinary spaces. Never raises:
    broken HTML is read as well as it can be.
    """
    if "<" not in markup and "&" not in markup:  # plain text already, as most titles are
        return _SPACE_RE.sub(" ", markup).strip()
    parser = _TextParser()
    try:
        parser.feed(markup)
        parser.close()
        text = "".join(parser.parts)
    except AssertionError:  # html.parser's verdict on some malformed declarations
        text = html.unescape(_TAG_RE.sub(" ", markup))
    return _SPACE_RE.sub(" ", text).strip()


class _TextParser(HTMLParser):
    """Collects text, with a space for each block boundary."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._dropping = 0  # depth inside elements whose contents are dropped

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _DROPPED:
            self._dropping += 1
        elif tag in _BLOCKS:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in _DROPPED:
            self._dropping = max(0, self._dropping - 1)
        elif tag in _BLOCKS:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if not self._dropping:
            self.parts.append(data)
