"""Counts in the words people write them: "1 feed", "2 feeds", "1 alert queued"."""

from __future__ import annotations


def counted(number: int, noun: str, plural: str | None = None) -> str:
    """``number`` and ``noun``, made plural (``plural``, else noun + "s") unless it is 1."""
    return f"{number} {noun if number == 1 else (plural or noun + 's')}"
