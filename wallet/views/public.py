"""Public pages: start page, language switch, images and the hosted JSON-LD documents."""

from __future__ import annotations

import json
from collections.abc import Callable

from flask import Blueprint, Response, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response as BaseResponse

from wallet.extensions import db
from wallet.i18n import LOCALE_COOKIE, LOCALES
from wallet.services import accounts, documents
from wallet.services.anchoring import chains, credentials
from wallet.services.blobs import get_blob
from wallet.services.errors import NotFoundError
from wallet.views.common import app_settings, read_session, safe_next

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
            accounts.set_locale(db.session(), current_user, lang, LOCALES)
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


# --- Open Badges 2.0 hosted documents (docs/documents.md) -----------------------------

JSONLD = "application/ld+json"
DocumentGetter = Callable[..., documents.HostedDocument]


def _media_type() -> str:
    """JSON-LD unless the client accepts only plain JSON."""
    return request.accept_mimetypes.best_match([JSONLD, "application/json"]) or JSONLD


def _json_response(body: object, status: int, max_age: int) -> Response:
    """JSON-LD unless the client accepts only plain JSON; readable from any origin."""
    response = Response(json.dumps(body, ensure_ascii=False), status=status, mimetype=_media_type())
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Cache-Control"] = f"public, max-age={max_age}"
    response.vary.add("Accept")
    return response


def _serve(getter: DocumentGetter, public_id: str, max_age: int) -> Response:
    base_url = app_settings().base_url
    try:
        document = getter(read_session(), public_id, base_url)
    except NotFoundError:
        return _json_response({"error": "not_found"}, 404, max_age=60)
    return _json_response(document.body, document.status, max_age)


@bp.get("/ob/issuers/<public_id>")
def issuer_document(public_id: str) -> Response:
    return _serve(documents.get_issuer_document, public_id, max_age=300)


@bp.get("/ob/issuers/<public_id>/blockcerts")
def blockcerts_issuer_document(public_id: str) -> Response:
    """The issuer's Blockcerts profile, which anchored badges name (docs/anchoring.md)."""
    settings = app_settings()
    try:
        body = credentials.issuer_profile_document(
            read_session(), settings, public_id, chains.chain_key(settings)
        )
    except NotFoundError:
        return _json_response({"error": "not_found"}, 404, max_age=60)
    return _json_response(body, 200, max_age=300)


@bp.get("/ob/issuers/<public_id>/revocations")
def revocation_list_document(public_id: str) -> Response:
    return _serve(documents.get_revocation_list_document, public_id, max_age=60)


@bp.get("/ob/badges/<public_id>")
def badge_class_document(public_id: str) -> Response:
    return _serve(documents.get_badge_class_document, public_id, max_age=300)


@bp.get("/ob/assertions/<public_id>")
def assertion_document(public_id: str) -> Response:
    """Fetchable whatever the badge's wallet visibility: baked files must keep verifying."""
    return _serve(documents.get_assertion_document, public_id, max_age=60)
