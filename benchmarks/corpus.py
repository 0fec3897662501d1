"""Matching quality on the labelled corpus: precision and recall per language and overall.

The corpus is tests/corpus/{en,ru,kk}.yaml, its watchlists and its scoring are those of
tests/test_corpus.py: a ``match:`` label is a positive, a ``not:`` label a negative.
Prints the scores, then every label missed (with the reason of a known miss) and every
label matched that should not have been, and the time the whole corpus took to match.

    uv run python benchmarks/corpus.py
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from test_corpus import CASES, build_matcher, report, score  # noqa: E402


def main() -> None:
    started = time.perf_counter()
    matcher = build_matcher()
    built = time.perf_counter()
    scores = score(matcher, CASES)
    done = time.perf_counter()
    print(f"{len(CASES)} cases")
    print(report(scores))
    known = {(language, case["text"]): case["miss"] for language, case in CASES if "miss" in case}
    overall = scores["all"]
    print(f"\nmissed ({len(overall.misses)}):")
    for language, text, name in overall.misses:
        reason = known.get((language, text))
        print(f"  {language} {name:<16} {text}" + (f"  [known: {reason}]" if reason else ""))
    print(f"\nmatched wrongly ({len(overall.false_positives)}):")
    for language, text, name in overall.false_positives:
        print(f"  {language} {name:<16} {text}")
    print(
        f"\nwatchlists compiled in {built - started:.2f} s, "
        f"corpus matched in {(done - built) * 1000:.1f} ms"
    )


if __name__ == "__main__":
    main()
