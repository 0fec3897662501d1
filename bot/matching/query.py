"""The parsed form of a rule: a tree of frozen nodes, produced by ``parse_query``.

Nodes compare and hash by meaning, not by where they were written, so the same term
used by many rules is searched for once per entry.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

DEFAULT_FIELDS = ("title", "summary", "content")  # where a term without a field may match


@dataclass(frozen=True, slots=True)
class Word:
    """One word of a term, compared with the words of the text."""

    folded: str  # case-folded: compared with the text's folded words
    cased: str | None = None  # acronyms only: the text must have exactly these capitals
    prefix: bool = False  # ``Kazakh*``: any text word starting with the word matches
    proper: bool = False  # written with a capital (a name): see ``bot.matching.inflection``
    variants: bool = False  # ``~Tokayev``: its spellings match too (``bot.matching.variants``)
    written: str | None = None  # folded with the ё it was written with, if any: Мирзиёев

    @property
    def source(self) -> str | None:
        """What a ``~`` word's spellings are made from; None for any other word."""
        return (self.written or self.folded) if self.variants else None


@dataclass(frozen=True, slots=True)
class Term:
    """A word or a phrase: words in sequence, each pair separated by the gap given."""

    words: tuple[Word, ...]
    gaps: tuple[str, ...]  # canonical gaps (see ``tokens.canonical_gap``), one per pair
    position: int = dataclasses.field(compare=False)
    exact: bool = False  # ``=Astana``: this form only, never an inflection
    scope: str | None = None  # the one field to search, None for ``DEFAULT_FIELDS``

    @property
    def fields(self) -> tuple[str, ...]:
        """The entry fields this term is searched in."""
        return DEFAULT_FIELDS if self.scope is None else (self.scope,)


@dataclass(frozen=True, slots=True)
class Near:
    """Two terms in the same field with at most ``distance`` words between them."""

    left: Term
    right: Term
    distance: int
    position: int = dataclasses.field(compare=False)


@dataclass(frozen=True, slots=True)
class Not:
    """Matches when ``child`` does not."""

    child: Node
    position: int = dataclasses.field(compare=False)


@dataclass(frozen=True, slots=True)
class And:
    """Matches when every child does."""

    children: tuple[Node, ...]
    position: int = dataclasses.field(compare=False)


@dataclass(frozen=True, slots=True)
class Or:
    """Matches when any child does."""

    children: tuple[Node, ...]
    position: int = dataclasses.field(compare=False)


Node = Term | Near | Not | And | Or


@dataclass(frozen=True, slots=True)
class Query:
    """One parsed rule: the text as written and its tree."""

    text: str
    root: Node

    @property
    def term_count(self) -> int:
        """How many words and phrases the rule has (each side of a NEAR counts)."""
        return _count_terms(self.root)


def _count_terms(node: Node) -> int:
    match node:
        case Term():
            return 1
        case Near():
            return 2
        case Not(child=child):
            return _count_terms(child)
        case And(children=children) | Or(children=children):
            return sum(_count_terms(child) for child in children)
