"""Whether two feed entries report the same news. Pure: no I/O.

``fingerprint(title, text)`` reads an entry's headline and lead (at most ``MAX_TITLE`` and
``MAX_TEXT`` characters) after Unicode NFKC, case-folding and ё -> е. A wire dateline
("ALMATY, March 3 (Reuters) -", "МОСКВА, 3 марта. /ТАСС/.") and a lead that starts by
repeating the headline are cut off; a lead without a word of its headline is a feed's
boilerplate, not a lead. What is left becomes words: stop words (articles,
prepositions, conjunctions), reporting verbs ("said", "заявил", "деді") and agency names are
dropped, negations are kept, numbers keep their value ("12 000" = "12,000", "1,5" =
"1.5"), sentence ends are kept as markers. Each word is a 32-bit code: a hash of its first
``STEM`` characters (an inflected form shares it: Росатом, Росатома), a hash of the whole
word, and a guard bit for event details: numbers, acronyms and capitalized names.

``same_story(a, b)``, in order:

1. Other languages (en, ru, kk, "" for another script) are never the same story.
2. Both with a lead of at least ``MIN_LEAD`` words: the word pairs of the shorter lead must
   be found in the other (containment >= ``CONTAINMENT``), so a trimmed, lengthened or
   re-headlined copy still counts. Then the two leads are aligned word by word, and a
   conflicting detail keeps them apart: a word substituted inside the shared text
   (foreign / defence, 5% / 8%, Q1 / Q2, Kazakhstan / Uzbekistan, Monday / Thursday), a
   different ending of a shared sentence, a negation added inside a sentence, or a name or
   number the other entry never mentions added inside a sentence next to another name or
   number (Putin, Tokayev and Mirziyoyev; 5% in Q1). Whole sentences added or dropped, at
   either end or between shared sentences, other words dropped, a different tail after the
   shared text and a dateline are allowed. The headlines must agree too: when they are the
   same words but one, that one may not be swapped or bring a new name or number (unless
   the leads are one text, at least ``SAME_LEAD`` of their word pairs shared: wire copy
   under a reworded headline); and if each headline names what the other entry never
   mentions, they are apart.
3. Otherwise (a headline-only feed, or a lead too short to tell): the headlines must hold
   the same words, up to inflection, order, stop words and punctuation.

Words that share their first ``STEM`` characters (``STEMS`` for Kazakh) count as the same
word when they were moved or inflected; numbers compare whole. ``relation`` tells apart
"other news" (0.0) from "the same text with a conflicting detail" (``CONFLICT``), which
the index uses to keep a story from being joined through a copy that agrees with both.
"""

from __future__ import annotations

import functools
import itertools
import re
import threading
import unicodedata
import zlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Final

import numpy as np
from datasketch import MinHash

MAX_TITLE: Final = 400  # characters of a headline read
MAX_TEXT: Final = 1_500  # characters of a lead read
MAX_WORDS: Final = 120  # words of a lead kept
MIN_LEAD: Final = 8  # words a lead needs to be compared as a lead
MIN_TITLE: Final = 4  # words a headline-only entry needs to be compared at all
MIN_LETTERS: Final = 12  # letters an entry needs (digits, emoji and symbols alone tell nothing)
CONTAINMENT: Final = 0.6  # share of the shorter lead's word pairs found in the other
SAME_LEAD: Final = 0.9  # share of all their word pairs: one lead, another headline
STEM: Final = 6  # leading characters that identify a word up to its inflection ...
STEMS: Final = {"kk": 5}  # ... or fewer in a language that adds longer suffixes
WINDOW: Final = 16  # words of a lead's opening that locate its copies (see the index)
MIN_WINDOW: Final = 8  # a window runs into the next sentence until it has this many words

# Locality-sensitive hashing of a lead: MinHash over the word triples of two windows, from
# the start of its first and of its second sentence (a trimmed, lengthened or re-headlined
# copy keeps the first; a copy with a sentence put in front has it as its second), cut in
# BANDS bands of ROWS values each.
BANDS: Final = 10
ROWS: Final = 5
_SEED: Final = 20_261_201

CONFLICT: Final = -1.0  # relation() of the same text told with a conflicting detail
BOUNDARY: Final = 2  # the code of a sentence end (no guard bit)
_GUARD: Final = 1
_STEM_SHIFT: Final = 12

# fmt: off
_STOP_EN = (
    "a an the of in on at to for from by with and or as is are was were be been being has "
    "have had it its this that these those which who whom whose will would shall should can "
    "could may might do does did he she they them his her their we our you your also but "
    "into over after before about than up out there here such so if then while during amid "
    "per via s mr ms mrs"
)
_LIGHT_EN = (
    "said says say told according added noted reported stated reporting editing writing "
    "reuters afp ap xinhua interfax tass ria novosti kazinform kaztag trend sputnik tengrinews "
    "read more see photo video telegram channel subscribe follow us correspondent breaking "
    "update updated kz ru uz com"
)
_STOP_RU = (
    "и в во на с со к ко по о об обо от до из за для у при через над под про а но или что "
    "чтобы как это этот эта эти этого того тот та те его ее их он она они оно который "
    "которая которое которые которых также же бы ли был была были было будет будут уже еще "
    "всего свой своей своих своего так там тем том ним ней них"
)
_LIGHT_RU = (
    "заявил заявила заявили сообщил сообщила сообщили сообщает сообщается отметил отметила "
    "отметили сказал сказала сказали передает пишет пишут говорится подчеркнул подчеркнула "
    "добавил добавила рассказал рассказала уточнил уточнила словам данным тасс интерфакс риа "
    "новости казинформ казтаг спутник читайте подробнее подписывайтесь телеграм канал "
    "фото видео корр корреспондент срочно молния обновлено"
)
_STOP_KK = (
    "және мен бен пен да де та те бұл ол осы сол үшін туралы бойынша сондай ақ деп еді "
    "болып болды бар ал бірақ немесе арқылы тарапынан оның олар"
)
_LIGHT_KK = (
    "мәлімдеді хабарлады хабарлайды айтты деді атап өтті жеткізді мәлім етті айтылған "
    "қазақпарат казинформ тасс оқыңыз толығырақ телеграм арнасы"
)
# fmt: on
_DROPPED: Final = frozenset(
    " ".join((_STOP_EN, _LIGHT_EN, _STOP_RU, _LIGHT_RU, _STOP_KK, _LIGHT_KK)).split()
)

_AGENCY = (
    r"(?:Reuters|AFP|AP|Xinhua|TASS|ТАСС|INTERFAX|Интерфакс|ИНТЕРФАКС|РИА\s+Новости|"
    r"RIA\s+Novosti|KAZINFORM|Kazinform|КАЗИНФОРМ|Казинформ|ҚАЗАҚПАРАТ|ҚазАқпарат|"
    r"Kaztag|KazTAG|КазТАГ|Trend|Sputnik|Спутник)"
    r"(?:[.-](?:RU|KZ|ru|kz|КАЗАХСТАН|Казахстан|KAZAKHSTAN|Kazakhstan))?"
)
_CAPITALS = "A-ZА-ЯЁӘҒҚҢӨҰҮҺІ"
_DATELINE = re.compile(  # "ALMATY, March 3 (Reuters) - ", "МОСКВА, 3 марта. /ТАСС/. ", "ASTANA - "
    rf"^[^\n]{{0,60}}?\b{_AGENCY}[^\w\n]{{0,4}}?(?:[-–—.]|/\.)\s+"
    rf"|^[{_CAPITALS}]{{3,}}(?:[- ][{_CAPITALS}]{{2,}})?(?:,[^\n.–—-]{{1,25}})?\s+[-–—]\s+"
)
_WIRE_TAG = re.compile(
    r"^(?:UPDATE|REFILE|CORRECTED|EXCLUSIVE|WRAPUP|ANALYSIS|FACTBOX|BRIEF|INSIGHT|RPT)"
    r"(?:[- ]\d+)?\s*-\s*"
)
_ELLIPSES = ("...", "…", "[…]", "[...]")
_TOKEN = re.compile(
    r"\d{1,3}(?:[\u00a0\u202f\u2009 ]\d{3})+(?!\d)"  # 12 000
    r"|\d+(?:[.,]\d+)*"  # 12,000 1.5 2024
    r"|[^\W\d_]+(?:['’][^\W\d_]+)*\d*"  # words, Kazakhstan's, Q1
    r"|[.!?…;]+(?=\s|$)|\n"  # sentence ends
)
_GROUP_SPACES = re.compile("[\u00a0\u202f\u2009 ]")
_ENDS = frozenset(".!?…;\n")
_KAZAKH = "әғқңөұүһі"
_LATIN = re.compile("[a-z]")
_CYRILLIC = re.compile("[а-яёәғқңөұүһі]")
_LETTERS = re.compile(r"[^\W\d_]")


@dataclass(frozen=True, slots=True, eq=False)
class Fingerprint:
    """What ``same_story`` and the story index need of one entry.

    ``codes`` holds the headline's word codes then the lead's (from ``split``), each with
    the guard bit (bit 0) for names and numbers; ``BOUNDARY`` marks a sentence end in the
    lead. ``keys`` are hash keys, specific to the language: first the key of the headline's
    set of words, then the locality-sensitive keys of the lead's bands (see ``search_keys``).
    """

    language: str
    codes: np.ndarray
    split: int
    keys: np.ndarray

    @property
    def title(self) -> np.ndarray:
        return self.codes[: self.split]

    @property
    def lead(self) -> np.ndarray:
        return self.codes[self.split :]

    @property
    def search_keys(self) -> np.ndarray:
        """The keys under which the entries that may report the same news are filed: the
        lead's bands, or for an entry without a lead, its headline's key."""
        return self.keys[1:] if len(self.codes) > self.split else self.keys[:1]


def fingerprint(title: str, text: str) -> Fingerprint | None:
    """The fingerprint of an entry from its headline and lead (plain text, maybe empty);
    None when there is too little text to tell one story from another."""
    title = _WIRE_TAG.sub("", unicodedata.normalize("NFKC", title[:MAX_TITLE]))
    text = unicodedata.normalize("NFKC", text[:MAX_TEXT])
    language = _language(title + " " + text)
    if language is None:
        return None
    named: set[int] = set()
    stem = STEMS.get(language, STEM)
    head = _words(title, named, stem, title_case=_title_case(title))
    lead = _lead_words(text, head, named, stem)
    if sum(1 for code in lead if code != BOUNDARY) < MIN_LEAD or _unrelated(head, lead):
        if len(head) < MIN_TITLE:
            return None
        lead = []
    marked = [code | (code >> 1 in named) for code in head + lead]
    split = len(head)
    keys = _keys(language, marked[:split], marked[split:])
    return Fingerprint(language, np.array(marked, dtype=np.uint32), split, keys)


def same_story(a: Fingerprint, b: Fingerprint) -> bool:
    """Whether ``a`` and ``b`` report the same news (see the module docstring)."""
    return relation(a, b) > 0.0


def similarity(a: Fingerprint, b: Fingerprint) -> float:
    """How alike two entries of the same story are, in (0, 1]: the mean of their leads'
    containment and resemblance (1.0 for headlines alone); 0.0 when not the same story."""
    return max(relation(a, b), 0.0)


def relation(a: Fingerprint, b: Fingerprint) -> float:
    """``similarity`` when positive; 0.0 for other news; ``CONFLICT`` for the same text told
    with a conflicting detail: another story, which nothing that is one story with ``b``
    should join (same_story is not transitive: a trimmed copy may agree with both)."""
    if a.language != b.language:
        return 0.0
    lead_a, lead_b = a.lead, b.lead
    if not len(lead_a) or not len(lead_b):
        if _same_headline(a.title, b.title):
            return 1.0
        return CONFLICT if _alike(_stems(a.title), _stems(b.title)) else 0.0
    contained, resemblance = _overlap(lead_a, lead_b)
    if contained < CONTAINMENT:
        return 0.0
    known = (_stems(a.codes), _stems(b.codes))
    if _conflict(lead_a, lead_b, known, title=False):
        return CONFLICT
    # The same lead word for word is the same wire copy under another headline: two
    # events differ in their leads. Only a name or number each headline adds counts.
    same_lead = resemblance >= SAME_LEAD
    if _headlines_disagree(a, b, known, reworded=same_lead):
        return CONFLICT
    return (contained + resemblance) / 2


# --- reading text -------------------------------------------------------------------------


def _language(text: str) -> str | None:
    """en, ru or kk by the script of the letters; "" for another script; None when there
    are too few letters to tell a story."""
    lowered = text.lower()
    cyrillic = _CYRILLIC.subn("", lowered)[1]
    latin = _LATIN.subn("", lowered)[1]
    if cyrillic + latin < MIN_LETTERS:
        return "" if _LETTERS.subn("", lowered)[1] >= MIN_LETTERS else None
    if latin > cyrillic:
        return "en"
    kazakh = sum(lowered.count(c) for c in _KAZAKH)
    return "kk" if kazakh >= 2 and kazakh * 50 >= cyrillic else "ru"


def _unrelated(title: list[int], lead: list[int]) -> bool:
    """A lead without a word of its headline: the feed's boilerplate (its own description,
    "click to read more"), the same under every headline, not a lead."""
    stems = {code >> _STEM_SHIFT for code in title}
    return bool(stems) and not stems & {code >> _STEM_SHIFT for code in lead}


def _title_case(title: str) -> bool:
    """A headline Written Like This: its capitals say nothing about names."""
    words = [w for w in title.split() if w[:1].isalpha()]
    return len(words) >= 4 and sum(w[0].isupper() for w in words) * 10 >= len(words) * 7


def _lead_words(text: str, title: list[int], named: set[int], stem: int) -> list[int]:
    """The lead's codes without a dateline, a repeated headline or a word cut by "..."."""
    text = _DATELINE.sub("", text, count=1).rstrip()
    cut = next((mark for mark in _ELLIPSES if text.endswith(mark)), "")
    words = _words(text[: len(text) - len(cut)], named, stem, title_case=False)
    if cut and words and words[-1] != BOUNDARY:
        words.pop()  # a word cut short by the feed's excerpt
    plain = [code >> 1 for code in title]
    repeated = [code >> 1 for code in words[: len(plain)]] == plain
    if plain and repeated and words[len(plain) : len(plain) + 1] in ([], [BOUNDARY]):
        words = words[len(plain) :]  # the headline again, as a sentence of its own
    words = words[:MAX_WORDS]
    while words and words[0] == BOUNDARY:
        words.pop(0)
    while words and words[-1] == BOUNDARY:
        words.pop()
    return words


def _words(text: str, named: set[int], stem: int, *, title_case: bool) -> list[int]:
    """The codes of the words of ``text``, sentence ends as ``BOUNDARY`` (never twice), with
    stems of ``stem`` characters. Adds to ``named`` the words (codes without the guard bit)
    written as names."""
    codes: list[int] = []
    start = True  # a capital at a sentence's start says nothing about names
    for token in _TOKEN.findall(text):
        first = token[0]
        if first in _ENDS:
            if codes and codes[-1] != BOUNDARY:
                codes.append(BOUNDARY)
            start = True
            continue
        word = token.lower()
        code = _code(word, stem)
        if code == 0:  # a dropped word
            continue
        if first.isdigit() or word[-1].isdigit():  # a number, or Q1
            code |= _GUARD
        elif not token.islower():  # Rosatom, CSTO, KazMunayGas
            acronym = len(token) > 1 and not token[1:].islower()
            if acronym or not (start or title_case):
                named.add(code >> 1)
        codes.append(code)
        start = False
    return codes


def _number(token: str) -> str:
    """A number's value as written without grouping: 12 000, 12,000 -> 12000; 1,5 -> 1.5."""
    parts = re.split(r"[.,]", _GROUP_SPACES.sub("", token))
    if len(parts) == 1:
        return parts[0]
    *whole, last = parts
    if all(len(p) == 3 for p in parts[1:]) and not (len(parts) == 2 and parts[0] == "0"):
        return "".join(parts)  # grouped thousands
    return "".join(whole) + "." + last


@functools.lru_cache(maxsize=16_384)
def _code(word: str, stem: int = STEM) -> int:
    """32 bits: the hash of the word's first ``stem`` characters (20 bits), of the whole word
    (11), a clear guard bit; 0 for a dropped word."""
    if word[0].isdigit():
        word = _number(word)
    else:
        word = word.replace("ё", "е").replace("'", "").replace("’", "")
        if word in _DROPPED:
            return 0
    whole = zlib.crc32(word.encode())
    start = whole if len(word) <= stem or word[0].isdigit() else zlib.crc32(word[:stem].encode())
    code = (start >> _STEM_SHIFT) << _STEM_SHIFT | (whole & 0x7FF) << 1
    return code if code > BOUNDARY else code | 1 << 31  # never 0 or BOUNDARY


_NEGATIONS = frozenset(
    _code(word, stem) >> 1
    for word in ("not", "no", "never", "не", "нет", "ни", "емес", "жоқ")
    for stem in (STEM, *STEMS.values())
)

# --- locality-sensitive keys --------------------------------------------------------------

_MULTIPLIERS = np.random.default_rng(_SEED).integers(1, 2**63, size=(3, 8), dtype=np.uint64) | 1


def _pairs(codes: np.ndarray) -> set[tuple[int, int]]:
    """The lead's consecutive word pairs (sentence ends left out)."""
    words = [code >> 1 for code in codes.tolist() if code != BOUNDARY]
    return set(itertools.pairwise(words))


def _triples(words: np.ndarray) -> np.ndarray:
    """32-bit hashes of the consecutive word triples of ``words`` (no sentence ends)."""
    plain = (words >> 1).astype(np.uint64)
    if len(plain) < 3:
        return plain
    triples = plain[:-2] * _MULTIPLIERS[0, 2] + plain[1:-1] * _MULTIPLIERS[0, 3]
    triples += plain[2:] * _MULTIPLIERS[0, 4]
    high: np.ndarray = triples >> np.uint64(32)
    return high


def _windows(lead: list[int]) -> list[list[int]]:
    """The words of the windows of the lead that start its first and second sentences:
    ``WINDOW`` words at most, the sentence's own if it has ``MIN_WINDOW`` or more."""
    starts = [0]
    if BOUNDARY in lead:
        starts.append(lead.index(BOUNDARY) + 1)
    windows = []
    for start in starts:
        words = [code for code in lead[start : start + 2 * WINDOW] if code != BOUNDARY]
        end = lead.index(BOUNDARY, start) if BOUNDARY in lead[start:] else len(lead)
        size = min(WINDOW, max(MIN_WINDOW, end - start))
        if len(words) >= MIN_WINDOW // 2:
            windows.append(words[:size])
    return windows


def _mix(values: np.ndarray) -> np.ndarray:
    """The splitmix64 finalizer: every bit of the result depends on every bit of a value."""
    values = (values ^ (values >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    values = (values ^ (values >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    mixed: np.ndarray = values ^ (values >> np.uint64(31))
    return mixed


def _band_keys(values: np.ndarray) -> np.ndarray:
    """One key per band of ``ROWS`` MinHash values, distinct across bands (to be mixed)."""
    rows = values.astype(np.uint64).reshape(BANDS, ROWS)
    keys: np.ndarray = (rows * _MULTIPLIERS[1, :ROWS]).sum(axis=1, dtype=np.uint64)
    keys += np.arange(1, BANDS + 1, dtype=np.uint64) * _MULTIPLIERS[2, 0]
    return keys


class _Sketches(threading.local):
    """One MinHash per thread, cleared for each window: copying one costs more than hashing."""

    def __init__(self) -> None:
        self.sketch = MinHash(num_perm=BANDS * ROWS, seed=_SEED, hashfunc=int)


_SKETCHES = _Sketches()


def _minhash(shingles: np.ndarray) -> np.ndarray:
    sketch = _SKETCHES.sketch
    sketch.clear()
    sketch.update_batch(shingles)
    values: np.ndarray = sketch.hashvalues
    return values


def _keys(language: str, title: list[int], lead: list[int]) -> np.ndarray:
    """The hash keys under which the index files an entry and looks for its copies: one
    for the headline's set of words, and the bands of the lead's windows."""
    stems = np.array(sorted({code >> _STEM_SHIFT for code in title}), dtype=np.uint64)
    parts = [_mix(stems).sum(dtype=np.uint64, keepdims=True)]
    for window in _windows(lead):
        parts.append(_band_keys(_minhash(_triples(np.array(window, dtype=np.uint32)))))
    salt = np.uint64(zlib.crc32(language.encode()) << 32)
    keys = _mix(np.concatenate(parts) ^ salt)
    return np.concatenate((keys[:1], np.unique(keys[1:])))


# --- comparing ----------------------------------------------------------------------------


def _overlap(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """The share of the shorter lead's word pairs found in the other (containment), and of
    all their word pairs (resemblance, Jaccard's)."""
    pairs_a, pairs_b = _pairs(a), _pairs(b)
    smaller = min(len(pairs_a), len(pairs_b))
    if not smaller:
        return 0.0, 0.0
    shared = len(pairs_a & pairs_b)
    return shared / smaller, shared / (len(pairs_a) + len(pairs_b) - shared)


def _same_headline(a: np.ndarray, b: np.ndarray) -> bool:
    """Headlines of the same words (by stem), the same names and numbers, none swapped."""
    if len(a) < MIN_TITLE or len(b) < MIN_TITLE:
        return False
    stems = _stems(a)
    return stems == _stems(b) and not _conflict(a, b, (stems, stems), title=True)


def _headlines_disagree(
    a: Fingerprint, b: Fingerprint, known: Known, reworded: bool = False
) -> bool:
    """Headlines alike but for a word, swapped for another or with a name or number the
    other entry never mentions; or each naming what the other entry never does.

    ``reworded``: the leads are one text, so a headline may be reworded freely: only
    the names and numbers count."""
    title_a, title_b = a.title, b.title
    stems_a, stems_b = _stems(title_a), _stems(title_b)
    alike = not reworded and _alike(stems_a, stems_b)
    if alike and _conflict(title_a, title_b, known, title=True):
        return True
    return bool(_unmentioned(title_a, known[1])) and bool(_unmentioned(title_b, known[0]))


def _alike(stems_a: set[int], stems_b: set[int]) -> bool:
    """Headlines of the same words but for one on each side at most."""
    shared = len(stems_a & stems_b)
    return shared >= 2 and len(stems_a) - shared <= 1 and len(stems_b) - shared <= 1


def _stems(codes: np.ndarray) -> set[int]:
    return set((codes >> _STEM_SHIFT).tolist())


def _unmentioned(title: np.ndarray, other: set[int]) -> set[int]:
    """The stems of the headline's names and numbers that are not in ``other``."""
    return _stems(title[(title & _GUARD) == 1]) - other


def _conflict(a: np.ndarray, b: np.ndarray, known: Known, *, title: bool) -> bool:
    """Whether aligning two word sequences shows a conflicting detail (module docstring);
    ``known`` holds the stems of each whole entry."""
    plain_a, plain_b = (a >> 1).tolist(), (b >> 1).tolist()
    matcher = SequenceMatcher(None, plain_a, plain_b, autojunk=False)
    blocks = [m for m in matcher.get_matching_blocks() if m.size]
    if not blocks:
        return True
    gaps = _gaps(a.tolist(), b.tolist(), blocks)
    _cancel_moved(gaps)
    last = len(gaps) - 1
    for place, gap in enumerate(gaps):
        edge = "lead" if place == 0 else "tail" if place == last else "inside"
        if _gap_conflicts(gap, edge, known, title=title):
            return True
    return False


Known = tuple[set[int], set[int]]  # the stems of all the words of a and of b
Gap = tuple[list[int], list[int], int, int]  # codes of a, codes of b, the codes around it


def _gaps(a: Sequence[int], b: Sequence[int], blocks: Sequence[tuple[int, int, int]]) -> list[Gap]:
    """The unmatched stretches of ``a`` and ``b``: before, between and after the shared
    blocks (a sentence end alone is no block), each with the code before and after it
    (0 at an end of the text)."""
    gaps: list[Gap] = []
    at_a = at_b = 0
    before = 0
    for i, j, size in blocks:
        if size == 1 and a[i] == BOUNDARY:
            continue
        gaps.append((list(a[at_a:i]), list(b[at_b:j]), before, a[i]))
        at_a, at_b, before = i + size, j + size, a[i + size - 1]
    gaps.append((list(a[at_a:]), list(b[at_b:]), before, 0))
    return gaps


def _cancel_moved(gaps: list[Gap]) -> None:
    """Drop words that only moved or changed their ending: in a gap of one side and a gap
    of the other with the same stem."""
    stems_a = Counter(c >> _STEM_SHIFT for gap in gaps for c in gap[0] if c != BOUNDARY)
    stems_b = Counter(c >> _STEM_SHIFT for gap in gaps for c in gap[1] if c != BOUNDARY)
    moved = stems_a & stems_b
    if not moved:
        return
    left_a, left_b = moved.copy(), moved
    for gap_a, gap_b, _, _ in gaps:
        for side, left in ((gap_a, left_a), (gap_b, left_b)):
            kept = []
            for code in side:
                stem = code >> _STEM_SHIFT
                if code != BOUNDARY and left[stem] > 0:
                    left[stem] -= 1
                else:
                    kept.append(code)
            side[:] = kept


def _gap_conflicts(gap: Gap, edge: str, known: Known, *, title: bool) -> bool:
    """Whether one unmatched stretch is a conflicting detail (module docstring)."""
    gap_a, gap_b, before, after = gap
    words_a = [c for c in gap_a if c != BOUNDARY]
    words_b = [c for c in gap_b if c != BOUNDARY]
    if not words_a and not words_b:
        return False
    sides = [side for side in (gap_a, gap_b) if any(c != BOUNDARY for c in side)]
    opens = before in (0, BOUNDARY) or any(side[0] == BOUNDARY for side in sides)
    closes = after in (0, BOUNDARY) or any(side[-1] == BOUNDARY for side in sides)
    if words_a and words_b:  # something in place of something else
        if title or edge == "inside":
            return True
        # different openings or endings, fine if they are sentences of their own
        return not (closes if edge == "lead" else opens)
    if edge != "inside" and not title:
        return False  # a trimmed or lengthened lead, a tail or a dateline
    if opens and closes and not title:
        return False  # whole sentences added
    # words added inside a sentence: a negation, or a name or number the other entry never
    # mentions next to another (one more in a list: Putin, Tokayev and Mirziyoyev; 5% in Q1)
    added, other = (words_a, known[1]) if words_a else (words_b, known[0])
    if any(c >> 1 in _NEGATIONS for c in added):
        return True
    new = any(c & _GUARD and c >> _STEM_SHIFT not in other for c in added)
    return new and (title or bool((before | after) & _GUARD))
