"""Endorsements a credential carries: each checked as a credential of its endorser."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta
from typing import Any

import jwt as pyjwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519

from tests.unit.openbadges.ob3 import world as w
from wallet.openbadges.ob3 import integrity, keys, schema, status, vcjwt
from wallet.openbadges.ob3.documents import Endorsement, Profile
from wallet.openbadges.ob3.verify import verify
from wallet.openbadges.report import Report

ENDORSER = "https://keieisha.example.org/profile"
ENDORSER_KEY = ed25519.Ed25519PrivateKey.from_private_bytes(bytes(range(3, 35)))
ENDORSER_KEY_ID = f"{ENDORSER}#key-1"
ACHIEVEMENT = f"{w.BASE}/ob/achievements/7"
COMMENT = "地域の企業が求める、データを読み解く力を育てる課程です。"


def endorsement(**changes: Any) -> Endorsement:
    made = Endorsement(
        id="urn:uuid:5d1f6c2a-3e4b-4a8f-9c0d-1e2f3a4b5c6d",
        issuer=Profile(ENDORSER, name="静岡県経営者協会"),
        valid_from=w.SIGNED_AT,
        subject_id=ACHIEVEMENT,
        name="データサイエンス基礎への推薦",
        comment=COMMENT,
    )
    return replace(made, **changes)


def endorser_profile() -> dict[str, Any]:
    method = keys.VerificationMethod(
        ENDORSER_KEY_ID, "Multikey", ENDORSER, ENDORSER_KEY.public_key()
    ).to_json()
    return w.profile_document(ENDORSER, "静岡県経営者協会", [method])


def signed(
    made: Endorsement | None = None,
    key: ed25519.Ed25519PrivateKey = ENDORSER_KEY,
    key_id: str = ENDORSER_KEY_ID,
) -> dict[str, Any]:
    document = (made or endorsement()).to_json()
    return integrity.sign(document, key, key_id, created=w.SIGNED_AT)


def check(*items: dict[str, Any] | str) -> Report:
    """Our credential carrying `items` (JSON or VC-JWT endorsements), signed, verified."""
    made = w.credential(
        endorsement=tuple(i for i in items if isinstance(i, dict)),
        endorsement_jwt=tuple(i for i in items if isinstance(i, str)),
    )
    world = w.World(extra={ENDORSER: endorser_profile()})
    # no OB context defines endorsementJwt: in a VC 2.0 credential the base context's
    # issuer-dependent vocabulary maps it, so it is signed, but not with the strict check
    document = integrity.sign(made.to_json(), w.KEY, w.KEY_ID, created=w.SIGNED_AT, strict=False)
    return verify(json.dumps(document, ensure_ascii=False), world.fetcher(), now=w.NOW)


def endorsement_checks(report: Report) -> list[tuple[str, str]]:
    return [(c.status, c.detail) for c in report.checks if c.code == "endorsement.valid"]


def test_an_endorsement_signed_by_a_key_the_endorser_lists_holds() -> None:
    report = check(signed())
    assert report.valid, report.failures
    assert endorsement_checks(report) == [("pass", "静岡県経営者協会")]
    assert report.credential.endorsement[0]["credentialSubject"]["endorsementComment"] == COMMENT


def test_a_jwt_endorsement_holds_too() -> None:
    token = vcjwt.sign(endorsement().to_json(), ENDORSER_KEY, kid=ENDORSER_KEY_ID)
    report = check(token)
    assert report.valid, report.failures
    assert endorsement_checks(report) == [("pass", "静岡県経営者協会")]


def test_the_issuer_and_the_credential_itself_may_be_endorsed() -> None:
    report = check(
        signed(endorsement(subject_id=w.ISSUER)),
        signed(endorsement(subject_id=w.credential().id)),
    )
    assert [status for status, _ in endorsement_checks(report)] == ["pass", "pass"]


def tampered() -> dict[str, Any]:
    document = signed()
    document["credentialSubject"]["endorsementComment"] = "どんな企業にも推薦します。"
    return document


def forged() -> dict[str, Any]:
    return signed(key=w.STRANGER_KEY)  # claims the endorser's key id


def unlisted_key() -> dict[str, Any]:
    return signed(key_id=f"{ENDORSER}#key-9")


def bad_jwt_claims() -> str:
    document = endorsement().to_json()
    payload = document | vcjwt.claims_for(document) | {"iss": "https://someone.example/else"}
    body = json.dumps(payload, ensure_ascii=False).encode()
    headers = {"kid": ENDORSER_KEY_ID}
    return pyjwt.api_jws.PyJWS().encode(body, ENDORSER_KEY, algorithm="EdDSA", headers=headers)


@pytest.mark.parametrize(
    ("item", "reason"),
    [
        (tampered, "does not match"),
        (forged, "does not match"),
        (unlisted_key, "does not list the key"),
        (lambda: signed(endorsement(subject_id="https://other.example/achievements/1")),
         "it endorses https://other.example/achievements/1"),
        (lambda: signed(endorsement(valid_until=w.NOW - timedelta(days=1))), "expired"),
        (lambda: signed(endorsement(valid_from=w.NOW + timedelta(days=3))), "not valid yet"),
        (lambda: {**signed(), "proof": []}, "carries no proof"),
        (bad_jwt_claims, "iss is"),
        (lambda: vcjwt.sign({**endorsement().to_json(), "@context": [
            "https://www.w3.org/ns/credentials/v2", "https://x.example/c"]},
            ENDORSER_KEY, kid=ENDORSER_KEY_ID), "not bundled"),
        (lambda: "eyJ.not-a.jwt", "not JSON"),
    ],
)  # fmt: skip
def test_an_endorsement_that_does_not_hold_is_a_warning_with_its_reason(
    item: Any, reason: str
) -> None:
    report = check(item())
    ((status, detail),) = endorsement_checks(report)
    assert status == "warn"
    assert reason in detail
    assert report.valid  # the badge itself still holds: the issuer's proof covers it


@pytest.mark.parametrize(
    ("item", "code"),
    [
        # embedded JSON is part of the credential's JSON-LD: its contexts are loaded too
        ({"@context": ["https://www.w3.org/ns/credentials/v2", "https://x.example/c"]},
         "context.bundled"),
        ({"type": ["VerifiableCredential"], "name": None}, "schema.valid"),
    ],
)  # fmt: skip
def test_a_malformed_embedded_endorsement_makes_the_credential_itself_invalid(
    item: dict[str, Any], code: str
) -> None:
    document = w.credential(endorsement=(signed(),)).to_json()
    signed_document = integrity.sign(document, w.KEY, w.KEY_ID, created=w.SIGNED_AT)
    signed_document["endorsement"][0].update(item)  # as it would be after tampering
    world = w.World(extra={ENDORSER: endorser_profile()})
    report = verify(json.dumps(signed_document), world.fetcher(), now=w.NOW)
    assert not report.valid
    assert code in {check.code for check in report.failures}


def test_one_good_and_one_bad_endorsement_are_reported_each() -> None:
    report = check(signed(), tampered())
    assert [status for status, _ in endorsement_checks(report)] == ["pass", "warn"]


def test_a_credential_carrying_endorsements_meets_1edtechs_schema() -> None:
    made = w.credential(endorsement=(signed(),))
    assert schema.violations(w.signed(made)) == []
    broken = signed()
    del broken["name"]
    assert any(
        "endorsement[0]" in problem
        for problem in schema.violations(w.signed(w.credential(endorsement=(broken,))))
    )


ENDORSER_LIST = f"{ENDORSER}/status/1"


def endorser_list(revoked: set[int], signer: ed25519.Ed25519PrivateKey = ENDORSER_KEY) -> Any:
    encoded = status.encode(status.new_bitstring())
    for index in revoked:
        encoded = status.set_bit(encoded, index)
    unsigned = status.list_credential(ENDORSER_LIST, ENDORSER, encoded, w.SIGNED_AT)
    return integrity.sign(unsigned, signer, ENDORSER_KEY_ID, created=w.SIGNED_AT)


def check_with_list(list_doc: Any) -> Report:
    """Our credential carrying an endorsement whose bit 3 is in the endorser's list."""
    document = endorsement().to_json() | {"credentialStatus": status.entry(ENDORSER_LIST, 3)}
    made = w.credential(
        endorsement=(integrity.sign(document, ENDORSER_KEY, ENDORSER_KEY_ID, created=w.SIGNED_AT),)
    )
    extra = {ENDORSER: endorser_profile()}
    if list_doc is not None:
        extra[ENDORSER_LIST] = list_doc
    text = json.dumps(w.signed(made), ensure_ascii=False)
    return verify(text, w.World(extra=extra).fetcher(), now=w.NOW)


def test_the_endorsers_status_list_is_read() -> None:
    held = check_with_list(endorser_list(set()))
    assert endorsement_checks(held) == [("pass", "静岡県経営者協会")]
    revoked = check_with_list(endorser_list({3}))
    ((state, detail),) = endorsement_checks(revoked)
    assert (state, "the endorser revoked it" in detail) == ("warn", True)
    assert revoked.valid  # the badge itself is not revoked
    assert "revocation.not_revoked" not in {c.code for c in revoked.failures}
    for broken, reason in (
        (None, "its status list cannot be read"),  # nothing at its address
        (endorser_list({3}, signer=w.KEY), "its status list cannot be read"),  # not theirs
    ):
        ((state, detail),) = endorsement_checks(check_with_list(broken))
        assert state == "warn"
        assert reason in detail
