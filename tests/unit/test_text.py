"""The normaliser every text shown to others passes: NFC, nothing hidden, something visible."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wallet.services.text import (
    ControlCharacterError,
    InvisibleTextError,
    TextError,
    TextTooLongError,
    clean_text,
    reveal,
)


@pytest.mark.parametrize(
    "text",
    [
        "静岡　花子",  # a full-width space stays as typed
        "ｼｽﾞｵｶ ﾀﾛｳ",  # half-width kana are not folded: NFC only
        "データサイエンス入門 🧑‍💻",  # an emoji sequence with a zero-width joiner
        "葛󠄀城 太郎",  # an ideographic variation sequence
        "José Müller",
        "Data Science Ⅱ",
    ],
)
def test_japanese_and_other_writing_pass_unchanged(text: str) -> None:
    assert clean_text(text) == text


def test_text_is_composed_and_trimmed() -> None:
    assert clean_text("  Jose\u0301 ") == "José"
    assert clean_text("\u3000静岡 花子\u3000") == "静岡 花子"
    assert clean_text("ka\u3099") == "ka\u3099"  # nothing to compose with
    assert clean_text("か\u3099") == "が"


def test_multiline_texts_keep_line_breaks_and_tabs_as_line_feeds() -> None:
    assert clean_text("一行目\r\n二行目\r三行目\n\tタブ", multiline=True) == (
        "一行目\n二行目\n三行目\n\tタブ"
    )


def test_empty_or_only_spaces_is_empty() -> None:
    assert clean_text("") == ""
    assert clean_text(" \u3000\t\n ") == ""


@pytest.mark.parametrize(
    ("hidden", "multiline"),
    [
        ("\x00", False),
        ("\x00", True),
        ("\x07", True),
        ("\x1b", False),
        ("\x7f", False),
        ("\x85", False),  # C1 next line
        ("\t", False),
        ("\n", False),
        ("\r", False),
        ("\u2028", True),  # line separator
        ("\u2029", True),  # paragraph separator
        ("\u202a", False),  # bidi embedding
        ("\u202e", False),  # bidi override
        ("\u202e", True),
        ("\u2066", False),  # bidi isolate
        ("\u2069", False),
        ("\u200e", False),  # left-to-right mark
        ("\u061c", False),  # Arabic letter mark
        ("\u200b", False),  # zero-width space
        ("\u2060", False),  # word joiner
        ("\ufeff", False),  # byte order mark
        ("\u00ad", False),  # soft hyphen
        ("\U000e0041", False),  # tag letter A
        ("\U000e0080", False),  # unassigned, but a renderer hides it
        ("\ufdd0", False),  # noncharacter
        ("\uffff", False),
        ("\ud800", False),  # a lone surrogate
    ],
)
def test_control_and_format_characters_are_refused_with_their_code(
    hidden: str, multiline: bool
) -> None:
    with pytest.raises(ControlCharacterError) as caught:
        clean_text(f"静岡{hidden}花子", field="name", multiline=multiline)
    assert caught.value.field == "name"
    assert caught.value.code == "text_control"
    assert caught.value.params == {"char": f"U+{ord(hidden):04X}"}


@pytest.mark.parametrize(
    "text",
    [
        "\u200d",  # zero-width joiner
        "\u200c\u200c",
        "\u3164",  # Hangul filler
        "\u115f\u1160",
        "\uffa0",
        "\u2800",  # blank Braille pattern
        "\u0301",  # a combining accent on nothing
        "\u20dd",  # an enclosing circle around nothing
        "\ufe0f",  # a variation selector alone
        " \u3164\u3000\u200d ",
    ],
)
def test_text_with_nothing_visible_is_refused(text: str) -> None:
    with pytest.raises(InvisibleTextError) as caught:
        clean_text(text, field="name_en")
    assert caught.value.field == "name_en"


def test_length_is_counted_after_normalising() -> None:
    assert clean_text("e\u0301" * 3, max_len=3) == "é" * 3
    with pytest.raises(TextTooLongError) as caught:
        clean_text("あ" * 4, field="tags", max_len=3)
    assert caught.value.params == {"max_len": 3}


def test_reveal_shows_refused_characters_by_their_code() -> None:
    assert reveal("evil\u202etxt.csv") == "evil[U+202E]txt.csv"
    assert reveal("静岡　花子") == "静岡　花子"


def _refused_here(ch: str, multiline: bool) -> bool:
    """The refusal rule, restated from the Unicode categories (not from the code)."""
    category = unicodedata.category(ch)
    if category == "Cc":
        return not (multiline and ch in "\n\t")
    if category == "Cf":
        return ch not in "\u200c\u200d"
    return category in {"Cs", "Zl", "Zp"}


@given(st.text(), st.booleans())
def test_what_passes_is_nfc_holds_nothing_refused_and_passes_again_unchanged(
    value: str, multiline: bool
) -> None:
    try:
        cleaned = clean_text(value, multiline=multiline)
    except TextError:
        return
    assert unicodedata.is_normalized("NFC", cleaned)
    assert not any(_refused_here(ch, multiline) for ch in cleaned)
    assert cleaned == cleaned.strip()
    assert clean_text(cleaned, multiline=multiline) == cleaned


@given(
    st.text(st.characters(categories=["L", "N", "P", "S", "Zs"])),
    st.characters(categories=["Cc", "Cf", "Zl", "Zp"]).filter(lambda ch: ch not in "\u200c\u200d"),
)
def test_a_hidden_character_inside_a_text_is_always_refused(value: str, hidden: str) -> None:
    with pytest.raises(ControlCharacterError):
        clean_text(f"名{value}{hidden}{value}前")


@given(st.text(st.characters(categories=["L", "N", "P", "S", "Zs"]), min_size=1))
def test_ordinary_text_passes_as_typed_apart_from_nfc(value: str) -> None:
    expected = unicodedata.normalize("NFC", value.strip())
    try:
        assert clean_text(value) == expected
    except InvisibleTextError:
        assert all(ch.isspace() or ch in "\u115f\u1160\u2800\u3164\uffa0" for ch in expected)
