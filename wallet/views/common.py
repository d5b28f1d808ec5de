"""Helpers shared by views (not a view module: views never import each other)."""

from __future__ import annotations

from typing import cast
from urllib.parse import urlsplit

from flask import current_app, flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from wallet.config import Settings
from wallet.models import Award, User


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


def show_accepted(award: Award) -> Response:
    """After accepting (from the wallet or a claim link): say what happens next, show the badge."""
    if award.is_pending:
        flash(_("Thank you. The badge will be issued after tomorrow's anchoring run."), "success")
    else:
        flash(_("Your badge has been issued."), "success")
    return redirect(url_for("wallet.show_badge", award_id=award.id))
