"""The shape every inflection table returns: stems, each with the endings it may take."""

from __future__ import annotations

import functools
from collections.abc import Iterable

Stem = tuple[str, frozenset[str]]  # the forms are stem + ending, for each ending

EXACT: frozenset[str] = frozenset({""})  # the word itself and nothing else


def merge(pairs: Iterable[Stem]) -> tuple[Stem, ...]:
    """One pair per stem, endings joined, in the order stems first appear."""
    joined: dict[str, frozenset[str]] = {}
    for stem, endings in pairs:
        joined[stem] = union(joined[stem], endings) if stem in joined else endings
    return tuple(joined.items())


@functools.lru_cache(maxsize=4096)
def union(first: frozenset[str], second: frozenset[str]) -> frozenset[str]:
    """``first | second``, shared between the many words whose tables coincide."""
    return first | second


@functools.lru_cache(maxsize=4096)
def endings(*groups: Iterable[str]) -> frozenset[str]:
    """The endings of ``groups`` as one shared set (tables are built from a few groups)."""
    return frozenset(ending for group in groups for ending in group)


def prefixed(prefix: str, group: Iterable[str]) -> frozenset[str]:
    """Each ending of ``group`` with ``prefix`` before it."""
    return frozenset(prefix + ending for ending in group)
