from __future__ import annotations

import base64
import json

import pytest

from tests.unit.openbadges import world
from wallet.openbadges.errors import DocumentError, SignatureError
from wallet.openbadges.signing import (
    decode,
    is_jws,
    sign_assertion,
    sign_payload,
    verify_jws,
    verify_signed_assertion,
)
from wallet.openbadges.v2 import VerificationObject


def test_signed_assertion_round_trips_with_an_rs256_header() -> None:
    document = world.signed_assertion()
    jws = world.sign(document)
    assert is_jws(jws)
    assert decode(jws).header == {"alg": "RS256"}
    keys = {world.KEY_ID: world.key()}
    assert verify_signed_assertion(jws, keys) == document


def test_key_rotation_finds_the_key_named_by_creator() -> None:
    old = world.signed_assertion(
        verification=VerificationObject(type="SignedBadge", creator=world.OLD_KEY_ID)
    )
    jws = world.sign(old, "old")
    keys = {world.KEY_ID: world.key(), world.OLD_KEY_ID: world.key(world.OLD_KEY_ID, "old")}
    assert verify_signed_assertion(jws, keys) == old
    with pytest.raises(SignatureError, match="unknown"):
        verify_signed_assertion(jws, {world.KEY_ID: world.key()})


def test_a_tampered_payload_fails() -> None:
    header, payload, signature = world.sign(world.signed_assertion()).split(".")
    data = json.loads(base64.urlsafe_b64decode(payload + "=="))
    data["issuedOn"] = "2020-01-01T00:00:00+00:00"
    forged = base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()
    with pytest.raises(SignatureError, match="does not match"):
        verify_jws(f"{header}.{forged}.{signature}", world.key())


def test_the_wrong_key_fails() -> None:
    jws = world.sign(world.signed_assertion(), "old")
    with pytest.raises(SignatureError):
        verify_jws(jws, world.key())


def test_other_algorithms_are_refused() -> None:
    _, payload, signature = world.sign(world.signed_assertion()).split(".")
    none_header = base64.urlsafe_b64encode(b'{"alg":"none"}').rstrip(b"=").decode()
    with pytest.raises(SignatureError, match="RS256"):
        verify_jws(f"{none_header}.{payload}.{signature}", world.key())


def test_only_signed_badges_with_a_creator_are_signed() -> None:
    with pytest.raises(SignatureError):
        sign_assertion(world.assertion(), world.private_key())
    with pytest.raises(DocumentError):
        verify_signed_assertion(sign_payload({"type": "Assertion"}, world.private_key()), {})
    with pytest.raises(SignatureError):
        decode("not a jws")
