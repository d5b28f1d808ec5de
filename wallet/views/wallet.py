"""The student's wallet: badges received, pending and not yet accepted; accept and decline;
one badge's page with its share panel (the tools behind it: ``views/badge_tools.py``); the
request for a personal address before graduation and its "Later"."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import login_required
from werkzeug.wrappers import Response

from wallet.db import utcnow
from wallet.extensions import db, limiter
from wallet.forms import ActionForm
from wallet.forms.accounts import message_for
from wallet.forms.sharing import AcceptForm
from wallet.i18n import pick
from wallet.models import Award, AwardState
from wallet.services import badge_tools, badges, graduation, imported_badges
from wallet.services.anchoring import credentials
from wallet.services.anchoring.verify import AnchorResult, check_award
from wallet.services.errors import NotFoundError, ServiceError
from wallet.services.ob3 import issuing as ob3_issuing
from wallet.views.common import app_settings, private_download, show_accepted, signed_in_user

bp = Blueprint("wallet", __name__, url_prefix="/wallet")
Page = str | tuple[str, int] | Response


def _index(status: int = 200, error: str | None = None) -> tuple[str, int]:
    session, user, settings, now = db.session(), signed_in_user(), app_settings(), utcnow()
    timezone = settings.timezone
    return render_template(
        "wallet/index.html",
        contents=badges.wallet_contents(session, user, timezone, settings.anchoring_time),
        imported=imported_badges.imported_badges(session, user),
        ask_personal_address=graduation.asks_for_personal_address(session, user, now, timezone),
        form=ActionForm(),
        error=error,
        now=now,
    ), status


@bp.get("")
@login_required
def index() -> Page:
    return _index()


@bp.post("/graduation/later")
@login_required
def postpone_graduation_prompt() -> Page:
    if not ActionForm().validate_on_submit():
        abort(400)
    graduation.postpone_graduation_prompt(db.session(), signed_in_user(), utcnow())
    db.session.commit()
    flash(_("We will ask again next term. You can add an address in account settings any time."))
    return redirect(url_for("wallet.index"))


def _post_text(award: Award) -> str:
    """The words of an X post about ``award``, in the reader's language."""
    locale, badge = str(get_locale()), award.badge_class
    text: str = _(
        "I received the Open Badge “%(badge)s” from %(issuer)s.",
        badge=pick(locale, badge.name, badge.name_en),
        issuer=pick(locale, badge.issuer.name, badge.issuer.name_en),
    )
    return text


@bp.get("/badges/<int:award_id>")
@login_required
def show_badge(award_id: int) -> Page:
    session, user, settings = db.session(), signed_in_user(), app_settings()
    award = badges.get_wallet_award(session, user, award_id)
    return render_template(
        "wallet/badge.html",
        award=award,
        kit=badge_tools.share_kit(session, user, award, settings.base_url, _post_text(award)),
        completes_on=badges.completes_on(award, settings.timezone, settings.anchoring_time),
        anchoring=_anchoring(award, settings.base_url),
        form=ActionForm(),
        now=utcnow(),
    )


def _anchoring(award: Award, base_url: str) -> AnchorResult | None:
    """An issued anchored badge: checked against our log, for the page to say where and when
    (or why it is not genuine)."""
    if not award.badge_class.is_anchored or award.state != AwardState.ISSUED or award.is_revoked:
        return None
    return check_award(db.session(), award, base_url, utcnow())


@bp.get("/badges/<int:award_id>/blockcerts.json")
@login_required
def download_blockcerts(award_id: int) -> Response:
    """The badge's Blockcerts credential, to keep or check with any Blockcerts verifier."""
    session = db.session()
    award = badges.get_wallet_award(session, signed_in_user(), award_id)
    try:
        name, body = credentials.download(session, award)
    except NotFoundError:
        abort(404)
    return private_download(name, body, "application/json")


@bp.post("/badges/<int:award_id>/accept")
@login_required
@limiter.limit("30 per minute")
def accept(award_id: int) -> Page:
    form = AcceptForm()
    if not form.validate_on_submit():
        abort(400)
    settings, now = app_settings(), utcnow()
    try:
        award = badges.accept_award(
            db.session(), signed_in_user(), award_id, settings.base_url, now, public=form.is_public
        )
    except (badges.AwardRevokedError, badges.AwardDecidedError) as error:
        return _refused(error)
    ob3_issuing.issue_accepted(db.session(), settings, [award], now)  # hosted: issued now
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
