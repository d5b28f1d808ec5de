"""The password policy: length, not the address, not a common password."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from wallet.openbadges.hashing import normalise_email
from wallet.services.errors import ValidationError

PASSWORD_MIN = 8
PASSWORD_MAX = 256
COMMON_PASSWORDS = Path(__file__).resolve().parent.parent / "data" / "common_passwords.txt"


class PasswordPolicyError(ValidationError):
    """``code`` says which rule failed: short, long, email or common."""

    field = "password"


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    with COMMON_PASSWORDS.open(encoding="utf-8") as handle:
        return frozenset(line.strip().lower() for line in handle if line.strip())


def check_password(password: str, email: str) -> None:
    """Raise ``PasswordPolicyError`` unless ``password`` is acceptable for ``email``."""
    if len(password) < PASSWORD_MIN:
        raise PasswordPolicyError("password_short")
    if len(password) > PASSWORD_MAX:
        raise PasswordPolicyError("password_long")
    lowered = password.strip().lower()
    email = normalise_email(email)
    if lowered in {email, email.partition("@")[0]}:
        raise PasswordPolicyError("password_email")
    if lowered in common_passwords():
        raise PasswordPolicyError("password_common")
