from __future__ import annotations

import io
import json
import struct
import zlib

import openbadges_bakery
import pytest
from PIL import Image as PILImage

from tests.unit.openbadges import world
from wallet.openbadges import baking
from wallet.openbadges.baking import bake, bake_png, bake_svg, extract, extract_details
from wallet.openbadges.errors import BakingError

# openbadges-bakery calls a deprecated rfc3986 helper; that is its business, not ours.
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:rfc3986.*")

HOSTED = json.dumps(world.assertion().to_json())
SIGNED = world.sign(world.signed_assertion())
PAYLOADS = [HOSTED, SIGNED, world.ASSERTION_ID, json.dumps({"name": "日本語 ]]> </x>"})]


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def _with_chunk_after_ihdr(png: bytes, chunk: bytes) -> bytes:
    return png[:33] + chunk + png[33:]


def _chunk_types(png: bytes) -> list[bytes]:
    types, position = [], 8
    while position < len(png):
        (length,) = struct.unpack(">I", png[position : position + 4])
        types.append(png[position + 4 : position + 8])
        position += length + 12
    return types


@pytest.mark.parametrize("payload", PAYLOADS)
def test_png_round_trip_keeps_a_valid_image(payload: str) -> None:
    baked = bake_png(world.png_bytes(), payload)
    assert extract(baked) == payload
    assert _chunk_types(baked)[:2] == [b"IHDR", b"iTXt"]
    assert PILImage.open(io.BytesIO(baked)).size == (32, 32)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_svg_round_trip(payload: str) -> None:
    baked = bake_svg(world.SVG, payload)
    assert b'xmlns:openbadges="http://openbadges.org"' in baked
    assert extract(baked) == payload


def test_svg_verify_attribute_is_the_hosted_url_or_the_jws() -> None:
    hosted = extract_details(bake_svg(world.SVG, HOSTED))
    assert (hosted.verify, hosted.payload) == (world.ASSERTION_ID, HOSTED)
    signed = extract_details(bake_svg(world.SVG, SIGNED))
    assert signed.verify == SIGNED
    assert (
        extract_details(bake_svg(world.SVG, HOSTED, verify="https://x/1")).verify == "https://x/1"
    )


def test_baking_twice_replaces_the_badge() -> None:
    png = bake_png(bake_png(world.png_bytes(), HOSTED), SIGNED)
    assert extract(png) == SIGNED
    assert _chunk_types(png).count(b"iTXt") == 1
    svg = bake_svg(bake_svg(world.SVG, HOSTED), SIGNED)
    assert extract(svg) == SIGNED
    assert svg.count(b"<openbadges:assertion") == 1
    assert svg.count(b"xmlns:openbadges") == 1


def test_baking_replaces_legacy_text_chunks_written_by_other_tools() -> None:
    old = _with_chunk_after_ihdr(world.png_bytes(), _chunk(b"tEXt", b"openbadges\0https://old/1"))
    baked = bake_png(old, HOSTED)
    assert b"https://old/1" not in baked
    assert extract(baked) == HOSTED


def test_legacy_and_compressed_chunks_are_read() -> None:
    png = world.png_bytes()
    text = _with_chunk_after_ihdr(
        png, _chunk(b"tEXt", b"openbadges\0" + world.ASSERTION_ID.encode())
    )
    assert extract_details(text).chunk == "tEXt"
    assert extract(text) == world.ASSERTION_ID
    itxt = b"openbadges\0\1\0ja\0\0" + zlib.compress(HOSTED.encode())
    assert extract(_with_chunk_after_ihdr(png, _chunk(b"iTXt", itxt))) == HOSTED
    ztxt = b"openbadges\0\0" + zlib.compress(world.ASSERTION_ID.encode())
    assert extract(_with_chunk_after_ihdr(png, _chunk(b"zTXt", ztxt))) == world.ASSERTION_ID


def test_bake_detects_the_format() -> None:
    assert extract(bake(world.png_bytes(), HOSTED)) == HOSTED
    assert extract(bake(world.SVG, HOSTED)) == HOSTED


# Interop with openbadges-bakery, both ways ---------------------------------------------------


@pytest.mark.parametrize("payload", [HOSTED, SIGNED])
def test_what_openbadges_bakery_bakes_we_extract(payload: str) -> None:
    png = openbadges_bakery.bake(io.BytesIO(world.png_bytes()), payload).read()
    assert extract(png) == payload
    svg = openbadges_bakery.bake(io.BytesIO(world.SVG), payload).read()
    details = extract_details(svg)
    assert details.payload == payload
    assert details.verify == (world.ASSERTION_ID if payload == HOSTED else SIGNED)


@pytest.mark.parametrize("payload", [HOSTED, SIGNED])
def test_what_we_bake_openbadges_bakery_extracts(payload: str) -> None:
    png = bake_png(world.png_bytes(), payload)
    assert openbadges_bakery.unbake(io.BytesIO(png)) == payload
    svg = bake_svg(world.SVG, payload)
    expected = world.ASSERTION_ID if payload == HOSTED else SIGNED
    assert openbadges_bakery.unbake(io.BytesIO(svg)) == expected


def test_baking_over_an_openbadges_bakery_image_replaces_its_badge() -> None:
    theirs = openbadges_bakery.bake(io.BytesIO(world.png_bytes()), HOSTED).read()
    assert extract(bake_png(theirs, SIGNED)) == SIGNED
    assert openbadges_bakery.unbake(io.BytesIO(bake_png(theirs, SIGNED))) == SIGNED
    theirs_svg = openbadges_bakery.bake(io.BytesIO(world.SVG), HOSTED).read()
    ours = bake_svg(theirs_svg, SIGNED)
    assert ours.count(b"openbadges:assertion") == 1
    assert openbadges_bakery.unbake(io.BytesIO(ours)) == SIGNED


# Hostile and malformed input -----------------------------------------------------------------

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE svg [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>
<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="http://openbadges.org">
<openbadges:assertion verify="https://x/1">&b;</openbadges:assertion></svg>"""

EXTERNAL = b"""<?xml version="1.0"?>
<!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="http://openbadges.org">
<openbadges:assertion>&x;</openbadges:assertion></svg>"""


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (BILLION_LAUGHS, "forbidden XML features"),
        (EXTERNAL, "forbidden XML features"),
        (b"GIF89a....", "not a PNG or SVG image"),
        (world.png_bytes(), "carries no Open Badges data"),
        (world.png_bytes()[:40], "truncated PNG chunk"),
        (world.png_bytes()[:50], "runs past the end"),
        (world.SVG, "carries no Open Badges assertion"),
        (b"<svg><unclosed></svg>", "not well-formed"),
        (b"<html><svg/></html>", "not an SVG image"),
    ],
)
def test_malformed_images_raise_a_baking_error_with_a_reason(data: bytes, reason: str) -> None:
    with pytest.raises(BakingError, match=reason):
        extract(data)


def test_corrupt_badge_chunk_checksum_is_reported() -> None:
    baked = bytearray(bake_png(world.png_bytes(), HOSTED))
    baked[80] ^= 0x01  # inside the badge text
    with pytest.raises(BakingError, match="checksum"):
        extract(bytes(baked))


def test_size_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(BakingError, match="payload larger"):
        bake_png(world.png_bytes(), "x" * (baking.MAX_PAYLOAD_BYTES + 1))
    bomb = b"openbadges\0\1\0\0\0" + zlib.compress(b"{" * (baking.MAX_PAYLOAD_BYTES + 10))
    with pytest.raises(BakingError, match="inflates past"):
        extract(_with_chunk_after_ihdr(world.png_bytes(), _chunk(b"iTXt", bomb)))
    monkeypatch.setattr(baking, "MAX_IMAGE_BYTES", 100)
    with pytest.raises(BakingError, match="image larger"):
        extract(bake_png(world.png_bytes(), HOSTED))


def test_baking_refuses_non_images_and_empty_payloads() -> None:
    with pytest.raises(BakingError):
        bake(b"plain text", HOSTED)
    with pytest.raises(BakingError):
        bake_png(world.png_bytes(), "  ")


def test_svg_with_an_unknown_encoding_is_a_baking_error() -> None:
    from wallet.openbadges.baking import extract
    from wallet.openbadges.errors import BakingError

    svg = b'<?xml version="1.0" encoding="TTF-8"?><svg xmlns="http://www.w3.org/2000/svg"/>'
    with pytest.raises(BakingError):
        extract(svg)
