"""The login throttle as the views see it: this app's counters and the known-device cookie.

Not a view module (no blueprint): the login and password-reset views use it.
The rules themselves live in ``wallet.services.login_throttle``.
"""

from __future__ import annotations

from flask import current_app, request
from werkzeug.wrappers import Response

from wallet.extensions import limiter
from wallet.services.login_throttle import DEVICE_LIFETIME, Attempt, LoginThrottle
from wallet.views.common import app_settings

DEVICE_COOKIE = "wallet_device"


def throttle() -> LoginThrottle:
    """Counters in Flask-Limiter's storage (shared by every web node), keyed by the app secret.

    The app's rate-limit switch covers the throttle too: with limits off there
    is no storage to count in.
    """
    counts = limiter.limiter if app_settings().ratelimit_enabled else None
    return LoginThrottle(limiter=counts, secret=str(current_app.secret_key))


def attempt(email: str, password: str) -> Attempt:
    """One login attempt from this request: the client address and the device cookie with it."""
    return Attempt(
        email=email,
        password=password,
        client_address=request.remote_addr or "",
        device_token=request.cookies.get(DEVICE_COOKIE, ""),
    )


def remember_device(response: Response, token: str) -> Response:
    """Mark this browser as one that logged in to the account (signed, long-lived)."""
    response.set_cookie(
        DEVICE_COOKIE,
        token,
        max_age=int(DEVICE_LIFETIME.total_seconds()),
        httponly=True,
        samesite="Lax",
        secure=app_settings().is_production,
    )
    return response
