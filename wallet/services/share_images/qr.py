"""QR codes for CVs and print: the share URL as PNG (300 dpi) and SVG.

Error correction level M (15 % of the code may be lost: a fold or a smudge on
paper). A share URL is the base URL, ``/b/`` and an 8-character share id; version 4
at level M holds 62 bytes, so base URLs of up to ``MAX_BASE_URL_LENGTH`` (51)
ASCII characters keep the code at version 4 or lower: 33 x 33 modules, each about
0.5 mm when the code is printed 2 cm wide with its quiet zone.
``https://openbadge.shizuoka.ac.jp`` (32 characters) gives version 4 (version 3
stops at 42 bytes; that URL is 43).
"""

from __future__ import annotations

import io
import math

import qrcode
from PIL import Image

ERROR_CORRECTION = qrcode.constants.ERROR_CORRECT_M
QUIET_ZONE = 4  # modules of white around the code, as the standard asks
MAX_VERSION = 4
MAX_BASE_URL_LENGTH = 51  # 62 bytes at version 4-M, less "/b/" and the 8-character id
PRINT_DPI = 300
PRINT_CM = 3.0
# 3 cm at 300 dpi: 354.3 pixels; every module gets the same whole number of them
MIN_PNG_SIDE = math.ceil(PRINT_CM / 2.54 * PRINT_DPI)


def qr_modules(text: str) -> tuple[list[list[bool]], int]:
    """The code's modules (True is dark), quiet zone included, and its version."""
    code = qrcode.QRCode(error_correction=ERROR_CORRECTION, border=QUIET_ZONE)
    code.add_data(text)
    code.make(fit=True)
    return code.get_matrix(), code.version


def render_qr_png(text: str) -> bytes:
    """A black-and-white PNG at least 354 px wide (3 cm at 300 dpi), dpi recorded."""
    modules, _ = qr_modules(text)
    count = len(modules)
    scale = math.ceil(MIN_PNG_SIDE / count)
    small = Image.new("1", (count, count), 1)
    small.putdata([0 if dark else 1 for row in modules for dark in row])
    image = small.resize((count * scale, count * scale), Image.Resampling.NEAREST)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", dpi=(PRINT_DPI, PRINT_DPI), optimize=True)
    return buffer.getvalue()


def render_qr_svg(text: str) -> bytes:
    """An SVG of whole-module squares (one path, no text, no fonts), 3 cm wide."""
    modules, _ = qr_modules(text)
    count = len(modules)
    runs = []
    for y, row in enumerate(modules):
        x = 0
        while x < count:
            if not row[x]:
                x += 1
                continue
            start = x
            while x < count and row[x]:
                x += 1
            runs.append(f"M{start} {y}h{x - start}v1h-{x - start}z")
    size = f"{PRINT_CM * 10:g}mm"
    document = (
        '<svg xmlns="http://www.w3.org/2000/svg" '
        f'viewBox="0 0 {count} {count}" width="{size}" height="{size}" '
        'shape-rendering="crispEdges">'
        f'<rect width="{count}" height="{count}" fill="#fff"/>'
        f'<path fill="#000" d="{"".join(runs)}"/></svg>\n'
    )
    return document.encode("ascii")
