from __future__ import annotations

import hashlib

import pytest

from tests.unit.openbadges import world
from wallet.openbadges.errors import OpenBadgesError
from wallet.openbadges.hashing import (
    hash_identity,
    hashed_recipient,
    identity_matches,
    new_salt,
    normalise_email,
)
from wallet.openbadges.v2 import IdentityObject


def test_hash_is_prefixed_hexdigest_of_identity_then_salt() -> None:
    expected = hashlib.sha256(b"a@example.ac.jpdeadbeef").hexdigest()
    assert hash_identity("a@example.ac.jp", "deadbeef") == f"sha256${expected}"
    assert (
        hash_identity("a@example.ac.jp", None)
        == "sha256$" + hashlib.sha256(b"a@example.ac.jp").hexdigest()
    )
    md5 = hashlib.md5(b"a@x.jps", usedforsecurity=False).hexdigest()
    assert hash_identity("a@x.jp", "s", "md5") == f"md5${md5}"
    with pytest.raises(OpenBadgesError):
        hash_identity("a@x.jp", "s", "sha1")


def test_emails_are_normalised_whole() -> None:
    assert normalise_email("  Hanako.Yamada@Example.AC.JP\n") == "hanako.yamada@example.ac.jp"


def test_salts_are_fresh_32_hex_characters() -> None:
    salts = {new_salt() for _ in range(20)}
    assert len(salts) == 20
    assert all(len(salt) == 32 and int(salt, 16) >= 0 for salt in salts)


def test_hashed_recipient_matches_any_spelling_of_the_email_only() -> None:
    recipient = hashed_recipient(world.EMAIL)
    assert recipient.salt is not None
    assert identity_matches(recipient, ["other@example.ac.jp", " HANAKO.yamada@example.ac.jp "])
    assert not identity_matches(recipient, ["other@example.ac.jp"])
    assert not identity_matches(recipient, [])


def test_old_md5_hashes_and_plain_identities_match() -> None:
    md5 = IdentityObject(hash_identity("taro@example.jp", "pepper", "md5"), salt="pepper")
    assert identity_matches(md5, ["Taro@Example.jp"])
    upper = IdentityObject("SHA256$" + hash_identity("taro@example.jp", None)[7:].upper())
    assert identity_matches(upper, ["taro@example.jp"])
    plain = IdentityObject("Taro@Example.jp", hashed=False)
    assert identity_matches(plain, ["taro@example.jp"])
    assert not identity_matches(plain, ["jiro@example.jp"])
    url = IdentityObject("https://taro.example/", type="url", hashed=False)
    assert not identity_matches(url, ["https://TARO.example/"])


def test_a_hash_with_an_unknown_algorithm_never_matches() -> None:
    assert not identity_matches(IdentityObject("sha1$abc"), ["taro@example.jp"])
