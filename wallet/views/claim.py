"""The link in mail 1: terms, registration, confirmation, or accepting into an account.

Also the link in the notice a claim link sends when it adds its address to the
account someone was logged in as: it takes the address and its badges back.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import Blueprint, abort, flash, redirect, render_template, session, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from wallet.db import utcnow
from wallet.extensions import db, limiter
from wallet.forms.accounts import message_for, show_error
from wallet.forms.claim import AcceptForm, ActionForm, EmailForm, RegisterForm, TermsForm
from wallet.models import MailRequestKind, User
from wallet.security import hash_token
from wallet.services import claim_undo, claims, mail_requests
from wallet.services.accounts import AccountExistsError
from wallet.services.badges import AwardDecidedError, AwardRevokedError
from wallet.services.errors import TokenInvalidError, ValidationError
from wallet.services.ob3 import issuing as ob3_issuing
from wallet.views.common import app_settings, show_accepted, signed_in_user

bp = Blueprint("claim", __name__)
Page = str | tuple[str, int] | Response
LIMIT = "10 per minute"
TERMS_KEY = "claim_terms"
UNDONE_KEY = "undone_email"


def _user() -> User | None:
    return signed_in_user() if current_user.is_authenticated else None


def _unusable(error: TokenInvalidError | AwardRevokedError) -> tuple[str, int]:
    """The page for a claim link that cannot be used: withdrawn (410) or invalid (404)."""
    if isinstance(error, AwardRevokedError):
        return render_template("claim/revoked.html"), 410
    return render_template("claim/invalid.html", form=EmailForm(formdata=None)), 404


def _agreed_terms(token: str) -> tuple[str | None, datetime | None]:
    agreed = session.get(TERMS_KEY) or {}
    if agreed.get("token") != hash_token(token):
        return None, None
    return agreed.get("version"), datetime.fromisoformat(agreed["at"])


@bp.get("/claim/<token>")
@limiter.limit("30 per minute")
def start(token: str) -> Page:
    try:
        claim = claims.open_claim(db.session(), token, utcnow())
    except (TokenInvalidError, AwardRevokedError) as error:
        return _unusable(error)
    step = claim.step_for(_user())
    return render_template(
        "claim/start.html", claim=claim, step=step.value, token=token, form=AcceptForm()
    )


@bp.route("/claim/<token>/terms", methods=["GET", "POST"])
@limiter.limit(LIMIT, methods=["POST"])
def terms(token: str) -> Page:
    try:
        claim = claims.open_claim(db.session(), token, utcnow())
    except (TokenInvalidError, AwardRevokedError) as error:
        return _unusable(error)
    form = TermsForm()
    if form.validate_on_submit():
        session[TERMS_KEY] = {
            "token": hash_token(token),
            "version": claims.TERMS_VERSION,
            "at": utcnow().isoformat(),
        }
        return redirect(url_for("claim.register", token=token))
    status = 400 if form.errors else 200
    lang = "en" if str(get_locale()) == "en" else "ja"
    return render_template(
        "claim/terms.html", claim=claim, form=form, token=token, terms=f"claim/terms_{lang}.html"
    ), status


@bp.route("/claim/<token>/register", methods=["GET", "POST"])
@limiter.limit(LIMIT, methods=["POST"])
def register(token: str) -> Page:
    version, agreed_at = _agreed_terms(token)
    if version is None:
        return redirect(url_for("claim.terms", token=token))
    form = RegisterForm()
    try:
        claim = claims.open_claim(db.session(), token, utcnow())
    except TokenInvalidError as error:
        return _unusable(error)
    except AwardRevokedError as error:  # withdrawn while the student was typing
        show_error(form, error)
        return render_template("claim/register.html", claim=None, form=form, token=token), 410
    status = 200
    if form.validate_on_submit():
        try:
            user = claims.register_from_claim(
                db.session(),
                token,
                name=form.name.data or "",
                password=form.password.data or "",
                locale=str(get_locale()),
                terms_version=version,
                terms_accepted_at=agreed_at,
                public=form.is_public,
                base_url=app_settings().base_url,
                now=utcnow(),
            )
        except AccountExistsError as error:  # a second submission of the same form
            show_error(form, error)
            status = 409
        except (ValidationError, claims.TermsNotAcceptedError) as error:
            show_error(form, error)
            status = 400
        else:
            db.session.commit()
            session.pop(TERMS_KEY, None)
            session["registered_email"] = user.email
            return redirect(url_for("claim.registered"))
    elif form.errors:
        status = 400
    return render_template("claim/register.html", claim=claim, form=form, token=token), status


@bp.get("/claim/registered")
def registered() -> Page:
    email = session.get("registered_email")
    if not email:
        return redirect(url_for("public.home"))
    return render_template(
        "claim/registered.html", email=email, form=EmailForm(formdata=None, email=email)
    )


@bp.post("/claim/<token>/accept")
@login_required
@limiter.limit(LIMIT)
def accept(token: str) -> Page:
    return _decide(token, claims.accept_claim)


@bp.post("/claim/<token>/add-email")
@login_required
@limiter.limit(LIMIT)
def add_email(token: str) -> Page:
    return _decide(token, claims.add_email_and_accept)


def _decide(token: str, action: claims.ClaimAction) -> Page:
    user = signed_in_user()  # login_required
    form = AcceptForm()
    if not form.validate_on_submit():
        abort(400)
    settings, now = app_settings(), utcnow()
    try:
        award = action(db.session(), token, user, settings.base_url, now, public=form.is_public)
    except (TokenInvalidError, AwardRevokedError) as error:
        return _unusable(error)
    except (AwardDecidedError, AccountExistsError) as error:
        flash(message_for(error), "error")
        return redirect(url_for("claim.start", token=token))
    ob3_issuing.issue_accepted(db.session(), settings, [award], now)  # hosted: issued now
    db.session.commit()
    return show_accepted(award)


@bp.route("/claim/resend", methods=["GET", "POST"])
@limiter.limit(LIMIT, methods=["POST"])
def resend() -> Page:
    form = EmailForm()
    if form.validate_on_submit():
        mail_requests.request_mail(
            db.session(), MailRequestKind.CLAIM, form.email.data or "", str(get_locale())
        )
        db.session.commit()
        flash(_("If a badge is waiting for this address, we have sent the mail again."))
        return redirect(url_for("claim.resend"))
    return render_template("claim/resend.html", form=form), 400 if form.errors else 200


@bp.route("/claim/undo/<token>", methods=["GET", "POST"])
@limiter.limit(LIMIT, methods=["POST"])
def undo_add_email(token: str) -> Page:
    """No login: the link in the notice proves the mailbox, as the claim link did."""
    form = ActionForm()
    try:
        if form.validate_on_submit():
            settings = app_settings()
            undo = claim_undo.undo_added_address(
                db.session(),
                token,
                base_url=settings.base_url,
                claim_lifetime=timedelta(days=settings.claim_token_days),
                timezone=settings.timezone,
                now=utcnow(),
            )
            db.session.commit()
            session[UNDONE_KEY] = {"email": undo.email, "mailed": undo.has_new_claims}
            return redirect(url_for("claim.undone"))
        undo = claim_undo.open_undo(db.session(), token, utcnow())
    except TokenInvalidError:
        return render_template("claim/undo_invalid.html"), 404
    return render_template("claim/undo.html", undo=undo, form=form)


@bp.get("/claim/undone")
def undone() -> Page:
    undone = session.get(UNDONE_KEY)
    if not undone:
        return redirect(url_for("public.home"))
    return render_template("claim/undone.html", undone=undone, form=ActionForm())
