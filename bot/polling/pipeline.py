"""One poll of one feed: fetch -> parse -> new entries -> stories -> match -> alerts -> commit.

The fetcher's cases are handled here one by one; the decisions (which chats hear of
which entry, the feed's next state and poll time) come from pure functions
(:func:`~bot.polling.alerts.decide`, :func:`~bot.polling.policy.feed_update`), and the
poll's entries, alerts and feed state are committed in one transaction. A feed's first
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

from bot.config import Config, FeedConfig
from bot.errors import FeedParseError, NotAFeed
from bot.feeds.fetch import Failed, Fetched, Fetcher, FetchResult, Gone, NotModified, RateLimited
from bot.feeds.parse import ParsedFeed
from bot.feeds.workers import Parsers
from bot.matching import Matcher
from bot.messages import AlertMessage, alert_message
from bot.metrics import Metrics
from bot.models import Alert, Entry, Hit, PollStatus
from bot.polling.alerts import Listeners, decide
from bot.polling.health import FeedHealth
from bot.polling.policy import Attempt, Schedule, feed_update
from bot.polling.rulebook import Rules
from bot.polling.stories import StoryBook
from bot.polling.unseen import UnseenEntries
from bot.store.records import Audience, FeedState, FeedUpdate
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
        health: FeedHealth,
        alert_on_first_poll: bool = False,
        queued: Callable[[], None] = lambda: None,
        rng: random.Random | None = None,
        stories: StoryBook | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        self._config = config
        self._store = store
        self._fetcher = fetcher
        self._parsers = parsers
        self._rules = rules
        self._audience = audience
        self._alert_on_first_poll = alert_on_first_poll
        self._health = health
        self._queued = queued
        self._unseen = UnseenEntries(store)
        self._rng = rng or random.Random()
        self._stories = stories or StoryBook(store, config.stories)
        self._metrics = metrics or Metrics()

    async def poll_all(self) -> list[PollOutcome]:
        """One cycle over every configured feed, concurrently within the limits."""
        states = {s.id: s for s in await self._store.feed_states()}
        polls = (self.poll(f, states.get(f.id)) for f in self._config.feeds)
        return list(await asyncio.gather(*polls))

    async def poll(self, feed: FeedConfig, state: FeedState | None = None) -> PollOutcome:
        """Poll one feed now (``state``: as just read, if at hand); never raises for its faults."""
        outcome = await self._poll(feed, state)
        self._metrics.polled(outcome.status, outcome.new_entries, outcome.matches)
        return outcome

    async def _poll(self, feed: FeedConfig, state: FeedState | None) -> PollOutcome:
        state = state or await self._store.feed_state(feed.id)
        if state is None:
            return PollOutcome(feed.id, "error", error="feed not in the database")
        if state.status == "gone":
            return PollOutcome(feed.id, "skipped", error="the feed is gone (HTTP 410)")
        now = datetime.now(UTC)
        try:
            result = await self._fetcher.fetch(state.url, state.etag, state.last_modified)
            return await self._handle(feed, state, result, now)
        except Exception as exc:  # a fault of ours or the database: this feed only
            log.exception("poll of %s failed", feed.id)
            return await self._crashed(feed, state, now, exc)

    async def _crashed(
        self, feed: FeedConfig, state: FeedState, now: datetime, exc: Exception
    ) -> PollOutcome:
        """Record an unexpected failure like any other, so health and back-off apply."""
        error = f"internal error: {type(exc).__name__}: {exc}"[:500]
        try:
            return await self._failed(feed, state, Attempt(now, ok=False, error=error))
        except Exception:  # the store itself is failing: report, and let the caller retry
            log.exception("could not record the failure of %s", feed.id)
            return PollOutcome(feed.id, "error", error=error)

    async def _handle(
        self, feed: FeedConfig, state: FeedState, result: FetchResult, now: datetime
    ) -> PollOutcome:
        match result:
            case Fetched():
                return await self._fetched(feed, state, result, now)
            case NotModified(moved_to=moved, max_age=max_age):
                fresh = _longest(max_age, state.ttl)  # <ttl> from its last 200
                attempt = Attempt(now, ok=True, moved_to=moved, cache_for=fresh)
                change = await self._next_state(feed, state, attempt)
                await self._store.record_attempt(feed.id, change)
                return PollOutcome(feed.id, "not_modified", next_poll_at=change.next_poll_at)
            case Gone(status=status):
                error = f"HTTP {status} Gone: polling stopped"
                return await self._failed(feed, state, Attempt(now, False, error, gone=True))
            case RateLimited(status=status, retry_after=retry):
                error = f"HTTP {status}: rate limited"
                return await self._failed(feed, state, Attempt(now, False, error, retry))
            case Failed(error=error, retry_after=retry):
                return await self._failed(feed, state, Attempt(now, False, error, retry))

    async def _fetched(
        self, feed: FeedConfig, state: FeedState, result: Fetched, now: datetime
    ) -> PollOutcome:
        """New content: parse, find the new entries, match and decide, commit at once."""
        try:
            with self._metrics.parse_seconds.time():
                parsed = await self._parsers.parse(
                    feed.id, result.content, result.url, result.content_type
                )
        except NotAFeed as exc:  # the page may advertise the feed to use instead
            attempt = Attempt(now, ok=False, error=str(exc), advertised=exc.alternates)
            return await self._failed(feed, state, attempt)
        except FeedParseError as exc:
            return await self._failed(feed, state, Attempt(now, ok=False, error=str(exc)))
        unseen = await self._unseen.of(feed.id, parsed.entries, stored=state.initialized)
        new = await self._stories.place(unseen, now)
        matched: list[Entry] = []
        alerts: list[tuple[Alert, AlertMessage]] = []
        if state.initialized or self._alert_on_first_poll:  # else: recorded, not matched
            matched, alerts = await self._alerts(feed, parsed, new)
        attempt = Attempt(
            now,
            ok=True,
            cache_for=_longest(result.max_age, parsed.ttl),
            moved_to=result.moved_to,
            title=parsed.title or None,
            etag=result.etag,
            last_modified=result.last_modified,
            ttl=parsed.ttl,
        )
        change = await self._next_state(feed, state, attempt, new)
        outlet = _outlet(feed, parsed)
        window = timedelta(seconds=self._config.stories.window)
        queued = await self._store.commit_poll(feed.id, change, new, alerts, outlet, now - window)
        if queued:
            self._queued()
        return PollOutcome(
            feed.id, "ok", len(new), len(matched), queued, next_poll_at=change.next_poll_at
        )

    async def _alerts(
        self, feed: FeedConfig, parsed: ParsedFeed, new: Sequence[Entry]
    ) -> tuple[list[Entry], list[tuple[Alert, AlertMessage]]]:
        """The new entries that matched, and the alerts they make, each with its message."""
        audience = await self._audience()
        rules = await self._rules(audience)
        hits = await asyncio.to_thread(_match_all, rules.matcher, new)
        listeners = Listeners(audience, rules.titles)
        feed_title = _outlet(feed, parsed)
        alerts = []
        for entry, entry_hits in hits:
            when = entry.published or datetime.now(UTC)
            for alert in decide(entry, entry_hits, listeners):
                alerts.append((alert, alert_message(alert, feed_title, when)))
        return [entry for entry, entry_hits in hits if entry_hits], alerts

    async def _failed(self, feed: FeedConfig, state: FeedState, attempt: Attempt) -> PollOutcome:
        log.warning("feed %s: %s", feed.id, attempt.error)
        change = await self._next_state(feed, state, attempt)
        await self._store.record_attempt(feed.id, change)
        await self._health.check(feed.id, attempt.at)
        return PollOutcome(feed.id, "error", error=attempt.error, next_poll_at=change.next_poll_at)

    async def _next_state(
        self, feed: FeedConfig, state: FeedState, attempt: Attempt, new: Sequence[Entry] = ()
    ) -> FeedUpdate:
        """The feed's state after ``attempt`` (``new``: the entries it found)."""
        fixed = self._config.feed_interval(feed)
        polling = self._config.polling
        schedule = Schedule(fixed, polling.min_interval, polling.max_interval)
        published: list[datetime] = []
        if fixed is None:  # adaptive: from the publication times of its newest entries
            stored = (
                await self._store.recent_published(feed.id, HISTORY) if state.initialized else []
            )
            fresh = [e.published for e in new if e.published]
            published = sorted([*stored, *fresh], reverse=True)[:HISTORY]
        return feed_update(attempt, schedule, state.failures, published, self._rng.random())


def _outlet(feed: FeedConfig, parsed: ParsedFeed) -> str:
    """A feed's name as alerts show it: its title in config, else its own, else its id."""
    return feed.title or parsed.title or feed.id


def _longest(*floors: float | None) -> float | None:
    return max((f for f in floors if f is not None), default=None)


def _match_all(matcher: Matcher, entries: Sequence[Entry]) -> list[tuple[Entry, list[Hit]]]:
    return [(entry, matcher.match(entry)) for entry in entries]
