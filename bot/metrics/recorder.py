"""The metrics of one newsbot process, on a registry of its own (never the global one:
two services in one process, or one test after another, do not share counters).

Recording costs a lock and an addition, so the parts record whether or not anything
serves the numbers. Every name starts with ``newsbot_``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Literal, TypeAlias

from prometheus_client import (
    GC_COLLECTOR,
    CollectorRegistry,
    Counter,
    Histogram,
    PlatformCollector,
    ProcessCollector,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from bot.models import PollStatus

# How a send or an edit went wrong, as the sender sorts it.
ErrorKind: TypeAlias = Literal[
    "chat_gone", "migrated", "retry_after", "failed_transient", "failed_permanent"
]
POLL_OUTCOMES: tuple[PollStatus, ...] = ("ok", "not_modified", "error", "skipped")
ERROR_KINDS: tuple[ErrorKind, ...] = (
    "chat_gone",
    "migrated",
    "retry_after",
    "failed_transient",
    "failed_permanent",
)
_FETCH_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60)
_PARSE_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20)
_DELAY_BUCKETS = (5, 15, 30, 60, 120, 300, 600, 1800, 3600, 3 * 3600, 6 * 3600, 86400)


class Metrics:
    """Counters and histograms of polling and delivery; :attr:`registry` serves them."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        ProcessCollector(registry=r)  # memory, CPU and open files, as every exporter has
        PlatformCollector(registry=r)
        r.register(GC_COLLECTOR)
        self.polls = Counter("newsbot_polls", "Feed polls by outcome", ["outcome"], registry=r)
        self.fetch_seconds = Histogram(
            "newsbot_fetch_seconds", "Time of one feed fetch", buckets=_FETCH_BUCKETS, registry=r
        )
        self.fetched_bytes = Counter(
            "newsbot_fetched_bytes", "Feed body bytes read off the network", registry=r
        )
        self.parse_seconds = Histogram(
            "newsbot_parse_seconds", "Time to parse one feed", buckets=_PARSE_BUCKETS, registry=r
        )
        self.new_entries = Counter("newsbot_new_entries", "Entries stored first", registry=r)
        self.matches = Counter("newsbot_matches", "New entries that matched", registry=r)
        self.sends = Counter("newsbot_sends", "Messages sent", registry=r)
        self.errors = Counter(
            "newsbot_telegram_errors", "Failed sends and edits by kind", ["kind"], registry=r
        )
        self.alert_delay = Histogram(
            "newsbot_alert_delay_seconds",
            "From an entry's publication (or first sight, undated) to its alert sent",
            buckets=_DELAY_BUCKETS,
            registry=r,
        )
        for outcome in POLL_OUTCOMES:  # every series exists from the start, at 0
            self.polls.labels(outcome)
        for kind in ERROR_KINDS:
            self.errors.labels(kind)

    def polled(self, outcome: PollStatus, new_entries: int, matches: int) -> None:
        self.polls.labels(outcome).inc()
        self.new_entries.inc(new_entries)
        self.matches.inc(matches)

    def alert_sent(self, published: datetime, now: datetime | None = None) -> None:
        """An alert went out for an entry published (or first seen) at ``published``."""
        delay = ((now or datetime.now(UTC)) - published).total_seconds()
        self.alert_delay.observe(max(0.0, delay))  # a feed's clock may run ahead

    def failed(self, kind: ErrorKind) -> None:
        self.errors.labels(kind).inc()

    def gauge(self, name: str, help_text: str, read: Callable[[], float | None]) -> Collector:
        """A gauge that ``read`` tells at each scrape (None: left out of that scrape);
        returns it, for :meth:`forget`."""
        gauge = _ScrapedGauge(name, help_text, read)
        self.registry.register(gauge)
        return gauge

    def forget(self, gauge: Collector) -> None:
        self.registry.unregister(gauge)


class _ScrapedGauge(Collector):
    def __init__(self, name: str, help_text: str, read: Callable[[], float | None]) -> None:
        self._name = name
        self._help = help_text
        self._read = read

    def describe(self) -> Iterable[Metric]:
        return [GaugeMetricFamily(self._name, self._help)]

    def collect(self) -> Iterable[Metric]:
        value = self._read()
        return [] if value is None else [GaugeMetricFamily(self._name, self._help, value=value)]
