"""Open Badges 3.0 (docs/openbadges3.md): the issuer's 3.0 profile with its keys, its
did:web DID document, its status lists, each award's credential, and the downloads of a
badge's credential (JSON, VC-JWT, baked PNG/SVG) from its wallet page and its share page."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, abort
from flask_login import current_user, login_required
from sqlalchemy import select

from wallet.db import utcnow
from wallet.extensions import db
from wallet.models import Award
from wallet.services import sharing
from wallet.services.errors import NotFoundError
from wallet.services.ob3 import downloads, issuing, keys, status
from wallet.views.common import app_settings, baked_badge_download, signed_in_user

bp = Blueprint("ob3", __name__)

JSONLD = "application/ld+json"
VC = "application/vc+ld+json"


def _document(build: Callable[[], Any], mimetype: str, max_age: int) -> Response:
    try:
        body = build()
    except NotFoundError:
        response = Response(json.dumps({"error": "not_found"}), 404, mimetype="application/json")
        response.headers["Cache-Control"] = "public, max-age=60"
        return response
    text = body if isinstance(body, str) else json.dumps(body, ensure_ascii=False)
    response = Response(text, mimetype=mimetype)
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Cache-Control"] = f"public, max-age={max_age}"
    return response


@bp.get("/ob/v3/issuers/<public_id>")
def issuer_profile(public_id: str) -> Response:
    """The issuer's 3.0 profile, listing every key it signs or signed with."""
    base_url = app_settings().base_url
    return _document(lambda: keys.profile_document(db.session(), base_url, public_id), JSONLD, 300)


@bp.get("/ob/v3/issuers/<public_id>/did.json")
def issuer_did(public_id: str) -> Response:
    """The issuer's did:web DID document (the same keys)."""
    base_url = app_settings().base_url
    return _document(
        lambda: keys.did_document(db.session(), base_url, public_id), "application/did+json", 300
    )


@bp.get("/ob/v3/issuers/<public_id>/status/<int:number>")
def status_list(public_id: str, number: int) -> Response:
    """A signed status list: a revocation shows here within a minute."""
    settings = app_settings()
    response = _document(
        lambda: status.status_list_document(db.session(), settings, public_id, number, utcnow()),
        VC,
        60,
    )
    db.session.commit()  # the issuer's key is published the first time it signs
    return response


@bp.get("/ob/v3/credentials/<public_id>")
def credential(public_id: str) -> Response:
    """An issued award's credential, whatever its wallet visibility (like the assertion)."""
    settings = app_settings()

    def build() -> str:
        session = db.session()
        award = session.scalar(select(Award).where(Award.public_id == public_id))
        if award is None:
            raise NotFoundError()
        return issuing.credential_for(session, settings, award, utcnow()).document

    response = _document(build, VC, 60)
    db.session.commit()
    return response


@bp.get("/wallet/badges/<int:award_id>/ob3.<any(json, jwt, png, svg):fmt>")
@login_required
def download_own(award_id: int, fmt: str) -> Response:
    session = db.session()
    try:
        award = sharing.get_shareable_award(session, signed_in_user(), award_id)
        baked = downloads.download(session, app_settings(), award, fmt, utcnow())
    except NotFoundError:
        abort(404)
    db.session.commit()
    return baked_badge_download(baked, "private, no-store")


@bp.get("/b/<share_id>/ob3.<any(json, jwt, png, svg):fmt>")
def download_shared(share_id: str, fmt: str) -> Response:
    """A public badge's 3.0 credential (404 like an unknown id when private)."""
    session = db.session()
    viewer = signed_in_user() if current_user.is_authenticated else None
    try:
        award = sharing.find_shared_award(session, share_id, viewer)
        baked = downloads.download(session, app_settings(), award, fmt, utcnow())
    except NotFoundError:
        abort(404)
    db.session.commit()
    return baked_badge_download(baked, "private, no-store")
