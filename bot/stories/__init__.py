"""Which recent entries report the same news: one story told by many outlets. Pure: no I/O.

The public interface:

    fingerprint     an entry's headline and lead -> Fingerprint (None: too little text)
    same_story      whether two fingerprints report the same news
    similarity      how alike two entries of one story are (0.0: not the same story)
    relation        similarity, or CONFLICT for the same text with a conflicting detail
    StoryIndex      the entries of a time window by fingerprint: find the story of a new
                    entry, add it, forget the old ones
    Key             (feed id, entry key): an entry's identity in the index

``similar`` reads text and decides (its docstring states the rules); ``index`` finds the
candidates to compare through locality-sensitive hash keys.
"""

from bot.stories.index import Key, StoryIndex
from bot.stories.similar import (
    CONFLICT,
    Fingerprint,
    fingerprint,
    relation,
    same_story,
    similarity,
)

__all__ = [
    "CONFLICT",
    "Fingerprint",
    "Key",
    "StoryIndex",
    "fingerprint",
    "relation",
    "same_story",
    "similarity",
]
