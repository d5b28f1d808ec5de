"""Random and mutated input: only the library's own error type may ever escape."""

from __future__ import annotations

import contextlib
import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.unit.openbadges import world
from wallet.openbadges import signing
from wallet.openbadges.baking import bake_png, bake_svg, extract
from wallet.openbadges.errors import OpenBadgesError
from wallet.openbadges.v2 import Assertion, BadgeClass, Profile, RevocationList, parse
from wallet.openbadges.verify import verify

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

HOSTED = json.dumps(world.assertion().to_json())
BAKED_PNG = bake_png(world.png_bytes(8), HOSTED)
BAKED_SVG = bake_svg(world.SVG, HOSTED)
PNG_TEXT = bake_png(world.png_bytes(8), world.ASSERTION_ID)[:-12]  # stripped of IEND

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=20,
)


def _try(function: Any, *args: Any) -> None:
    with contextlib.suppress(OpenBadgesError):
        function(*args)


@st.composite
def mutated(draw: st.DrawFn, original: bytes) -> bytes:
    data = bytearray(original)
    for _ in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(["flip", "cut", "insert", "delete"]))
        position = draw(st.integers(0, max(len(data) - 1, 0)))
        if kind == "flip" and data:
            data[position] ^= draw(st.integers(1, 255))
        elif kind == "cut":
            del data[position:]
        elif kind == "insert":
            data[position:position] = draw(st.binary(min_size=1, max_size=16))
        elif data:
            del data[position : position + draw(st.integers(1, 16))]
    return bytes(data)


@FUZZ
@given(st.binary(max_size=512))
def test_random_bytes(data: bytes) -> None:
    _try(extract, data)
    _try(extract, b"\x89PNG\r\n\x1a\n" + data)
    _try(extract, b"<svg " + data)


@FUZZ
@given(st.one_of(mutated(BAKED_PNG), mutated(PNG_TEXT)))
def test_mutated_png(data: bytes) -> None:
    _try(extract, data)
    _try(bake_png, data, HOSTED)


@FUZZ
@given(mutated(BAKED_SVG))
def test_mutated_svg(data: bytes) -> None:
    _try(extract, data)
    _try(bake_svg, data, HOSTED, None)


@FUZZ
@given(json_values)
def test_random_json_documents(document: Any) -> None:
    for parser in (parse, Assertion.from_json, BadgeClass.from_json, Profile.from_json):
        _try(parser, document)


@FUZZ
@given(
    st.sampled_from([world.assertion(badge=world.badge(issuer=world.issuer())), world.issuer()]),
    st.data(),
)
def test_valid_documents_with_one_field_replaced(document: Any, data: st.DataObject) -> None:
    doc = document.to_json()
    target = doc
    while True:  # walk into a random nested object, then replace one of its fields
        key = data.draw(st.sampled_from(sorted(target)))
        if isinstance(target[key], dict) and data.draw(st.booleans()):
            target = target[key]
            continue
        target[key] = data.draw(json_values)
        break
    _try(parse, doc)


@FUZZ
@given(json_values)
def test_random_revocation_entries(entries: Any) -> None:
    document = {"id": world.LIST_ID, "issuer": world.ISSUER_ID, "revokedAssertions": entries}
    _try(RevocationList.from_json, document)


@FUZZ
@given(
    st.text(max_size=200)
    | st.from_regex(
        r"[A-Za-z0-9_-]{1,40}\.[A-Za-z0-9_-]{1,60}\.[A-Za-z0-9_-]{0,40}", fullmatch=True
    )
)
def test_random_jws(text: str) -> None:
    _try(signing.decode_assertion, text)
    _try(signing.verify_jws, text, world.key())


@FUZZ
@given(
    st.one_of(
        st.text(max_size=100), mutated(BAKED_PNG), mutated(BAKED_SVG), json_values.map(json.dumps)
    )
)
def test_verify_never_raises(data: str | bytes) -> None:
    report = verify(data, world.World().fetcher(), now=world.NOW)
    assert isinstance(report.valid, bool)
