"""Helpers shared by views (not a view module: views never import each other)."""

from __future__ import annotations

import io
from typing import cast
from urllib.parse import urlsplit

from flask import Flask, current_app, flash, g, redirect, request, send_file, session, url_for
from flask import Response as FlaskResponse
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user, user_loaded_from_cookie
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from wallet.config import Settings
from wallet.db import utcnow
from wallet.extensions import db, login_manager
from wallet.models import Award, LoginSession, User
from wallet.openbadges.fetching import Fetcher
from wallet.safe_fetch import fetcher_for
from wallet.services import login_sessions
from wallet.services.badge_tools import BakedBadge


def app_settings() -> Settings:
    """The running app's settings (base URL, limits, time zone)."""
    return cast(Settings, current_app.config["WALLET_SETTINGS"])


def signed_in_user() -> User:
    """The logged-in account as its model (behind ``login_required`` or the staff check)."""
    return cast(User, current_user._get_current_object())


def safe_next(target: str | None) -> str | None:
    """A local path to go to after a form, or None: never another site."""
    if not target or "\\" in target or any(ord(c) < 32 for c in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def read_session() -> Session:
    """The database session for a public page that only reads (share page, profile,
    Open Badges documents): its few SELECTs run in autocommit, with no BEGIN before
    and no ROLLBACK after, two round trips saved on the busiest pages.

    Under PostgreSQL's READ COMMITTED each statement saw its own snapshot anyway, so
    nothing is less consistent. Only for a session about to take a fresh pooled
    connection (not inside a transaction, e.g. after a logged-in user's login was
    loaded, nor one bound to a connection), and not on SQLite: it has no round trips
    to save, and its connections keep their own transaction handling
    (``db.configure_sqlite``).
    """
    session = db.session()
    bind = session.get_bind()
    if not session.in_transaction() and isinstance(bind, Engine) and bind.dialect.name != "sqlite":
        session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
    return session


def show_accepted(award: Award) -> Response:
    """After accepting (from the wallet or a claim link): say what happens next, show the badge."""
    if award.is_pending:
        flash(_("Thank you. The badge will be issued after tomorrow's anchoring run."), "success")
    else:
        flash(_("Your badge has been issued."), "success")
    return redirect(url_for("wallet.show_badge", award_id=award.id))


# -- logged-in browsers: a LoginSession row behind every login cookie ----------------
#
# flask-login keeps ``_user_id`` in the session cookie and in the remember-me
# cookie; here that value is the key of a LoginSession, not the user's id, so
# ending the row (logging out, "end this session", a new password) ends both
# cookies wherever copies of them are.


def log_in_browser(user: User, *, remember: bool) -> None:
    """Start a login session for this browser: a new cookie session and CSRF token."""
    record, key = login_sessions.start_session(
        db.session(),
        user,
        remember=remember,
        user_agent=request.user_agent.string,
        client_address=request.remote_addr or "",
        now=utcnow(),
    )
    session.clear()
    login_user(user, remember=remember)
    session["_user_id"] = key
    g.login_session = record


def log_out_browser() -> None:
    """End this browser's login session; its cookies stop working everywhere."""
    record = current_login_session()
    if record is not None:
        login_sessions.end_session(db.session(), record, utcnow())
    forget_browser_login()


def forget_browser_login() -> None:
    """Drop this browser's login cookies (both): after logging out, or once the account is gone."""
    session.clear()
    logout_user()  # after clear(): it asks for the remember-me cookie to be deleted too


def current_login_session() -> LoginSession | None:
    """The row behind this request's login, if someone is logged in."""
    return g.get("login_session") if current_user.is_authenticated else None


def init_login_sessions(app: Flask) -> None:
    @login_manager.user_loader
    def load_user(key: str) -> User | None:
        record = login_sessions.find_session(db.session(), key, utcnow())
        if record is None or not record.user.is_active:
            return None
        g.login_session = record
        return record.user

    @user_loaded_from_cookie.connect_via(app)
    def rotate_remembered_key(_app: Flask, user: User) -> None:
        """A remember-me cookie was used: give its session a new key, so a copy of the
        old cookie stops working the moment its owner comes back."""
        key = login_sessions.rotate_key(db.session(), g.login_session, utcnow())
        session["_user_id"] = key
        session["_remember"] = "set"  # flask-login writes the new remember-me cookie
        db.session.commit()

    @app.before_request
    def note_session_in_use() -> None:
        """Load the login first thing (so its writes commit alone) and keep "last seen" fresh."""
        if request.endpoint == "static" or not current_user.is_authenticated:
            return
        address = request.remote_addr or ""
        if login_sessions.touch_session(db.session(), g.login_session, address, utcnow()):
            db.session.commit()


def remote_fetcher() -> Fetcher:
    """The fetcher for addresses someone typed or a badge names: the app's safe fetcher
    (docs/fetching.md), built once per app. Tests and benchmarks put one in
    ``app.extensions["wallet.fetcher"]`` that reaches their loopback issuer."""
    fetcher = current_app.extensions.get("wallet.fetcher")
    if fetcher is None:
        fetcher = current_app.extensions["wallet.fetcher"] = fetcher_for(app_settings())
    return cast(Fetcher, fetcher)


def private_download(name: str, body: bytes, mimetype: str) -> Response:
    """A file for the one person who asked: an attachment, never stored by a cache."""
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


def baked_badge_download(baked: BakedBadge, cache_control: str) -> FlaskResponse:
    """A baked badge (or credential) file as an attachment; an SVG opened directly must not
    run anything, whatever it holds."""
    response = send_file(
        io.BytesIO(baked.data),
        mimetype=baked.content_type,
        as_attachment=True,
        download_name=baked.filename,
        conditional=False,
        etag=False,
    )
    response.headers["Cache-Control"] = cache_control
    if baked.content_type == "image/svg+xml":
        response.headers["Content-Security-Policy"] = (
            "default-src 'none'; style-src 'unsafe-inline'; sandbox"
        )
    return response
