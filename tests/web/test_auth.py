"""Login, logout, activation, password reset: bad input, enumeration, limits, sessions."""

from __future__ import annotations

import re
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import time_machine
from argon2 import PasswordHasher
from flask.testing import FlaskClient
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from tests.accounts_support import STRONG, link_in, log_in, mails, without_csrf
from tests.factories import PASSWORD, UserFactory
from tests.helpers import csrf_token, post_form, similar
from wallet.extensions import limiter
from wallet.security import verify_password


def median_seconds(action: Callable[[], TestResponse], tries: int = 9) -> float:
    times = []
    for _ in range(tries):
        limiter.reset()  # measure the work, not the rate limit's refusal
        start = time.perf_counter()
        response = action()
        times.append(time.perf_counter() - start)
        assert response.status_code in {302, 400}
    return statistics.median(times)


def test_wrong_password_is_refused_and_keeps_the_email(client: FlaskClient) -> None:
    user = UserFactory()
    response = log_in(client, user.email, "not the password")
    assert response.status_code == 400
    assert "メールアドレスまたはパスワードが正しくありません" in response.text
    assert f'value="{user.email}"' in response.text
    assert "not the password" not in response.text
    assert client.get("/wallet").status_code == 302  # still logged out


def test_login_answers_the_same_for_unknown_and_known_emails(client: FlaskClient) -> None:
    user = UserFactory(email="known@shizuoka.ac.jp")
    known = log_in(client, user.email, "wrong password 1")
    unknown = log_in(client, "ghost@shizuoka.ac.jp", "wrong password 1")
    assert known.status_code == unknown.status_code == 400
    assert without_csrf(known.text).replace("known@", "X@") == without_csrf(unknown.text).replace(
        "ghost@", "X@"
    )
    slow_known = median_seconds(lambda: log_in(client, user.email, "wrong password 1"))
    slow_unknown = median_seconds(lambda: log_in(client, "ghost@shizuoka.ac.jp", "wrong password"))
    assert similar(slow_known, slow_unknown), (slow_known, slow_unknown)


def test_password_reset_link_works_once_and_ends_other_sessions(
    client: FlaskClient, app: object, db_session: Session
) -> None:
    user = UserFactory()
    other = FlaskClient(app, client.response_wrapper, use_cookies=True)  # type: ignore[arg-type]
    other.__class__ = client.__class__
    log_in(other, user.email, PASSWORD)
    assert other.get("/wallet").status_code == 200
    post_form(client, "/password/reset", {"email": user.email})
    path = link_in(mails("password_reset", user.email)[0], "reset_url")
    mismatch = post_form(client, path, {"password": STRONG, "confirm": STRONG + "!"})
    assert mismatch.status_code == 400
    assert "パスワードが一致しません" in mismatch.text
    assert post_form(client, path, {"password": STRONG, "confirm": STRONG}).status_code == 302
    replay = client.get(path)
    assert replay.status_code == 404
    assert "1回限り" in replay.text
    db_session.refresh(user)
    assert verify_password(user.password_hash, STRONG)
    assert other.get("/wallet").status_code == 302  # the old session ended
    assert log_in(client, user.email, PASSWORD).status_code == 400
    assert log_in(client, user.email, STRONG).status_code == 302


def test_password_reset_link_expires_after_an_hour(client: FlaskClient) -> None:
    user = UserFactory()
    post_form(client, "/password/reset", {"email": user.email})
    path = link_in(mails("password_reset", user.email)[0], "reset_url")
    with time_machine.travel(datetime.now(UTC) + timedelta(minutes=61)):
        assert client.get(path).status_code == 404


def test_activation_link_is_single_use_and_expires(client: FlaskClient) -> None:
    user = UserFactory(inactive=True)
    post_form(client, "/activate/resend", {"email": user.email})
    path = link_in(mails("activation", user.email)[0], "activate_url")
    with time_machine.travel(datetime.now(UTC) + timedelta(hours=25)):
        assert client.get(path).status_code == 404
    assert client.get(path).status_code == 200
    assert post_form(client, path, {}).status_code == 302
    assert user.is_activated
    assert f'value="{user.email}"' in client.get("/login").text  # the login form is filled in
    assert f'value="{user.email}"' not in client.get("/login").text  # once
    again = post_form(client, path, {}, page="/")
    assert again.status_code == 404
    assert "再送" in again.text


def test_login_rate_limit_kicks_in_and_recovers(client: FlaskClient) -> None:
    """The per-client limit: one address per try, so the per-address throttle stays out of it."""
    token = csrf_token(client, "/login")

    def data(n: int) -> dict[str, str]:
        return {"email": f"ghost{n}@shizuoka.ac.jp", "password": "wrong", "csrf_token": token}

    start = datetime.now(UTC)
    with time_machine.travel(start, tick=False):
        codes = [client.post("/login", data=data(n)).status_code for n in range(11)]
    assert codes[:10] == [400] * 10
    assert codes[10] == 429
    with time_machine.travel(start + timedelta(seconds=61), tick=False):
        assert client.post("/login", data=data(11)).status_code == 400


def test_every_account_form_needs_csrf(client: FlaskClient) -> None:
    for url in ("/login", "/password/reset", "/activate/resend", "/claim/resend", "/logout"):
        assert client.post(url, data={"email": "a@b.jp"}).status_code == 400, url


def test_next_never_leaves_the_site(client: FlaskClient) -> None:
    user = UserFactory()
    for target in ("//evil.example/", "https://evil.example/", "/\\evil.example"):
        response = log_in(client, user.email, PASSWORD, next=target)
        assert response.headers["Location"] == "/wallet", target
        post_form(client, "/logout", {}, page="/")
    response = log_in(client, user.email, PASSWORD, next="/account")
    assert response.headers["Location"] == "/account"


def test_login_rotates_the_session_and_remembers_on_request(client: FlaskClient) -> None:
    user = UserFactory()
    before = csrf_token(client, "/login")
    response = log_in(client, user.email, PASSWORD, remember="y")
    assert "remember_token=" in " ".join(response.headers.getlist("Set-Cookie"))
    assert csrf_token(client, "/account") != before
    assert client.post("/logout", data={"csrf_token": before}).status_code == 400


def test_logout_is_a_post(client: FlaskClient) -> None:
    user = UserFactory()
    log_in(client, user.email, PASSWORD)
    assert client.get("/logout").status_code == 405
    assert post_form(client, "/logout", {}, page="/wallet").status_code == 302
    assert client.get("/wallet").status_code == 302


def test_login_rehashes_a_password_hashed_with_old_parameters(
    client: FlaskClient, db_session: Session
) -> None:
    weak = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1).hash(PASSWORD)
    user = UserFactory(password_hash=weak)
    assert log_in(client, user.email, PASSWORD).status_code == 302
    db_session.refresh(user)
    assert user.password_hash != weak
    assert "m=65536,t=3,p=4" in user.password_hash
    assert verify_password(user.password_hash, PASSWORD)


def test_protected_pages_ask_to_log_in_in_japanese(client: FlaskClient) -> None:
    response = client.get("/wallet", follow_redirects=True)
    assert "このページを開くにはログインしてください" in response.text
    assert re.search(r'name="next"[^>]*value="/wallet"', response.text)
