from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta

import pytest

from tests.unit.openbadges import world
from wallet.openbadges.baking import bake_png, bake_svg
from wallet.openbadges.fetching import FetchError, FetchResult
from wallet.openbadges.hashing import hashed_recipient
from wallet.openbadges.report import Report
from wallet.openbadges.v2 import RevokedAssertion, VerificationObject
from wallet.openbadges.verify import verify, verify_baked, verify_hosted, verify_signed

RECIPIENTS = ["hanako.yamada@example.ac.jp"]


def _hosted(w: world.World, **kwargs: object) -> Report:
    options = {"recipients": RECIPIENTS, "now": world.NOW} | kwargs
    return verify_hosted(world.ASSERTION_ID, w.fetcher(), **options)  # type: ignore[arg-type]


def _signed(w: world.World, jws: str, **kwargs: object) -> Report:
    options = {"recipients": RECIPIENTS, "now": world.NOW} | kwargs
    return verify_signed(jws, w.fetcher(), **options)  # type: ignore[arg-type]


def _failed(report: Report) -> set[str]:
    return {check.code for check in report.failures}


def test_valid_hosted_badge() -> None:
    report = _hosted(world.World())
    assert report.valid, report.failures
    assert report.assertion == world.assertion()
    assert report.badge == world.badge()
    assert report.issuer == world.issuer()
    for code in (
        "assertion.fetched",
        "assertion.id_matches",
        "badge.fetched",
        "issuer.fetched",
        "origin.allowed",
        "recipient.match",
        "expiry.not_expired",
        "revocation.not_revoked",
        "image.present",
        "image.type",
    ):
        assert report.status_of(code) == "pass", code


def test_valid_signed_badge() -> None:
    report = _signed(world.World(), world.sign(world.signed_assertion()))
    assert report.valid, report.failures
    assert report.signed
    assert report.status_of("signature.valid") == "pass"
    assert report.status_of("revocation.list_fetched") == "pass"


def test_signed_with_a_rotated_out_key_still_verifies() -> None:
    document = world.signed_assertion(
        verification=VerificationObject(type="SignedBadge", creator=world.OLD_KEY_ID)
    )
    assert _signed(world.World(), world.sign(document, "old")).valid


def test_wrong_recipient() -> None:
    report = _hosted(world.World(), recipients=["someone.else@example.ac.jp"])
    assert not report.valid
    assert _failed(report) == {"recipient.match"}


def test_without_candidates_the_recipient_is_not_judged() -> None:
    report = _hosted(world.World(), recipients=[])
    assert report.valid
    assert report.status_of("recipient.match") is None


def test_revoked_by_flag_even_when_the_rest_is_stripped() -> None:
    w = world.World()
    w.documents[world.ASSERTION_ID] = {
        "@context": "https://w3id.org/openbadges/v2",
        "id": world.ASSERTION_ID,
        "revoked": True,
        "revocationReason": "Issued in error",
    }
    report = _hosted(w)
    assert not report.valid
    assert report.failures[0].code == "revocation.not_revoked"
    assert report.failures[0].detail == "Issued in error"
    assert report.revocation_reason == "Issued in error"
    w.publish(world.assertion(revoked=True))
    assert _failed(_hosted(w)) == {"revocation.not_revoked"}


def test_revoked_by_http_410() -> None:
    w = world.World()
    w.answer(world.ASSERTION_ID, 410)
    report = _hosted(w)
    assert _failed(report) == {"revocation.not_revoked"}
    assert report.is_revoked
    assert report.revocation_reason == ""


def test_a_410_body_gives_the_issuers_reason() -> None:
    w = world.World()
    body = {"id": world.ASSERTION_ID, "revoked": True, "revocationReason": " 誤って授与しました "}
    w.answer(world.ASSERTION_ID, 410, "application/ld+json", json.dumps(body).encode())
    report = _hosted(w)
    assert report.is_revoked
    assert report.revocation_reason == "誤って授与しました"
    w.answer(world.ASSERTION_ID, 410, "text/html", b"<h1>Gone</h1>")
    assert _hosted(w).revocation_reason == ""


@pytest.mark.parametrize("entries", [1, 3])
def test_revoked_via_the_revocation_list(entries: int) -> None:
    w = world.World()
    others = [
        RevokedAssertion(f"urn:uuid:0000000{n}-0000-0000-0000-000000000000")
        for n in range(entries - 1)
    ]
    w.publish(world.revoked_list(*others, RevokedAssertion(world.ASSERTION_ID, "Misconduct")))
    if entries == 1:  # single entries as JSON-LD compaction writes them: an object, not a list
        document = w.documents[world.LIST_ID]
        document["revokedAssertions"] = document["revokedAssertions"][0]
    report = _hosted(w)
    assert _failed(report) == {"revocation.not_revoked"}
    assert report.revocation_reason == "Misconduct"
    signed = world.signed_assertion()
    w.publish(world.revoked_list(RevokedAssertion(signed.id)))
    assert _failed(_signed(w, world.sign(signed))) == {"revocation.not_revoked"}


def test_expired() -> None:
    w = world.World()
    w.publish(world.assertion(expires=world.NOW - timedelta(days=1)))
    assert _failed(_hosted(w)) == {"expiry.not_expired"}
    assert _hosted(w, now=world.NOW - timedelta(days=2)).valid


def test_issued_in_the_future_or_expiring_before_issue() -> None:
    w = world.World()
    w.publish(world.assertion(expires=world.ISSUED_ON - timedelta(days=1)))
    assert "expiry.after_issue" in _failed(_hosted(w))
    assert _failed(_hosted(w, now=world.ISSUED_ON - timedelta(days=3))) == {
        "issued.not_future",
        "expiry.after_issue",
    }


def test_badge_class_on_a_foreign_origin() -> None:
    w = world.World()
    foreign = "https://badges.attacker.example/ob/badges/1"
    w.publish(world.badge(id=foreign), world.assertion(badge=foreign))
    assert _failed(_hosted(w)) == {"badge.origin_allowed"}


def test_assertion_hosted_outside_the_issuer_policy() -> None:
    w = world.World()
    elsewhere = "https://elsewhere.example/ob/assertions/1"
    w.publish(world.assertion(id=elsewhere))
    report = verify_hosted(elsewhere, w.fetcher(), now=world.NOW)
    assert _failed(report) == {"origin.allowed"}
    policy = VerificationObject(type="VerificationObject", allowed_origins=("elsewhere.example",))
    w.publish(world.issuer(verification=policy), world.badge(id="https://elsewhere.example/b"))
    w.publish(world.assertion(id=elsewhere, badge="https://elsewhere.example/b"))
    assert verify_hosted(elsewhere, w.fetcher(), now=world.NOW).valid
    prefixed = replace(policy, starts_with=("https://elsewhere.example/ob/issued/",))
    w.publish(world.issuer(verification=prefixed))
    assert _failed(verify_hosted(elsewhere, w.fetcher(), now=world.NOW)) == {"origin.allowed"}


def test_tampered_signature() -> None:
    header, _, signature = world.sign(world.signed_assertion()).split(".")
    other = world.sign(world.signed_assertion(issued_on=world.ISSUED_ON - timedelta(days=9)))
    report = _signed(world.World(), f"{header}.{other.split('.')[1]}.{signature}")
    assert _failed(report) == {"signature.valid"}
    assert report.signed


def test_unknown_key() -> None:
    unlisted = "https://badges.example.ac.jp/ob/keys/99"
    document = world.signed_assertion(
        verification=VerificationObject(type="SignedBadge", creator=unlisted)
    )
    assert _failed(_signed(world.World(), world.sign(document))) == {"key.listed"}
    w = world.World()
    del w.documents[world.KEY_ID]
    assert _failed(_signed(w, world.sign(world.signed_assertion()))) == {"key.fetched"}


def test_key_owned_by_someone_else() -> None:
    w = world.World()
    w.publish(replace(world.key(), owner="https://other.example/issuer"))
    assert _failed(_signed(w, world.sign(world.signed_assertion()))) == {"key.owner"}


def test_assertion_id_not_matching_where_it_was_fetched() -> None:
    w = world.World()
    moved = "https://badges.example.ac.jp/old/1"
    w.documents[moved] = w.documents[world.ASSERTION_ID]
    report = verify_hosted(moved, w.fetcher(), now=world.NOW)
    assert report.valid  # the validator's rule: warn, then fetch the id itself
    assert report.status_of("assertion.id_matches") == "warn"
    w.documents[world.ASSERTION_ID] = world.assertion(id=moved + "/elsewhere").to_json()
    report = verify_hosted(moved, w.fetcher(), now=world.NOW)
    assert _failed(report) == {"assertion.id_matches"}


@pytest.mark.parametrize(
    ("missing", "code"),
    [
        (world.ASSERTION_ID, "assertion.fetched"),
        (world.BADGE_ID, "badge.fetched"),
        (world.ISSUER_ID, "issuer.fetched"),
        (world.IMAGE_URL, "image.present"),
    ],
)
def test_404s(missing: str, code: str) -> None:
    w = world.World()
    del w.documents[missing]
    report = _hosted(w)
    assert _failed(report) == {code}
    assert "404" in report.failures[0].detail


def test_an_unreachable_revocation_list_warns_for_hosted_and_fails_for_signed() -> None:
    w = world.World()
    del w.documents[world.LIST_ID]
    report = _hosted(w)
    assert report.valid
    assert report.status_of("revocation.list_fetched") == "warn"
    assert _failed(_signed(w, world.sign(world.signed_assertion()))) == {"revocation.list_fetched"}


def test_image_with_the_wrong_content_type_or_bytes() -> None:
    w = world.World()
    w.answer(world.IMAGE_URL, 200, "text/html", b"<html></html>")
    assert _failed(_hosted(w)) == {"image.type"}
    w.answer(world.IMAGE_URL, 200, "image/png", world.SVG)
    assert _failed(_hosted(w)) == {"image.type"}


def test_a_fetcher_that_cannot_connect_is_a_failed_check() -> None:
    def fetcher(url: str) -> FetchResult:
        raise FetchError("connection refused")

    report = verify_hosted(world.ASSERTION_ID, fetcher)
    assert _failed(report) == {"assertion.fetched"}
    assert "connection refused" in report.failures[0].detail


@pytest.mark.parametrize("bake", [bake_png, bake_svg])
def test_baked_images_hosted_and_signed(bake: object) -> None:
    image = world.png_bytes() if bake is bake_png else world.SVG
    hosted = bake(image, json.dumps(world.assertion().to_json()))  # type: ignore[operator]
    report = verify_baked(hosted, world.World().fetcher(), recipients=RECIPIENTS, now=world.NOW)
    assert report.valid, report.failures
    assert report.status_of("baked.matches_hosted") == "pass"
    signed = bake(image, world.sign(world.signed_assertion()))  # type: ignore[operator]
    report = verify_baked(signed, world.World().fetcher(), now=world.NOW)
    assert report.valid
    assert report.signed
    url_only = bake(image, world.ASSERTION_ID)  # type: ignore[operator]
    assert verify_baked(url_only, world.World().fetcher(), now=world.NOW).valid


def test_a_baked_copy_that_differs_from_the_hosted_one_fails() -> None:
    forged = world.assertion(recipient=hashed_recipient("mallory@example.jp", world.SALT))
    baked = bake_png(world.png_bytes(), json.dumps(forged.to_json()))
    report = verify_baked(baked, world.World().fetcher(), now=world.NOW)
    assert _failed(report) == {"baked.matches_hosted"}


def test_inputs_that_carry_no_badge() -> None:
    assert _failed(verify(world.png_bytes(), world.World().fetcher())) == {"image.extracted"}
    assert _failed(verify("hello", world.World().fetcher())) == {"input.recognised"}
    assert not verify("{}", world.World().fetcher()).valid
