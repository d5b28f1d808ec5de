"""Badge class images as pixels: SVG rasterised with resvg, PNG scaled with Pillow.

Raster uses (the share preview, the e-mail signature) cannot take an SVG: LinkedIn
ignores SVG previews and mail clients block them. SVG class images were sanitised at
upload (``services/svg.py``) and reference nothing outside themselves; resvg draws
them without a browser or a system library, and sees only the IPAex Gothic font
(every family maps to it), so text in a badge draws the same on every node.
"""

from __future__ import annotations

import io
import logging
import warnings

import resvg_py
from PIL import Image, ImageOps, UnidentifiedImageError

from wallet.services.share_images.text import FONT_PATH, font_id

log = logging.getLogger(__name__)

SVG = "image/svg+xml"
# The e-mail signature shows the badge 96 px wide; drawn at twice that for sharp
# screens, and kept small because it travels with every mail (see render_signature).
SIGNATURE_CSS_PX = 96
RASTER_SIDE = 512
SIGNATURE_MAX_BYTES = 20 * 1024


def badge_picture(
    data: bytes, content_type: str, box: int, languages: tuple[str, ...] = ("ja",)
) -> Image.Image:
    """The class image fitted in a ``box`` x ``box`` transparent square, centred.

    ``languages`` chooses among an SVG's ``<switch systemLanguage>`` alternatives.

    An image that cannot be drawn (it passed the upload checks, so this should not
    happen) gives an empty square and a log line rather than a failed request.
    """
    try:
        if content_type == SVG:
            picture = _svg_picture(data, box, languages)
        else:
            picture = _png_picture(data, box)
    except (ValueError, OSError, UnidentifiedImageError, Image.DecompressionBombError) as error:
        log.warning("badge image could not be drawn: %s", error)
        picture = Image.new("RGBA", (1, 1), (0, 0, 0, 0))
    canvas = Image.new("RGBA", (box, box), (0, 0, 0, 0))
    canvas.alpha_composite(picture, ((box - picture.width) // 2, (box - picture.height) // 2))
    return canvas


def _svg_picture(data: bytes, box: int, languages: tuple[str, ...]) -> Image.Image:
    fonts: dict[str, object] = {"skip_system_fonts": False}
    if font_id().startswith("ipaexg-"):
        fonts = {
            "skip_system_fonts": True,
            "font_files": [str(FONT_PATH)],
            # the only font there is: any family the drawing names is drawn with it
            "style_sheet": "* { font-family: 'IPAexGothic' !important }",
        }
    # width and height together: the drawing is scaled to fit inside the box
    png = resvg_py.svg_to_bytes(
        svg_string=data.decode("utf-8", "replace"),
        width=box,
        height=box,
        dpi=96,  # CSS pixels per inch: sizes in mm, cm or pt (the default, 0, refuses them)
        languages=list(languages),
        **fonts,  # type: ignore[arg-type]
    )
    with Image.open(io.BytesIO(bytes(png))) as image:
        return image.convert("RGBA")


def _png_picture(data: bytes, box: int) -> Image.Image:
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(data)) as image:
                image.load()
                picture = image.convert("RGBA")
        except Image.DecompressionBombWarning as error:
            raise Image.DecompressionBombError(str(error)) from error
    return ImageOps.contain(picture, (box, box), Image.Resampling.LANCZOS)


def render_raster(data: bytes, content_type: str) -> bytes:
    """The class image as a ``RASTER_SIDE`` px square PNG (what a PNG download of an SVG
    badge is baked into: many backpacks accept only PNG)."""
    buffer = io.BytesIO()
    badge_picture(data, content_type, RASTER_SIDE).save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def render_signature(data: bytes, content_type: str) -> bytes:
    """The badge for an HTML e-mail signature: a square PNG, 2x of 96 px, at most 20 KB.

    A palette PNG with transparency; fewer colours, then half the size, until it
    fits the budget (a 96 px palette image always does).
    """
    picture = badge_picture(data, content_type, 2 * SIGNATURE_CSS_PX)
    candidates = [(2 * SIGNATURE_CSS_PX, colours) for colours in (256, 128, 64, 32)]
    candidates.append((SIGNATURE_CSS_PX, 256))
    candidates.append((SIGNATURE_CSS_PX, 16))
    png = b""
    for side, colours in candidates:
        sized = picture
        if side != picture.width:
            sized = picture.resize((side, side), Image.Resampling.LANCZOS)
        png = _palette_png(sized, colours)
        if len(png) <= SIGNATURE_MAX_BYTES:
            break
    return png


def _palette_png(picture: Image.Image, colours: int) -> bytes:
    quantised = picture.quantize(colours, method=Image.Quantize.FASTOCTREE)
    buffer = io.BytesIO()
    quantised.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()
