"""NEAR without pairs: which occurrences of one side have one of the other side near.

Listing the pairs of a NEAR costs the product of the two sides' occurrences (n² on a
text of one word repeated). Whether an occurrence has a partner needs only the nearest
occurrence of the other side after it and before it, and as the occurrences are taken
in text order, both only move forward.
"""

from __future__ import annotations

from collections.abc import Iterable


def close_starts(
    distance: int,
    length: int,
    starts: Iterable[int],
    other_length: int,
    others: list[int],
    limit: int,
) -> list[int]:
    """The first ``limit`` of the ``starts`` (ascending) of runs of ``length`` words that
    have a run of ``other_length`` words starting at one of ``others`` (ascending) with
    at most ``distance`` words between them, before or after, without overlapping.

    Two pointers into ``others`` only move forward: O(len(starts) + len(others)).
    """
    kept: list[int] = []
    after = before = 0
    for first in starts:
        if len(kept) == limit:
            break
        last = first + length - 1
        while after < len(others) and others[after] <= last:  # first run that begins after
            after += 1
        if after < len(others) and others[after] - last - 1 <= distance:
            kept.append(first)
            continue
        lowest = first - distance - other_length  # earliest start that ends close enough
        while before < len(others) and others[before] < lowest:
            before += 1
        if before < len(others) and others[before] + other_length - 1 < first:
            kept.append(first)
    return kept
