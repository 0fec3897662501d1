"""The gettext catalogs: every text in every language, complete and valid for Telegram.

Every ``.po`` file of every language folder is checked, whichever part of the bot added
it: the same files and keys in English, Russian and Kazakh, no empty text, the same
``{}`` fields in each language, and every text, its fields filled, valid Telegram HTML
within one message. Command menu descriptions are plain text within Telegram's limits.
"""

from __future__ import annotations

import re
import string
from collections import Counter
from pathlib import Path

import pytest
from babel.messages.catalog import Message
from babel.messages.pofile import read_po
from support.telegram_html import parse_html, utf16_len

from bot.telegram import menus
from bot.telegram.texts import LANGUAGES, LOCALES, catalogs

ROOT = Path(__file__).resolve().parent.parent
MAX_MESSAGE = 4096
SAMPLE = "&lt;Sample&gt; &amp; 7"  # a filled field is escaped text, as callers make it
Field = tuple[str, str, str | None]  # name (auto-numbered ones get their index), spec, !conversion


def files(lang: str) -> dict[str, dict[str, Message]]:
    """Every catalog of ``lang`` by file name: its messages by key (the header left out)."""
    found = {}
    for path in sorted((LOCALES / lang / "LC_MESSAGES").glob("*.po")):
        with path.open("rb") as source:
            catalog = read_po(source, locale=lang, abort_invalid=True)
        found[path.name] = {str(m.id): m for m in catalog if m.id}
    return found


def texts() -> list[tuple[str, str, str]]:
    """(language, key, text) for every message of every catalog."""
    return [
        (lang, key, str(message.string))
        for lang in LANGUAGES
        for messages in files(lang).values()
        for key, message in messages.items()
    ]


def _id(case: tuple[str, str, str]) -> str:
    return f"{case[0]}-{case[1]}"


def fields(template: str) -> Counter[Field]:
    """The ``{}`` fields of a text, as a multiset."""
    found: Counter[Field] = Counter()
    auto = 0
    for _, name, spec, conversion in string.Formatter().parse(template):
        if name is None:
            continue
        if name == "":
            name, auto = str(auto), auto + 1
        found[(name, spec or "", conversion)] += 1
    return found


class _Samples(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return SAMPLE


def rendered(template: str) -> str:
    """The text with every field filled with a sample value."""
    count = sum(1 for _, name, _, _ in string.Formatter().parse(template) if name is not None)
    return string.Formatter().vformat(template, [SAMPLE] * count, _Samples())


TEXTS = texts()
MENU_TEXTS = [case for case in TEXTS if case[1].startswith("cmd_")]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_catalog_parses_with_babel_and_names_its_language(lang: str) -> None:
    for path in sorted((LOCALES / lang / "LC_MESSAGES").glob("*.po")):
        with path.open("rb") as source:
            catalog = read_po(source, locale=lang, abort_invalid=True)
        assert str(catalog.locale) == lang, path
        assert dict(catalog.mime_headers).get("Language") == lang, path
        assert not [m.id for m in catalog if m.fuzzy and m.id], path
    assert files(lang), f"no catalog for {lang}"


def test_every_language_has_the_same_catalogs_and_keys() -> None:
    english = files("en")
    for lang in LANGUAGES:
        translated = files(lang)
        assert list(translated) == list(english), lang
        for name, messages in english.items():
            assert sorted(translated[name]) == sorted(messages), f"{lang}/{name}"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_no_key_is_in_two_catalogs(lang: str) -> None:
    keys = Counter(key for messages in files(lang).values() for key in messages)
    assert [key for key, count in keys.items() if count > 1] == []


@pytest.mark.parametrize(("lang", "key", "text"), TEXTS, ids=map(_id, TEXTS))
def test_no_text_is_empty(lang: str, key: str, text: str) -> None:
    assert text.strip(), f"{lang}: {key}"


def test_every_language_has_the_same_fields_as_english() -> None:
    english = {key: fields(text) for lang, key, text in texts() if lang == "en"}
    for lang, key, text in texts():
        assert fields(text) == english[key], f"{lang}: {key}"


def brace_flagged(path: Path) -> set[str]:
    """The keys flagged ``python-brace-format`` in a .po file.

    Read from the text: Babel sets that flag from the msgid, which here is a key.
    """
    flagged = set()
    for entry in re.split(r"\n\s*\n", path.read_text(encoding="utf-8")):
        flags = re.search(r"^#,(.*)$", entry, re.MULTILINE)
        key = re.search(r'^msgid "(.+)"$', entry, re.MULTILINE)
        names = {flag.strip() for flag in flags.group(1).split(",")} if flags else set()
        if key and "python-brace-format" in names:
            flagged.add(key.group(1))
    return flagged


@pytest.mark.parametrize("lang", LANGUAGES)
def test_texts_with_fields_are_flagged_python_brace_format(lang: str) -> None:
    for name, messages in files(lang).items():
        with_fields = {key for key, m in messages.items() if fields(str(m.string))}
        assert brace_flagged(LOCALES / lang / "LC_MESSAGES" / name) == with_fields, name


@pytest.mark.parametrize(("lang", "key", "text"), TEXTS, ids=map(_id, TEXTS))
def test_every_text_is_one_valid_telegram_html_message(lang: str, key: str, text: str) -> None:
    html = rendered(text)
    parse_html(html)  # raises with Telegram's wording when Telegram would refuse it
    assert utf16_len(html) <= MAX_MESSAGE, f"{lang}: {key}"


@pytest.mark.parametrize(("lang", "key", "text"), MENU_TEXTS, ids=map(_id, MENU_TEXTS))
def test_menu_descriptions_are_plain_text_within_telegrams_limits(
    lang: str, key: str, text: str
) -> None:
    assert 3 <= len(text) <= 256
    assert not re.search(r"[<>&{}\n]", text), f"{lang}: {key}"


def test_every_menu_command_is_described_in_every_language() -> None:
    described = {key for lang, key, _ in texts() if lang == "en"}
    commands = {name for menu in menus.menus([1]) for name in menu.names}
    assert len(commands) <= 100
    assert {f"cmd_{name}" for name in commands} <= described


def test_every_key_the_code_asks_for_exists() -> None:
    asked = {
        match
        for path in (ROOT / "bot").rglob("*.py")
        for match in re.findall(r"\btext\(\"(\w+)\"", path.read_text(encoding="utf-8"))
    }
    assert asked, "no text(...) calls found: the pattern is stale"
    for lang in LANGUAGES:
        assert sorted(asked - set(catalogs()[lang])) == [], lang
