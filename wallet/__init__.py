"""The Open Badges wallet: ``create_app`` builds the Flask application."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from flask import Flask, render_template, request
from flask_babel import get_locale
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import Forbidden, HTTPException, NotFound
from werkzeug.middleware.proxy_fix import ProxyFix

from wallet import extensions as ext
from wallet.config import PROJECT_ROOT, Settings
from wallet.db import configure_sqlite, ping_idle_connections
from wallet.http_cache import PublicAnswerCache
from wallet.services.errors import NotFoundError, PermissionDeniedError
from wallet.services.login_sessions import REMEMBERED_IDLE_LIFETIME

log = logging.getLogger(__name__)
TRANSLATIONS = PROJECT_ROOT / "wallet" / "translations"


def create_app(settings: Settings | None = None, **overrides: Any) -> Flask:
    settings = settings or Settings.from_env()
    app = Flask(
        __name__,
        instance_path=str(settings.instance_path),
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    app.config.update(
        WALLET_SETTINGS=settings,
        SECRET_KEY=settings.secret_key,
        SQLALCHEMY_DATABASE_URI=settings.database_url,
        # db.ping_idle_connections checks connections that sat idle (not every checkout)
        SQLALCHEMY_ENGINE_OPTIONS={"pool_pre_ping": False},
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.is_production,
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_DURATION=REMEMBERED_IDLE_LIFETIME,
        REMEMBER_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_SECURE=settings.is_production,
        MAX_CONTENT_LENGTH=settings.max_csv_bytes + 64 * 1024,
        WTF_CSRF_TIME_LIMIT=None,
        BABEL_DEFAULT_LOCALE=settings.default_locale,
        BABEL_DEFAULT_TIMEZONE=settings.timezone,
        BABEL_TRANSLATION_DIRECTORIES=";".join(
            str(p) for p in sorted(TRANSLATIONS.iterdir()) if p.is_dir()
        )
        if TRANSLATIONS.exists()
        else "translations",
        RATELIMIT_STORAGE_URI=settings.ratelimit_storage_url,
        RATELIMIT_HEADERS_ENABLED=True,
    )
    app.config.update(overrides)
    # answers marked public kept for a moment (wallet/http_cache.py), inside ProxyFix so
    # that the scheme and host it keys on are the ones the proxy saw
    app.wsgi_app = PublicAnswerCache(app.wsgi_app, settings.public_cache_seconds)  # type: ignore[method-assign]
    if settings.trusted_proxies:
        # the client's address (rate limits) and scheme come from the proxy's headers
        n = settings.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)  # type: ignore[method-assign]
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    _init_extensions(app)
    _register_blueprints(app, settings)
    _register_error_handlers(app)

    from wallet import cli, jobs

    cli.init_app(app)
    jobs.init_app(app)
    return app


def _init_extensions(app: Flask) -> None:
    from wallet import i18n, security
    from wallet.views.common import init_login_sessions

    ext.db.init_app(app)
    with app.app_context():
        configure_sqlite(ext.db.engine)
        ping_idle_connections(ext.db.engine)
    ext.migrate.init_app(
        app, ext.db, directory=str(PROJECT_ROOT / "migrations"), render_as_batch=True
    )
    ext.csrf.init_app(app)
    ext.limiter.init_app(app)
    ext.babel.init_app(
        app, locale_selector=i18n.select_locale, timezone_selector=i18n.select_timezone
    )
    login_manager = ext.login_manager
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    # Not "strong": phones change address all the time (Wi-Fi, mobile data), and a
    # login is a server-side row the account page lists and can end.
    login_manager.session_protection = "basic"
    security.init_security_headers(app)
    init_login_sessions(app)

    @app.context_processor
    def inject_helpers() -> dict[str, Any]:
        # Flask-Babel's choice for this request: the same one the translations use
        return {"current_locale": str(get_locale()), "pick": i18n.pick}


def _register_blueprints(app: Flask, settings: Settings) -> None:
    from wallet.views import (
        admin,
        admin_reports,
        admin_staff,
        auth,
        badge_tools,
        claim,
        data_export,
        guards,
        importing,
        ledger,
        ob3,
        public,
        share,
        share_images,
        verify,
        wallet,
    )

    guards.init_app(app)  # its URL converters must be in place before the routes
    modules = (
        auth,
        data_export,
        claim,
        wallet,
        importing,
        badge_tools,
        public,
        share,
        share_images,
        verify,
        ledger,
        ob3,
        admin,
        admin_reports,
        admin_staff,
    )
    for module in modules:
        app.register_blueprint(module.bp)
    if not settings.is_production:
        from wallet.views import dev

        app.register_blueprint(dev.bp)


def _register_error_handlers(app: Flask) -> None:
    @app.errorhandler(NotFoundError)
    def not_found(_error: NotFoundError) -> tuple[str, int]:
        return render_template("errors/http.html", error=NotFound()), 404

    @app.errorhandler(PermissionDeniedError)
    def forbidden(_error: PermissionDeniedError) -> tuple[str, int]:
        return render_template("errors/http.html", error=Forbidden()), 403

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> tuple[str, int]:
        code = error.code or 500
        if code >= 500:
            return _server_error_page(error), code
        retry = _retry_fields() if code == 429 else []
        message = getattr(error, "message", None)  # what a wallet-specific error explains
        return render_template("errors/http.html", error=error, message=message, retry=retry), code


# The last resort when even the error page cannot be drawn (the database is gone).
_BARE_ERROR_PAGE = (
    '<!doctype html><html lang="ja"><meta charset="utf-8">'
    '<meta name="viewport" content="width=device-width, initial-scale=1">'
    "<title>エラー / Error</title><h1>エラーが発生しました / Something went wrong</h1>"
    "<p>しばらくしてからもう一度お試しください。 Please try again in a moment.</p></html>"
)


def _server_error_page(error: HTTPException) -> str:
    """The error page for a failure: the request's transaction may be broken (a failed
    flush, a lost connection), and drawing the page loads the user and their language,
    so start a clean transaction first; never answer with a second failure."""
    try:
        ext.db.session.rollback()
    except SQLAlchemyError:
        ext.db.session.remove()
    try:
        return render_template("errors/http.html", error=error)
    except SQLAlchemyError:
        log.exception("the error page could not be drawn")
        return _BARE_ERROR_PAGE


_SECRET_FIELDS = ("csrf_token", "confirm")


def _retry_fields() -> list[tuple[str, str]]:
    """What a refused form carried, minus secrets, so "try again" loses nothing typed."""
    if request.method != "POST":
        return []
    return [
        (name, value)
        for name, value in request.form.items(multi=True)
        if name not in _SECRET_FIELDS and "password" not in name
    ]
