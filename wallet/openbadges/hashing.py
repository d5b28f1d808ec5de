"""Recipient identity: email normalisation, salted hashes, matching candidates."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from typing import TYPE_CHECKING

from wallet.openbadges.errors import OpenBadgesError

if TYPE_CHECKING:
    from wallet.openbadges.v2 import IdentityObject

ALGORITHMS = ("sha256", "md5")


def normalise_email(email: str) -> str:
    """Strip surrounding whitespace and lower-case the whole address.

    The 1EdTech validator compares against `identity.lower()`, so issuer and verifier must
    normalise identically: the whole address, not only the domain.
    """
    return email.strip().lower()


def new_salt() -> str:
    """A fresh random salt: 32 hex characters."""
    return secrets.token_hex(16)


def hash_identity(identity: str, salt: str | None, algorithm: str = "sha256") -> str:
    """`"sha256$" + hexdigest(identity + salt)` (or `md5$` for older issuers).

    The identity is hashed exactly as given: normalise it first.
    """
    if algorithm not in ALGORITHMS:
        raise OpenBadgesError(f"unsupported hash algorithm: {algorithm}")
    digest = hashlib.new(
        algorithm, (identity + (salt or "")).encode("utf-8"), usedforsecurity=False
    )
    return f"{algorithm}${digest.hexdigest()}"


def _normalise(identity: str, identity_type: str) -> str:
    if identity_type == "email":
        return normalise_email(identity)
    return identity.strip()


def identity_matches(recipient: IdentityObject, candidates: Iterable[str]) -> bool:
    """Whether any candidate (an email, URL, ... of `recipient.type`) is the recipient.

    Candidates are normalised the same way issuers are expected to have normalised them; a
    hashed identity is compared with the candidate hashed using the document's algorithm and
    salt, in constant time.
    """
    if recipient.hashed:
        algorithm, _, expected = recipient.identity.partition("$")
        algorithm = algorithm.lower()
        if algorithm not in ALGORITHMS or not expected:
            return False
        expected_full = f"{algorithm}${expected.lower()}"
    else:
        expected_full = _normalise(recipient.identity, recipient.type)
    matched = False
    for candidate in candidates:
        value = _normalise(candidate, recipient.type)
        if recipient.hashed:
            value = hash_identity(value, recipient.salt, algorithm)
        if hmac.compare_digest(value.encode("utf-8"), expected_full.encode("utf-8")):
            matched = True
    return matched


def hashed_recipient(email: str, salt: str | None = None) -> IdentityObject:
    """A hashed, salted email IdentityObject for issuing (a new salt unless one is given)."""
    from wallet.openbadges.v2 import IdentityObject

    salt = new_salt() if salt is None else salt
    return IdentityObject(
        identity=hash_identity(normalise_email(email), salt), type="email", hashed=True, salt=salt
    )
