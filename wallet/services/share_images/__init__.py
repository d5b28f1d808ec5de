"""Images the sharing features serve, each drawn once per content and then reused.

The share preview (Open Graph), the QR codes and the e-mail signature badge are
drawn on the first request that needs them and kept: the bytes as a content-addressed
``Blob``, and a ``RenderedImage`` row whose key is the SHA-256 of the image's kind,
its renderer's version and every input the drawing depends on. Later requests, on any
node, find the key and draw nothing; a change to any input (a renamed badge, a
revocation, another language, a new class image, a new font, a new renderer version)
gives a new key and a new drawing. Old drawings stay until something clears them.

The renderers (``og``, ``qr``, ``badge``) are pure: bytes and text in, PNG or SVG
out; this module is the only part that touches the database. See docs/sharing.md.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from wallet import urls
from wallet.models import Award, Blob, ImportedBadge, RenderedImage
from wallet.services.errors import NotFoundError
from wallet.services.share_images.badge import render_raster, render_signature
from wallet.services.share_images.og import OgCard, render_og
from wallet.services.share_images.qr import render_qr_png, render_qr_svg
from wallet.services.share_images.text import font_id

PNG = "image/png"
SVG = "image/svg+xml"

# kind -> (renderer version, content type). Raise a version whenever its renderer
# draws differently: every image of that kind is then drawn anew on its next request.
KINDS: dict[str, tuple[int, str]] = {
    "og": (1, PNG),
    "qr-png": (1, PNG),
    "qr-svg": (1, SVG),
    "signature": (1, PNG),
    "raster": (1, PNG),
}


@dataclass(frozen=True)
class DrawnImage:
    """A stored drawing: its content hash (also its ETag) and its content type."""

    sha256: str
    content_type: str


def render_key(kind: str, inputs: dict[str, str]) -> str:
    """The cache key: SHA-256 over the kind, its renderer version and the inputs."""
    version, _ = KINDS[kind]
    material = json.dumps(
        {"kind": kind, "version": version, "inputs": inputs},
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(material.encode("utf-8")).hexdigest()


def share_preview(
    session: Session, award: Award, *, locale: str, base_url: str, now: datetime
) -> DrawnImage:
    """The 1200 x 630 Open Graph PNG of ``award`` in ``locale`` ("ja" or "en")."""
    badge = award.badge_class
    card = OgCard(
        name=_pick(locale, badge.name, badge.name_en),
        issuer=_pick(locale, badge.issuer.name, badge.issuer.name_en),
        locale=locale,
        state=preview_state(award, now),
        site=urlsplit(base_url).netloc,
    )
    return _og_card(session, card, badge.image_sha256)


def import_preview(
    session: Session, imported: ImportedBadge, *, locale: str, base_url: str, now: datetime
) -> DrawnImage | None:
    """The Open Graph PNG of an imported badge, naming its own issuer; None when it
    has no image to draw (its page then goes without one)."""
    sha256 = imported.image_sha256
    if sha256 is None:
        return None
    state = "revoked" if imported.is_revoked else ""
    if not state and (imported.status == "expired" or imported.is_expired(now)):
        state = "expired"
    card = OgCard(
        name=imported.badge_name,
        issuer=imported.issuer_name,
        locale=locale,
        state=state,
        site=urlsplit(base_url).netloc,
    )
    return _og_card(session, card, sha256)


def _og_card(session: Session, card: OgCard, image_sha256: str) -> DrawnImage:
    """The Open Graph PNG of ``card`` around the badge image ``image_sha256``, drawn once."""
    inputs = {
        "name": card.name,
        "issuer": card.issuer,
        "locale": card.locale,
        "state": card.state,
        "site": card.site,
        "image": image_sha256,
        "font": font_id(),
    }

    def draw() -> bytes:
        image = _blob(session, image_sha256)
        return render_og(card, image.data, image.content_type)

    return _draw_once(session, "og", inputs, draw)


def preview_state(award: Award, now: datetime) -> str:
    """What the preview's band says: "revoked", "expired", "pending" or "" (no band)."""
    if award.is_revoked:
        return "revoked"
    if award.is_expired(now):
        return "expired"
    if award.is_pending:
        return "pending"
    return ""


def share_qr(
    session: Session, award: Award | ImportedBadge, *, base_url: str, as_svg: bool
) -> DrawnImage:
    """The QR code of the badge's share URL (ours or imported), as a 300 dpi PNG or as an SVG."""
    url = urls.share(base_url, award.share_id)
    if as_svg:
        return _draw_once(session, "qr-svg", {"url": url}, lambda: render_qr_svg(url))
    return _draw_once(session, "qr-png", {"url": url}, lambda: render_qr_png(url))


def signature_badge(session: Session, award: Award) -> DrawnImage:
    """The small PNG of the badge image that e-mail signatures show."""
    sha256 = award.badge_class.image_sha256

    def draw() -> bytes:
        image = _blob(session, sha256)
        return render_signature(image.data, image.content_type)

    return _draw_once(session, "signature", {"image": sha256, "font": font_id()}, draw)


def raster_badge(session: Session, sha256: str) -> DrawnImage:
    """A PNG of an SVG class image (``RASTER_SIDE`` px square), for PNG downloads."""

    def draw() -> bytes:
        image = _blob(session, sha256)
        return render_raster(image.data, image.content_type)

    return _draw_once(session, "raster", {"image": sha256, "font": font_id()}, draw)


def image_bytes(session: Session, image: DrawnImage) -> bytes:
    """The stored bytes of a drawing (not needed to answer a conditional GET)."""
    data = session.scalar(select(Blob.data).where(Blob.sha256 == image.sha256))
    if data is None:
        raise NotFoundError()
    return data


def _pick(locale: str, primary: str, english: str) -> str:
    return english if locale == "en" and english else primary


def _blob(session: Session, sha256: str) -> Blob:
    blob = session.get(Blob, sha256)
    if blob is None:
        raise NotFoundError()
    return blob


def _draw_once(
    session: Session, kind: str, inputs: dict[str, str], draw: Callable[[], bytes]
) -> DrawnImage:
    _, content_type = KINDS[kind]
    key = render_key(kind, inputs)
    sha256 = _stored(session, key)
    if sha256 is None:
        sha256 = _store(session, key, draw(), content_type)
    return DrawnImage(sha256, content_type)


def _stored(session: Session, key: str) -> str | None:
    return session.scalar(select(RenderedImage.blob_sha256).where(RenderedImage.key == key))


def _store(session: Session, key: str, data: bytes, content_type: str) -> str:
    """Keep a new drawing. Two nodes may draw the same image at once: the second
    insert fails on the key (or on the blob's hash), and the winner's row is used."""
    sha256 = hashlib.sha256(data).hexdigest()
    try:
        with session.begin_nested():
            if session.scalar(select(Blob.sha256).where(Blob.sha256 == sha256)) is None:
                session.add(Blob(sha256=sha256, content_type=content_type, data=data))
            session.add(RenderedImage(key=key, blob_sha256=sha256))
    except IntegrityError:
        winner = _stored(session, key)
        if winner is not None:
            return winner
        # only the bytes were stored meanwhile (another key drew the same image)
        with session.begin_nested():
            session.add(RenderedImage(key=key, blob_sha256=sha256))
    return sha256
