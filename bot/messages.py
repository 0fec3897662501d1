"""What newsbot sends outside command replies, as data: one outbox row each.

Alerts, admins' feed notices and summaries of held alerts are queued as these records
(JSON in the outbox) and rendered only when sent: as Telegram HTML by
:mod:`bot.delivery.render`, as terminal text by :mod:`bot.delivery.terminal`. An alert
keeps what its message shows (title, link, feed, time, reasons) and which terms to
highlight; of the entry's longer texts it keeps only the excerpt around the first match.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, Literal

from bot.models import Alert, Span

MessageKind = Literal["alert", "notice", "held", "html", "summary"]
SummaryWhy = Literal["held", "digest"]
NoticeKind = Literal["gone", "failing"]
Range = tuple[int, int]  # characters start:end of a text

SNIPPET = 320  # the longest excerpt a message shows
_LEAD = SNIPPET // 3  # shown before the first match
_SLACK = 20  # room to end the shown text at a word boundary
REASONS = 8  # at most this many reasons are listed
OUTLETS = 20  # at most this many other outlets of a story are kept (the rest counted)
OUTLET_NAME, OUTLET_LINK = 200, 2000  # characters of an outlet's name and link kept


@dataclass(frozen=True)
class Excerpt:
    """A window of an entry's summary or content; ``marks`` are relative to ``text``."""

    text: str
    marks: tuple[Range, ...] = ()
    cut_before: bool = False  # the entry's text goes on before the window
    cut_after: bool = False


@dataclass(frozen=True)
class Outlet:
    """Another outlet that told the story an alert is about: the feed's name, its link."""

    name: str
    link: str
    feed_id: str = ""


@dataclass(frozen=True)
class AlertMessage:
    """An entry that matched, for one chat: why, and which terms to highlight."""

    reasons: tuple[str, ...]  # watchlist titles, personal rules as “query”
    title: str
    title_marks: tuple[Range, ...]
    link: str
    feed: str
    published: datetime
    excerpt: Excerpt | None = None
    watchlists: tuple[str, ...] = ()  # the names of the watchlists among the reasons
    rules: tuple[int, ...] = ()  # the ids of the chat's personal rules among them
    feed_id: str = ""  # the feed it came from
    # the other outlets of its story, in the order they told it, and how many more: read
    # when it is sent (bot.store.outbox), not kept in its payload
    also: tuple[Outlet, ...] = ()
    also_more: int = 0

    def with_outlets(self, outlets: Sequence[Outlet]) -> AlertMessage:
        """This alert naming ``outlets`` (its story's, in the order they told it) but its
        own feed: the first :data:`OUTLETS`, the rest counted."""
        others = [o for o in outlets if not self._own(o)]
        return replace(self, also=tuple(others[:OUTLETS]), also_more=max(0, len(others) - OUTLETS))

    def _own(self, outlet: Outlet) -> bool:
        if self.feed_id and outlet.feed_id:
            return outlet.feed_id == self.feed_id
        return outlet.name == self.feed[:OUTLET_NAME]  # queued before feeds were known


@dataclass(frozen=True)
class FeedNotice:
    """Admins hear that a feed is gone or has been failing for a day."""

    feed_id: str
    url: str
    kind: NoticeKind
    error: str | None = None


@dataclass(frozen=True)
class HeldAlerts:
    """Alerts held past ``delivery.max_age``, sent as one message: (title, link) each."""

    stories: tuple[tuple[str, str], ...]
    held_for: float  # seconds


@dataclass(frozen=True)
class SummaryItem:
    """One held alert, as a summary lists it; ``group``: its first reason (a digest lists
    its alerts under their groups)."""

    title: str
    link: str
    feed: str
    published: datetime
    group: str = ""
    also: tuple[str, ...] = ()  # the names of the story's other outlets
    also_more: int = 0


@dataclass(frozen=True)
class Summary:
    """Alerts held by a mute or quiet hours (``held``) or collected for a ``digest``,
    sent together: one part of at most a message's length.

    ``counts``: alerts per reason (watchlist title, personal rule), in the first part
    only; ``items``: this part's alerts, newest first; ``more``: how many were left
    unlisted (the last part says so). ``since``/``until``: the period it covers, shown
    in the chat's time ``zone`` and ``lang``uage.
    """

    why: SummaryWhy
    lang: str
    zone: str
    since: datetime
    until: datetime
    total: int
    counts: tuple[tuple[str, int], ...]
    items: tuple[SummaryItem, ...]
    more: int = 0


@dataclass(frozen=True)
class StoredHtml:
    """A message queued already rendered, by a version that stored Telegram HTML."""

    html: str


Message = AlertMessage | FeedNotice | HeldAlerts | Summary | StoredHtml


def alert_message(alert: Alert, feed_title: str, when: datetime) -> AlertMessage:
    """The message for ``alert``: pure, the entry's texts cut to what can be shown."""
    entry = alert.entry
    return AlertMessage(
        reasons=alert.reasons[:REASONS],
        title=entry.title,
        title_marks=tuple((s.start, s.end) for s in alert.spans if s.field == "title"),
        link=entry.link,
        feed=feed_title,
        published=when,
        excerpt=_excerpt(alert),
        watchlists=alert.watchlists,
        rules=alert.rules,
        feed_id=entry.feed_id,
    )


def _excerpt(alert: Alert) -> Excerpt | None:
    """The summary (or content) around its first match: the content when only it holds a
    match, or when there is no summary."""
    texts = [f for f in ("summary", "content") if alert.entry.field(f)]
    marked = [f for f in texts if any(s.field == f for s in alert.spans)]
    if not texts:
        return None
    field = (marked or texts)[0]
    return window(alert.entry.field(field), [s for s in alert.spans if s.field == field])


def window(text: str, spans: Sequence[Span]) -> Excerpt:
    """The part of ``text`` any message may show: from a little before the first span
    to past the longest snippet, spans moved to match."""
    start = max(0, spans[0].start - _LEAD - _SLACK) if spans else 0
    end = min(len(text), start + _LEAD + SNIPPET + 3 * _SLACK)
    marks = tuple(
        (max(s.start, start) - start, min(s.end, end) - start)
        for s in spans
        if s.end > start and s.start < end
    )
    return Excerpt(text[start:end], marks, start > 0, end < len(text))


def dump(message: Message) -> tuple[MessageKind, str]:
    """The outbox's kind and payload (JSON) for ``message``."""
    match message:
        case AlertMessage():
            excerpt = message.excerpt
            data: dict[str, Any] = {
                "reasons": list(message.reasons),
                "title": message.title,
                "title_marks": [list(m) for m in message.title_marks],
                "link": message.link,
                "feed": message.feed,
                "published": message.published.isoformat(),
            }
            if message.watchlists:
                data["watchlists"] = list(message.watchlists)
            if message.rules:
                data["rules"] = list(message.rules)
            if message.feed_id:
                data["feed_id"] = message.feed_id
            if excerpt is not None:
                data["excerpt"] = {
                    "text": excerpt.text,
                    "marks": [list(m) for m in excerpt.marks],
                    "cut_before": excerpt.cut_before,
                    "cut_after": excerpt.cut_after,
                }
            return "alert", _json(data)
        case FeedNotice():
            notice = {"feed": message.feed_id, "url": message.url, "kind": message.kind}
            return "notice", _json({**notice, "error": message.error})
        case HeldAlerts():
            stories = [list(s) for s in message.stories]
            return "held", _json({"stories": stories, "held_for": message.held_for})
        case Summary():
            return "summary", _json(_summary_data(message))
        case StoredHtml():
            return "html", message.html


def load(kind: str, payload: str) -> Message:
    """The message an outbox row holds; ValueError if the row is not one."""
    if kind == "html":
        return StoredHtml(payload)
    data = json.loads(payload)
    if kind == "alert":
        found = data.get("excerpt")
        excerpt = None
        if found is not None:
            marks = _ranges(found["marks"])
            excerpt = Excerpt(found["text"], marks, found["cut_before"], found["cut_after"])
        return AlertMessage(
            reasons=tuple(data["reasons"]),
            title=data["title"],
            title_marks=_ranges(data["title_marks"]),
            link=data["link"],
            feed=data["feed"],
            published=_when(data["published"]),
            excerpt=excerpt,
            watchlists=tuple(str(w) for w in data.get("watchlists", ())),
            rules=tuple(int(r) for r in data.get("rules", ())),
            feed_id=str(data.get("feed_id", "")),
        )
    if kind == "notice":
        return FeedNotice(data["feed"], data["url"], _notice_kind(data["kind"]), data["error"])
    if kind == "held":
        stories = tuple((str(title), str(link)) for title, link in data["stories"])
        return HeldAlerts(stories, float(data["held_for"]))
    if kind == "summary":
        return _summary(data)
    raise ValueError(f"unknown kind of message: {kind!r}")


def _summary_data(summary: Summary) -> dict[str, Any]:
    items = [
        [i.title, i.link, i.feed, i.published.isoformat(), i.group, list(i.also), i.also_more]
        for i in summary.items
    ]
    return {
        "why": summary.why,
        "lang": summary.lang,
        "zone": summary.zone,
        "since": summary.since.isoformat(),
        "until": summary.until.isoformat(),
        "total": summary.total,
        "counts": [list(c) for c in summary.counts],
        "items": items,
        "more": summary.more,
    }


def _summary(data: dict[str, Any]) -> Summary:
    why = data["why"]
    if why not in ("held", "digest"):
        raise ValueError(f"unknown kind of summary: {why!r}")
    items = tuple(_summary_item(item) for item in data["items"])
    return Summary(
        "held" if why == "held" else "digest",
        str(data["lang"]),
        str(data["zone"]),
        _when(data["since"]),
        _when(data["until"]),
        int(data["total"]),
        tuple((str(reason), int(count)) for reason, count in data["counts"]),
        items,
        int(data["more"]),
    )


def _summary_item(item: Sequence[Any]) -> SummaryItem:
    """One listed alert; a summary queued before stories had outlets has five fields."""
    title, link, feed, published, group, *rest = item
    also = tuple(str(name) for name in rest[0]) if rest else ()
    more = int(rest[1]) if len(rest) > 1 else 0
    return SummaryItem(str(title), str(link), str(feed), _when(published), str(group), also, more)


def _when(value: str) -> datetime:
    return datetime.fromisoformat(value).astimezone(UTC)


def _ranges(pairs: Sequence[Sequence[int]]) -> tuple[Range, ...]:
    return tuple((int(a), int(b)) for a, b in pairs)


def _notice_kind(value: str) -> NoticeKind:
    if value == "gone":
        return "gone"
    if value == "failing":
        return "failing"
    raise ValueError(f"unknown kind of notice: {value!r}")


def _json(data: dict[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))
