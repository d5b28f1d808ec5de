"""A badge's owner shows it to the world: public or private, the e-mail signature, the CV
kit, baked downloads; and ``/b/<share_id>/linkedin``, the short link to LinkedIn's
"Add to profile" that obeys the visibility rule like every public surface."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, Response, abort, flash, redirect, render_template, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response as BaseResponse

from wallet.extensions import db
from wallet.forms import ActionForm
from wallet.forms.sharing import VisibilityForm
from wallet.services import badge_tools, sharing
from wallet.services.signature import preview_document
from wallet.views.common import app_settings, baked_badge_download, safe_next, signed_in_user

bp = Blueprint("badge_tools", __name__)
Page = str | tuple[str, int] | BaseResponse


@bp.post("/wallet/badges/<int:award_id>/visibility")
@login_required
def set_visibility(award_id: int) -> Page:
    sharing.get_owned_award(db.session(), signed_in_user(), award_id)  # unknown: 404 first
    form = VisibilityForm()
    if not form.validate_on_submit():
        abort(400)
    award = sharing.set_visibility(db.session(), signed_in_user(), award_id, form.is_public)
    db.session.commit()
    if award.is_public:
        flash(_("The badge is public: anyone with its link or QR code can see it."), "success")
    else:
        flash(_("The badge is private: only you can see it."), "success")
    back = safe_next(form.next.data) or url_for("wallet.show_badge", award_id=award.id)
    return redirect(back)


@bp.get("/wallet/badges/<int:award_id>/signature")
@login_required
def show_signature(award_id: int) -> Page:
    kit = badge_tools.signature_kit(
        db.session(), signed_in_user(), award_id, app_settings().base_url, str(get_locale())
    )
    return render_template("badge_tools/signature.html", kit=kit, form=ActionForm())


@bp.get("/wallet/badges/<int:award_id>/signature/preview")
@login_required
def preview_signature(award_id: int) -> Response:
    """The snippet alone, for the signature page's frame: its inline styles need a page
    whose policy allows them, which no other page of the site does."""
    base_url, locale = app_settings().base_url, str(get_locale())
    kit = badge_tools.signature_kit(db.session(), signed_in_user(), award_id, base_url, locale)
    response = Response(preview_document(kit.signature, locale), mimetype="text/html")
    site = "{0.scheme}://{0.netloc}".format(urlsplit(base_url))
    response.headers["Content-Security-Policy"] = (
        f"default-src 'none'; img-src 'self' {site}; style-src 'unsafe-inline'; "
        "base-uri 'none'; form-action 'none'; frame-ancestors 'self'; sandbox"
    )
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    return response


@bp.get("/wallet/badges/<int:award_id>/cv")
@login_required
def show_cv_kit(award_id: int) -> Page:
    kit = badge_tools.cv_kit(db.session(), signed_in_user(), award_id, app_settings().base_url)
    return render_template("badge_tools/cv_kit.html", kit=kit, form=ActionForm())


@bp.get("/wallet/badges/<int:award_id>/download.<any(png, svg):fmt>")
@login_required
def download_badge(award_id: int, fmt: str) -> Response:
    baked = badge_tools.bake_award(
        db.session(), signed_in_user(), award_id, app_settings().base_url, fmt
    )
    return baked_badge_download(baked, "no-store")


@bp.get("/b/<share_id>/linkedin")
def add_to_linkedin(share_id: str) -> BaseResponse:
    """302 to LinkedIn's "Add to profile", filled in; 404 like an unknown id when private
    (except for the owner). Never cached: the badge may turn private any moment."""
    settings = app_settings()
    target = badge_tools.linkedin_add_to_profile_url(
        db.session(),
        share_id,
        signed_in_user() if current_user.is_authenticated else None,
        settings.base_url,
        str(get_locale()),
        settings.timezone,
    )
    response = redirect(target, 302)
    response.headers["Cache-Control"] = "no-store"
    return response
