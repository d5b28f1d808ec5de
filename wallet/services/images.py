"""Checks for uploaded badge images and logos: PNG or SVG, sniffed from the bytes.

A PNG must decode completely with Pillow within sensible dimensions and is kept as
it came. An SVG is rewritten by ``svg.sanitise_svg`` from allow-listed parts, or
refused with the reason; the rewritten document is what gets stored.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError

from wallet.services.errors import ImageRejectedError
from wallet.services.svg import sanitise_svg

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
MIN_SIDE = 16
MAX_SIDE = 4096


@dataclass(frozen=True)
class CheckedImage:
    data: bytes
    content_type: str


def check_image(data: bytes, *, max_bytes: int, field: str | None = None) -> CheckedImage:
    """Return the image to store with its real content type, or raise ``ImageRejectedError``.

    The type comes from the bytes, never from the file name or the browser. For an SVG,
    ``data`` is the sanitised document, not the upload.
    """
    if not data:
        raise ImageRejectedError("image_empty", field=field)
    if len(data) > max_bytes:
        raise ImageRejectedError("image_too_large", field=field, max_kb=max_bytes // 1024)
    if data.startswith(PNG_SIGNATURE):
        _check_png(data, field)
        return CheckedImage(data, "image/png")
    if _looks_like_svg(data):
        return CheckedImage(sanitise_svg(data, field=field), "image/svg+xml")
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
