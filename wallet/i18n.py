"""Locale choice: the user's setting, then a cookie, then the browser, then Japanese."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from flask import current_app, request
from flask_login import current_user

LOCALES = ("ja", "en")
LOCALE_COOKIE = "wallet_lang"


def select_locale() -> str:
    if current_user and current_user.is_authenticated and current_user.locale in LOCALES:
        return str(current_user.locale)
    cookie = request.cookies.get(LOCALE_COOKIE)
    if cookie in LOCALES:
        return str(cookie)
    best = request.accept_languages.best_match(LOCALES)
    return best or str(current_app.config["WALLET_SETTINGS"].default_locale)


def select_timezone() -> str:
    return str(current_app.config["WALLET_SETTINGS"].timezone)


def zone() -> ZoneInfo:
    return ZoneInfo(select_timezone())


def pick(locale: str, primary: str, english: str) -> str:
    """Badge texts: the English version for English readers when there is one."""
    return english if locale == "en" and english else primary
