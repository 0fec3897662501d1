"""Feed text made safe to show: no control characters, no bidirectional overrides.

And no lone surrogates: a truncated emoji (JSON ``"\\ud83d"``, XML ``&#xD800;``) has no
UTF-8 form, so it could be neither stored nor sent; it becomes U+FFFD.
"""

from __future__ import annotations

# C0 controls except tab, line feed and carriage return; DEL; the C1 controls; and the
# bidirectional embeddings, overrides and isolates, which can make a text read backwards
# ("moc.elgoog" shown as "google.com") or reorder what follows it in a message.
_STRIPPED = [*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), *range(0x7F, 0xA0)]
_BIDI = [*range(0x202A, 0x202F), *range(0x2066, 0x206A)]
_TABLE: dict[int, str | None] = dict.fromkeys([*_STRIPPED, *_BIDI])
_SURROGATES = dict.fromkeys(range(0xD800, 0xE000), "\ufffd")
_TABLE.update(_SURROGATES)


def clean(text: str) -> str:
    """``text`` without C0 (but tab, line feed, carriage return), DEL, C1 and bidi controls.

    Lone surrogates (U+D800 to U+DFFF) become U+FFFD.
    """
    return text.translate(_TABLE)


def whole(text: str) -> str:
    """``text`` with each lone surrogate (U+D800 to U+DFFF) replaced by U+FFFD."""
    return text.translate(_SURROGATES)
