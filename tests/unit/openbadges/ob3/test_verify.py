"""The OB 3.0 verifier: every form verifies, every bad input is a failed check with its reason."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt as pyjwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.unit.openbadges.ob3 import world as w
from tests.unit.openbadges.world import SVG, png_bytes
from wallet.openbadges import registry
from wallet.openbadges.fetching import MemoryFetcher
from wallet.openbadges.ob3 import baking, integrity, keys, vcjwt
from wallet.openbadges.ob3.documents import Credential
from wallet.openbadges.ob3.verify import verify
from wallet.openbadges.report import Report


def check(data: str | bytes, world: w.World | None = None, **kwargs: Any) -> Report:
    return verify(data, (world or w.World()).fetcher(), now=kwargs.pop("now", w.NOW), **kwargs)


def text(document: dict[str, Any]) -> str:
    return json.dumps(document, ensure_ascii=False)


def failed(report: Report) -> dict[str, str]:
    assert not report.valid
    return {item.code: item.detail for item in report.failures}


@pytest.mark.parametrize("form", ["json", "jwt", "png-json", "png-jwt", "svg-json", "svg-jwt"])
def test_every_form_verifies_with_each_check(form: str) -> None:
    payload = text(w.signed()) if form.endswith("json") else w.jwt()
    data: str | bytes = {
        "json": payload,
        "jwt": payload,
        "png-json": baking.bake_png(png_bytes(), payload),
        "png-jwt": baking.bake_png(png_bytes(), payload),
        "svg-json": baking.bake_svg(SVG, payload),
        "svg-jwt": baking.bake_svg(SVG, payload),
    }[form]

    report = check(data, recipients=[" hanako.yamada@EXAMPLE.ac.jp"])

    assert report.valid, report.failures
    for code in ("schema.valid", "proof.valid", "key.listed", "revocation.not_revoked"):
        assert report.status_of(code) == "pass"
    assert report.status_of("recipient.match") == "pass"
    assert report.credential.subject.achievement.name == "データサイエンス基礎"


def test_a_url_serving_the_credential_is_fetched_through_the_callers_fetcher() -> None:
    world = w.World(extra={"https://badges.example.ac.jp/ob/credentials/5": w.signed()})
    report = check("https://badges.example.ac.jp/ob/credentials/5", world)
    assert report.valid, report.failures


def test_the_registry_runs_it_once_the_app_switches_it_on() -> None:
    before = dict(registry._VERIFIERS)
    try:
        registry.register("ob3", registry.verify_ob3)
        report = registry.verify_any(text(w.signed()), w.World().fetcher(), now=w.NOW)
    finally:
        registry._VERIFIERS.clear()
        registry._VERIFIERS.update(before)
    assert report.format == "ob3"
    assert report.valid, report.failures


def test_japanese_texts_come_back_byte_for_byte() -> None:
    made = w.credential()
    document = w.signed(made)
    for data in (text(document), w.jwt(made), baking.bake_png(png_bytes(), w.jwt(made))):
        report = check(data)
        assert report.credential.subject == made.subject
        assert report.credential.description == "例示大学が授与するオープンバッジです。"
    assert Credential.from_json(json.loads(text(document))).to_json() == made.to_json()
    baked = baking.bake_svg(SVG, text(document))
    assert baking.extract(baked).encode("utf-8") == text(document).encode("utf-8")


# -- bad input --------------------------------------------------------------------------------


def test_a_tampered_field_breaks_the_proof() -> None:
    document = w.signed()
    document["credentialSubject"]["achievement"]["name"] = "データサイエンス応用"
    assert "does not match" in failed(check(text(document)))["proof.valid"]


def test_a_key_the_issuer_does_not_list() -> None:
    document = w.signed(key=w.STRANGER_KEY, key_id=f"{w.ISSUER}#key-9")
    assert "does not list" in failed(check(text(document)))["key.listed"]
    token = w.jwt(key=w.STRANGER_KEY, key_id=f"{w.ISSUER}#key-9")
    assert "does not list" in failed(check(token))["key.listed"]


def test_a_listed_key_signing_someone_elses_signature_is_still_a_bad_proof() -> None:
    forged = w.signed(key=w.STRANGER_KEY, key_id=w.KEY_ID)
    assert "proof.valid" in failed(check(text(forged)))


def test_a_rotated_out_key_keeps_old_credentials_valid_but_signs_no_new_ones() -> None:
    before = w.signed(key=w.OLD_KEY, key_id=w.OLD_KEY_ID, created=datetime(2026, 2, 1, tzinfo=UTC))
    assert check(text(before)).valid
    after = w.signed(key=w.OLD_KEY, key_id=w.OLD_KEY_ID, created=datetime(2026, 3, 2, tzinfo=UTC))
    assert "revoked at" in failed(check(text(after)))["key.listed"]


def test_an_unknown_cryptosuite() -> None:
    document = w.signed()
    document["proof"]["cryptosuite"] = "ecdsa-rdfc-2019"
    assert "unknown cryptosuite ecdsa-rdfc-2019" in failed(check(text(document)))["proof.suite"]


def test_a_context_that_is_not_bundled() -> None:
    document = w.signed()
    document["@context"].append("https://example.org/contexts/extra.json")
    problems = failed(check(text(document)))
    assert problems["context.bundled"] == "https://example.org/contexts/extra.json"


def test_jwt_claims_that_disagree_with_the_body() -> None:
    made = w.credential().to_json()
    payload = made | vcjwt.claims_for(made) | {"jti": "urn:uuid:other"}
    body = json.dumps(payload, ensure_ascii=False).encode()
    lying = pyjwt.api_jws.PyJWS().encode(body, w.KEY, algorithm="EdDSA", headers={"kid": w.KEY_ID})

    problems = failed(check(lying))

    assert problems == {"jwt.claims": "jti is 'urn:uuid:other', the body says " + repr(made["id"])}


def test_a_revoked_bit() -> None:
    assert check(text(w.signed()), w.World(revoked={6})).valid
    problems = failed(check(text(w.signed()), w.World(revoked={5})))
    assert problems["revocation.not_revoked"] == "revocation"


def test_a_status_list_signed_by_someone_else_is_not_believed() -> None:
    world = w.World()
    forged = integrity.sign(
        integrity.unsecured(world.status_list()), w.STRANGER_KEY, w.KEY_ID, created=w.SIGNED_AT
    )
    world.extra[w.LIST_URL] = forged
    assert (
        "status list's proof" in failed(check(text(w.signed()), world))["revocation.list_fetched"]
    )


def test_an_1edtech_revocation_list_is_read_too() -> None:
    list_url = f"{w.BASE}/ob/revocations/1"
    made = w.credential(credential_status=({"id": list_url, "type": "1EdTechRevocationList"},))
    revoked = {
        "id": list_url,
        "issuer": w.ISSUER,
        "revokedCredentials": [{"id": made.id, "revocationReason": "成績の誤登録のため"}],
    }
    # no context defines 1EdTechRevocationList: other issuers sign it anyway, we would not
    signed = integrity.sign(made.to_json(), w.KEY, w.KEY_ID, created=w.SIGNED_AT, strict=False)
    report = check(text(signed), w.World(extra={list_url: revoked}))
    assert failed(report)["revocation.not_revoked"] == "成績の誤登録のため"
    assert report.revocation_reason == "成績の誤登録のため"


def test_expired_and_not_yet_valid() -> None:
    expired = w.credential(valid_until=w.NOW - timedelta(days=1))
    assert "expiry.not_expired" in failed(check(text(w.signed(expired))))
    future = w.credential(valid_from=w.NOW + timedelta(days=2))
    assert "issued.not_future" in failed(check(text(w.signed(future))))


def test_a_schema_violation() -> None:
    document = w.credential().to_json()
    del document["credentialSubject"]["achievement"]["criteria"]
    signed = integrity.sign(document, w.KEY, w.KEY_ID, created=w.SIGNED_AT)
    problems = failed(check(text(signed)))
    assert "'criteria' is a required property" in problems["schema.valid"]
    assert "credential.parsed" in problems  # the typed reader says so too


def test_a_credential_for_someone_else() -> None:
    report = check(text(w.signed()), recipients=["jiro.suzuki@example.ac.jp"])
    assert failed(report) == {"recipient.match": "not awarded to this person"}


@pytest.mark.parametrize(
    "data",
    [
        "",
        "not a badge",
        "{",
        "[1, 2]",
        '{"@context": ["https://www.w3.org/ns/credentials/v2"]}',
        "a.b.c",
        "eyJhbGciOiJub25lIn0.eyJ9.",
        b"\x89PNG\r\n\x1a\nbroken",
        b"<svg xmlns='http://www.w3.org/2000/svg'/>",
        "https://badges.example.ac.jp/nothing-here",
        json.dumps({"proof": {"type": "DataIntegrityProof"}}),
        "[" * 5000,
    ],
)
def test_garbage_is_reported_never_raised(data: str | bytes) -> None:
    report = check(data)
    assert not report.valid
    assert report.failures


def test_unreachable_issuer_and_did_issuers() -> None:
    lonely = MemoryFetcher({})
    report = verify(text(w.signed()), lonely, now=w.NOW)
    assert "issuer.fetched" in failed(report)

    did = "did:key:" + keys.multikey(w.KEY.public_key())
    made = replace(
        w.credential(), issuer=replace(w.credential().issuer, id=did), credential_status=()
    )
    signed = integrity.sign(made.to_json(), w.KEY, f"{did}#{did[8:]}", created=w.SIGNED_AT)
    assert verify(text(signed), lonely, now=w.NOW).valid


def test_did_web_documents_are_fetched_at_their_https_address() -> None:
    did = "did:web:badges.example.ac.jp:issuers:1"
    method = keys.VerificationMethod(f"{did}#key-1", "Multikey", did, w.KEY.public_key())
    document = {"id": did, "verificationMethod": [method.to_json()]}
    fetcher = MemoryFetcher({"https://badges.example.ac.jp/issuers/1/did.json": document})
    made = replace(
        w.credential(), issuer=replace(w.credential().issuer, id=did), credential_status=()
    )
    signed = integrity.sign(made.to_json(), w.KEY, method.id, created=w.SIGNED_AT)
    assert verify(text(signed), fetcher, now=w.NOW).valid
    assert fetcher.requested == ["https://badges.example.ac.jp/issuers/1/did.json"]
    assert keys.did_web_url("did:web:example.ac.jp%3A8443") == (
        "https://example.ac.jp:8443/.well-known/did.json"
    )


def test_rs256_jwts_with_a_listed_json_web_key() -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    world = w.World(rsa_key=key)
    assert check(vcjwt.sign(w.credential().to_json(), key, kid=w.RSA_KEY_ID), world).valid
    embedded = vcjwt.sign(w.credential().to_json(), key, embed_jwk=True)
    assert check(embedded, world).valid
    assert "does not list" in failed(check(embedded))["key.listed"]  # issuer without it


def test_signing_refuses_terms_no_context_defines() -> None:
    document = w.credential().to_json() | {"favouriteColour": "藍色"}
    with pytest.raises(Exception, match="favouriteColour"):
        integrity.sign(document, w.KEY, w.KEY_ID)
