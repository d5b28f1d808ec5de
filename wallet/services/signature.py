"""The e-mail signature snippet: a badge in the footer of every mail a student sends.

Gmail and Outlook strip what they distrust (style elements, classes, scripts, SVG,
iframes, data: images), so the snippet is a one-row table with inline styles only:
a small PNG badge hosted by the wallet (``/b/<share_id>/badge.png``), the badge
name linking to the share page, and the issuer. A plain-text version goes with it.

Badge texts come from outside: they are escaped, and control and bidirectional
formatting characters (RLO, LRI, ...) are dropped, so a name cannot turn into markup
or reorder the rest of somebody's signature. Pure: no session, no request.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html import escape

from wallet import urls
from wallet.models import Award
from wallet.services.share_links import in_locale

IMAGE_SIZE = 48  # CSS pixels; the hosted PNG is drawn larger for sharp screens

# C0/C1 controls (a line break reads as a space) and the bidi embedding, override,
# isolate and mark characters
_UNSHOWN = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_SPACES = re.compile(r"\s+")

FONT = "Arial,'Hiragino Sans','Meiryo',sans-serif"


def plain(text: str) -> str:
    """Badge text as it may appear in a signature: one line, no invisible controls."""
    return _SPACES.sub(" ", _UNSHOWN.sub(" ", text)).strip()


@dataclass(frozen=True)
class Signature:
    html: str
    text: str


def build_signature(badge_name: str, issuer_name: str, image_url: str, share_url: str) -> Signature:
    """The HTML snippet and its plain-text twin."""
    name = escape(plain(badge_name), quote=True)
    issuer = escape(plain(issuer_name), quote=True)
    link = escape(share_url, quote=True)
    image = escape(image_url, quote=True)
    size = IMAGE_SIZE
    html = (
        '<table role="presentation" cellpadding="0" cellspacing="0" border="0" '
        f'style="border-collapse:collapse;font-family:{FONT};font-size:13px;'
        'line-height:1.4;color:#1d2330;">'
        "<tr>"
        '<td style="padding:0 10px 0 0;vertical-align:middle;">'
        f'<a href="{link}" style="text-decoration:none;">'
        f'<img src="{image}" width="{size}" height="{size}" alt="{name}" '
        f'style="display:block;width:{size}px;height:{size}px;border:0;">'
        "</a></td>"
        '<td style="vertical-align:middle;">'
        f'<a href="{link}" style="color:#0b57a4;font-weight:bold;text-decoration:none;">{name}</a>'
        f'<br><span style="color:#556677;">{issuer}</span>'
        "</td>"
        "</tr>"
        "</table>"
    )
    text = f"{plain(badge_name)}\n{plain(issuer_name)}\n{share_url}"
    return Signature(html=html, text=text)


def signature_for(award: Award, base_url: str, locale: str) -> Signature:
    """The signature of ``award``, its texts in ``locale`` where the issuer gave them."""
    badge = award.badge_class
    return build_signature(
        badge_name=in_locale(locale, badge.name, badge.name_en),
        issuer_name=in_locale(locale, badge.issuer.name, badge.issuer.name_en),
        image_url=urls.share_signature_badge(base_url, award.share_id),
        share_url=urls.share(base_url, award.share_id),
    )


def preview_document(signature: Signature, lang: str) -> str:
    """A page holding nothing but the snippet, for the preview frame: it shows the
    snippet exactly as mail programs receive it (its inline styles need a page of
    their own, since the site's pages allow none)."""
    return (
        f'<!doctype html><html lang="{escape(lang, quote=True)}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '</head><body style="margin:12px;background:#ffffff;">'
        f"{signature.html}</body></html>"
    )
