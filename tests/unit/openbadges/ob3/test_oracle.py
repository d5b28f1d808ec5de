"""Ours against an independent implementation: Digital Bazaar's vc + eddsa-rdfc-2022 and jose.

All tasks go to Node in one batch per module (tests/oracles/vc/oracle.mjs), whose document
loader serves only our bundled contexts and the issuer profile handed in.
"""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.unit.openbadges.ob3 import world as w
from wallet.openbadges.ob3 import keys, vcjwt
from wallet.openbadges.ob3.verify import verify

ORACLE = Path(__file__).parents[3] / "oracles" / "vc"
RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


def run_oracle(tasks: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    node = shutil.which("node")
    if node is None or not (ORACLE / "node_modules").is_dir():
        pytest.fail(
            "the Node oracle is not installed: run `npm ci` in tests/oracles/vc (bin/test does)"
        )
    batch = json.dumps({"tasks": list(tasks.values())}, ensure_ascii=False)
    done = subprocess.run(
        [node, str(ORACLE / "oracle.mjs")],
        input=batch.encode("utf-8"),
        capture_output=True,
        timeout=120,
        check=True,
    )
    results = json.loads(done.stdout)["results"]
    return dict(zip(tasks, results, strict=True))


def okp_private_jwk() -> dict[str, str]:
    raw = w.KEY.private_bytes_raw()
    return keys.public_jwk(w.KEY.public_key()) | {
        "d": base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
    }


OURS_DI = w.signed(w.credential(11))
OURS_JWT = w.jwt(w.credential(12))
OURS_RS256 = vcjwt.sign(w.credential(13).to_json(), RSA_KEY, kid=w.RSA_KEY_ID)
THEIR_PAYLOAD = json.dumps(
    w.credential(14).to_json() | vcjwt.claims_for(w.credential(14).to_json()),
    ensure_ascii=False,
)


@pytest.fixture(scope="module")
def oracle() -> dict[str, dict[str, Any]]:
    profile = w.World(rsa_key=RSA_KEY).profile()
    tampered = json.loads(json.dumps(OURS_DI))
    tampered["credentialSubject"]["achievement"]["name"] = "データサイエンス応用"
    return run_oracle(
        {
            "ours_di": {
                "kind": "verifyDi",
                "credential": OURS_DI,
                "documents": {w.ISSUER: profile},
            },
            "ours_tampered": {
                "kind": "verifyDi",
                "credential": tampered,
                "documents": {w.ISSUER: profile},
            },
            "ours_jwt": {
                "kind": "verifyJwt",
                "token": OURS_JWT,
                "jwk": keys.public_jwk(w.KEY.public_key()),
                "alg": "EdDSA",
            },
            "ours_rs256": {
                "kind": "verifyJwt",
                "token": OURS_RS256,
                "jwk": keys.public_jwk(RSA_KEY.public_key()),
                "alg": "RS256",
            },
            "their_di": {
                "kind": "signDi",
                "credential": w.credential(15).to_json(),
                "seedHex": w.KEY.private_bytes_raw().hex(),
                "verificationMethod": w.KEY_ID,
                "controller": w.ISSUER,
            },
            "their_jwt": {
                "kind": "signJwt",
                "payload": THEIR_PAYLOAD,
                "jwk": okp_private_jwk(),
                "alg": "EdDSA",
                "kid": w.KEY_ID,
            },
        }
    )


def test_digital_bazaar_verifies_our_data_integrity_proof(oracle: dict[str, Any]) -> None:
    assert oracle["ours_di"] == {"verified": True, "errors": []}


def test_digital_bazaar_rejects_our_credential_once_tampered(oracle: dict[str, Any]) -> None:
    assert oracle["ours_tampered"]["verified"] is False


def test_jose_verifies_our_jwts_and_reads_the_japanese_bytes_we_wrote(
    oracle: dict[str, Any],
) -> None:
    for name, token in (("ours_jwt", OURS_JWT), ("ours_rs256", OURS_RS256)):
        result = oracle[name]
        assert result["verified"] is True, result
        payload = base64.b64decode(result["payloadBase64"])
        assert payload == base64.urlsafe_b64decode(token.split(".")[1] + "==")
        assert "データサイエンス基礎".encode() in payload
    assert oracle["ours_rs256"]["header"] == {"alg": "RS256", "kid": w.RSA_KEY_ID, "typ": "JWT"}


def test_a_credential_digital_bazaar_signs_verifies_in_ours(oracle: dict[str, Any]) -> None:
    signed = oracle["their_di"]["signed"]
    assert oracle["their_di"]["publicKeyMultibase"] == keys.multikey(w.KEY.public_key())

    report = verify(json.dumps(signed, ensure_ascii=False), w.World().fetcher(), now=w.NOW)

    assert report.valid, report.failures
    assert report.status_of("proof.valid") == "pass"


def test_a_jwt_jose_signs_verifies_in_ours(oracle: dict[str, Any]) -> None:
    report = verify(oracle["their_jwt"]["token"], w.World().fetcher(), now=w.NOW)

    assert report.valid, report.failures
    assert report.status_of("jwt.claims") == "pass"
    assert report.credential.subject.achievement.name == "データサイエンス基礎"
