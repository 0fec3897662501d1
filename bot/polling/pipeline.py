"""One poll of one feed: fetch -> parse -> new? -> match -> outbox.

The fetcher's cases are handled here one by one; the decisions (which entries are new,
which chats hear of them, when to poll next) come from pure functions. A feed's first
poll records what is already there without alerting, unless ``alert_on_first_poll``
(the demo) says otherwise.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from bot.config import Config, FeedConfig
from bot.delivery.render import render_alert
from bot.errors import FeedParseError, NotAFeed
from bot.feeds.entries import Stored, own_stories, settle_keys
from bot.feeds.fetch import Failed, Fetched, Fetcher, FetchResult, Gone, NotModified, RateLimited
from bot.feeds.links import bounded, normalize_link
from bot.feeds.workers import Parsers
from bot.matching import Matcher
from bot.models import Alert, Entry, Hit, PollStatus
from bot.polling.alerts import Listeners, decide
from bot.polling.health import notice_due
from bot.polling.policy import Schedule, next_delay
from bot.store.records import KEEP, Audience, FeedState, FeedUpdate, Keep
from bot.store.store import Store

log = logging.getLogger(__name__)
HISTORY = 20  # the schedule adapts to the publication times of a feed's newest entries


@dataclass(frozen=True)
class PollOutcome:
    """What one poll did; ``newsbot poll --json`` prints these."""

    feed: str
    status: PollStatus
    new_entries: int = 0
    matches: int = 0  # new entries matched for delivery (none on a feed's first poll)
    alerts: int = 0
    error: str | None = None
    next_poll_at: datetime | None = None

    def as_json(self) -> dict[str, object]:
        data: dict[str, object] = {
            "feed": self.feed,
            "status": self.status,
            "new_entries": self.new_entries,
            "matches": self.matches,
        }
        if self.error:
            data["error"] = self.error
        return data


@dataclass(frozen=True)
class Rules:
    """The compiled matcher and what decide() needs to know about watchlists."""

    matcher: Matcher
    titles: dict[str, str]


async def _ignore_health(state: FeedState, kind: str) -> None:
    log.warning("feed %s is unhealthy (%s): %s", state.id, kind, state.last_error)


@dataclass(frozen=True)
class Hooks:
    """What the pipeline tells the rest: alerts were queued; a feed needs an admin."""

    queued: Callable[[], None] = lambda: None
    # None: no notice is given, nor marked as given (`newsbot poll` leaves it to `run`)
    unhealthy: Callable[[FeedState, str], Awaitable[None]] | None = _ignore_health


class Pipeline:
    """Polls feeds through the whole path; shared by ``run``, ``poll`` and ``demo``."""

    def __init__(
        self,
        config: Config,
        store: Store,
        fetcher: Fetcher,
        parsers: Parsers,
        rules: Callable[[Audience], Awaitable[Rules]],
        audience: Callable[[], Awaitable[Audience]],
        alert_on_first_poll: bool = False,
        hooks: Hooks | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self._config = config
        self._store = store
        self._fetcher = fetcher
        self._parsers = parsers
        self._rules = rules
        self._audience = audience
        self._alert_on_first_poll = alert_on_first_poll
        self._hooks = hooks or Hooks()
        self._rng = rng or random.Random()
        self._all = asyncio.Semaphore(config.polling.concurrency)
        self._hosts: dict[str, asyncio.Semaphore] = {}

    async def poll_all(self) -> list[PollOutcome]:
        """One cycle over every configured feed, concurrently within the limits."""
        states = {s.id: s for s in await self._store.feed_states()}
        polls = (self.poll(f, states.get(f.id)) for f in self._config.feeds)
        return list(await asyncio.gather(*polls))

    async def poll(self, feed: FeedConfig, state: FeedState | None = None) -> PollOutcome:
        """Poll one feed now (``state``: as just read, if at hand); never raises for its faults."""
        state = state or await self._store.feed_state(feed.id)
        if state is None:
            return PollOutcome(feed.id, "error", error="feed not in the database")
        if state.status == "gone":
            return PollOutcome(feed.id, "skipped", error="the feed is gone (HTTP 410)")
        now = datetime.now(UTC)
        try:
            return await self._handle(feed, state, await self._fetch(state), now)
        except Exception as exc:  # a fault of ours or the database: this feed only
            log.exception("poll of %s failed", feed.id)
            return await self._crashed(feed, state, now, exc)

    async def _crashed(
        self, feed: FeedConfig, state: FeedState, now: datetime, exc: Exception
    ) -> PollOutcome:
        """Record an unexpected failure like any other, so health and back-off apply."""
        error = f"internal error: {type(exc).__name__}: {exc}"[:500]
        try:
            return await self._failed(feed, state, now, error)
        except Exception:  # the store itself is failing: report, and let the caller retry
            log.exception("could not record the failure of %s", feed.id)
            return PollOutcome(feed.id, "error", error=error)

    async def _fetch(self, state: FeedState) -> FetchResult:
        host = urlsplit(state.url).hostname or ""
        per_host = self._hosts.setdefault(host, asyncio.Semaphore(self._config.polling.per_host))
        async with self._all, per_host:
            return await self._fetcher.fetch(state.url, state.etag, state.last_modified)

    async def _handle(
        self, feed: FeedConfig, state: FeedState, result: FetchResult, now: datetime
    ) -> PollOutcome:
        match result:
            case Fetched():
                return await self._fetched(feed, state, result, now)
            case NotModified(moved_to=moved, max_age=max_age):
                fresh = _longest(max_age, state.ttl)  # <ttl> from its last 200
                change = await self._change(feed, state, now, ok=True, url=moved, cache_for=fresh)
                await self._store.record_attempt(feed.id, change)
                return PollOutcome(feed.id, "not_modified", next_poll_at=change.next_poll_at)
            case Gone(status=status):
                return await self._failed(
                    feed, state, now, f"HTTP {status} Gone: polling stopped", gone=True
                )
            case RateLimited(status=status, retry_after=retry):
                return await self._failed(
                    feed, state, now, f"HTTP {status}: rate limited", retry_after=retry
                )
            case Failed(error=error, retry_after=retry):
                return await self._failed(feed, state, now, error, retry_after=retry)

    async def _fetched(
        self, feed: FeedConfig, state: FeedState, result: Fetched, now: datetime
    ) -> PollOutcome:
        try:
            parsed = await self._parsers.parse(
                feed.id, result.content, result.url, result.content_type
            )
        except NotAFeed as exc:
            return await self._failed(feed, state, now, str(exc), advertised=exc.alternates)
        except FeedParseError as exc:
            return await self._failed(feed, state, now, str(exc))
        new = await self._new_entries(feed.id, parsed.entries, stored=state.initialized)
        alerts: list[tuple[Alert, str]] = []
        hits: list[tuple[Entry, list[Hit]]] = []
        if state.initialized or self._alert_on_first_poll:  # else: recorded, not matched
            audience = await self._audience()
            rules = await self._rules(audience)
            hits = await asyncio.to_thread(_match_all, rules.matcher, new)
            title = feed.title or parsed.title or feed.id
            alerts = self._alerts(title, hits, audience, rules.titles)
        change = await self._change(
            feed,
            state,
            now,
            ok=True,
            cache_for=_longest(result.max_age, parsed.ttl),
            fresh=[e.published for e in new if e.published],
            url=result.moved_to,
            title=parsed.title or None,
            ttl=parsed.ttl,
            etag=result.etag,
            last_modified=result.last_modified,
        )
        queued = await self._store.commit_poll(feed.id, change, new, alerts)
        if queued:
            self._hooks.queued()
        matched = sum(1 for _, entry_hits in hits if entry_hits)
        return PollOutcome(
            feed.id, "ok", len(new), matched, queued, next_poll_at=change.next_poll_at
        )

    @staticmethod
    def _alerts(
        feed_title: str,
        hits: Sequence[tuple[Entry, list[Hit]]],
        audience: Audience,
        titles: dict[str, str],
    ) -> list[tuple[Alert, str]]:
        out = []
        listeners = Listeners(audience, titles)
        for entry, entry_hits in hits:
            when = entry.published or datetime.now(UTC)
            for alert in decide(entry, entry_hits, listeners):
                out.append((alert, render_alert(alert, feed_title, when)))
        return out

    async def _new_entries(
        self, feed_id: str, entries: Sequence[Entry], stored: bool
    ) -> list[Entry]:
        """The entries not stored yet, each key once (``stored``: the feed has entries),
        keyed and given stories against the entries the feed stored before."""
        unique = _unique(entries)
        if not stored:  # a feed's first entries are stored with its first poll
            return unique
        unseen = await self._store.unseen(feed_id, [e.key for e in unique])
        fresh = [e for e in unique if e.key in unseen]
        linked = await self._linked(feed_id, fresh)
        if not linked:
            return fresh
        settled = await self._settled(feed_id, fresh, linked)
        if settled != fresh:
            settled = _unique(settled)
            unseen = await self._store.unseen(feed_id, [e.key for e in settled])
            settled = [e for e in settled if e.key in unseen]
        # A feed that links each item to one page (its home page, a live page) would
        # otherwise be heard once: the outbox keeps one alert per story per chat.
        return own_stories(settled, linked)

    async def _linked(self, feed_id: str, fresh: list[Entry]) -> list[Stored]:
        """The feed's stored entries with the story or the link of one of ``fresh``."""
        links = [e.link for e in fresh if e.link]
        if not links:
            return []
        stories = [bounded(normalize_link(link)) for link in links]
        return await self._store.linked_entries(feed_id, stories, links)

    async def _settled(self, feed_id: str, fresh: list[Entry], linked: list[Stored]) -> list[Entry]:
        """``fresh`` keyed by :func:`settle_keys` against what the feed stored before.

        Entries without a guid that share a link are known by their text, and one that
        had its link to itself was stored under the link: the stored entries with these
        links tell which is which.
        """
        keys = sorted({bounded(normalize_link(e.link)) for e in fresh if e.link})
        titles = await self._store.titles(feed_id, keys)
        return settle_keys(fresh, linked, titles)

    async def _failed(
        self,
        feed: FeedConfig,
        state: FeedState,
        now: datetime,
        error: str,
        retry_after: float | None = None,
        gone: bool = False,
        advertised: tuple[str, ...] = (),
    ) -> PollOutcome:
        log.warning("feed %s: %s", feed.id, error)
        change = await self._change(
            feed,
            state,
            now,
            ok=False,
            error=error,
            retry_after=retry_after,
            gone=gone,
            advertised=advertised,
        )
        await self._store.record_attempt(feed.id, change)
        await self.check_health(feed.id, now)
        return PollOutcome(feed.id, "error", error=error, next_poll_at=change.next_poll_at)

    async def check_health(self, feed_id: str, now: datetime) -> None:
        """Give the feed's health notice if one is due (failing for long, or gone)."""
        if self._hooks.unhealthy is None:
            return
        state = await self._store.feed_state(feed_id)
        kind = notice_due(state, now) if state else None
        if state and kind:
            await self._hooks.unhealthy(state, kind)
            await self._store.mark_health_notice(feed_id, now)

    async def _change(
        self,
        feed: FeedConfig,
        state: FeedState,
        now: datetime,
        *,
        ok: bool,
        error: str | None = None,
        retry_after: float | None = None,
        gone: bool = False,
        cache_for: float | None = None,
        fresh: Sequence[datetime] = (),
        ttl: float | Keep | None = KEEP,
        advertised: tuple[str, ...] = (),
        **fields: str | None,
    ) -> FeedUpdate:
        """The feed's new state; ``fresh``: publication times of the entries just found."""
        failures = 0 if ok else state.failures + 1
        fixed = self._config.feed_interval(feed)
        published: list[datetime] = []
        if fixed is None:
            stored = (
                await self._store.recent_published(feed.id, HISTORY) if state.initialized else []
            )
            published = sorted([*stored, *fresh], reverse=True)[:HISTORY]
        schedule = Schedule(
            fixed,
            self._config.polling.min_interval,
            self._config.polling.max_interval,
        )
        jitter = self._rng.random()
        delay = next_delay(schedule, published, failures, retry_after, gone, jitter, cache_for)
        when = now + timedelta(seconds=delay) if delay is not None else None
        return FeedUpdate(
            attempted_at=now,
            next_poll_at=when,
            ok=ok,
            error=error,
            gone=gone,
            ttl=ttl,
            advertised=advertised,
            **fields,
        )


def _unique(entries: Sequence[Entry]) -> list[Entry]:
    """``entries``, each key once (its first), in order."""
    return list({e.key: e for e in reversed(entries)}.values())[::-1]


def _longest(*floors: float | None) -> float | None:
    return max((f for f in floors if f is not None), default=None)


def _match_all(matcher: Matcher, entries: Sequence[Entry]) -> list[tuple[Entry, list[Hit]]]:
    return [(entry, matcher.match(entry)) for entry in entries]
