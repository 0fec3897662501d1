"""``newsbot match``: test the watchlists against text or JSONL entries, or explain a rule.

JSONL comes from a file (``--input FILE``) or standard input (``--input -``, or when
standard input is not a terminal and no TEXT is given). A line that is not an entry
(not UTF-8, not JSON, nested too deeply, over 1 MB) is reported in its place; an input
that cannot be read at all is a :class:`~bot.errors.NewsbotError`.

``--explain RULE`` reads no config and matches nothing: it prints each term of the rule
with the forms it matches, and a ``~`` term's spellings each with its forms, at most
``MAX_FORMS_SHOWN`` forms a spelling.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, BinaryIO, TextIO

from bot.config import Config
from bot.errors import NewsbotError, QueryError
from bot.feeds.links import entry_key, normalize_link
from bot.feeds.text import whole
from bot.matching import TermReach, explain, html_to_text
from bot.models import Entry, Hit, Span, WatchlistKey
from bot.polling.rulebook import RuleBook
from bot.wiring import load

_FIELDS = ("title", "summary", "content", "link")
NO_FEED = ""
MAX_LINE = 1_000_000
MAX_FORMS_SHOWN = 8  # forms listed per spelling by --explain; the rest are counted
Source = Path | BinaryIO | None


def main(args: argparse.Namespace) -> int:
    if args.explain is not None:
        if args.text or args.input is not None or args.json:
            raise NewsbotError("--explain takes a RULE alone, without TEXT, --input or --json")
        return explain_rule(args.explain, sys.stdout)
    source = match_source(args.text, args.input, sys.stdin)
    return run_match(load(args.config), args.text, source, args.json, sys.stdout)


def match_source(texts: Sequence[str], given: str | None, stdin: TextIO) -> Source:
    """Where JSONL entries come from: a file, standard input, or nowhere (TEXT only)."""
    if given == "-":
        return stdin.buffer
    if given is not None:
        return Path(given)
    if not texts and not stdin.isatty():
        return stdin.buffer
    if not texts:
        raise NewsbotError("nothing to match: give TEXT, --input FILE.jsonl, or JSONL on stdin")
    return None


def run_match(
    config: Config, texts: Sequence[str], source: Source, as_json: bool, out: TextIO
) -> int:
    """Print, for each input in order, the watchlists it matches; 1 if any input was bad."""
    with contextlib.ExitStack() as stack:
        stream = _open(source) if isinstance(source, Path) else source
        if stream is not None:
            stack.enter_context(stream)
        return _match_all(config, texts, stream, as_json, out)


def _open(path: Path) -> BinaryIO:
    try:
        return path.open("rb")
    except OSError as exc:
        raise NewsbotError(f"{path}: cannot read: {exc.strerror or exc}") from exc


def _match_all(
    config: Config, texts: Sequence[str], stream: BinaryIO | None, as_json: bool, out: TextIO
) -> int:
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
    for item_id, entry, error in _inputs(texts, stream):
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
    texts: Sequence[str], stream: BinaryIO | None
) -> Iterator[tuple[Any, Entry | None, str]]:
    if texts:
        text = whole(" ".join(texts))
        yield "text", Entry(NO_FEED, "text", title=text, link="", story="text"), ""
    if stream is not None:
        for number, line in _lines(stream):
            if line is None:
                yield None, None, f"line {number}: longer than 1 MB"
            elif line.strip():
                yield _entry_from_line(line, number)


def _lines(stream: BinaryIO) -> Iterator[tuple[int, bytes | None]]:
    """Numbered lines, each at most 1 MB in memory; None stands for a longer one."""
    number = 0
    while line := _read_line(stream, MAX_LINE + 1):
        number += 1
        if len(line) <= MAX_LINE or line.endswith(b"\n"):
            yield number, line
            continue
        while (rest := _read_line(stream, MAX_LINE)) and not rest.endswith(b"\n"):
            pass  # skip the rest of the line
        yield number, None


def _read_line(stream: BinaryIO, limit: int) -> bytes:
    try:
        return stream.readline(limit)
    except OSError as exc:  # a folder given as --input, a failing disk
        raise NewsbotError(f"{stream.name}: cannot read: {exc.strerror or exc}") from exc


def _entry_from_line(raw: bytes, number: int) -> tuple[Any, Entry | None, str]:
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        return None, None, f"line {number}: not UTF-8 text (byte {exc.start + 1})"
    except json.JSONDecodeError as exc:
        return None, None, f"line {number}: not JSON: {exc.msg} at column {exc.colno}"
    except RecursionError:
        return None, None, f"line {number}: nested too deeply"
    except ValueError:  # an integer of thousands of digits
        return None, None, f"line {number}: a number too long to read"
    if not isinstance(data, dict) or "id" not in data:
        return None, None, f'line {number}: expected an object with an "id"'
    # A lone surrogate ("\\ud83d", an emoji cut in two) cannot be printed or encoded.
    item_id = whole(data["id"]) if isinstance(data["id"], str) else data["id"]
    fields = {f: data.get(f) or "" for f in (*_FIELDS, "feed")}
    bad = [f for f, v in fields.items() if not isinstance(v, str)]
    if bad:
        return item_id, None, f"line {number}: {', '.join(bad)} must be text"
    fields = {f: whole(v) for f, v in fields.items()}
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
    return [h.key.name for h in hits if isinstance(h.key, WatchlistKey)]


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


def explain_rule(rule: str, out: TextIO) -> int:
    """Print what each term of ``rule`` matches; a rule that does not parse is an error."""
    try:
        terms = explain(rule)
    except QueryError as exc:
        raise NewsbotError(f"{exc}:\n  {rule}\n  {' ' * exc.position}^") from exc
    out.write("".join(_explained(term) for term in terms))
    return 0


def _explained(term: TermReach) -> str:
    """A term's lines: its words (when a phrase has several), their spellings and forms."""
    lines = [term.shown]
    phrase = len(term.words) > 1
    for word in term.words:
        if phrase:
            lines.append(f"  {word.shown}")
        indent = "    " if phrase else "  "
        for spelling in word.spellings:
            lines.append(indent + _spelling_line(spelling.text, spelling.forms))
            if spelling.upper:
                only = _listed(spelling.upper)
                lines.append(f"{indent}  only capitalized (also another word): {only}")
            if spelling.lower:
                only = _listed(spelling.lower)
                lines.append(f"{indent}  only in lower case (also a name): {only}")
    return "\n".join(lines) + "\n"


def _spelling_line(text: str, forms: tuple[str, ...]) -> str:
    if not forms:  # a prefix
        return f"{text}*: any word starting with {text!r}"
    return f"{text}: {_listed(forms)}"


def _listed(forms: tuple[str, ...]) -> str:
    """At most ``MAX_FORMS_SHOWN`` forms, then how many more."""
    shown = ", ".join(forms[:MAX_FORMS_SHOWN])
    more = len(forms) - MAX_FORMS_SHOWN
    return f"{shown}, and {more} more" if more > 0 else shown
