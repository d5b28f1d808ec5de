"""Password policy and names (no database)."""

from __future__ import annotations

import pytest

from wallet.services.accounts import clean_name
from wallet.services.errors import ValidationError
from wallet.services.passwords import PasswordPolicyError, check_password, common_passwords
from wallet.services.text import ControlCharacterError, InvisibleTextError


@pytest.mark.parametrize(
    ("password", "code"),
    [
        ("short", "password_short"),
        ("x" * 257, "password_long"),
        ("Hanako.S@Shizuoka.ac.jp", "password_email"),
        ("hanako", "password_short"),
        ("hanako.s", "password_email"),
        ("Password123", "password_common"),
        ("qwertyuiop", "password_common"),
        ("sakura2024", "password_common"),
        ("19980814", "password_common"),
    ],
)
def test_weak_passwords_are_refused(password: str, code: str) -> None:
    with pytest.raises(PasswordPolicyError) as caught:
        check_password(password, "hanako.s@shizuoka.ac.jp")
    assert caught.value.code == code


@pytest.mark.parametrize("password", ["夏の富士山に登る 2026", "x" * 256, "correct horse battery"])
def test_good_passwords_pass(password: str) -> None:
    check_password(password, "hanako@shizuoka.ac.jp")


def test_the_shipped_common_list_is_substantial() -> None:
    words = common_passwords()
    assert len(words) > 3000
    assert {"password", "12345678", "iloveyou", "sakura123"} <= words


@pytest.mark.parametrize("name", ["", "   ", "\u3000\u3000", "\t\n", "x" * 201])
def test_empty_or_huge_names_are_refused(name: str) -> None:
    with pytest.raises(ValidationError):
        clean_name(name)


def test_names_are_tidied() -> None:
    assert clean_name("  静岡\u3000 花子 ") == "静岡 花子"
    assert clean_name("Jose\u0301") == "José"


@pytest.mark.parametrize(
    ("name", "error"),
    [
        ("静岡\x00花子", ControlCharacterError),
        ("\u202e子花 岡静", ControlCharacterError),
        ("静岡\t花子", ControlCharacterError),
        ("\u3164", InvisibleTextError),
        ("\u200b", ControlCharacterError),
    ],
)
def test_names_with_hidden_characters_are_refused(name: str, error: type[Exception]) -> None:
    with pytest.raises(error):
        clean_name(name)
