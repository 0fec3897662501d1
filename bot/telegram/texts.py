"""Every reply the bot writes, in English, Russian and Kazakh, from gettext catalogs.

The texts live in ``bot/locales/LANG/LC_MESSAGES/*.po`` (every ``.po`` file of a
language is read: one per part of the bot), keyed by a short message id. They are
compiled with Babel when first needed, in memory. A text is Telegram HTML; its ``{}``
or ``{name}`` fields are filled by the caller, escaped.
"""

from __future__ import annotations

import functools
import gettext
from io import BytesIO
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALES = Path(__file__).resolve().parent.parent / "locales"
LANGUAGES = ("en", "ru", "kk")  # English first: the fallback
DEFAULT = "en"
NAMES = {"en": "English", "ru": "Русский", "kk": "Қазақша"}  # each in its own language
# Telegram languages whose users get another language of ours rather than English
ALIASES = {"be": "ru", "uk": "ru"}


def text(key: str, lang: str) -> str:
    """The text ``key`` in ``lang``; English when that language lacks it.

    A KeyError for a key no catalog has: a mistake in the code, never shown to a user.
    """
    for candidate in (lang, DEFAULT) if lang != DEFAULT else (DEFAULT,):
        found = catalogs().get(candidate, {}).get(key)
        if found:
            return found
    raise KeyError(f"no text {key!r}")


def language(code: str | None) -> str:
    """A Telegram ``language_code`` -> ``en``, ``ru`` or ``kk``."""
    base = (code or "").lower().replace("_", "-").split("-")[0]
    if base in LANGUAGES:
        return base
    return ALIASES.get(base, DEFAULT)


@functools.cache
def catalogs() -> dict[str, dict[str, str]]:
    """Every language's texts by key, compiled from the ``.po`` files once."""
    return {lang: _compiled(LOCALES / lang / "LC_MESSAGES") for lang in LANGUAGES}


def _compiled(folder: Path) -> dict[str, str]:
    """The translated texts of every catalog in ``folder``; untranslated ones are left out
    (gettext falls back to English for them)."""
    texts: dict[str, str] = {}
    for path in sorted(folder.glob("*.po")):
        with path.open("rb") as source:
            catalog = read_po(source, locale=folder.parent.name)
        compiled = BytesIO()
        write_mo(compiled, catalog)
        compiled.seek(0)
        translations = gettext.GNUTranslations(compiled)
        for message in catalog:
            key = message.id
            if key and isinstance(key, str) and message.string and not message.fuzzy:
                texts[key] = translations.gettext(key)  # the header and plurals are skipped
    return texts
