"""Extension objects, unbound: ``create_app`` initialises them."""

from __future__ import annotations

from flask import current_app
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect

from wallet.db import Base

db = SQLAlchemy(metadata=Base.metadata)
csrf = CSRFProtect()
login_manager = LoginManager()
limiter = Limiter(key_func=get_remote_address, default_limits=[])


@limiter.request_filter
def _limits_switched_off() -> bool:
    """``Settings.ratelimit_enabled`` of the app serving this request.

    Flask-Limiter's own switch (``RATELIMIT_ENABLED``) is one flag for the whole
    process: an app built without limits would switch them off for every app.
    """
    return not current_app.config["WALLET_SETTINGS"].ratelimit_enabled


babel = Babel()
migrate = Migrate()
