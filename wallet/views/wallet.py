"""The student's wallet: badges not yet accepted, pending and issued; accept and decline."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import login_required
from werkzeug.wrappers import Response

from wallet.db import utcnow
from wallet.extensions import db, limiter
from wallet.forms import ActionForm
from wallet.forms.accounts import message_for
from wallet.services import badges
from wallet.services.errors import ServiceError
from wallet.views.common import app_settings, show_accepted, signed_in_user

bp = Blueprint("wallet", __name__, url_prefix="/wallet")
Page = str | tuple[str, int] | Response


def _index(status: int = 200, error: str | None = None) -> tuple[str, int]:
    contents = badges.wallet_contents(db.session(), signed_in_user())
    return render_template(
        "wallet/index.html", contents=contents, form=ActionForm(), error=error, now=utcnow()
    ), status


@bp.get("")
@login_required
def index() -> Page:
    return _index()


@bp.get("/badges/<int:award_id>")
@login_required
def show_badge(award_id: int) -> Page:
    award = badges.get_wallet_award(db.session(), signed_in_user(), award_id)
    return render_template("wallet/badge.html", award=award, form=ActionForm(), now=utcnow())


@bp.post("/badges/<int:award_id>/accept")
@login_required
@limiter.limit("30 per minute")
def accept(award_id: int) -> Page:
    base_url = app_settings().base_url
    try:
        award = badges.accept_award(db.session(), signed_in_user(), award_id, base_url, utcnow())
    except (badges.AwardRevokedError, badges.AwardDecidedError) as error:
        return _refused(error)
    db.session.commit()
    return show_accepted(award)


@bp.post("/badges/<int:award_id>/decline")
@login_required
@limiter.limit("30 per minute")
def decline(award_id: int) -> Page:
    try:
        badges.decline_award(db.session(), signed_in_user(), award_id, utcnow())
    except (badges.AwardRevokedError, badges.AwardDecidedError) as error:
        return _refused(error)
    db.session.commit()
    flash(_("You declined the badge."))
    return redirect(url_for("wallet.index"))


def _refused(error: ServiceError) -> tuple[str, int]:
    return _index(410 if isinstance(error, badges.AwardRevokedError) else 409, message_for(error))
