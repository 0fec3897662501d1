"""Held alerts -> the parts of one summary (or digest) message: pure, no I/O.

The alerts are counted per reason; at most :data:`LISTED` are listed, newest first (a
digest's grouped by their first reason, the largest group first), the rest counted in
"and N more". The list is cut into parts by rendering them, so that each part fits one
Telegram message.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from bot.delivery.render import MAX_MESSAGE, SUMMARY_OUTLETS, render_held, telegram_length
from bot.messages import AlertMessage, Summary, SummaryItem, SummaryWhy

LISTED = 20


def summarise(
    alerts: Sequence[tuple[AlertMessage, datetime]],
    why: SummaryWhy,
    lang: str,
    zone: str,
    now: datetime,
) -> list[Summary]:
    """The parts of the summary of ``alerts`` (each with the time it was held)."""
    counts = Counter(reason for alert, _ in alerts for reason in alert.reasons)
    ranked = tuple(sorted(counts.items(), key=lambda c: (-c[1], c[0])))
    items = _ordered([_item(a) for a, _ in alerts], ranked if why == "digest" else ())
    listed, more = items[:LISTED], max(0, len(items) - LISTED)
    since = min((held for _, held in alerts), default=now)
    whole = Summary(why, lang, zone, since, now, len(alerts), ranked, (), more)
    parts: list[Summary] = []
    for item in listed:
        last = parts[-1] if parts else None
        grown = _with(last or whole, item)
        if last is None or telegram_length(render_held(grown)) > MAX_MESSAGE:
            parts.append(_with(_next(whole, parts), item))
        else:
            parts[-1] = grown
    if not parts:
        parts.append(whole)
    return [_finished(p, p is parts[-1]) for p in parts]


def _item(alert: AlertMessage) -> SummaryItem:
    group = alert.reasons[0] if alert.reasons else ""
    also = tuple(o.name for o in alert.also[:SUMMARY_OUTLETS])
    more = len(alert.also) - len(also) + alert.also_more
    return SummaryItem(alert.title, alert.link, alert.feed, alert.published, group, also, more)


def _ordered(items: list[SummaryItem], groups: tuple[tuple[str, int], ...]) -> list[SummaryItem]:
    """Newest first (the later queued first among the same time); a digest's grouped by
    their first reason, the largest group first."""
    rank = {reason: n for n, (reason, _) in enumerate(groups)}
    order = sorted(enumerate(items), key=lambda p: (p[1].published, p[0]), reverse=True)
    newest = [item for _, item in order]
    return sorted(newest, key=lambda i: rank.get(i.group, 0)) if groups else newest


def _with(part: Summary, item: SummaryItem) -> Summary:
    return replace(part, items=(*part.items, item))


def _next(whole: Summary, parts: list[Summary]) -> Summary:
    """An empty next part: the counts are shown by the first part only."""
    return whole if not parts else replace(whole, counts=())


def _finished(part: Summary, last: bool) -> Summary:
    """ "and N more" closes the last part only (each part was measured with it)."""
    return part if last else replace(part, more=0)
