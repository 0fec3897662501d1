"""``newsbot stories``: the stories told lately, each with the outlets that carried it.

For operators tuning ``stories.window``: a story told by several outlets lists them
in the order they told it; a story of one outlet is one line.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, TextIO

from bot.config import Config, parse_duration
from bot.counts import counted
from bot.delivery.render import cut, printable
from bot.errors import NewsbotError
from bot.store.records import StoredStory, StoryOutlet
from bot.wiring import load, opened_store

TITLE = 100  # characters of a title shown
NAME = 30  # characters of an outlet's name shown
STORIES = 10_000  # entries read at most: the newest


def main(args: argparse.Namespace) -> int:
    try:
        since = parse_duration(args.since)
    except ValueError as exc:
        raise NewsbotError(f"--since: {exc}") from None
    config = load(args.config)
    return asyncio.run(print_stories(config, sys.stdout, since, as_json=args.json))


async def print_stories(config: Config, out: TextIO, since: float, as_json: bool = False) -> int:
    """Print the stories whose entries were seen in the last ``since`` seconds."""
    now = datetime.now(UTC)
    start = now - timedelta(seconds=since)
    async with opened_store(config) as store:
        stories = await store.stories_since(start, STORIES)
    names = {f.id: f.title for f in config.feeds if f.title}
    if as_json:
        for story in stories:
            out.write(json.dumps(_json(story, names), ensure_ascii=False) + "\n")
        return 0
    told = sum(1 for s in stories if len({o.feed_id for o in s.outlets}) > 1)
    out.write(
        f"{len(stories)} stories since {start:%d %b %Y, %H:%M} UTC, "
        f"{told} told by more than one outlet"
        f" (stories.window: {_span(config.stories.window)}"
        f"{'' if config.stories.enabled else ', grouping off'})\n"
    )
    for story in stories:
        out.write("\n" + _story(story, names))
    return 0


def _name(outlet: StoryOutlet, names: Mapping[str, str]) -> str:
    return names.get(outlet.feed_id) or outlet.feed_title or outlet.feed_id


def _story(story: StoredStory, names: Mapping[str, str]) -> str:
    first = story.outlets[0]
    title = printable(cut(first.title or first.link, TITLE), " ")
    if len(story.outlets) == 1:
        name = printable(cut(_name(first, names), NAME), " ")
        return f"{first.seen_at:%d %b %H:%M}  {title} — {name}\n"
    feeds = len({o.feed_id for o in story.outlets})
    count = counted(feeds, "outlet")
    if feeds < len(story.outlets):  # a feed that told it more than once
        count += f", {counted(len(story.outlets), 'entry', 'entries')}"
    lines = [f"{first.seen_at:%d %b %H:%M}  {title}  [{count}]"]
    for outlet in story.outlets:
        name = printable(cut(_name(outlet, names), NAME), " ")
        link = printable(cut(outlet.link, 200), " ")
        lines.append(f"    {outlet.seen_at:%H:%M}  {name:<{NAME}}  {link}")
    return "\n".join(lines) + "\n"


def _span(seconds: float) -> str:
    return f"{seconds / 3600:g}h" if seconds >= 3600 else f"{seconds / 60:g}m"


def _json(story: StoredStory, names: Mapping[str, str]) -> dict[str, Any]:
    first = story.outlets[0]
    return {
        "story": story.story,
        "title": first.title,
        "first_seen": first.seen_at.isoformat(),
        "outlets": [
            {
                "feed": o.feed_id,
                "name": _name(o, names),
                "title": o.title,
                "link": o.link,
                "seen": o.seen_at.isoformat(),
            }
            for o in story.outlets
        ],
    }
