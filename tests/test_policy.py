"""When to poll next: next_delay and base_interval, pure functions of history."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.polling.policy import (
    DEFAULT_ADAPTIVE,
    MAX_BACKOFF_STEPS,
    MAX_RETRY_AFTER,
    Schedule,
    base_interval,
    next_delay,
)

MIN, MAX = 120.0, 6 * 3600.0
ADAPTIVE = Schedule(interval=None, min_interval=MIN, max_interval=MAX)
T0 = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)


def every(*minutes: float) -> list[datetime]:
    """Publication times at the given minute offsets from T0."""
    return [T0 + timedelta(minutes=m) for m in minutes]


@pytest.mark.parametrize(
    ("published", "expected"),
    [
        ([], DEFAULT_ADAPTIVE),
        (every(0), DEFAULT_ADAPTIVE),  # one entry, no gap yet
        (every(0, 0, 0), DEFAULT_ADAPTIVE),  # only zero gaps
        (every(0, 10, 20, 30), 600.0),
        (every(30, 0, 20, 10), 600.0),  # order does not matter
        (every(0, 10, 20, 80), 600.0),  # median, not mean: one long gap does not count
        (every(0, 5, 15, 30, 60), 750.0),  # median of 5, 10, 15, 30 minutes
        (every(0, 0.5, 1, 1.5), MIN),  # a busy feed is held to min_interval
        (every(0, 600, 1200, 1800), MAX),  # a sleepy feed to max_interval
    ],
)
def test_adaptive_interval_is_the_median_gap_within_bounds(
    published: list[datetime], expected: float
) -> None:
    assert base_interval(ADAPTIVE, published) == expected
    assert next_delay(ADAPTIVE, published, 0, None, False) == expected


@pytest.mark.parametrize("interval", [1.0, 90.0, 600.0, 12 * 3600.0])
def test_fixed_interval_wins_over_adaptation_and_bounds(interval: float) -> None:
    fixed = Schedule(interval=interval, min_interval=MIN, max_interval=MAX)
    assert base_interval(fixed, every(0, 0.5, 1)) == interval
    assert next_delay(fixed, every(0, 600, 1200), 0, None, False) == interval


@pytest.mark.parametrize(
    ("failures", "expected"),
    [(0, 600.0), (1, 600.0), (2, 1200.0), (3, 2400.0), (4, 4800.0), (5, 9600.0), (6, 19200.0)],
)
def test_backoff_doubles_with_each_failure(failures: int, expected: float) -> None:
    fixed = Schedule(interval=600.0, min_interval=MIN, max_interval=MAX)
    assert next_delay(fixed, [], failures, None, False) == expected


@pytest.mark.parametrize("failures", [7, 8, 9, 50, 10_000])
def test_backoff_is_capped_at_max_interval(failures: int) -> None:
    fixed = Schedule(interval=600.0, min_interval=MIN, max_interval=MAX)
    assert next_delay(fixed, [], failures, None, False) == MAX


def test_backoff_never_shortens_an_interval_longer_than_the_cap() -> None:
    slow = Schedule(interval=12 * 3600.0, min_interval=MIN, max_interval=MAX)
    assert next_delay(slow, [], 3, None, False) == 12 * 3600.0


def test_backoff_steps_are_bounded() -> None:
    huge = Schedule(interval=1.0, min_interval=1.0, max_interval=1e12)
    assert next_delay(huge, [], 10_000, None, False) == 2.0**MAX_BACKOFF_STEPS


@pytest.mark.parametrize("failures", [1, 3, 20])
@pytest.mark.parametrize("jitter", [0.0, 0.3, 0.999])
def test_jitter_spreads_a_failing_feed_by_at_most_a_quarter(failures: int, jitter: float) -> None:
    fixed = Schedule(interval=600.0, min_interval=MIN, max_interval=MAX)
    plain = next_delay(fixed, [], failures, None, False)
    jittered = next_delay(fixed, [], failures, None, False, jitter=jitter)
    assert plain is not None and jittered is not None
    assert plain <= jittered < plain * 1.25
    assert jittered == pytest.approx(plain * (1 + 0.25 * jitter))


def test_jitter_does_not_apply_without_failures() -> None:
    fixed = Schedule(interval=600.0, min_interval=MIN, max_interval=MAX)
    assert next_delay(fixed, [], 0, None, False, jitter=0.9) == 600.0


@pytest.mark.parametrize(
    ("failures", "retry_after", "expected"),
    [
        (0, 3600.0, 3600.0),  # the server asked for longer
        (0, 30.0, 600.0),  # a shorter Retry-After does not poll sooner than usual
        (1, 7200.0, 7200.0),
        (3, 100.0, 2400.0),  # back-off already longer
        (0, 0.0, 600.0),
    ],
)
def test_retry_after_is_a_floor(failures: int, retry_after: float, expected: float) -> None:
    fixed = Schedule(interval=600.0, min_interval=MIN, max_interval=MAX)
    assert next_delay(fixed, [], failures, retry_after, False) == expected


def test_retry_after_beyond_max_interval_is_honoured() -> None:
    assert next_delay(ADAPTIVE, [], 1, 2 * MAX, False) == 2 * MAX


@pytest.mark.parametrize("retry_after", [MAX_RETRY_AFTER + 1, 1e11, 1e20, float("inf")])
def test_an_absurd_retry_after_is_capped(retry_after: float) -> None:
    delay = next_delay(ADAPTIVE, [], 1, retry_after, False)
    assert delay == MAX_RETRY_AFTER
    assert T0 + timedelta(seconds=delay) > T0  # still a time on the clock


@pytest.mark.parametrize(
    ("failures", "retry_after"), [(0, None), (5, None), (0, 60.0), (2, 99999.0)]
)
def test_gone_stops_polling(failures: int, retry_after: float | None) -> None:
    assert next_delay(ADAPTIVE, every(0, 10), failures, retry_after, True) is None


@pytest.mark.parametrize(
    ("cache_for", "expected"),
    [
        (None, 1800.0),  # the adaptive interval alone (no history: half an hour)
        (300.0, 1800.0),  # fresher than we would poll anyway
        (3600.0, 3600.0),  # <ttl>60</ttl> or max-age=3600: not sooner
        (10 * 86400.0, 86400.0),  # a floor beyond a day is capped
    ],
)
def test_ttl_and_max_age_are_floors_of_the_adaptive_interval(
    cache_for: float | None, expected: float
) -> None:
    adaptive = Schedule(interval=None, min_interval=600, max_interval=6 * 3600)
    assert next_delay(adaptive, [], 0, None, False, cache_for=cache_for) == expected


def test_a_fixed_interval_ignores_the_publishers_ttl() -> None:
    fixed = Schedule(interval=120, min_interval=600, max_interval=6 * 3600)
    assert next_delay(fixed, [], 0, None, False, cache_for=3600) == 120
