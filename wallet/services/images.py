"""Checks for uploaded badge images and logos: PNG or SVG, sniffed from the bytes.

A PNG must decode completely with Pillow within sensible dimensions. An SVG is
parsed with defusedxml and refused (not rewritten) when it could run code or
load anything from outside: scripts, event handlers, ``foreignObject``,
external references, entity declarations.
"""

from __future__ import annotations

import io
import re
import warnings
from dataclasses import dataclass
from xml.etree.ElementTree import Element, ParseError, TreeBuilder

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser
from PIL import Image, UnidentifiedImageError

from wallet.services.errors import ValidationError

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
SVG_NAMESPACE = "http://www.w3.org/2000/svg"
MIN_SIDE = 16
MAX_SIDE = 4096
# elements that run code or embed another document
_FORBIDDEN_ELEMENTS = {"script", "foreignobject", "iframe", "embed", "object", "handler"}
_HREF_NAMES = {"href", "src"}
_SAFE_DATA_IMAGE = re.compile(r"^data:image/(png|jpeg|gif|webp);", re.IGNORECASE)
_CSS_URL = re.compile(r"url\(\s*['\"]?\s*([^)'\"\s]*)", re.IGNORECASE)


class ImageRejectedError(ValidationError):
    """The upload is not an acceptable image; ``code`` says why (views translate it)."""


@dataclass(frozen=True)
class CheckedImage:
    data: bytes
    content_type: str


def check_image(data: bytes, *, max_bytes: int, field: str | None = None) -> CheckedImage:
    """Return the image with its real content type, or raise ``ImageRejectedError``.

    The type comes from the bytes, never from the file name or the browser.
    """
    if not data:
        raise ImageRejectedError("image_empty", field=field)
    if len(data) > max_bytes:
        raise ImageRejectedError("image_too_large", field=field, max_kb=max_bytes // 1024)
    if data.startswith(PNG_SIGNATURE):
        _check_png(data, field)
        return CheckedImage(data, "image/png")
    if _looks_like_svg(data):
        _check_svg(data, field)
        return CheckedImage(data, "image/svg+xml")
    raise ImageRejectedError("image_type", field=field)


def _check_png(data: bytes, field: str | None) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(data)) as probe:
                width, height = probe.size
                if probe.format != "PNG":
                    raise ImageRejectedError("image_type", field=field)
                # the header alone tells the size: refuse before decoding anything big
                if max(width, height) > MAX_SIDE:
                    raise ImageRejectedError("png_too_big", field=field, max_side=MAX_SIDE)
                if min(width, height) < MIN_SIDE:
                    raise ImageRejectedError("png_too_small", field=field, min_side=MIN_SIDE)
                probe.verify()
            with Image.open(io.BytesIO(data)) as image:
                image.load()
        except ImageRejectedError:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
            raise ImageRejectedError("png_too_big", field=field, max_side=MAX_SIDE) from error
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
            raise ImageRejectedError("png_broken", field=field) from error


def _looks_like_svg(data: bytes) -> bool:
    head = data[:2048].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return (
        head.startswith((b"<?xml", b"<svg", b"<!--", b"<!doctype svg"))
        and b"<svg" in data[:65536].lower()
    )


def _local(name: str) -> str:
    return name.rsplit("}", 1)[-1].lower()


def _check_svg(data: bytes, field: str | None) -> None:
    builder = TreeBuilder(insert_pis=True)
    parser = DefusedXMLParser(
        target=builder, forbid_dtd=False, forbid_entities=True, forbid_external=True
    )
    try:
        parser.feed(data)
        root = parser.close()
    except DefusedXmlException as error:
        raise ImageRejectedError("svg_entities", field=field) from error
    except (ParseError, UnicodeError, ValueError) as error:
        raise ImageRejectedError("svg_broken", field=field) from error
    if not isinstance(root, Element) or root.tag != f"{{{SVG_NAMESPACE}}}svg":
        raise ImageRejectedError("svg_broken", field=field)
    if b"<?xml-stylesheet" in data.lower():
        # a stylesheet instruction outside the root element is not in the tree
        raise ImageRejectedError("svg_external", field=field)
    for element in root.iter():
        _check_svg_element(element, field)


def _check_svg_element(element: Element, field: str | None) -> None:
    if not isinstance(element.tag, str):
        # a processing instruction such as <?xml-stylesheet href=...?>
        if "stylesheet" in (element.text or "").lower():
            raise ImageRejectedError("svg_external", field=field)
        return
    tag = _local(element.tag)
    if tag in _FORBIDDEN_ELEMENTS:
        code = "svg_foreign_object" if tag == "foreignobject" else "svg_script"
        raise ImageRejectedError(code, field=field)
    if tag in {"animate", "set"} and _local(element.get("attributeName", "")) in _HREF_NAMES:
        raise ImageRejectedError("svg_script", field=field)
    for raw_name, value in element.attrib.items():
        name = _local(raw_name)
        if name.startswith("on"):
            raise ImageRejectedError("svg_event_handler", field=field)
        if "javascript:" in value.replace(" ", "").lower():
            raise ImageRejectedError("svg_script", field=field)
        if name in _HREF_NAMES and not _is_internal_reference(value):
            raise ImageRejectedError("svg_external", field=field)
        if name == "style":
            _check_css(value, field)
    if tag == "style":
        _check_css(element.text or "", field)


def _check_css(css: str, field: str | None) -> None:
    if "@import" in css.lower():
        raise ImageRejectedError("svg_external", field=field)
    for target in _CSS_URL.findall(css):
        if not _is_internal_reference(target):
            raise ImageRejectedError("svg_external", field=field)


def _is_internal_reference(value: str) -> bool:
    value = value.strip()
    return value.startswith("#") or bool(_SAFE_DATA_IMAGE.match(value))
