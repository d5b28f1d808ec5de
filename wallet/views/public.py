"""Public pages: start page, language switch (share pages and JSON-LD join later)."""

from __future__ import annotations

from flask import Blueprint, Response, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response as BaseResponse

from wallet.extensions import db
from wallet.i18n import LOCALE_COOKIE, LOCALES
from wallet.services.blobs import get_blob
from wallet.views.safety import safe_next

bp = Blueprint("public", __name__)


@bp.get("/")
def home() -> str:
    return render_template("public/home.html")


@bp.post("/lang")
def set_language() -> BaseResponse:
    lang = request.form.get("lang", "")
    response = redirect(safe_next(request.form.get("next")) or url_for("public.home"))
    if lang in LOCALES:
        response.set_cookie(
            LOCALE_COOKIE, lang, max_age=365 * 24 * 3600, httponly=True, samesite="Lax"
        )
        if current_user.is_authenticated:
            current_user.locale = lang
            db.session.commit()
    return response


@bp.get("/ob/images/<sha256>")
def image(sha256: str) -> Response:
    """Badge images and logos by content hash: immutable, cacheable forever."""
    blob = get_blob(db.session(), sha256)
    response = Response(blob.data, mimetype=blob.content_type)
    response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    response.headers["Access-Control-Allow-Origin"] = "*"
    if blob.content_type == "image/svg+xml":
        # an SVG opened directly must not run anything, whatever it holds
        response.headers["Content-Security-Policy"] = (
            "default-src 'none'; style-src 'unsafe-inline'; sandbox"
        )
    return response
