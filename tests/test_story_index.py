"""StoryIndex: find, add, replace, forget and the window; the best match; and fingerprint()
on hostile input (empty, a megabyte, emoji, control characters, digits only)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.stories import CONFLICT, Fingerprint, StoryIndex, fingerprint, relation, same_story
from bot.stories.index import MAX_COMPARED
from bot.stories.similar import MAX_TEXT

T0 = datetime(2026, 6, 14, 8, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
WINDOW = 48 * 3600

TITLE = "Kazakhstan picks Rosatom to lead construction of first nuclear plant"
LEAD = (
    "Kazakhstan has chosen Russia's state nuclear corporation Rosatom to lead an international "
    "consortium that will build the country's first nuclear power plant, the Kazakh atomic "
    "energy agency said on Saturday. The plant will be built near the village of Ulken on the "
    "shores of Lake Balkhash, about 400 km north of Almaty."
)
FIRST_SENTENCE = LEAD.split(" The plant")[0]
OTHER_TITLE = "Air Astana to resume flights to Tel Aviv in October"
OTHER_LEAD = (
    "Kazakh flag carrier Air Astana will resume direct flights between Almaty and Tel Aviv on "
    "October 27, with three flights a week on Airbus A321LR aircraft, the airline said."
)


def fp(title: str, text: str) -> Fingerprint:
    made = fingerprint(title, text)
    assert made is not None
    return made


def numbered(n: int) -> Fingerprint:
    """A distinct story for each n: its own words, not only its own numbers."""
    words = " ".join(f"w{n}x{i}" for i in range(12))
    return fp(f"Story {n} about {words[:40]}", f"Officials said {words} in Astana today.")


def test_a_copy_finds_the_story_and_other_news_does_not() -> None:
    index = StoryIndex(WINDOW)
    index.add(("reuters", "1"), fp(TITLE, LEAD), "s1", T0)
    index.add(("astana-times", "9"), fp(OTHER_TITLE, OTHER_LEAD), "s2", T0)
    assert index.find(fp("Rosatom to lead Kazakhstan's plant", FIRST_SENTENCE), T0 + HOUR) == "s1"
    assert index.find(fp(OTHER_TITLE, OTHER_LEAD + " Read also: Tokayev visits Tokyo."), T0) == "s2"
    uzbek = LEAD.replace("Kazakhstan has", "Uzbekistan has").replace("Kazakh ", "Uzbek ")
    assert index.find(fp(TITLE.replace("Kazakhstan", "Uzbekistan"), uzbek), T0) is None
    assert len(index) == 2
    assert ("reuters", "1") in index and ("reuters", "2") not in index
    assert "reuters" not in index and None not in index and ["reuters", "1"] not in index


def test_headline_only_entries_match_the_same_headline_only() -> None:
    index = StoryIndex(WINDOW)
    index.add(("a", "1"), fp(TITLE, LEAD), "s1", T0)
    assert index.find(fp(TITLE, ""), T0) == "s1"
    assert index.find(fp(TITLE.replace("first", "second"), ""), T0) is None
    assert index.find(fp("Rosatom to lead Kazakhstan's first nuclear plant", ""), T0) is None


def test_adding_a_key_again_replaces_the_entry() -> None:
    index = StoryIndex(WINDOW)
    index.add(("a", "1"), fp(TITLE, LEAD), "s1", T0)
    index.add(("a", "1"), fp(OTHER_TITLE, OTHER_LEAD), "s2", T0 + HOUR)
    assert len(index) == 1
    assert index.find(fp(TITLE, LEAD), T0 + HOUR) is None
    assert index.find(fp(OTHER_TITLE, OTHER_LEAD), T0 + HOUR) == "s2"
    assert index.forget(T0 + HOUR) == 0  # the replaced entry is no longer there to drop
    assert index.forget(T0 + 2 * HOUR) == 1
    assert len(index) == 0


def test_forget_drops_the_entries_seen_before_and_says_how_many() -> None:
    index = StoryIndex(WINDOW)
    for hour in range(5):
        index.add(("a", str(hour)), numbered(hour), f"s{hour}", T0 + hour * HOUR)
    assert index.forget(T0) == 0  # nothing is older: nothing to drop
    assert index.forget(T0 + 2 * HOUR) == 2  # seen at T0 and T0+1h; T0+2h stays
    assert len(index) == 3 and ("a", "1") not in index and ("a", "2") in index
    assert index.find(numbered(1), T0 + 4 * HOUR) is None
    assert index.find(numbered(2), T0 + 4 * HOUR) == "s2"
    assert index.forget(T0 + 2 * HOUR) == 0
    assert index.forget(T0 + 10 * HOUR) == 3 and len(index) == 0


def test_forget_works_whatever_order_entries_were_added_in() -> None:
    index = StoryIndex(WINDOW)
    index.add(("a", "late"), numbered(1), "s1", T0 + 3 * HOUR)
    index.add(("a", "early"), numbered(2), "s2", T0)
    assert index.forget(T0 + HOUR) == 1
    assert ("a", "early") not in index and ("a", "late") in index


def test_find_only_looks_back_as_far_as_the_window() -> None:
    index = StoryIndex(3600)
    index.add(("a", "1"), fp(TITLE, LEAD), "s1", T0)
    copy = fp(TITLE, FIRST_SENTENCE)
    assert index.find(copy, T0 + HOUR) == "s1"  # seen exactly at at - window: inside
    assert index.find(copy, T0 + HOUR + timedelta(seconds=1)) is None
    assert len(index) == 1  # find() never drops anything; forget() does


def test_the_most_similar_entry_wins_then_the_oldest() -> None:
    index = StoryIndex(WINDOW)
    index.add(("a", "trimmed"), fp(TITLE, FIRST_SENTENCE), "trimmed", T0)
    index.add(("b", "full"), fp(TITLE, LEAD), "full", T0 + HOUR)
    index.add(("c", "full-again"), fp(TITLE, LEAD), "full-again", T0 + 2 * HOUR)
    longer = fp(TITLE, LEAD + " Kazakh voters backed the plant in a referendum in 2024.")
    # the trimmed copy is contained in it too, but less of it is shared
    assert index.find(longer, T0 + 3 * HOUR) == "full"
    assert index.find(fp(TITLE, FIRST_SENTENCE), T0 + 3 * HOUR) == "trimmed"


def test_a_story_is_not_joined_through_a_copy_that_agrees_with_both() -> None:
    """same_story is not transitive: a trimmed copy agrees with the full story and with
    another one that differs only in the part it trimmed."""
    opening = (
        "Kazakh President Kassym-Jomart Tokayev met Russian President Vladimir Putin in Astana "
        "on Monday to discuss energy cooperation and a new railway to the Caspian port of Aktau."
    )
    title = "Tokayev, Putin discuss energy and Aktau railway in Astana"
    oil = fp(title, opening + " They agreed to raise oil supplies through the CPC pipeline.")
    trimmed = fp(title, opening)
    gas = fp(title, opening + " They agreed to raise gas supplies via the Central Asia pipeline.")
    assert same_story(oil, trimmed) and same_story(trimmed, gas) and not same_story(oil, gas)
    assert relation(oil, gas) == CONFLICT
    index = StoryIndex(WINDOW)
    index.add(("a", "oil"), oil, "oil", T0)
    index.add(("b", "trimmed"), trimmed, "oil", T0)
    assert index.find(gas, T0) is None
    index.add(("c", "other"), fp(OTHER_TITLE, OTHER_LEAD), "other", T0)
    assert index.find(fp(title, opening + " Read also: tenge hits a low."), T0) == "oil"


def test_languages_are_never_one_story() -> None:
    index = StoryIndex(WINDOW)
    russian = "«Росатом» построит первую АЭС в Казахстане у села Улькен на берегу озера Балхаш."
    kazakh = (
        "«Росатом» Қазақстандағы алғашқы АЭС-ті Балқаш көлінің жағасындағы Үлкен ауылында салады."
    )
    index.add(("ru", "1"), fp("«Росатом» построит первую АЭС в Казахстане", russian), "ru", T0)
    index.add(("kk", "1"), fp("«Росатом» Қазақстанда алғашқы АЭС салады", kazakh), "kk", T0)
    index.add(("en", "1"), fp(TITLE, LEAD), "en", T0)
    same_words = fp("«Росатом» построит первую АЭС в Казахстане", russian + " Қазақстан Үлкен")
    assert same_words.language == "kk"
    assert index.find(same_words, T0) != "ru"
    assert index.find(fp("«Росатом» построит первую АЭС в Казахстане", russian), T0) == "ru"


def test_a_flood_of_alike_entries_still_finds_the_copy() -> None:
    """More candidates than find() compares: those sharing the most keys come first."""
    index = StoryIndex(WINDOW)
    template = (
        "Kazakhstan's tenge weakened {n}% to {m} per U.S. dollar on Monday, its weakest level "
        "since January, as Brent crude fell below $70 a barrel, exchange data showed."
    )
    for n in range(2 * MAX_COMPARED):
        text = template.format(n=n / 10, m=400 + n)
        index.add(("kase", str(n)), fp(f"Tenge weakens to {400 + n} per dollar", text), f"t{n}", T0)
    wanted = template.format(n=0.7, m=407)
    assert index.find(fp("Tenge hits weakest level since January", wanted), T0) == "t7"
    assert index.find(fp("Tenge weakens", template.format(n=9.9, m=999)), T0) is None


def test_many_entries_rebuild_the_keys_and_forget_the_dead() -> None:
    index = StoryIndex(WINDOW)
    count = 600  # enough keys for the sorted arrays to be rebuilt several times
    for n in range(count):
        index.add(("f", str(n)), numbered(n), f"s{n}", T0 + timedelta(minutes=n))
    assert all(index.find(numbered(n), T0 + 10 * HOUR) == f"s{n}" for n in range(0, count, 37))
    assert index.forget(T0 + timedelta(minutes=count // 2)) == count // 2
    for n in range(count, count + 300):  # more adds: a rebuild leaves the dead keys out
        index.add(("f", str(n)), numbered(n), f"s{n}", T0 + timedelta(minutes=n))
    assert index.find(numbered(3), T0 + 10 * HOUR) is None
    assert index.find(numbered(count - 1), T0 + 10 * HOUR) == f"s{count - 1}"
    assert index.find(numbered(count + 299), T0 + 10 * HOUR) == f"s{count + 299}"
    assert len(index) == count // 2 + 300


# --- hostile input ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "text"),
    [
        ("", ""),
        ("   ", "\n\t \r"),
        ("Tokayev", ""),  # a bare short headline
        ("😀🚀🔥 🇰🇿🇷🇺", "👍" * 5000),
        ("12 000 2024 5%", "1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 " * 50),
        ("\x00\x01\x02\x1b[31m", "\x00" * 10_000),
        ("...", "!?.;…" * 1000),
    ],
)
def test_too_little_text_has_no_fingerprint(title: str, text: str) -> None:
    assert fingerprint(title, text) is None


def test_a_huge_lead_is_read_up_to_its_cap() -> None:
    huge = LEAD + " " + "Filler words follow here endlessly. " * 30_000  # about a megabyte
    assert len(huge) > 1_000_000
    made = fp(TITLE, huge)
    assert same_story(made, fp(TITLE, huge[:MAX_TEXT]))
    assert same_story(made, fp(TITLE, LEAD))
    one_word = fingerprint(TITLE, "a" * 1_000_000)
    assert one_word is not None and not len(one_word.lead)  # read as a headline alone


def test_emoji_and_control_characters_between_words_change_nothing() -> None:
    clean = fp(TITLE, LEAD)
    noisy = fp(
        "🔥 " + TITLE + " \x00", LEAD.replace(" ", " \u200b\x07 ").replace("Rosatom", "Rosatom 🚀")
    )
    assert same_story(clean, noisy)
    index = StoryIndex(WINDOW)
    index.add(("a", "1"), clean, "s1", T0)
    assert index.find(noisy, T0) == "s1"


def test_fingerprints_of_hostile_text_compare_without_error() -> None:
    texts = [
        ("Ω" * 400, "ß" * 1500),  # letters whose case forms change length
        ("İstanbul İzmir Ankara Bursa", "İİİ " * 400),
        ("中国 哈萨克斯坦 合作 协议 签署", "中国和哈萨克斯坦签署了合作协议。" * 50),
        ("Dates 1.2.3.4.5 and 1,000,000,000,000", "Numbers 1.5 1,5 12 000 0,500 3.14159. " * 40),
        ("\u202eRTL override here and there now", "\u202e" + LEAD),
    ]
    made = [fingerprint(title, text) for title, text in texts]
    assert made[2] is not None and made[2].language == ""
    index = StoryIndex(WINDOW)
    for n, one in enumerate(made):
        if one is not None:
            assert same_story(one, one)
            index.add(("h", str(n)), one, f"h{n}", T0)
    for one in made:
        if one is not None:
            assert index.find(one, T0) is not None
