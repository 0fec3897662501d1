"""Parsed queries compiled for matching: words become lexicon ids, and each query gets anchors.

A compiled tree mirrors the parsed one (``bot.matching.query``): ``Seq`` is a word or a
phrase, ``Close`` a NEAR, and ``Negation``, ``AllOf`` and ``AnyOf`` are NOT, AND and OR.
Equal terms, and equal rules, are compiled once and shared, so a document can remember
each one's result by identity while thousands of rules are evaluated against it.

A query's *anchors* are lexicon word ids such that the query cannot match unless at
least one of them occurs: a phrase needs any one of its words (the rarest is taken), AND
needs any one child's anchors (the best child's), OR needs one from every child, and NOT
gives none. The parser refuses rules that could match with no positive term present, so
every compiled query has anchors; the matcher evaluates a query only when the presearch
found one of them.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.matching.presearch import CaseRule, Lexicon, capitals
from bot.matching.query import And, Near, Node, Not, Or, Query, Term
from bot.matching.terms import varied


@dataclass(frozen=True, slots=True, eq=False)
class Seq:
    """Words in sequence: lexicon ids, case rules (``presearch.capitals``), canonical gaps and
    the fields."""

    words: tuple[int, ...]
    capitals: tuple[CaseRule | None, ...]
    gaps: tuple[str, ...]
    fields: tuple[str, ...]


@dataclass(frozen=True, slots=True, eq=False)
class Close:
    """Two sequences in one field with at most ``distance`` words between them."""

    left: Seq
    right: Seq
    distance: int


@dataclass(frozen=True, slots=True, eq=False)
class Negation:
    child: Compiled


@dataclass(frozen=True, slots=True, eq=False)
class AllOf:
    children: tuple[Compiled, ...]


@dataclass(frozen=True, slots=True, eq=False)
class AnyOf:
    children: tuple[Compiled, ...]


Compiled = Seq | Close | Negation | AllOf | AnyOf


@dataclass(frozen=True, slots=True, eq=False)
class Rule:
    """One compiled query and the word ids at least one of which it needs to match."""

    root: Compiled
    anchors: tuple[int, ...]


class Compiler:
    """Compiles the queries of one matcher into shared trees over one lexicon."""

    def __init__(self) -> None:
        self.lexicon = Lexicon()
        self._seqs: dict[Term, Seq] = {}
        self._rules: dict[tuple[str, bool], Rule] = {}

    def rule(self, query: Query, *, variants: bool = False) -> Rule:
        """The compiled query, the same object for every query of the same text.

        ``variants``: every term as if written ``~term`` (a watchlist's ``variants: true``).
        """
        key = (query.text, variants)
        if key not in self._rules:
            root = self.node(varied(query.root) if variants else query.root)
            anchors = _anchors(root, self.lexicon)
            if anchors is None:  # the parser guarantees a positive term
                raise ValueError(f"query has no positive term: {query.text!r}")
            self._rules[key] = Rule(root, tuple(sorted(anchors)))
        return self._rules[key]

    def node(self, node: Node) -> Compiled:
        """``node`` compiled; its terms shared with every equal term compiled before."""
        match node:
            case Term():
                return self.seq(node)
            case Near(left=left, right=right, distance=distance):
                return Close(self.seq(left), self.seq(right), distance)
            case Not(child=child):
                return Negation(self.node(child))
            case And(children=children):
                return AllOf(tuple(self.node(child) for child in children))
            case Or(children=children):
                return AnyOf(tuple(self.node(child) for child in children))

    def seq(self, term: Term) -> Seq:
        """The term compiled, or the equal term compiled before."""
        if term not in self._seqs:
            ids = tuple(self.lexicon.add(word, exact=term.exact) for word in term.words)
            cases = tuple(capitals(word, exact=term.exact) for word in term.words)
            self._seqs[term] = Seq(ids, cases, term.gaps, term.fields)
        return self._seqs[term]


def _anchors(node: Compiled, lexicon: Lexicon) -> frozenset[int] | None:
    """Word ids one of which must occur for ``node`` to match; None if it needs none."""
    match node:
        case Seq(words=words):
            return frozenset({max(words, key=lexicon.reach)})
        case Close(left=left, right=right):
            return _best([_anchors(left, lexicon), _anchors(right, lexicon)], lexicon)
        case Negation():
            return None
        case AllOf(children=children):
            return _best([_anchors(child, lexicon) for child in children], lexicon)
        case AnyOf(children=children):
            parts = [_anchors(child, lexicon) for child in children]
            if any(part is None for part in parts):
                return None
            return frozenset(word for part in parts if part is not None for word in part)


def _best(options: list[frozenset[int] | None], lexicon: Lexicon) -> frozenset[int] | None:
    """The most selective anchor set: the fewest words, then the longest shortest stem."""
    usable = [option for option in options if option is not None]
    if not usable:
        return None
    return min(usable, key=lambda words: (len(words), -min(map(lexicon.reach, words))))
