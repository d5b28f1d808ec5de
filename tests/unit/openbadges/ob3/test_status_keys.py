"""Bitstring status lists and key material, byte by byte."""

from __future__ import annotations

import base64
import gzip

import pytest

from tests.unit.openbadges.ob3 import world as w
from wallet.openbadges.ob3 import keys, status


def test_bit_zero_is_the_most_significant_bit_of_the_first_byte() -> None:
    encoded = status.set_bit(status.encode(status.new_bitstring()), 0)
    bitstring = gzip.decompress(base64.urlsafe_b64decode(encoded[1:] + "=="))
    assert encoded.startswith("u")
    assert len(bitstring) == 16 * 1024
    assert bitstring[0] == 0x80
    assert not any(bitstring[1:])
    assert status.bit(bitstring, 0)
    assert not status.bit(bitstring, 1)


def test_revoking_then_reinstating_flips_only_that_bit() -> None:
    encoded = status.encode(status.new_bitstring())
    revoked = status.set_bit(encoded, 131_071)
    assert status.bit(status.decode(revoked), 131_071)
    assert status.decode(status.set_bit(revoked, 131_071, False)) == status.decode(encoded)
    with pytest.raises(status.StatusError, match="outside"):
        status.set_bit(encoded, 131_072)


@pytest.mark.parametrize("encoded", ["", "u!!!", "u" + base64.urlsafe_b64encode(b"x").decode()])
def test_a_malformed_encoded_list_is_an_error(encoded: str) -> None:
    with pytest.raises(status.StatusError):
        status.decode(encoded)


def test_a_list_bomb_is_refused() -> None:
    bomb = gzip.compress(bytes(status.MAX_LIST_BYTES + 1))
    with pytest.raises(status.StatusError, match="inflates"):
        status.decode("u" + base64.urlsafe_b64encode(bomb).decode())


def test_multikey_and_jwk_forms_name_the_same_key() -> None:
    public = w.KEY.public_key()
    assert keys.multikey(public).startswith("z6Mk")
    assert keys.same_key(keys.public_key_from_multikey(keys.multikey(public)), public)
    assert keys.same_key(keys.public_key_from_jwk(keys.public_jwk(public)), public)
    with pytest.raises(keys.KeyMaterialError, match="private"):
        keys.public_key_from_jwk(keys.public_jwk(public) | {"d": "AAAA"})
    with pytest.raises(keys.KeyMaterialError):
        keys.public_key_from_multikey("z" + "1" * 40)


def test_a_did_key_resolves_to_its_own_key() -> None:
    did = "did:key:" + keys.multikey(w.KEY.public_key())
    document, method = keys.resolve_did_key(did)
    assert method.id == f"{did}#{did[8:]}"
    assert keys.listed_method(document, method.id) == method


@pytest.mark.parametrize(
    ("did", "url"),
    [
        ("did:web:example.ac.jp", "https://example.ac.jp/.well-known/did.json"),
        ("did:web:example.ac.jp:issuers:1#key-1", "https://example.ac.jp/issuers/1/did.json"),
    ],
)
def test_did_web_urls(did: str, url: str) -> None:
    assert keys.did_web_url(did) == url


@pytest.mark.parametrize(
    "did", ["did:web:", "did:web:a/b", "did:web:example.ac.jp::x", "did:key:x"]
)
def test_malformed_did_web(did: str) -> None:
    with pytest.raises(keys.KeyMaterialError):
        keys.did_web_url(did)
