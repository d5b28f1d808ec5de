"""Text for drawn images: the font, untrusted text made safe to draw, lines that fit.

Badge and issuer names come from outside (an office's form, an imported badge), so
they may hold HTML, line breaks, control characters or bidirectional controls. Pillow
draws pixels, so nothing is ever interpreted as markup; what remains is that a
right-to-left override (U+202E) and friends could reorder the letters a viewer sees.
``clean`` removes every control and format character, and the fonts are opened with
Pillow's basic layout, which draws characters in the order they are stored and does no
bidirectional reordering at all.
"""

from __future__ import annotations

import hashlib
import logging
import unicodedata
from functools import cache
from pathlib import Path

from PIL import ImageFont

log = logging.getLogger(__name__)

FONT_PATH = Path("/usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf")
ELLIPSIS = "…"

# Characters that may not begin a line in Japanese (kinsoku shori), and that
# may not end one.
_NO_LINE_START = frozenset(
    "、。，．,.:;!?！？）」』】〕〉》｝)]}ー～ぁぃぅぇぉっゃゅょゎァィゥェォッャュョヮヵヶ々・"
)
_NO_LINE_END = frozenset("（「『【〔〈《｛([{")
_DROPPED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})

Font = ImageFont.FreeTypeFont | ImageFont.ImageFont


def clean(text: str, limit: int = 500) -> str:
    """``text`` as one line of plain characters, safe to draw.

    Controls, format characters (bidirectional overrides and isolates, zero-width
    characters), unassigned code points and line separators go; any run of
    whitespace becomes one space. The result is NFC and at most ``limit`` characters
    (a drawn line holds far fewer).
    """
    text = unicodedata.normalize("NFC", text[: limit * 4])
    kept = []
    for char in text:
        if char.isspace():
            kept.append(" ")
        elif unicodedata.category(char) not in _DROPPED_CATEGORIES:
            kept.append(char)
    return " ".join("".join(kept).split())[:limit]


@cache
def font_id() -> str:
    """What the images' text is drawn with: part of every drawn image's cache key, so
    installing (or changing) the font draws new images instead of serving old ones."""
    try:
        return "ipaexg-" + hashlib.sha256(FONT_PATH.read_bytes()).hexdigest()[:16]
    except OSError:
        log.warning("font %s is missing: drawing text with Pillow's own font", FONT_PATH)
        return "pillow-default"


@cache
def font(size: int) -> Font:
    """IPAex Gothic at ``size`` pixels, or Pillow's built-in font if it is not installed
    (Latin letters only: Japanese then shows as empty boxes until the font is there)."""
    if font_id().startswith("ipaexg-"):
        return ImageFont.truetype(str(FONT_PATH), size, layout_engine=ImageFont.Layout.BASIC)
    return ImageFont.load_default(size)


def text_width(text: str, face: Font) -> float:
    return face.getlength(text) if text else 0.0


def wrap(text: str, face: Font, width: float, max_lines: int) -> tuple[list[str], bool]:
    """Break ``text`` into at most ``max_lines`` lines no wider than ``width``.

    Latin words break at spaces when they can; Japanese breaks between any two
    characters, keeping closing punctuation off the start of a line. Returns the
    lines and whether all of the text fitted; if not, the last line ends with an
    ellipsis and still fits.
    """
    lines: list[str] = []
    rest = text.strip()
    while rest and len(lines) < max_lines:
        cut = _fitting_prefix(rest, face, width)
        lines.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if not rest:
        return lines, True
    lines[-1] = _with_ellipsis(lines[-1], face, width)
    return lines, False


def _fitting_prefix(text: str, face: Font, width: float) -> int:
    """How many characters of ``text`` go on the next line."""
    if text_width(text, face) <= width:
        return len(text)
    low, high = 1, len(text)  # the longest prefix that fits, found by halving
    while low < high:
        middle = (low + high + 1) // 2
        if text_width(text[:middle], face) <= width:
            low = middle
        else:
            high = middle - 1
    cut = low
    space = text.rfind(" ", 0, cut + 1)
    if _is_latin(text[cut - 1]) and _is_latin(text[cut]) and space > cut // 2:
        return space + 1  # do not split a Latin word when a space is near enough
    # kinsoku: pull a character or two down rather than start a line with "。" or end
    # one with "「"; a longer run of such characters breaks where it must
    for pulled in range(3):
        if cut - pulled > 1 and _is_good_break(text, cut - pulled):
            return cut - pulled
    return cut


def _is_good_break(text: str, at: int) -> bool:
    return text[at] not in _NO_LINE_START and text[at - 1] not in _NO_LINE_END


def _is_latin(char: str) -> bool:
    return char.isascii() and char.isalnum()


def _with_ellipsis(line: str, face: Font, width: float) -> str:
    line = line.rstrip()
    while line and text_width(line + ELLIPSIS, face) > width:
        line = line[:-1].rstrip()
    return line + ELLIPSIS
