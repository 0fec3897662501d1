"""Alert rendering: always valid Telegram HTML, at most 4096 characters, matches in bold."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest
from support.telegram_html import parse_html, utf16_len

from bot.delivery.render import MAX_MESSAGE, render_alert, render_feed_notice, render_summary
from bot.messages import FeedNotice, HeldAlerts, alert_message
from bot.models import Alert, Entry, Span

WHEN = datetime(2026, 11, 2, 10, 15, tzinfo=UTC)
LINK = "https://news.example/2026/11/rosatom-ulken"

HOSTILE = [
    "<script>alert('x')</script>",
    "AT&T & R&D &amp; &lt; &#60; &",
    "a < b > c",
    "\"double\" and 'single' quotes",
    "</a></b><a href='https://evil.example'>click</a>",
    "<b>not bold</b> <i>nor italic</i>",
    "emoji 🇰🇿 👨‍👩‍👧 🔔 and Қазақстан, Росатом",
    "]]> <!-- comment --> <![CDATA[x]]>",
    "&#0; &#xD800; &bogus; &",
]


def make_entry(
    title: str = "Rosatom signs Ulken contract",
    summary: str = "The plant near Lake Balkhash will have two units.",
    content: str = "",
    link: str = LINK,
) -> Entry:
    return Entry(
        feed_id="astana-times",
        key="k1",
        title=title,
        link=link,
        story=link,
        summary=summary,
        content=content,
    )


def render(
    entry: Entry | None = None,
    reasons: tuple[str, ...] = ("Kazakhstan nuclear power",),
    spans: tuple[Span, ...] = (),
    feed_title: str = "The Astana Times",
) -> tuple[str, str, list[dict[str, Any]]]:
    """The message, its visible text and entities; fails if it is not valid Telegram HTML."""
    alert = Alert(chat_id=100, entry=entry or make_entry(), reasons=reasons, spans=spans)
    message = render_alert(alert_message(alert, feed_title, WHEN))
    plain, entities = parse_html(message)
    assert len(message) <= MAX_MESSAGE
    assert utf16_len(plain) <= MAX_MESSAGE
    return message, plain, entities


def covered(plain: str, entities: list[dict[str, Any]], kind: str) -> list[str]:
    """The visible text under each entity of ``kind`` (offsets are UTF-16 code units)."""
    units = plain.encode("utf-16-le")
    return [
        units[2 * e["offset"] : 2 * (e["offset"] + e["length"])].decode("utf-16-le")
        for e in entities
        if e["type"] == kind
    ]


def spans_of(text: str, word: str, field: str) -> tuple[Span, ...]:
    return tuple(Span(field, m.start(), m.end()) for m in re.finditer(re.escape(word), text))


# --- the parts of an alert ------------------------------------------------------------


def test_an_alert_has_every_part() -> None:
    entry = make_entry()
    spans = spans_of(entry.title, "Rosatom", "title")
    spans += spans_of(entry.summary, "Balkhash", "summary")
    message, plain, entities = render(entry, ("Kazakhstan nuclear power", "Uranium"), spans)
    lines = plain.split("\n")
    assert "Kazakhstan nuclear power" in lines[0] and "Uranium" in lines[0]
    assert lines[1] == entry.title
    assert "The Astana Times" in lines[2]
    assert "02 Nov 2026, 10:15 UTC" in lines[2]
    assert "Lake Balkhash" in plain
    (link,) = [e for e in entities if e["type"] == "text_link"]
    assert link["url"] == LINK
    assert covered(plain, entities, "text_link") == [entry.title]
    bold = covered(plain, entities, "bold")
    assert "Rosatom" in bold and "Balkhash" in bold
    assert any("Kazakhstan nuclear power" in b for b in bold)
    assert covered(plain, entities, "italic") == [lines[2]]
    assert message.count("<a ") == 1


@pytest.mark.parametrize(
    ("summary", "word"),
    [
        ("Rosatom will build the plant.", "Rosatom"),
        ("Talks with Росатом and Rosatom again.", "Росатом"),
        ("In Kazakh: Қазақстанда АЭС салынады.", "Қазақстанда"),
        ("🇰🇿 flags 🔔 before the word Rosatom 🔔", "Rosatom"),
        ("x & y < z: Rosatom > all", "Rosatom"),
    ],
)
def test_matched_spans_come_out_bold(summary: str, word: str) -> None:
    entry = make_entry(summary=summary)
    _, plain, entities = render(entry, spans=spans_of(summary, word, "summary"))
    assert summary in plain
    assert word in covered(plain, entities, "bold")


def test_every_occurrence_is_bold() -> None:
    summary = "Rosatom said that Rosatom and only Rosatom will build it."
    spans = spans_of(summary, "Rosatom", "summary")
    _, plain, entities = render(make_entry(summary=summary), spans=spans)
    assert covered(plain, entities, "bold")[1:] == ["Rosatom"] * 3


def test_title_matches_are_bold_inside_the_link() -> None:
    entry = make_entry(title="Tokayev meets Mirziyoyev")
    spans = spans_of(entry.title, "Mirziyoyev", "title")
    message, plain, entities = render(entry, spans=spans)
    assert "Mirziyoyev" in covered(plain, entities, "bold")
    assert covered(plain, entities, "text_link") == ["Tokayev meets Mirziyoyev"]
    assert re.search(r"<a href=[^>]*>Tokayev meets <b>Mirziyoyev</b></a>", message)


def test_the_snippet_shows_the_region_around_the_first_match() -> None:
    words = [f"w{n}" for n in range(1500)]
    words[1000] = "Rosatom"
    summary = " ".join(words)
    spans = spans_of(summary, "Rosatom", "summary")
    _, plain, entities = render(make_entry(summary=summary), spans=spans)
    snippet = plain.split("\n")[-1]
    assert "Rosatom" in covered(plain, entities, "bold")
    assert snippet.startswith("…") and snippet.endswith("…")
    assert "w0 " not in snippet
    assert "w999 Rosatom w1001" in snippet
    assert len(snippet) < 400


def test_the_snippet_starts_at_the_start_without_a_match_in_it() -> None:
    summary = " ".join(f"w{n}" for n in range(1000))
    entry = make_entry(title="Rosatom news", summary=summary)
    _, plain, _ = render(entry, spans=spans_of(entry.title, "Rosatom", "title"))
    snippet = plain.split("\n")[-1]
    assert snippet.startswith("w0 w1 w2")
    assert snippet.endswith("…")
    assert not snippet.endswith(" …")  # cut at a word


def test_the_snippet_comes_from_the_content_when_only_it_matches() -> None:
    content = "Long article. " * 200 + "Here Rosatom appears. " + "More text. " * 50
    entry = make_entry(summary="A short summary.", content=content)
    _, plain, entities = render(entry, spans=spans_of(content, "Rosatom", "content"))
    assert "Here Rosatom appears" in plain
    assert covered(plain, entities, "bold")[-1] == "Rosatom"


@pytest.mark.parametrize(
    ("summary", "content", "shown"),
    [
        ("The summary.", "The content.", "The summary."),
        ("", "The content.", "The content."),
    ],
)
def test_the_snippet_prefers_the_summary(summary: str, content: str, shown: str) -> None:
    _, plain, _ = render(make_entry(summary=summary, content=content))
    assert plain.split("\n")[-1] == shown


def test_no_summary_and_no_content_means_no_snippet() -> None:
    _, plain, _ = render(make_entry(summary="", content=""))
    assert len(plain.split("\n")) == 3


# --- hostile text ------------------------------------------------------------------------


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_text_is_escaped_everywhere(text: str) -> None:
    entry = make_entry(title=text, summary=text, content=text)
    message, plain, entities = render(entry, (text, text), feed_title=text)
    lines = plain.split("\n")
    assert text in lines[0]
    assert lines[1] == text.strip()
    assert text in lines[2]
    assert lines[-1] == text.strip()
    assert "<script" not in message
    assert {e["type"] for e in entities} <= {"bold", "italic", "text_link"}
    assert [e["url"] for e in entities if e["type"] == "text_link"] == [LINK]


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_text_around_a_match(text: str) -> None:
    summary = f"{text} Rosatom {text}"
    spans = spans_of(summary, "Rosatom", "summary")
    _, plain, entities = render(make_entry(summary=summary), spans=spans)
    assert summary.strip() in plain
    assert "Rosatom" in covered(plain, entities, "bold")


@pytest.mark.parametrize(
    "link",
    [
        'https://news.example/a"onmouseover="alert(1)',
        "https://news.example/a'b'",
        "https://news.example/a?x=1&y=<2>",
        "https://news.example/путь/Қазақстан",
        "http://news.example/plain",
        "HTTPS://NEWS.EXAMPLE/upper",
    ],
)
def test_links_are_escaped_in_the_anchor(link: str) -> None:
    message, plain, entities = render(make_entry(link=link))
    (anchor,) = [e for e in entities if e["type"] == "text_link"]
    assert anchor["url"] == link
    assert covered(plain, entities, "text_link") == ["Rosatom signs Ulken contract"]
    assert message.count("<a ") == 1


@pytest.mark.parametrize(
    "link",
    [
        "javascript:alert(1)",
        "JavaScript:alert(document.cookie)",
        "data:text/html,<script>alert(1)</script>",
        "ftp://files.example/a",
        "mailto:editor@news.example",
        "/relative/path",
        "http://[oops",
        "",
        "https://news.example/" + "a" * 3000,  # too long to link
    ],
)
def test_only_http_links_get_an_anchor(link: str) -> None:
    message, plain, entities = render(make_entry(link=link))
    assert "text_link" not in {e["type"] for e in entities}
    assert "<a " not in message
    assert "Rosatom signs Ulken contract" in plain


def test_an_untitled_entry_shows_its_link() -> None:
    _, plain, entities = render(make_entry(title=""))
    assert covered(plain, entities, "text_link") == [LINK]


# --- length ---------------------------------------------------------------------------


LONG_CASES = {
    "10k words": ("word " * 2000, "word " * 2000, "word " * 2000, "word " * 2000),
    "10k letters": ("x" * 10_000, "y" * 10_000, "z" * 10_000, "r" * 10_000),
    "5k ampersands": ("&" * 5000, "&" * 5000, "&" * 5000, "&" * 5000),
    "5k quotes": ('"' * 5000, "'" * 5000, '"' * 5000, "'" * 5000),
    "5k brackets": ("<>" * 2500, "</a>" * 1250, "<b>" * 1600, "><" * 2500),
    "emoji": ("🔔" * 5000, "🇰🇿" * 3000, "👨‍👩‍👧" * 1500, "😀" * 5000),
    "mixed": ("&<🔔>\"' " * 1500, "&<🔔>\"' " * 1500, "&<🔔>\"' " * 1500, "&<🔔>\"' " * 1500),
}


@pytest.mark.parametrize("reasons_count", [1, 3, 20])
@pytest.mark.parametrize("case", LONG_CASES, ids=list(LONG_CASES))
def test_long_texts_fit_in_one_message(case: str, reasons_count: int) -> None:
    title, summary, feed_title, reason = LONG_CASES[case]
    long_link = "https://news.example/" + "&\"'" * 110  # escaped, just under the 2000 limit
    entry = make_entry(title=title, summary=summary, content=summary, link=long_link)
    spans = (Span("title", 0, 50), Span("summary", 100, 200), Span("summary", 4000, 4100))
    message, plain, entities = render(entry, (reason,) * reasons_count, spans, feed_title)
    assert len(message) <= MAX_MESSAGE
    assert utf16_len(plain) <= MAX_MESSAGE
    assert [e["url"] for e in entities if e["type"] == "text_link"] == [long_link]
    assert plain.split("\n")[1]  # the title is never cut away entirely


def test_a_long_summary_is_shortened_not_the_whole_message() -> None:
    summary = "Rosatom " * 3000
    _, plain, _ = render(make_entry(summary=summary), spans=spans_of(summary, "Rosatom", "summary"))
    assert plain.split("\n")[1] == "Rosatom signs Ulken contract"
    assert 100 < len(plain.split("\n")[-1]) < 400


UNSAFE = "\x00\x01\x07\x1b\r\x7f\x85\x9b\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"


def assert_printable(message: str) -> None:
    found = sorted({f"U+{ord(c):04X}" for c in message if c in UNSAFE or c == "\t"})
    assert not found, f"{found} reach Telegram"


def test_control_and_bidi_characters_never_reach_an_alert() -> None:
    hostile = f"Ros{UNSAFE}atom\tsigns"
    entry = make_entry(title=hostile, summary=f"The {UNSAFE}plant\u202e near Rosatom", content="")
    alert = Alert(chat_id=1, entry=entry, reasons=(f"list{UNSAFE}",), spans=())
    message = render_alert(alert_message(alert, f"feed{UNSAFE}", WHEN))
    assert_printable(message)
    plain, _ = parse_html(message)
    assert "Rosatom signs" in plain and "The plant near Rosatom" in plain


def test_control_and_bidi_characters_never_reach_a_summary_or_notice() -> None:
    summary = render_summary(HeldAlerts(((f"evil{UNSAFE}title", "https://x.example/a"),), 86400))
    assert_printable(summary)
    assert "eviltitle" in parse_html(summary)[0]
    notice = render_feed_notice(
        FeedNotice("kz", f"https://kz.example/{UNSAFE}", "failing", f"HTTP{UNSAFE}")
    )
    assert_printable(notice)
