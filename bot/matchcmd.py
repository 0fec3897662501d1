"""``newsbot match``: test the watchlists against text or a JSONL file of entries."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, TextIO

from bot.config import Config
from bot.decide import WATCHLIST_PREFIX
from bot.feeds.links import entry_key, normalize_link
from bot.matching import html_to_text
from bot.models import Entry, Hit, Span
from bot.rulebook import RuleBook

_FIELDS = ("title", "summary", "content", "link")
NO_FEED = ""


def run_match(
    config: Config, texts: Sequence[str], input_file: Path | None, as_json: bool, out: TextIO
) -> int:
    """Print, for each input in order, the watchlists it matches; 1 if any input was bad."""
    matcher = RuleBook(config.watchlists).watchlists.matcher
    # Without a "feed" an input is not from any feed: watchlists limited to feeds still apply.
    limited = any(w.feeds is not None for w in config.watchlists)
    unscoped = (
        RuleBook([replace(w, feeds=None) for w in config.watchlists]).watchlists.matcher
        if limited
        else matcher
    )
    titles = {w.name: w.title for w in config.watchlists}
    failed = False
    for item_id, entry, error in _inputs(texts, input_file):
        if entry is None:
            failed = True
            out.write(_error_line(item_id, error, as_json))
            continue
        hits = (matcher if entry.feed_id != NO_FEED else unscoped).match(entry)
        out.write(
            _json_line(item_id, hits)
            if as_json
            else _report(item_id, entry, hits, titles, out.isatty())
        )
    return 1 if failed else 0


def _inputs(
    texts: Sequence[str], input_file: Path | None
) -> Iterator[tuple[Any, Entry | None, str]]:
    if texts:
        text = " ".join(texts)
        yield "text", Entry(NO_FEED, "text", title=text, link="", story="text"), ""
    if input_file is not None:
        with input_file.open(encoding="utf-8") as lines:
            for number, line in enumerate(lines, 1):
                if line.strip():
                    yield _entry_from_line(line, number)


def _entry_from_line(line: str, number: int) -> tuple[Any, Entry | None, str]:
    try:
        data = json.loads(line)
    except json.JSONDecodeError as exc:
        return None, None, f"line {number}: not JSON: {exc.msg} at column {exc.colno}"
    if not isinstance(data, dict) or "id" not in data:
        return None, None, f'line {number}: expected an object with an "id"'
    item_id = data["id"]
    fields = {f: data.get(f) or "" for f in (*_FIELDS, "feed")}
    bad = [f for f, v in fields.items() if not isinstance(v, str)]
    if bad:
        return item_id, None, f"line {number}: {', '.join(bad)} must be text"
    texts = {f: html_to_text(v) for f, v in fields.items() if f not in ("link", "feed")}
    link = fields["link"].strip()
    key = entry_key(str(item_id), link, texts["title"], texts["content"])
    entry = Entry(
        fields["feed"],
        key,
        title=texts["title"],
        link=link,
        story=normalize_link(link) if link else key,
        summary=texts["summary"],
        content=texts["content"],
    )
    return item_id, entry, ""


def _names(hits: Sequence[Hit]) -> list[str]:
    return [
        h.key.removeprefix(WATCHLIST_PREFIX) for h in hits if h.key.startswith(WATCHLIST_PREFIX)
    ]


def _json_line(item_id: Any, hits: Sequence[Hit]) -> str:
    return json.dumps({"id": item_id, "watchlists": _names(hits)}, ensure_ascii=False) + "\n"


def _error_line(item_id: Any, error: str, as_json: bool) -> str:
    if as_json:
        return (
            json.dumps({"id": item_id, "watchlists": [], "error": error}, ensure_ascii=False) + "\n"
        )
    return f"! {error}\n\n"


def _report(
    item_id: Any, entry: Entry, hits: Sequence[Hit], titles: dict[str, str], color: bool
) -> str:
    names = _names(hits)
    verdict = ", ".join(f"{titles.get(n, n)} ({n})" for n in names) if names else "no match"
    lines = [f"{item_id}: {verdict}"]
    spans = sorted({s for h in hits for s in h.spans}, key=lambda s: (s.field, s.start))
    for field in _FIELDS:
        text = entry.field(field)
        if text:
            marked = _highlight(text, [s for s in spans if s.field == field], color)
            lines.append(f"  {field}: {marked}")
    return "\n".join(lines) + "\n\n"


def _highlight(text: str, spans: Sequence[Span], color: bool) -> str:
    on, off = ("\x1b[1;33m", "\x1b[0m") if color else ("[", "]")
    out, pos = [], 0
    for span in spans:
        if span.start < pos:
            continue
        out += [text[pos : span.start], on, text[span.start : span.end], off]
        pos = span.end
    out.append(text[pos:])
    return "".join(out)
