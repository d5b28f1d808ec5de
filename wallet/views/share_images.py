"""The images behind a share link: preview, QR codes, e-mail signature badge.

Each asks the visibility rule first (a private badge is "not found" for everyone
but its owner, with the same page as an id that never existed), then serves the
drawing kept for that content (``services/share_images``). Caching (docs/sharing.md):
the content hash is the ETag, so a conditional GET is answered 304 from one key
look-up; a public badge's image may be kept by browsers and shared caches for
``PUBLIC_MAX_AGE`` seconds, which is how long a badge made private can still be
seen there; the owner's view of a private badge is never stored.
"""

from __future__ import annotations

from flask import Blueprint, Response, request
from flask_login import current_user

from wallet.db import utcnow
from wallet.extensions import db
from wallet.i18n import LOCALES
from wallet.models import Award, ImportedBadge, User
from wallet.services import share_images
from wallet.services.errors import NotFoundError
from wallet.services.imported_badges import find_shared_import
from wallet.services.share_images import DrawnImage
from wallet.services.sharing import find_shared_award
from wallet.views.common import app_settings, signed_in_user

bp = Blueprint("share_images", __name__)

PUBLIC_MAX_AGE = 300


@bp.get("/b/<share_id>/og.png")
def preview(share_id: str) -> Response:
    """The 1200 x 630 share preview; ``?lang=ja|en`` (the share page's language)."""
    badge = _shared_badge(share_id)
    lang = request.args.get("lang", "")
    settings = app_settings()
    locale = lang if lang in LOCALES else settings.default_locale
    if isinstance(badge, Award):
        drawn = share_images.share_preview(
            db.session(), badge, locale=locale, base_url=settings.base_url, now=utcnow()
        )
    else:
        found = share_images.import_preview(
            db.session(), badge, locale=locale, base_url=settings.base_url, now=utcnow()
        )
        if found is None:
            raise NotFoundError()
        drawn = found
    return _send(badge, drawn)


@bp.get("/b/<share_id>/qr.png")
def qr_png(share_id: str) -> Response:
    badge = _shared_badge(share_id)
    base_url = app_settings().base_url
    drawn = share_images.share_qr(db.session(), badge, base_url=base_url, as_svg=False)
    return _send(badge, drawn, filename=f"badge-{badge.share_id}-qr.png")


@bp.get("/b/<share_id>/qr.svg")
def qr_svg(share_id: str) -> Response:
    badge = _shared_badge(share_id)
    base_url = app_settings().base_url
    drawn = share_images.share_qr(db.session(), badge, base_url=base_url, as_svg=True)
    return _send(badge, drawn, filename=f"badge-{badge.share_id}-qr.svg")


@bp.get("/b/<share_id>/badge.png")
def signature_badge(share_id: str) -> Response:
    """The small badge image of the e-mail signature snippet."""
    award = _shared_award(share_id)
    return _send(award, share_images.signature_badge(db.session(), award))


def _viewer() -> User | None:
    return signed_in_user() if current_user.is_authenticated else None


def _shared_award(share_id: str) -> Award:
    return find_shared_award(db.session(), share_id, _viewer())


def _shared_badge(share_id: str) -> Award | ImportedBadge:
    """Our award or, failing that, an imported badge (QR codes serve both)."""
    try:
        return _shared_award(share_id)
    except NotFoundError:
        return find_shared_import(db.session(), share_id, _viewer())


def _send(award: Award | ImportedBadge, drawn: DrawnImage, filename: str = "") -> Response:
    db.session.commit()  # a first drawing is kept for every later request
    if request.if_none_match.contains_weak(drawn.sha256):
        response = Response(status=304)
    else:
        data = share_images.image_bytes(db.session(), drawn)
        response = Response(data, mimetype=drawn.content_type)
    response.set_etag(drawn.sha256)
    if award.is_public:
        response.headers["Cache-Control"] = f"public, max-age={PUBLIC_MAX_AGE}"
    else:  # only its owner gets here
        response.headers["Cache-Control"] = "private, no-store"
    if filename:
        response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    if drawn.content_type == share_images.SVG:
        response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
