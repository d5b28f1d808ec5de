"""The share preview (Open Graph / Twitter card image): a 1200 x 630 PNG.

Left, the badge on a light panel; right, a small "Open Badge" label, the badge's
name (up to three lines, the largest size that fits, an ellipsis past that), the
issuer (two lines) and the site's host name. Nothing in it claims the badge is
valid: a preview is kept by social networks for days and cannot know what a
verifier will find later. It only states facts known when it is drawn: a band
across the bottom when the badge is revoked, expired or still pending; the state is
part of the cache key, so a revocation draws a new preview.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image, ImageDraw

from wallet.services.share_images.badge import badge_picture
from wallet.services.share_images.text import clean, font, text_width, wrap

WIDTH, HEIGHT = 1200, 630
PANEL_WIDTH = 500
BADGE_BOX = 400
TEXT_LEFT = PANEL_WIDTH + 60
TEXT_WIDTH = WIDTH - TEXT_LEFT - 60
TITLE_WIDTH = TEXT_WIDTH - 2  # the bold stroke reaches a pixel past each glyph
BAND_HEIGHT = 84
ACCENT_HEIGHT = 12
TITLE_SIZES = (64, 56, 50, 44)
TITLE_LINES = 3
ISSUER_SIZE = 32
ISSUER_LINES = 2
LABEL_SIZE = 26
SITE_SIZE = 24

BACKGROUND = (255, 255, 255)
PANEL = (236, 242, 249)
ACCENT = (31, 78, 140)
INK = (26, 26, 26)
MUTED = (80, 80, 80)
FAINT = (110, 110, 110)
BANDS = {"revoked": (179, 38, 30), "expired": (138, 90, 0), "pending": (84, 96, 112)}

# The few words of the wallet's own on the card, in the two languages it speaks.
LABELS = {
    "ja": {
        "badge": "オープンバッジ",
        "revoked": "このバッジは取り消されています",
        "expired": "このバッジは有効期限が切れています",
        "pending": "このバッジは発行手続き中です",
    },
    "en": {
        "badge": "OPEN BADGE",
        "revoked": "This badge has been revoked",
        "expired": "This badge has expired",
        "pending": "This badge is pending issuance",
    },
}
STATES = ("", *BANDS)


@dataclass(frozen=True)
class OgCard:
    """What the preview shows, as plain text already in the viewer's language.

    ``state`` is "" (nothing to say), "revoked", "expired" or "pending"; ``site`` the
    host name the share link points to.
    """

    name: str
    issuer: str
    locale: str
    state: str
    site: str


def render_og(card: OgCard, image: bytes, image_type: str) -> bytes:
    """The preview as PNG bytes: always exactly 1200 x 630, whatever the texts hold."""
    labels = LABELS.get(card.locale, LABELS["en"])
    state = card.state if card.state in BANDS else ""
    canvas = Image.new("RGB", (WIDTH, HEIGHT), BACKGROUND)
    draw = ImageDraw.Draw(canvas)
    bottom = HEIGHT - (BAND_HEIGHT if state else ACCENT_HEIGHT)

    draw.rectangle((0, 0, PANEL_WIDTH - 1, bottom - 1), fill=PANEL)
    # an SVG's <switch systemLanguage> shows the viewer's language where it has one
    picture = badge_picture(image, image_type, BADGE_BOX, (card.locale,))
    canvas.paste(picture, ((PANEL_WIDTH - BADGE_BOX) // 2, (bottom - BADGE_BOX) // 2), picture)

    _draw_texts(draw, card, labels["badge"], bottom)
    if state:
        draw.rectangle((0, bottom, WIDTH - 1, HEIGHT - 1), fill=BANDS[state])
        band_font = font(34)
        label = labels[state]
        x = (WIDTH - text_width(label, band_font)) / 2
        draw.text(
            (x, bottom + BAND_HEIGHT / 2), label, font=band_font, fill=(255, 255, 255), anchor="lm"
        )
    else:
        draw.rectangle((0, bottom, WIDTH - 1, HEIGHT - 1), fill=ACCENT)

    buffer = io.BytesIO()
    canvas.save(buffer, format="PNG")
    return buffer.getvalue()


def _draw_texts(draw: ImageDraw.ImageDraw, card: OgCard, label: str, bottom: int) -> None:
    """Label, name and issuer as one block centred in the column; the host below."""
    title_size, title = _title_lines(clean(card.name))
    title_font = font(title_size)
    issuer_font = font(ISSUER_SIZE)
    issuer, _ = wrap(clean(card.issuer), issuer_font, TEXT_WIDTH, ISSUER_LINES)
    label_font = font(LABEL_SIZE)
    title_step = round(title_size * 1.3)
    issuer_step = round(ISSUER_SIZE * 1.35)

    block = LABEL_SIZE + 30 + title_step * len(title) + 20 + issuer_step * len(issuer)
    site_top = bottom - 44 - SITE_SIZE
    y = max(40, (site_top - 20 - block) // 2 + 10)

    draw.text((TEXT_LEFT, y), clean(label), font=label_font, fill=ACCENT, anchor="la")
    y += LABEL_SIZE + 30
    for line in title:
        # IPAex Gothic has one weight: a hairline stroke in the same colour reads as bold
        draw.text(
            (TEXT_LEFT, y),
            line,
            font=title_font,
            fill=INK,
            anchor="la",
            stroke_width=1,
            stroke_fill=INK,
        )
        y += title_step
    y += 20
    for line in issuer:
        draw.text((TEXT_LEFT, y), line, font=issuer_font, fill=MUTED, anchor="la")
        y += issuer_step
    site, _ = wrap(clean(card.site, limit=100), font(SITE_SIZE), TEXT_WIDTH, 1)
    if site:
        draw.text((TEXT_LEFT, site_top), site[0], font=font(SITE_SIZE), fill=FAINT, anchor="la")


def _title_lines(name: str) -> tuple[int, list[str]]:
    """The largest size at which the whole name fits in three lines (without leaving a
    lone character on the last one), else the smallest size, ellipsised."""
    for size in TITLE_SIZES:
        face = font(size)
        lines, fitted = wrap(name, face, TITLE_WIDTH, TITLE_LINES)
        if fitted and (len(lines) <= 1 or len(lines[-1]) > 2 or size == TITLE_SIZES[-1]):
            return size, lines
    size = TITLE_SIZES[-1]
    return size, wrap(name, font(size), TITLE_WIDTH, TITLE_LINES)[0]
