"""Bake an assertion into PNG or SVG badge images and extract it again.

Extraction never executes or resolves anything: PNG chunks are walked by hand, SVG goes
through defusedxml (no DTD entities, no external references), and every size is bounded.
Every malformed input raises `BakingError` with a reason; nothing else escapes.
"""

from __future__ import annotations

import json
import re
import struct
import zlib
from dataclasses import dataclass
from typing import Literal
from xml.etree.ElementTree import Element, ParseError
from xml.sax.saxutils import quoteattr

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from wallet.openbadges.errors import BakingError

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
KEYWORD = b"openbadges"
KEYWORD_V3 = b"openbadgecredential"
SVG_NAMESPACE = "http://openbadges.org"
SVG_NAMESPACE_V3 = "https://purl.imsglobal.org/ob/v3p0"
_SVG_ASSERTION = f"{{{SVG_NAMESPACE}}}assertion"
_SVG_CREDENTIAL = f"{{{SVG_NAMESPACE_V3}}}credential"
_SVG_ROOTS = ("{http://www.w3.org/2000/svg}svg", "svg")

MAX_IMAGE_BYTES = 16 * 1024 * 1024
"""Images larger than this are refused, baked or not."""
MAX_PAYLOAD_BYTES = 1024 * 1024
"""The embedded assertion (also after decompression) may not exceed this."""

ImageFormat = Literal["png", "svg"]
BadgeVersion = Literal["2.0", "3.0"]


@dataclass(frozen=True)
class Extracted:
    """What an image carries: `payload` is the embedded JSON, JWS or URL text.

    For SVG, `verify` is the `verify` attribute (hosted URL or JWS) and `payload` prefers the
    embedded JSON, falling back to `verify`. `chunk` names the PNG chunk type it came from.
    `version` says which baking carried it: Open Badges 2.0 (`openbadges`) or 3.0
    (`openbadgecredential`, `<openbadges:credential>`); `extract` reads 2.0 only.
    """

    format: ImageFormat
    payload: str
    verify: str | None = None
    chunk: str | None = None
    version: BadgeVersion = "2.0"


def detect_format(data: bytes) -> ImageFormat:
    """`"png"` or `"svg"` from the bytes themselves; BakingError for anything else."""
    if data.startswith(PNG_SIGNATURE):
        return "png"
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"<") and b"<svg" in data[:65536]:
        return "svg"
    raise BakingError("not a PNG or SVG image")


def _check_image_size(data: bytes) -> None:
    if not isinstance(data, bytes | bytearray | memoryview):
        raise BakingError("image must be bytes")
    if len(data) > MAX_IMAGE_BYTES:
        raise BakingError(f"image larger than {MAX_IMAGE_BYTES} bytes")


def _check_payload(payload: str) -> bytes:
    if not isinstance(payload, str) or not payload.strip():
        raise BakingError("the payload must be non-empty text")
    try:
        encoded = payload.encode("utf-8")
    except UnicodeEncodeError:
        raise BakingError("the payload is not valid Unicode text") from None
    if len(encoded) > MAX_PAYLOAD_BYTES:
        raise BakingError(f"payload larger than {MAX_PAYLOAD_BYTES} bytes")
    return encoded


def bake(image: bytes, payload: str, verify: str | None = None) -> bytes:
    """Bake into a PNG or an SVG, whichever `image` is."""
    if detect_format(image) == "png":
        return bake_png(image, payload)
    return bake_svg(image, payload, verify)


def extract(data: bytes) -> str:
    """The JSON, JWS or URL text baked into a PNG or SVG image."""
    return extract_details(data).payload


def extract_details(data: bytes) -> Extracted:
    """Like `extract`, also telling the format, the SVG `verify` attribute and the PNG chunk."""
    _check_image_size(data)
    if detect_format(bytes(data[:65536])) == "png":
        return _extract_png(bytes(data))
    return _extract_svg(bytes(data))


def extract_all(data: bytes) -> list[Extracted]:
    """Every badge an image carries, in file order, each distinct payload once: Open Badges
    2.0 badges as `extract` reads them (a PNG's legacy `tEXt`/`zTXt` only when it has no
    `iTXt`), then 3.0 credentials. An image with none gives `[]`; a malformed image or
    badge text still raises `BakingError`. Lets a caller refuse an image with several."""
    _check_image_size(data)
    data = bytes(data)
    read = _png_payloads if detect_format(data[:65536]) == "png" else _svg_payloads
    found = read(data)
    return list({(item.version, item.payload): item for item in found}.values())


# PNG ---------------------------------------------------------------------------------------


def _png_chunks(data: bytes) -> list[tuple[bytes, int, int]]:
    """(type, start of the chunk's length field, end after its CRC) for each chunk."""
    if not data.startswith(PNG_SIGNATURE):
        raise BakingError("not a PNG image")
    chunks = []
    position = len(PNG_SIGNATURE)
    size = len(data)
    while position < size:
        if position + 12 > size:
            raise BakingError("truncated PNG chunk")
        length, kind = struct.unpack_from(">I4s", data, position)
        end = position + 12 + length
        if length > 0x7FFFFFFF or end > size:
            raise BakingError("PNG chunk runs past the end of the file")
        chunks.append((kind, position, end))
        position = end
        if kind == b"IEND":
            break
    if not chunks or chunks[0][0] != b"IHDR":
        raise BakingError("PNG does not start with an IHDR chunk")
    if chunks[-1][0] != b"IEND":
        raise BakingError("PNG has no IEND chunk")
    return chunks


_TEXT_CHUNKS = (b"iTXt", b"tEXt", b"zTXt")
_PNG_KEYWORDS: tuple[tuple[bytes, BadgeVersion], ...] = ((KEYWORD, "2.0"), (KEYWORD_V3, "3.0"))


def _is_badge_chunk(data: bytes, kind: bytes, start: int, keyword: bytes = KEYWORD) -> bool:
    return kind in _TEXT_CHUNKS and data.startswith(keyword + b"\0", start + 8)


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    crc = zlib.crc32(body, zlib.crc32(kind))
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)


def bake_png(png: bytes, payload: str) -> bytes:
    """One uncompressed `iTXt` chunk `openbadges` right after IHDR, replacing older ones."""
    _check_image_size(png)
    encoded = _check_payload(payload)
    data = bytes(png)
    chunks = _png_chunks(data)
    badge = _png_chunk(b"iTXt", KEYWORD + b"\0\0\0\0\0" + encoded)
    parts = [data[: chunks[0][2]], badge]
    keep_from = chunks[0][2]
    for kind, start, end in chunks[1:]:
        if _is_badge_chunk(data, kind, start):
            parts.append(data[keep_from:start])
            keep_from = end
    parts.append(data[keep_from : chunks[-1][2]])
    return b"".join(parts)


def _inflate(compressed: bytes) -> bytes:
    inflater = zlib.decompressobj()
    try:
        text = inflater.decompress(compressed, MAX_PAYLOAD_BYTES)
    except zlib.error:
        raise BakingError("the compressed badge text is corrupt") from None
    if inflater.unconsumed_tail:
        raise BakingError(f"the badge text inflates past {MAX_PAYLOAD_BYTES} bytes")
    return text


def _decode_text_chunk(kind: bytes, body: bytes, keyword: bytes = KEYWORD) -> str:
    rest = body[len(keyword) + 1 :]
    if kind == b"tEXt":
        return rest.decode("latin-1")
    if kind == b"zTXt":
        if not rest or rest[0] != 0:
            raise BakingError("unknown zTXt compression method")
        return _inflate(rest[1:]).decode("latin-1")
    if len(rest) < 2:
        raise BakingError("truncated iTXt chunk")
    compressed, method = rest[0], rest[1]
    language_end = rest.find(b"\0", 2)
    translated_end = rest.find(b"\0", language_end + 1) if language_end >= 0 else -1
    if translated_end < 0:
        raise BakingError("malformed iTXt chunk")
    text = rest[translated_end + 1 :]
    if compressed == 1:
        if method != 0:
            raise BakingError("unknown iTXt compression method")
        text = _inflate(text)
    elif compressed != 0:
        raise BakingError("malformed iTXt compression flag")
    try:
        return text.decode("utf-8")
    except UnicodeDecodeError:
        raise BakingError("the badge text is not UTF-8") from None


def _extract_png(data: bytes) -> Extracted:
    found: dict[bytes, str] = {}
    for kind, start, end in _png_chunks(data):
        if not _is_badge_chunk(data, kind, start) or kind in found:
            continue
        body = data[start + 8 : end - 4]
        if len(body) - len(KEYWORD) > MAX_PAYLOAD_BYTES + 64:
            raise BakingError(f"badge text larger than {MAX_PAYLOAD_BYTES} bytes")
        (crc,) = struct.unpack_from(">I", data, end - 4)
        if zlib.crc32(body, zlib.crc32(kind)) != crc:
            raise BakingError("the badge chunk's checksum is wrong")
        found[kind] = _decode_text_chunk(kind, body)
        if kind == b"iTXt":
            break
    for kind in _TEXT_CHUNKS:  # iTXt wins over the legacy chunks, as other tools read it
        text = found.get(kind, "").strip()
        if text:
            return Extracted("png", text, chunk=kind.decode("ascii"))
    raise BakingError("the PNG carries no Open Badges data")


def _png_payloads(data: bytes) -> list[Extracted]:
    current: list[Extracted] = []
    legacy: list[Extracted] = []
    credentials: list[Extracted] = []
    for kind, start, end in _png_chunks(data):
        for keyword, version in _PNG_KEYWORDS:
            if not _is_badge_chunk(data, kind, start, keyword):
                continue
            body = data[start + 8 : end - 4]
            if len(body) - len(keyword) > MAX_PAYLOAD_BYTES + 64:
                raise BakingError(f"badge text larger than {MAX_PAYLOAD_BYTES} bytes")
            text = _decode_text_chunk(kind, body, keyword).strip()
            if not text:
                continue
            item = Extracted("png", text, chunk=kind.decode("ascii"), version=version)
            if version == "3.0":
                credentials.append(item)
            else:
                (current if kind == b"iTXt" else legacy).append(item)
    return (current or legacy) + credentials


# SVG ---------------------------------------------------------------------------------------

_PROLOG = re.compile(
    rb"(?:\s|\xef\xbb\xbf|<\?.*?\?>|<!--.*?-->|<!DOCTYPE[^\[>]*(?:\[.*?\])?\s*>)*", re.DOTALL
)
_ROOT_START = re.compile(
    rb"<svg((?:\s+[^\s=/>]+\s*=\s*(?:\"[^\"]*\"|'[^']*'))*)\s*(/?)>", re.DOTALL
)
_OB_PREFIX = re.compile(rb"\sxmlns:([A-Za-z_][\w.-]*)\s*=\s*[\"']http://openbadges\.org/?[\"']")
_JWS = re.compile(r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$")


def _parse_svg(data: bytes) -> Element:
    try:
        root: Element = SafeET.fromstring(data, forbid_dtd=False)
    except (ParseError, DefusedXmlException, ValueError, LookupError, RecursionError):
        raise BakingError("the SVG is not well-formed or uses forbidden XML features") from None
    if root.tag not in _SVG_ROOTS:
        raise BakingError("the document is not an SVG image")
    return root


def _default_verify(payload: str) -> str | None:
    text = payload.strip()
    if _JWS.match(text):
        return text
    if text.startswith(("https://", "http://")) and not any(c.isspace() for c in text):
        return text
    try:
        document = json.loads(text)
    except ValueError:
        return None
    if isinstance(document, dict):
        assertion_id = document.get("id")
        if isinstance(assertion_id, str) and assertion_id.startswith(("https://", "http://")):
            return assertion_id
    return None


def _assertion_element(payload: str, verify: str | None) -> bytes:
    attribute = f" verify={quoteattr(verify)}" if verify else ""
    if verify is not None and verify == payload.strip():
        return f"<openbadges:assertion{attribute}/>".encode()
    cdata = payload.replace("]]>", "]]]]><![CDATA[>")
    return f"<openbadges:assertion{attribute}><![CDATA[{cdata}]]></openbadges:assertion>".encode()


def bake_svg(svg: bytes, payload: str, verify: str | None = None) -> bytes:
    """Insert `<openbadges:assertion verify=...>` with the payload, replacing any older one.

    `verify` defaults to the JWS itself, or to the hosted assertion's `id` URL.
    """
    _check_image_size(svg)
    _check_payload(payload)
    if verify is None:
        verify = _default_verify(payload)
    if verify is not None:
        _check_payload(verify)
    data = bytes(svg)
    root = _parse_svg(data)
    if any(True for _ in root.iter(_SVG_ASSERTION)):
        data = _remove_assertions(data)
    prolog = _PROLOG.match(data)
    start = _ROOT_START.match(data, prolog.end() if prolog else 0)
    if start is None:
        raise BakingError("could not find the <svg> start tag")
    attributes = start.group(1)
    if b'xmlns:openbadges="http://openbadges.org"' not in attributes:
        if re.search(rb"\sxmlns:openbadges\s*=", attributes):
            raise BakingError("the SVG binds the openbadges prefix to another namespace")
        attributes += b' xmlns:openbadges="http://openbadges.org"'
    element = _assertion_element(payload, verify)
    if start.group(2):  # <svg .../>
        replacement = b"<svg" + attributes + b">" + element + b"</svg>"
    else:
        replacement = b"<svg" + attributes + b">" + element
    baked = data[: start.start()] + replacement + data[start.end() :]
    _parse_svg(baked)
    return baked


def _remove_assertions(data: bytes) -> bytes:
    """Drop every existing openbadges assertion element (whatever prefix it is bound to)."""
    prefixes = {match.group(1) for match in _OB_PREFIX.finditer(data)}
    for prefix in prefixes:
        name = re.escape(prefix + b":assertion")
        element = re.compile(
            rb"<" + name + rb"(?:\s[^>]*?)?(?:/>|>.*?</" + name + rb"\s*>)", re.DOTALL
        )
        data = element.sub(b"", data)
    if any(True for _ in _parse_svg(data).iter(_SVG_ASSERTION)):
        raise BakingError("could not remove the SVG's existing badge")
    return data


def _extract_svg(data: bytes) -> Extracted:
    root = _parse_svg(data)
    node = next(root.iter(_SVG_ASSERTION), None)
    if node is None:
        raise BakingError("the SVG carries no Open Badges assertion")
    verify = (node.get("verify") or "").strip() or None
    body = "".join(node.itertext()).strip() or None
    payload = body or verify
    if payload is None:
        raise BakingError("the SVG's Open Badges assertion is empty")
    if len(payload.encode("utf-8", "surrogatepass")) > MAX_PAYLOAD_BYTES:
        raise BakingError(f"badge text larger than {MAX_PAYLOAD_BYTES} bytes")
    return Extracted("svg", payload, verify=verify)


def _svg_payloads(data: bytes) -> list[Extracted]:
    root = _parse_svg(data)
    found = []
    tags: tuple[tuple[str, BadgeVersion], ...] = ((_SVG_ASSERTION, "2.0"), (_SVG_CREDENTIAL, "3.0"))
    for tag, version in tags:
        for node in root.iter(tag):
            verify = (node.get("verify") or "").strip() or None
            payload = "".join(node.itertext()).strip() or verify
            if payload is None:
                continue
            if len(payload.encode("utf-8", "surrogatepass")) > MAX_PAYLOAD_BYTES:
                raise BakingError(f"badge text larger than {MAX_PAYLOAD_BYTES} bytes")
            found.append(Extracted("svg", payload, verify=verify, version=version))
    return found
