"""Logins are rows: logging out, a new password or "log this device out" end them for good.

Cookies are copied between test clients as a thief would replay them.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import time_machine
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.accounts_support import STRONG, link_in, mails
from tests.factories import PASSWORD, UserFactory
from tests.helpers import post_form
from wallet.models import LoginSession, User

IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1"
)
WINDOWS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
)
SESSION = "session"
REMEMBER = "remember_token"


def _browser(app: Flask, address: str = "192.0.2.10", agent: str = IPHONE) -> FlaskClient:
    client = app.test_client()
    client.environ_base.update({"REMOTE_ADDR": address, "HTTP_USER_AGENT": agent})
    return client


def _log_in(client: FlaskClient, user: User, *, remember: bool = False) -> None:
    data = {"email": user.email, "password": PASSWORD}
    if remember:
        data["remember"] = "y"
    assert post_form(client, "/login", data).status_code == 302


def _cookie(client: FlaskClient, name: str) -> str:
    cookie = client.get_cookie(name)
    assert cookie is not None, f"no {name} cookie"
    return cookie.value


def _replay(app: Flask, **cookies: str) -> FlaskClient:
    """Another browser, elsewhere, holding copies of the cookies."""
    thief = _browser(app, address="203.0.113.99", agent=WINDOWS)
    for name, value in cookies.items():
        thief.set_cookie(name, value)
    return thief


def _is_logged_in(client: FlaskClient) -> bool:
    return client.get("/account").status_code == 200


def test_a_session_cookie_copied_before_logout_is_dead_after_it(
    app: Flask, client: FlaskClient
) -> None:
    user = UserFactory()
    browser = _browser(app)
    _log_in(browser, user)
    saved = _cookie(browser, SESSION)
    assert _is_logged_in(_replay(app, session=saved))  # a copy works while logged in

    post_form(browser, "/logout", {}, page="/account")

    assert not _is_logged_in(browser)
    assert not _is_logged_in(_replay(app, session=saved))


def test_a_remember_me_cookie_copied_before_logout_is_dead_after_it(
    app: Flask, client: FlaskClient
) -> None:
    user = UserFactory()
    browser = _browser(app)
    _log_in(browser, user, remember=True)
    saved = _cookie(browser, REMEMBER)

    post_form(browser, "/logout", {}, page="/account")

    thief = _replay(app, remember_token=saved)
    assert not _is_logged_in(thief)
    assert thief.get_cookie(SESSION) is None or not _is_logged_in(thief)


def test_remember_me_brings_the_student_back_and_rotates_on_use(
    app: Flask, client: FlaskClient, db_session: Session
) -> None:
    user = UserFactory()
    browser = _browser(app)
    _log_in(browser, user, remember=True)
    first = _cookie(browser, REMEMBER)
    stolen_copy = first

    # the browser restarts: the session cookie is gone, the remember-me cookie stays
    back = _replay(app, remember_token=first)
    assert _is_logged_in(back)
    second = _cookie(back, REMEMBER)
    assert second != first
    assert _is_logged_in(back)  # and it keeps working with the new cookie
    assert db_session.scalar(select(LoginSession).where(LoginSession.user_id == user.id))

    assert not _is_logged_in(_replay(app, remember_token=stolen_copy))


def test_the_account_page_lists_devices_and_logs_one_out(app: Flask, client: FlaskClient) -> None:
    user = UserFactory(locale="en")
    phone = _browser(app, address="192.0.2.10", agent=IPHONE)
    laptop = _browser(app, address="198.51.100.7", agent=WINDOWS)
    _log_in(phone, user)
    _log_in(laptop, user)

    page = phone.get("/account").get_data(as_text=True)
    assert "Where you are logged in" in page
    assert "Mobile Safari 17" in page
    assert "iOS 17.1" in page
    assert "Chrome 131" in page
    assert "Windows 10" in page
    assert "198.51.100.7" in page
    assert page.count(">this device<") == 1

    ended = post_form(
        phone, _end_url(page), {}, page="/account"
    )  # the one button is the laptop's: the phone is "this device"
    assert ended.status_code == 302
    assert not _is_logged_in(laptop)
    assert _is_logged_in(phone)


def _end_url(page: str) -> str:
    (url,) = re.findall(r'action="(/account/sessions/\d+/end)"', page)
    return url


def test_log_out_every_other_device(app: Flask, client: FlaskClient) -> None:
    user = UserFactory()
    here, other, remembered = _browser(app), _browser(app), _browser(app)
    for browser in (here, other):
        _log_in(browser, user)
    _log_in(remembered, user, remember=True)
    remember_copy = _cookie(remembered, REMEMBER)

    assert post_form(here, "/account/sessions/end-others", {}, page="/account").status_code == 302

    assert _is_logged_in(here)
    assert not _is_logged_in(other)
    assert not _is_logged_in(remembered)
    assert not _is_logged_in(_replay(app, remember_token=remember_copy))


def test_another_accounts_session_cannot_be_ended(
    app: Flask, client: FlaskClient, db_session: Session
) -> None:
    mine, theirs = UserFactory(), UserFactory()
    me, them = _browser(app), _browser(app)
    _log_in(me, mine)
    _log_in(them, theirs)
    their_session = db_session.scalar(select(LoginSession).where(LoginSession.user_id == theirs.id))
    assert their_session is not None

    answer = post_form(me, f"/account/sessions/{their_session.id}/end", {}, page="/account")

    assert answer.status_code == 404
    assert _is_logged_in(them)


def test_a_password_change_ends_every_other_session_and_keeps_this_one(
    app: Flask, client: FlaskClient
) -> None:
    user = UserFactory()
    here, other = _browser(app), _browser(app)
    _log_in(here, user, remember=True)
    _log_in(other, user, remember=True)
    saved_here = _cookie(here, SESSION)
    saved_other = {SESSION: _cookie(other, SESSION), REMEMBER: _cookie(other, REMEMBER)}

    answer = post_form(
        here,
        "/account/password",
        {"current_password": PASSWORD, "password": STRONG, "confirm": STRONG},
        page="/account",
    )

    assert answer.status_code == 302
    assert _is_logged_in(here)
    assert not _is_logged_in(other)
    assert not _is_logged_in(_replay(app, session=saved_other[SESSION]))
    assert not _is_logged_in(_replay(app, remember_token=saved_other[REMEMBER]))
    assert not _is_logged_in(_replay(app, session=saved_here))  # even this browser's old cookie


def test_a_password_reset_ends_every_session(app: Flask, client: FlaskClient) -> None:
    user = UserFactory()
    phone = _browser(app)
    _log_in(phone, user, remember=True)
    saved = {SESSION: _cookie(phone, SESSION), REMEMBER: _cookie(phone, REMEMBER)}

    stranger = _browser(app, address="198.51.100.8")
    post_form(stranger, "/password/reset", {"email": user.email})
    reset = link_in(mails("password_reset", user.email)[-1], "reset_url")
    assert post_form(stranger, reset, {"password": STRONG, "confirm": STRONG}).status_code == 302

    assert not _is_logged_in(phone)
    assert not _is_logged_in(_replay(app, session=saved[SESSION]))
    assert not _is_logged_in(_replay(app, remember_token=saved[REMEMBER]))


def test_a_session_left_unused_for_a_day_ends(app: Flask, client: FlaskClient) -> None:
    user = UserFactory()
    start = datetime.now(UTC)
    with time_machine.travel(start, tick=False):
        browser, remembered = _browser(app), _browser(app)
        _log_in(browser, user)
        _log_in(remembered, user, remember=True)
    with time_machine.travel(start + timedelta(hours=23), tick=False):
        assert _is_logged_in(browser)
    with time_machine.travel(start + timedelta(hours=23) + timedelta(hours=25), tick=False):
        assert not _is_logged_in(browser)  # 25 hours since it was last used
        assert _is_logged_in(remembered)  # "remember me" lasts 30 days of not using it
