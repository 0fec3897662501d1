"""Legacy-encoding guesses: newsbot's own guesser beside charset-normalizer, in one run.

Texts in the region's languages (Russian and Bulgarian from charset-normalizer's
samples, Kazakh from the bundled demo feeds) and Western ones (French, Spanish, and
English news copy whose only non-ASCII bytes are punctuation) are cut into pieces of
80, 300 and 1,500 characters, encoded in each encoding that can write them, and guessed
back. A guess is right when it decodes the bytes to the original text (cp1251 and
kz1048 write Russian alike, so either is right for it). charset-normalizer is asked to
choose among the same encodings (``cp_isolation``). Time is per guess, the median of
three runs.

    uv run --with charset-normalizer python benchmarks/charset.py
"""

from __future__ import annotations

import re
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from bot.feeds.charset import REGIONAL, guess_legacy

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "tests" / "data" / "charset-normalizer"
DEMO = ROOT / "bot" / "commands" / "demo_feeds"
SIZES = (80, 300, 1500)
ENGLISH = (
    "The deal is worth €5 million — about £4.3 million — the “official” figure said. "
    "Shares rose 3% on the news, and the company’s chief said it was ‘a good day’. "
)


def texts() -> dict[str, str]:
    def read(name: str) -> str:
        return " ".join((SAMPLES / name).read_text("utf-8").split())

    kazakh = " ".join(
        re.sub(r"<[^>]+>|&lt;.*?&gt;", " ", (DEMO / "qazaq-habar.xml").read_text("utf-8")).split()
    )
    return {
        "russian": read("sample-russian-2.txt") + " " + read("sample-russian-3.txt"),
        "bulgarian": read("sample-bulgarian.txt"),
        "kazakh": kazakh,
        "french": read("sample-french.txt").lower(),
        "spanish": read("sample-spanish.txt"),
        "english": ENGLISH * 20,
    }


def pieces(text: str, size: int) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text) - size + 1, size)][:40]


def cases() -> list[tuple[str, str, bytes, str]]:
    """(language, encoding, bytes, text) for every piece an encoding can write."""
    out = []
    for language, text in texts().items():
        for size in SIZES:
            for piece in pieces(text, size):
                for codec in REGIONAL:
                    try:
                        out.append((language, codec, piece.encode(codec), piece))
                    except UnicodeEncodeError:
                        continue
    return out


def charset_normalizer_guess() -> Callable[[bytes], str] | None:
    try:
        from charset_normalizer import from_bytes
    except ImportError:
        return None

    def guess(content: bytes) -> str:
        best = from_bytes(content, cp_isolation=list(REGIONAL)).best()
        return best.encoding if best else "cp1252"

    return guess


def score(guess: Callable[[bytes], str], all_cases: list[tuple[str, str, bytes, str]]) -> None:
    right: dict[str, list[int]] = {}
    for _, codec, content, text in all_cases:
        ok = content.decode(guess(content), errors="replace") == text
        right.setdefault(codec, [0, 0])[0] += ok
        right[codec][1] += 1
    timings = []
    for _ in range(3):
        started = time.perf_counter()
        for case in all_cases:
            guess(case[2])
        timings.append((time.perf_counter() - started) / len(all_cases))
    cells = "  ".join(f"{c} {r}/{n}" for c, (r, n) in right.items())
    total = sum(r for r, _ in right.values()), sum(n for _, n in right.values())
    print(f"  {cells}  all {total[0]}/{total[1]}")
    print(f"  {statistics.median(timings) * 1e6:,.0f} µs per guess")


def main() -> None:
    all_cases = cases()
    print(f"{len(all_cases)} pieces of {SIZES} characters")
    print("newsbot guess_legacy:")
    score(guess_legacy, all_cases)
    other = charset_normalizer_guess()
    if other is None:
        print("charset-normalizer: not installed (uv run --with charset-normalizer ...)")
        return
    print("charset-normalizer (cp_isolation = the same encodings):")
    score(other, all_cases)


if __name__ == "__main__":
    main()
