"""The verifier registry: every input reaches the verifier for its format."""

from __future__ import annotations

import json

import pytest

from tests.unit.openbadges import world
from wallet.openbadges import formats, registry
from wallet.openbadges.baking import bake_png, bake_svg, extract_all
from wallet.openbadges.fetching import FetchError, FetchResult
from wallet.openbadges.report import Report
from wallet.openbadges.verify import verify_hosted

RECIPIENTS = ["hanako.yamada@example.ac.jp"]
OB3 = {
    "@context": [
        "https://www.w3.org/ns/credentials/v2",
        "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
    ],
    "type": ["VerifiableCredential", "OpenBadgeCredential"],
    "issuer": {"id": "https://example.org/issuers/1", "type": ["Profile"]},
}
BLOCKCERTS = {
    "@context": ["https://www.w3.org/2018/credentials/v1", "https://w3id.org/blockcerts/v3"],
    "type": ["VerifiableCredential", "BlockcertsCredential"],
    "proof": {"type": "MerkleProof2019", "proofValue": "z..."},
}


def _any(data: str | bytes) -> Report:
    return registry.verify_any(data, world.World().fetcher(), recipients=RECIPIENTS, now=world.NOW)


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        (world.assertion().to_json(), "ob2"),
        ({"recipient": {"identity": "x"}, "badge": "https://e.org/b"}, "ob2"),
        (OB3, "ob3"),
        ({"vc": OB3, "iss": "https://example.org/issuers/1"}, "ob3"),
        (BLOCKCERTS, "blockcerts"),
        ({"hello": "world"}, "unknown"),
        (["not", "an", "object"], "unknown"),
    ],
)
def test_the_format_is_told_from_the_shape(document: object, expected: str) -> None:
    assert formats.document_format(document) == expected
    assert formats.text_format(json.dumps(document)) == expected


def test_a_jws_is_read_for_its_format_and_garbage_is_unknown() -> None:
    assert formats.text_format(world.sign(world.signed_assertion())) == "ob2"
    assert formats.text_format("{not json") == "unknown"
    assert formats.text_format("a.b.c") == "unknown"


@pytest.mark.parametrize("form", ["url", "json", "jws", "png", "svg"])
def test_every_form_of_an_open_badges_2_badge_verifies_through_the_registry(form: str) -> None:
    signed = world.sign(world.signed_assertion())
    hosted_json = json.dumps(world.assertion().to_json())
    data: str | bytes = {
        "url": world.ASSERTION_ID,
        "json": hosted_json,
        "jws": signed,
        "png": bake_png(world.png_bytes(), hosted_json),
        "svg": bake_svg(world.SVG, hosted_json),
    }[form]
    report = _any(data)
    assert report.format == "ob2"
    assert report.valid, report.failures


def test_the_registry_gives_the_same_report_as_the_library() -> None:
    direct = verify_hosted(
        world.ASSERTION_ID, world.World().fetcher(), recipients=RECIPIENTS, now=world.NOW
    )
    assert _any(world.ASSERTION_ID).checks == direct.checks


def test_a_format_without_a_verifier_is_named_not_guessed() -> None:
    before = dict(registry._VERIFIERS)
    try:
        registry._VERIFIERS.pop("blockcerts")
        report = _any(json.dumps(BLOCKCERTS))
    finally:
        registry._VERIFIERS.clear()
        registry._VERIFIERS.update(before)
    assert report.format == "blockcerts"
    assert not report.valid
    assert [(c.code, c.status, c.detail) for c in report.checks] == [
        ("format.supported", "fail", "blockcerts")
    ]


def test_blockcerts_credentials_go_to_their_verifier() -> None:
    report = _any(json.dumps(BLOCKCERTS))
    assert report.format == "blockcerts"
    assert report.status_of("credential.parsed") == "pass"
    assert not report.valid  # the sample's issuer and proof are not reachable here


def test_a_registered_verifier_is_used_for_its_format() -> None:
    seen: list[registry.Request] = []

    def fake_ob3(request: registry.Request) -> Report:
        seen.append(request)
        report = Report()
        report.failed("proof.valid", "not checked in this test")
        return report

    before = dict(registry._VERIFIERS)
    try:
        registry.register("ob3", fake_ob3)
        report = _any(json.dumps(OB3))
    finally:
        registry._VERIFIERS.clear()
        registry._VERIFIERS.update(before)
    assert report.format == "ob3"
    assert [check.code for check in report.checks] == ["proof.valid"]
    assert seen[0].recipients == tuple(RECIPIENTS)
    assert registry._VERIFIERS["ob3"] is registry.verify_ob3  # put back as it was


def test_an_image_carrying_a_3_0_credential_only_goes_to_the_3_0_verifier() -> None:
    png = world.png_bytes()
    ob2_only = bake_png(png, json.dumps(world.assertion().to_json()))
    assert [item.version for item in extract_all(ob2_only)] == ["2.0"]
    assert registry.detect(ob2_only) == "ob2"
    ob3_only = _bake_v3_png(png, json.dumps(OB3))
    assert [item.version for item in extract_all(ob3_only)] == ["3.0"]
    assert registry.detect(ob3_only) == "ob3"
    assert _any(ob3_only).format == "ob3"
    assert _any(ob3_only).status_of("image.extracted") == "pass"


def test_an_image_with_two_badges_lists_both() -> None:
    first = json.dumps(world.assertion().to_json())
    second = json.dumps(world.assertion(id=world.ASSERTION_ID + "b").to_json())
    svg = bake_svg(world.SVG, first)
    twice = svg.replace(b"</svg>", _assertion_element(second) + b"</svg>")
    assert [item.payload for item in extract_all(twice)] == [first, second]


def test_a_fetch_refused_by_the_fetcher_carries_its_cause() -> None:
    def refusing(url: str) -> FetchResult:
        raise FetchError("blocked", code="blocked_address")

    report = registry.verify_any(world.ASSERTION_ID, refusing, now=world.NOW)
    check = report.failures[0]
    assert (check.code, check.cause) == ("assertion.fetched", "blocked_address")


def test_an_http_error_carries_its_status_as_the_cause() -> None:
    w = world.World()
    w.answer(world.ASSERTION_ID, 404)
    report = registry.verify_any(world.ASSERTION_ID, w.fetcher(), now=world.NOW)
    assert report.failures[0].cause == "http_404"


def _bake_v3_png(png: bytes, payload: str) -> bytes:
    import zlib

    body = b"openbadgecredential\0\0\0\0\0" + payload.encode()
    chunk = len(body).to_bytes(4, "big") + b"iTXt" + body
    chunk += zlib.crc32(b"iTXt" + body).to_bytes(4, "big")
    end = png.rindex(b"IEND") - 4
    return png[:end] + chunk + png[end:]


def _assertion_element(payload: str) -> bytes:
    return (
        b'<openbadges:assertion xmlns:openbadges="http://openbadges.org"><![CDATA['
        + payload.encode()
        + b"]]></openbadges:assertion>"
    )
