"""Messages as data: stored in the outbox, rendered when sent (Telegram HTML, terminal)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st
from support.databases import execute

from bot.delivery.render import render
from bot.delivery.terminal import BOLD, NORMAL, terminal_text
from bot.messages import (
    AlertMessage,
    Excerpt,
    FeedNotice,
    HeldAlerts,
    Message,
    StoredHtml,
    alert_message,
    dump,
    load,
)
from bot.models import Alert, Entry, Span
from bot.store.store import Store

WHEN = datetime(2026, 11, 27, 10, 30, tzinfo=UTC)


def alert_of(title: str, summary: str, word: str, reasons: tuple[str, ...] = ("Nuclear",)) -> Alert:
    entry = Entry("kz", "k1", title, "https://news.example/1", "news.example/1", summary=summary)
    spans = []
    for field, text in (("title", title), ("summary", summary)):
        at = text.find(word)
        if at >= 0:
            spans.append(Span(field, at, at + len(word)))
    return Alert(100, entry, reasons, tuple(spans))


texts = st.text(st.characters(codec="utf-8"), max_size=60)
messages: st.SearchStrategy[Message] = st.one_of(
    st.builds(
        AlertMessage,
        reasons=st.tuples(texts),
        title=texts,
        title_marks=st.just(((0, 1),)),
        link=texts,
        feed=texts,
        published=st.just(WHEN),
        excerpt=st.none() | st.builds(Excerpt, texts, st.just(((1, 2),)), st.booleans()),
    ),
    st.builds(FeedNotice, texts, texts, st.sampled_from(["gone", "failing"]), st.none() | texts),
    st.builds(HeldAlerts, st.tuples(st.tuples(texts, texts)), st.floats(60, 1e6)),
    st.builds(StoredHtml, texts),
)


@given(messages)
def test_every_message_comes_back_from_the_outbox_as_it_went_in(message: Message) -> None:
    assert load(*dump(message)) == message


@pytest.mark.parametrize(
    ("kind", "payload"),
    [
        ("alert", "{}"),
        ("alert", "not json"),
        ("notice", '{"feed": "a", "url": "u", "kind": "x"}'),
        ("carrier-pigeon", "{}"),
    ],
)
def test_a_row_that_is_not_a_message_is_refused(kind: str, payload: str) -> None:
    with pytest.raises((ValueError, KeyError)):
        load(kind, payload)


def test_the_excerpt_keeps_what_a_message_shows_around_a_match_far_in() -> None:
    summary = " ".join(f"word{n}" for n in range(2000)) + " Rosatom signs " + "tail " * 2000
    message = alert_message(alert_of("Deal", summary, "Rosatom"), "Astana Daily", WHEN)
    assert message.excerpt is not None and len(message.excerpt.text) < 600
    assert message.excerpt.cut_before and message.excerpt.cut_after
    html = render(message)
    assert "<b>Rosatom</b> signs" in html
    assert html.split("\n")[-1].startswith("…") and html.endswith("…")


def test_the_terminal_shows_every_part_of_an_alert_without_markup() -> None:
    alert = alert_of("Rosatom & <Kazakhstan>", "The deal with Rosatom was signed.", "Rosatom")
    text = terminal_text(alert_message(alert, "Astana Daily", WHEN), color=False)
    assert text.split("\n") == [
        "🔔 Nuclear",
        "Rosatom & <Kazakhstan>",
        "   https://news.example/1",
        "Astana Daily · 27 Nov 2026, 10:30 UTC",
        "",
        "The deal with Rosatom was signed.",
    ]


def test_a_terminal_in_colour_shows_matched_terms_in_bold() -> None:
    alert = alert_of("Deal", "The deal with Rosatom was signed.", "Rosatom")
    text = terminal_text(alert_message(alert, "Astana Daily", WHEN), color=True)
    assert f"The deal with {BOLD}Rosatom{NORMAL} was signed." in text


def test_a_feed_cannot_send_escape_sequences_to_the_terminal() -> None:
    alert = alert_of("Deal\x1b[2J\u202e", "Rosatom\x1b]0;pwned\x07 signs", "Rosatom")
    text = terminal_text(alert_message(alert, "Feed\x1b[31m", WHEN), color=False)
    assert "\x1b" not in text and "\u202e" not in text and "\x07" not in text


def test_notices_and_summaries_read_plainly_in_the_terminal() -> None:
    notice = terminal_text(FeedNotice("kz", "https://kz.example/rss", "gone", "HTTP 410"), False)
    assert notice.split("\n")[:3] == [
        "⚠️ Feed kz is gone (HTTP 410): polling stopped",
        "https://kz.example/rss",
        "HTTP 410",
    ]
    held = HeldAlerts((("Rosatom signs", "https://news.example/1"),), 86400)
    assert terminal_text(held, False).split("\n") == [
        "🗂 1 alerts held for over 24 h",
        "",
        "• Rosatom signs",
        "  https://news.example/1",
    ]
    assert terminal_text(StoredHtml("🔔 <b>Nuclear</b> &amp; co"), False) == "🔔 Nuclear & co"


async def test_an_unreadable_outbox_row_fails_alone(database_url: str) -> None:
    store = await Store.open(database_url)
    now = datetime.now(UTC)
    notice = FeedNotice("kz", "https://kz.example/rss", "gone")
    await store.sync_feeds([("kz", "https://kz.example/rss", None)])
    assert await store.queue_notice(notice, [100, 200], now, now) == 2
    assert await store.queue_notice(notice, [100, 200], now, now) == 0  # told already
    execute(database_url, "UPDATE outbox SET payload = 'garbage' WHERE chat_id = 100")
    try:
        [row] = await store.due(now)
        counts = await store.outbox_counts()
    finally:
        await store.close()
    assert row.chat_id == 200 and row.message == notice
    assert counts == {"failed": 1, "pending": 1}
