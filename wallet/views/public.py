"""Public pages: start page, language switch (share pages and JSON-LD join later)."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from wallet.extensions import db
from wallet.i18n import LOCALE_COOKIE, LOCALES
from wallet.views.safety import safe_next

bp = Blueprint("public", __name__)


@bp.get("/")
def home() -> str:
    return render_template("public/home.html")


@bp.post("/lang")
def set_language() -> Response:
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
