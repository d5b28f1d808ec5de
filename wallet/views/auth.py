"""Log in and out, activation, password reset, and the account settings page."""

from __future__ import annotations

from flask import (
    Blueprint,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.blueprints import BlueprintSetupState
from flask_babel import get_locale, gettext
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from wallet import urls
from wallet.db import utcnow
from wallet.extensions import db, limiter, login_manager
from wallet.forms import ActionForm
from wallet.forms.accounts import (
    AddEmailForm,
    ChangePasswordForm,
    DeleteAccountForm,
    EmailForm,
    LanguageForm,
    LoginForm,
    NameForm,
    NewPasswordForm,
    ProfileForm,
    message_for,
    show_error,
)
from wallet.i18n import LOCALE_COOKIE, LOCALES
from wallet.models import MailRequestKind, TokenPurpose
from wallet.services import (
    account_deletion,
    accounts,
    login_sessions,
    login_throttle,
    mail_requests,
    sharing,
)
from wallet.services.errors import TokenInvalidError, ValidationError
from wallet.services.ob3 import issuing as ob3_issuing
from wallet.views import login_guard
from wallet.views.common import (
    app_settings,
    current_login_session,
    forget_browser_login,
    log_in_browser,
    log_out_browser,
    safe_next,
    signed_in_user,
)

bp = Blueprint("auth", __name__)
Page = str | tuple[str, int] | Response
LIMIT = "10 per minute"
LOGIN_EMAIL = "login_email"


@bp.record_once
def _configure_login(_state: BlueprintSetupState) -> None:
    login_manager.login_message = "Please log in to open this page."
    login_manager.login_message_category = "info"
    login_manager.localize_callback = gettext


def _status(form: object, code: int = 400) -> int:
    return code if getattr(form, "errors", None) or getattr(form, "form_errors", None) else 200


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(LIMIT, methods=["POST"])
def login() -> Page:
    form = LoginForm(next=request.args.get("next", ""), email=session.pop(LOGIN_EMAIL, ""))
    target = safe_next(form.next.data) or url_for("wallet.index")
    if current_user.is_authenticated and request.method == "GET":
        return redirect(target)
    inactive = throttled = False
    if form.validate_on_submit():
        settings, now = app_settings(), utcnow()
        try:
            result = login_throttle.sign_in(
                db.session(),
                login_guard.throttle(),
                login_guard.attempt(form.email.data or "", form.password.data or ""),
                base_url=settings.base_url,
                now=now,
            )
        except (
            accounts.LoginFailedError,
            accounts.AccountInactiveError,
            accounts.AccountDeactivatedError,
            login_throttle.LoginThrottledError,
        ) as error:
            inactive = isinstance(error, accounts.AccountInactiveError)
            throttled = isinstance(error, login_throttle.LoginThrottledError)
            show_error(form, error)
        else:
            log_in_browser(result.user, remember=bool(form.remember.data))
            # awards claimed at registration were accepted just now: hosted ones are issued
            ob3_issuing.issue_accepted(db.session(), settings, result.accepted, now)
            db.session.commit()
            for award in result.accepted:
                flash(
                    _("You accepted the badge “%(name)s”.", name=award.badge_class.name), "success"
                )
            return login_guard.remember_device(redirect(target), result.device_token)
    resend = EmailForm(formdata=None, email=form.email.data) if inactive else None
    reset = EmailForm(formdata=None, email=form.email.data) if throttled else None
    page = render_template("auth/login.html", form=form, resend=resend, reset=reset)
    return page, 429 if throttled else _status(form)


@bp.post("/logout")
def logout() -> Response:
    log_out_browser()
    db.session.commit()
    return redirect(safe_next(request.form.get("next")) or url_for("public.home"))


@bp.route("/activate/<token>", methods=["GET", "POST"])
def activate(token: str) -> Page:
    form = ActionForm()
    try:
        if form.validate_on_submit():
            user = accounts.activate_account(db.session(), token, utcnow())
            db.session.commit()
            session[LOGIN_EMAIL] = user.email  # the login form opens filled in
            flash(_("Your account is active. Please log in."), "success")
            return redirect(url_for("auth.login"))
        accounts.check_token(db.session(), token, TokenPurpose.ACTIVATE, utcnow())
    except TokenInvalidError:
        return render_template("auth/activate_invalid.html", form=EmailForm()), 404
    return render_template("auth/activate.html", form=form)


@bp.route("/activate/resend", methods=["GET", "POST"])
@limiter.limit(LIMIT, methods=["POST"])
def resend_activation() -> Page:
    form = EmailForm()
    if form.validate_on_submit():
        mail_requests.request_mail(
            db.session(), MailRequestKind.ACTIVATION, form.email.data or "", str(get_locale())
        )
        db.session.commit()
        flash(
            _("If an account at this address is waiting for activation, a new link is on its way.")
        )
        return redirect(url_for("auth.resend_activation"))
    return render_template("auth/activate_resend.html", form=form), _status(form)


@bp.route("/password/reset", methods=["GET", "POST"])
@limiter.limit(LIMIT, methods=["POST"])
def request_reset() -> Page:
    form = EmailForm()
    if form.validate_on_submit():
        mail_requests.request_mail(
            db.session(), MailRequestKind.PASSWORD_RESET, form.email.data or "", str(get_locale())
        )
        db.session.commit()
        flash(_("If an account uses this address, we have sent it a link to set a new password."))
        return redirect(url_for("auth.request_reset"))
    return render_template("auth/reset_request.html", form=form), _status(form)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@limiter.limit(LIMIT, methods=["POST"])
def reset_password(token: str) -> Page:
    form = NewPasswordForm()
    try:
        accounts.check_token(db.session(), token, TokenPurpose.RESET, utcnow())
        if form.validate_on_submit():
            user = accounts.reset_password(db.session(), token, form.password.data or "", utcnow())
            db.session.commit()
            # the new password must work at once, even while the address is locked
            login_throttle.clear_failures(login_guard.throttle(), user)
            flash(_("Your new password is set. Please log in."), "success")
            return redirect(url_for("auth.login"))
    except TokenInvalidError:
        return render_template("auth/reset_invalid.html"), 404
    except ValidationError as error:
        show_error(form, error)
    return render_template("auth/reset.html", form=form), _status(form)


def _account_page(status: int = 200, **forms: object) -> tuple[str, int]:
    user = signed_in_user()
    defaults: dict[str, object] = {
        "name_form": NameForm(formdata=None, name=user.name),
        "password_form": ChangePasswordForm(formdata=None),
        "email_form": AddEmailForm(formdata=None),
        "language_form": LanguageForm(formdata=None, locale=user.locale),
    }
    defaults.update(forms)
    summary = accounts.account_summary(db.session(), user)
    logins = login_sessions.active_sessions(db.session(), user, utcnow(), current_login_session())
    profile_url = urls.profile(app_settings().base_url, user.profile_id) if user.profile_id else ""
    return render_template(
        "auth/account.html",
        summary=summary,
        logins=logins,
        action=ActionForm(),
        profile_form=ProfileForm(formdata=None, public="off" if user.is_profile_public else "on"),
        profile_url=profile_url,
        **defaults,
    ), status


@bp.get("/account")
@login_required
def account() -> Page:
    return _account_page()


@bp.post("/account/name")
@login_required
def change_name() -> Page:
    form = NameForm()
    if form.validate_on_submit():
        try:
            accounts.change_name(db.session(), signed_in_user(), form.name.data or "")
        except ValidationError as error:
            show_error(form, error)
        else:
            db.session.commit()
            flash(_("Your name has been changed."), "success")
            return redirect(url_for("auth.account"))
    return _account_page(400, name_form=form)


@bp.post("/account/password")
@login_required
def change_password() -> Page:
    form = ChangePasswordForm()
    if form.validate_on_submit():
        user = signed_in_user()
        remember = bool(getattr(current_login_session(), "remember", False))
        try:
            accounts.change_password(
                db.session(),
                user,
                form.current_password.data or "",
                form.password.data or "",
                utcnow(),
            )
        except ValidationError as error:
            show_error(form, error)
        else:
            log_in_browser(user, remember=remember)  # every session ended; this one goes on
            db.session.commit()
            flash(
                _("Your password has been changed. Other devices have been logged out."), "success"
            )
            return redirect(url_for("auth.account"))
    return _account_page(400, password_form=form)


@bp.post("/account/emails")
@login_required
@limiter.limit(LIMIT)
def add_email() -> Page:
    form = AddEmailForm()
    if form.validate_on_submit():
        email = form.email.data or ""
        user = signed_in_user()
        mail_requests.request_mail(
            db.session(), MailRequestKind.ADD_EMAIL, email, user.locale, user_id=user.id
        )
        db.session.commit()
        flash(_("We have sent a confirmation link to %(email)s.", email=email))
        return redirect(url_for("auth.account"))
    return _account_page(400, email_form=form)


@bp.route("/account/emails/verify/<token>", methods=["GET", "POST"])
@login_required
def verify_email(token: str) -> Page:
    form = ActionForm()
    try:
        if form.validate_on_submit():
            email = accounts.verify_added_email(db.session(), signed_in_user(), token, utcnow())
            db.session.commit()
            flash(_("%(email)s has been added to your account.", email=email), "success")
            return redirect(url_for("auth.account"))
        address = accounts.check_add_email_token(db.session(), signed_in_user(), token, utcnow())
    except TokenInvalidError:
        return render_template("auth/verify_email_invalid.html"), 404
    except accounts.AccountExistsError as error:  # the address went to another account
        flash(message_for(error), "error")
        return redirect(url_for("auth.account"))
    return render_template("auth/verify_email.html", form=form, address=address)


@bp.post("/account/language")
@login_required
def change_language() -> Page:
    form = LanguageForm()
    if form.validate_on_submit():
        accounts.set_locale(db.session(), signed_in_user(), form.locale.data or "", LOCALES)
        db.session.commit()
        response = redirect(url_for("auth.account"))
        response.set_cookie(
            LOCALE_COOKIE,
            form.locale.data or "",
            max_age=365 * 24 * 3600,
            httponly=True,
            samesite="Lax",
        )
        return response
    return _account_page(400, language_form=form)


@bp.post("/account/profile")
@login_required
def set_profile_visibility() -> Page:
    form = ProfileForm()
    if not form.validate_on_submit():
        return _account_page(400)
    public = form.public.data == "on"
    sharing.set_profile_public(db.session(), signed_in_user(), public)
    db.session.commit()
    if public:
        flash(_("Your public profile is on: anyone with its address sees your public badges."))
    else:
        flash(_("Your public profile is off: its address now shows nothing."))
    return redirect(url_for("auth.account") + "#profile-heading")


@bp.post("/account/sessions/<int:session_id>/end")
@login_required
def end_session(session_id: int) -> Page:
    if not ActionForm().validate_on_submit():
        return _account_page(400)
    login_sessions.end_session_of(db.session(), signed_in_user(), session_id, utcnow())
    db.session.commit()
    flash(_("That device has been logged out."), "success")
    return redirect(url_for("auth.account") + "#sessions-heading")


@bp.post("/account/sessions/end-others")
@login_required
def end_other_sessions() -> Page:
    if not ActionForm().validate_on_submit():
        return _account_page(400)
    login_sessions.end_all_sessions(
        db.session(), signed_in_user(), utcnow(), keep=current_login_session()
    )
    db.session.commit()
    flash(_("Every other device has been logged out."), "success")
    return redirect(url_for("auth.account") + "#sessions-heading")


@bp.route("/account/delete", methods=["GET", "POST"])
@login_required
@limiter.limit(LIMIT, methods=["POST"])
def delete_account() -> Page:
    form = DeleteAccountForm()
    if form.validate_on_submit():
        try:
            account_deletion.delete_account(
                db.session(), signed_in_user(), form.password.data or "", utcnow()
            )
        except ValidationError as error:
            show_error(form, error)
        else:
            db.session.commit()
            forget_browser_login()
            flash(_("Your account has been deleted. We have sent a last mail to confirm it."))
            return redirect(url_for("public.home"))
    return render_template("auth/delete_account.html", form=form), _status(form)
