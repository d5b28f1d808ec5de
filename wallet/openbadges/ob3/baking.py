"""Bake an Open Badges 3.0 credential into a PNG or SVG image (OB 3.0 §5.3).

PNG: one uncompressed `iTXt` chunk, keyword `openbadgecredential`, holding the credential's
JSON or its compact JWS, right after `IHDR`; an older 3.0 chunk is replaced.
SVG: `xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0"` on the root and, as its first
child, `<openbadges:credential>` with the JSON in CDATA, or for a VC-JWT an empty element
whose `verify` attribute is the JWS. An older 3.0 element is replaced. An SVG already baked
as Open Badges 2.0 is refused: both versions bind the `openbadges` prefix, to different
namespaces, so one image cannot carry both.

Reading goes through `wallet.openbadges.baking.extract_all` (entries with version "3.0");
`extract` here returns the one credential an image carries.
"""

from __future__ import annotations

import re

from wallet.openbadges import baking
from wallet.openbadges.errors import BakingError

NAMESPACE = baking.SVG_NAMESPACE_V3
_ELEMENT = re.compile(
    rb"<openbadges:credential(?:\s[^>]*?)?(?:/>|>.*?</openbadges:credential\s*>)", re.DOTALL
)


def bake_png(png: bytes, payload: str) -> bytes:
    """The PNG with `payload` (credential JSON or VC-JWT) in an `openbadgecredential` iTXt."""
    baking._check_image_size(png)
    encoded = baking._check_payload(payload)
    data = bytes(png)
    chunks = baking._png_chunks(data)
    chunk = baking._png_chunk(b"iTXt", baking.KEYWORD_V3 + b"\0\0\0\0\0" + encoded)
    parts = [data[: chunks[0][2]], chunk]
    keep_from = chunks[0][2]
    for kind, start, end in chunks[1:]:
        if baking._is_badge_chunk(data, kind, start, baking.KEYWORD_V3):
            parts.append(data[keep_from:start])
            keep_from = end
    parts.append(data[keep_from : chunks[-1][2]])
    return b"".join(parts)


def _element(payload: str) -> bytes:
    text = payload.strip()
    if baking._JWS.match(text):
        return f'<openbadges:credential verify="{text}"></openbadges:credential>'.encode()
    cdata = payload.replace("]]>", "]]]]><![CDATA[>")
    return f"<openbadges:credential><![CDATA[{cdata}]]></openbadges:credential>".encode()


def bake_svg(svg: bytes, payload: str) -> bytes:
    """The SVG with `<openbadges:credential>` carrying `payload` (JSON, or a JWS in `verify`)."""
    baking._check_image_size(svg)
    baking._check_payload(payload)
    data = bytes(svg)
    root = baking._parse_svg(data)
    if any(True for _ in root.iter(f"{{{baking.SVG_NAMESPACE}}}assertion")):
        raise BakingError("the SVG already carries an Open Badges 2.0 badge")
    data = _ELEMENT.sub(b"", data)
    prolog = baking._PROLOG.match(data)
    start = baking._ROOT_START.match(data, prolog.end() if prolog else 0)
    if start is None:
        raise BakingError("could not find the <svg> start tag")
    attributes = start.group(1)
    declaration = f'xmlns:openbadges="{NAMESPACE}"'.encode()
    if declaration not in attributes:
        if re.search(rb"\sxmlns:openbadges\s*=", attributes):
            raise BakingError("the SVG binds the openbadges prefix to another namespace")
        attributes += b" " + declaration
    element = _element(payload)
    closing = b"</svg>" if start.group(2) else b""
    baked = data[: start.start()] + b"<svg" + attributes + b">" + element + closing
    baked += data[start.end() :]
    found = [item for item in baking.extract_all(baked) if item.version == "3.0"]
    if len(found) != 1:
        raise BakingError("could not bake the credential into the SVG")
    return baked


def bake(image: bytes, payload: str) -> bytes:
    """Bake into a PNG or an SVG, whichever `image` is."""
    if baking.detect_format(image) == "png":
        return bake_png(image, payload)
    return bake_svg(image, payload)


def extract(image: bytes) -> str:
    """The one OB 3.0 credential (JSON or JWS text) an image carries; BakingError if it
    carries none or several."""
    found = [item for item in baking.extract_all(image) if item.version == "3.0"]
    if not found:
        raise BakingError("the image carries no Open Badges 3.0 credential")
    if len(found) > 1:
        raise BakingError("the image carries more than one Open Badges 3.0 credential")
    return found[0].payload
