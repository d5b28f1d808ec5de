"""Texts other people read: student names, issuer and badge texts, CSV rows.

``clean_text`` is the gate they pass. It normalises to NFC (the same name typed
on a Mac and on Windows becomes the same string) and keeps Japanese text,
full-width spaces and emoji as typed. It refuses what could hide or disguise
what a reader sees, or what a database cannot store:

- control characters: C0 (NUL among them: PostgreSQL cannot store it) and C1;
  a multi-line text keeps its line feeds and tabs (CR LF becomes LF);
- line and paragraph separators (U+2028, U+2029), surrogates, noncharacters;
- format characters: bidi embeddings, overrides and isolates (U+202A-U+202E,
  U+2066-U+2069), bidi marks, zero-width spaces, word joiners, the byte order
  mark, tag characters, and the unassigned code points renderers must hide.
  Only the zero-width joiner and non-joiner stay: emoji sequences and some
  scripts need them;
- a text that has characters but none a reader can see: spaces, joiners,
  variation selectors, combining marks with nothing to sit on, Hangul
  fillers, the blank Braille pattern.
"""

from __future__ import annotations

import unicodedata

from wallet.services.errors import ValidationError

_JOINERS = frozenset("\u200c\u200d")  # zero-width non-joiner and joiner
_MULTILINE_CONTROLS = frozenset("\n\t")
# letters and symbols that draw nothing (what "invisible" names are made of)
_BLANK_GLYPHS = frozenset("\u115f\u1160\u3164\uffa0\u2800")
# unassigned, but default-ignorable: a renderer shows nothing for them
_HIDDEN_UNASSIGNED = ((0x2065, 0x2065), (0xFFF0, 0xFFF8), (0xE0000, 0xE0FFF))


class TextError(ValidationError):
    """A text that cannot be shown to others as it is; the subclass says why."""


class ControlCharacterError(TextError):
    """A control or format character; ``params["char"]`` names the first, as U+XXXX."""

    code = "text_control"


class InvisibleTextError(TextError):
    """Characters, but none that a reader can see."""

    code = "text_invisible"


class TextTooLongError(TextError):
    """Longer than ``params["max_len"]`` characters (after normalising)."""

    code = "text_too_long"


def clean_text(
    value: str, *, field: str | None = None, multiline: bool = False, max_len: int | None = None
) -> str:
    """``value`` in NFC without surrounding whitespace, or a ``TextError`` for ``field``.

    Empty (or only whitespace) gives ``""``: whether a text may be empty is the
    caller's rule. Whitespace inside the text, full-width spaces included, is
    kept as typed.
    """
    if multiline:
        value = value.replace("\r\n", "\n").replace("\r", "\n")
    text = unicodedata.normalize("NFC", value.strip())
    hidden = next((ch for ch in text if is_refused(ch, multiline=multiline)), None)
    if hidden is not None:
        raise ControlCharacterError(field=field, char=code_point(hidden))
    if text and all(_draws_nothing(ch) for ch in text):
        raise InvisibleTextError(field=field)
    if max_len is not None and len(text) > max_len:
        raise TextTooLongError(field=field, max_len=max_len)
    return text


def is_refused(ch: str, *, multiline: bool = False) -> bool:
    """Whether ``clean_text`` refuses the character ``ch`` wherever it stands."""
    category = unicodedata.category(ch)
    if category == "Cc":
        return not (multiline and ch in _MULTILINE_CONTROLS)
    if category == "Cf":
        return ch not in _JOINERS
    if category in {"Cs", "Zl", "Zp"}:
        return True
    if category == "Cn":
        point = ord(ch)
        is_noncharacter = 0xFDD0 <= point <= 0xFDEF or point & 0xFFFE == 0xFFFE
        return is_noncharacter or any(low <= point <= high for low, high in _HIDDEN_UNASSIGNED)
    return False


def _draws_nothing(ch: str) -> bool:
    return (
        ch.isspace()
        or ch in _JOINERS
        or ch in _BLANK_GLYPHS
        or unicodedata.category(ch).startswith("M")
    )


def code_point(ch: str) -> str:
    return f"U+{ord(ch):04X}"


def reveal(value: str) -> str:
    """``value`` with each refused character shown as [U+XXXX], for a page that must
    show a refused text (a problem row, a file name) without being disguised by it."""
    return "".join(f"[{code_point(ch)}]" if is_refused(ch) else ch for ch in value)
