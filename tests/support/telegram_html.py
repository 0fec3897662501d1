"""Telegram's HTML parse mode, as the fake Bot API checks messages sent with it.

:func:`parse_html` turns ``parse_mode=HTML`` text into the visible text and its
entities, or raises :class:`HtmlError` with Telegram's own wording. Its rules come from
two places: the Bot API documentation ("Formatting options", HTML style: the tags and
attributes allowed, the four named entities, numeric entities, every ``<``, ``>`` and
``&`` outside a tag or entity escaped) and Telegram's parser itself (tdlib's
``parse_html``: how tags nest and close, attribute syntax, the error messages with byte
offsets). Where the two differ, the documentation wins: Telegram lets a bare ``&`` and
``>`` through, this checker refuses them (``>`` unless ``strict_gt=False``), so a
message that passes here is valid there.

Offsets and lengths are in UTF-16 code units (:func:`utf16_len`), as Telegram counts
them; :func:`strip_message` trims a message's surrounding whitespace as Telegram does.

Standard library only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

JSONDict = dict[str, Any]

_ENTITY_TYPE = {
    "a": "text_link",
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "span": "spoiler",
    "tg-spoiler": "spoiler",
    "tg-emoji": "custom_emoji",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
}
ALLOWED_TAGS = frozenset(_ENTITY_TYPE)
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_HTML_ENTITY = re.compile(r"&(?:#([0-9]{1,7})|#[xX]([0-9a-fA-F]{1,6})|([A-Za-z][A-Za-z0-9]*));")
_SPACES = " \t\r\n\v\f"
_NAME_TOKEN = re.compile(r"[A-Za-z0-9.\-]*")


class HtmlError(ValueError):
    """Text that Telegram's HTML parser refuses; the message follows Telegram's wording."""


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit of Telegram's offsets and limits."""
    return len(text) + sum(1 for char in text if ord(char) > 0xFFFF)


@dataclass
class _OpenTag:
    name: str
    attrs: dict[str, str]
    offset: int  # UTF-16 offset of the tag's content in the visible text


@dataclass
class _HtmlParser:
    """Telegram's HTML parse (tdlib ``parse_html``), tightened to the documented rules."""

    text: str
    strict_gt: bool
    pos: int = 0
    out: list[str] = field(default_factory=list)
    utf16: int = 0
    stack: list[_OpenTag] = field(default_factory=list)
    entities: list[JSONDict] = field(default_factory=list)

    def parse(self) -> tuple[str, list[JSONDict]]:
        text = self.text
        while self.pos < len(text):
            char = text[self.pos]
            if char == "&":
                decoded, self.pos = self._entity(self.pos)
                self._emit(decoded)
            elif char == "<":
                self._tag()
            elif char == ">" and self.strict_gt:
                raise HtmlError(
                    f'Character ">" at byte offset {self._byte(self.pos)} must be escaped as "&gt;"'
                )
            else:
                self._emit(char)
                self.pos += 1
        if self.stack:
            name = self.stack[-1].name
            raise HtmlError(f'Can\'t find end tag corresponding to start tag "{name}"')
        self.entities.sort(key=lambda e: (e["offset"], -e["length"]))
        return "".join(self.out), self.entities

    def _byte(self, index: int) -> int:
        return len(self.text[:index].encode("utf-8", "surrogatepass"))

    def _emit(self, chars: str) -> None:
        self.out.append(chars)
        self.utf16 += utf16_len(chars)

    def _entity(self, start: int) -> tuple[str, int]:
        """The character of the entity at ``start`` and the index after it.

        A bare ``&`` or an entity Telegram does not know is an error.
        """
        match = _HTML_ENTITY.match(self.text, start)
        if match is None:
            raise HtmlError(
                f'Character "&" at byte offset {self._byte(start)} must be escaped as "&amp;"'
            )
        decimal, hexadecimal, name = match.groups()
        if name is not None:
            char = _NAMED_ENTITIES.get(name)
        else:
            code = int(decimal) if decimal is not None else int(hexadecimal, 16)
            valid = 0 < code < 0x10FFFF and not 0xD800 <= code <= 0xDFFF
            char = chr(code) if valid else None
        if char is None:
            raise HtmlError(
                f'Unsupported HTML entity "{match.group()}" at byte offset {self._byte(start)}'
            )
        return char, match.end()

    def _tag(self) -> None:
        if self.text.startswith("</", self.pos):
            self._end_tag(self.pos)
        else:
            self._start_tag(self.pos)

    def _skip_spaces(self, index: int) -> int:
        while index < len(self.text) and self.text[index] in _SPACES:
            index += 1
        return index

    def _word_end(self, index: int, stops: str) -> int:
        while index < len(self.text) and self.text[index] not in _SPACES + stops:
            index += 1
        return index

    def _start_tag(self, begin: int) -> None:
        at = f"at byte offset {self._byte(begin)}"
        end = self._word_end(begin + 1, ">")
        if end >= len(self.text):
            raise HtmlError(f"Unclosed start tag {at}")
        name = self.text[begin + 1 : end].lower()
        if name not in ALLOWED_TAGS:
            raise HtmlError(f'Unsupported start tag "{name}" {at}')
        attrs, self.pos = self._attributes(name, end, at)
        self._check_tag(name, attrs, at)
        self.stack.append(_OpenTag(name, attrs, self.utf16))

    def _attributes(self, tag: str, index: int, at: str) -> tuple[dict[str, str], int]:
        """Parse attributes up to the closing ``>``; return them and the index after it."""
        text, attrs = self.text, dict[str, str]()
        while True:
            index = self._skip_spaces(index)
            if index >= len(text):
                raise HtmlError(f'Unclosed start tag "{tag}" {at}')
            if text[index] == ">":
                return attrs, index + 1
            name_end = self._word_end(index, "=>")
            name = text[index:name_end].lower()
            if not name:
                raise HtmlError(f'Empty attribute name in the tag "{tag}" {at}')
            index = self._skip_spaces(name_end)
            if index < len(text) and text[index] != "=":
                if (tag, name) != ("blockquote", "expandable"):
                    raise HtmlError(
                        "Expected equal sign in declaration of an attribute "
                        f'of the tag "{tag}" {at}'
                    )
                attrs[name] = ""
                continue
            index = self._skip_spaces(index + 1)
            if index >= len(text):
                raise HtmlError(f'Unclosed start tag "{tag}" {at}')
            attrs[name], index = self._attribute_value(index)

    def _attribute_value(self, index: int) -> tuple[str, int]:
        text = self.text
        quote = text[index]
        if quote not in "'\"":
            token = _NAME_TOKEN.match(text, index)
            end = token.end() if token else index
            if end < len(text) and text[end] not in _SPACES + ">":
                raise HtmlError(f"Unexpected end of name token at byte offset {self._byte(index)}")
            return text[index:end].lower(), end
        value: list[str] = []
        index += 1
        while index < len(text) and text[index] != quote:
            if text[index] == "&":
                decoded, index = self._entity(index)
                value.append(decoded)
            else:
                value.append(text[index])
                index += 1
        if index >= len(text):
            raise HtmlError(f"Unclosed start tag at byte offset {self._byte(index)}")
        return "".join(value), index + 1

    def _check_tag(self, name: str, attrs: dict[str, str], at: str) -> None:
        if name == "a" and not attrs.get("href", "").strip():
            raise HtmlError(f'Tag "a" must have attribute "href" {at}')
        if name == "span" and attrs.get("class") != "tg-spoiler":
            raise HtmlError(f'Tag "span" must have class "tg-spoiler" {at}')
        if name == "tg-emoji" and not attrs.get("emoji-id"):
            raise HtmlError(f'Tag "tg-emoji" must have attribute "emoji-id" {at}')

    def _end_tag(self, begin: int) -> None:
        at = f"at byte offset {self._byte(begin)}"
        if not self.stack:
            raise HtmlError(f"Unexpected end tag {at}")
        name_end = self._word_end(begin + 2, ">")
        index = self._skip_spaces(name_end)
        if index >= len(self.text) or self.text[index] != ">":
            raise HtmlError(f"Unclosed end tag {at}")
        name = self.text[begin + 2 : name_end].lower()
        open_tag = self.stack[-1]
        if name and name != open_tag.name:
            raise HtmlError(
                f'Unmatched end tag {at}, expected "</{open_tag.name}>", found "</{name}>"'
            )
        self.stack.pop()
        self.pos = index + 1
        self._close_entity(open_tag)

    def _close_entity(self, tag: _OpenTag) -> None:
        length = self.utf16 - tag.offset
        if length <= 0:
            return
        entity: JSONDict = {"type": _ENTITY_TYPE[tag.name], "offset": tag.offset, "length": length}
        if tag.name == "a":
            entity["url"] = tag.attrs["href"].strip()
        elif tag.name == "tg-emoji":
            entity["custom_emoji_id"] = tag.attrs["emoji-id"]
        elif tag.name == "blockquote" and "expandable" in tag.attrs:
            entity["type"] = "expandable_blockquote"
        elif tag.name == "code" and tag.attrs.get("class", "").startswith("language-"):
            entity["language"] = tag.attrs["class"].removeprefix("language-")
        elif tag.name == "pre":
            self._merge_code_into_pre(entity)
        self.entities.append(entity)

    def _merge_code_into_pre(self, pre: JSONDict) -> None:
        """``<pre><code class="language-x">`` is one pre entity with a language."""
        if not self.entities:
            return
        inner = self.entities[-1]
        same_span = (inner["offset"], inner["length"]) == (pre["offset"], pre["length"])
        if inner["type"] == "code" and same_span and "language" in inner:
            pre["language"] = inner["language"]
            self.entities.pop()


def parse_html(text: str, *, strict_gt: bool = True) -> tuple[str, list[JSONDict]]:
    """Parse Telegram HTML into the visible text and its entities (UTF-16 offsets).

    Follows Telegram's parser (tags, attributes, entity decoding, error messages with
    byte offsets) but holds the text to the Bot API's documented rule that every
    ``<``, ``>`` and ``&`` that is not part of a tag or an entity must be escaped.
    Telegram itself lets a bare ``&`` (also in attribute values) and a bare ``>``
    through; this parser refuses them (``>`` only with ``strict_gt``) and requires
    the closing ``;`` of entities. Raises :class:`HtmlError`.
    """
    return _HtmlParser(text, strict_gt).parse()


def strip_message(text: str, entities: list[JSONDict]) -> tuple[str, list[JSONDict]]:
    """Trim surrounding whitespace as Telegram does, moving and clipping the entities."""
    stripped = text.strip()
    lead = utf16_len(text[: len(text) - len(text.lstrip())])
    size = utf16_len(stripped)
    kept = []
    for entity in entities:
        start = max(entity["offset"] - lead, 0)
        end = min(entity["offset"] + entity["length"] - lead, size)
        if end > start:
            kept.append({**entity, "offset": start, "length": end - start})
    return stripped, kept
