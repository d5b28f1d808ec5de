"""The per-account login throttle, through the real login form.

The per-client limit (10 per minute per client address) does not stop many
machines guessing one student's password; the throttle counts failures per
address typed. Each attempt here comes from its own client address
(``REMOTE_ADDR``), so the per-client limit never explains a refusal.

About time: the counters live in Flask-Limiter's memory storage, which reads
``time.time()`` itself (when counting, when checking, and in its expiry
thread), not the ``now`` the view passes to the service. So these tests move
the real clock with time-machine, frozen (``tick=False``) at each moment they
name, and every request of a test runs at a moment the test chose. Nothing is
reset behind the test's back: a lock ends only because the clock moved past it.
"""

from __future__ import annotations

import ipaddress
import itertools
import statistics
import time
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.accounts_support import STRONG, link_in, mails, without_csrf
from tests.conftest import BASE_URL
from tests.factories import PASSWORD, UserFactory
from tests.helpers import csrf_token, post_form, similar
from wallet.extensions import limiter
from wallet.mail import Envelope, render_message
from wallet.mail.folder import message_part
from wallet.models import EmailAddress, User

WINDOW = timedelta(minutes=15)
LOCKED_JA = "ログインの失敗が続いたため"
LOCKED_EN = "Too many failed login attempts."
HOME = "192.0.2.80"  # the owner's own connection
_addresses = (str(ipaddress.ip_address("10.0.0.1") + n) for n in itertools.count())


@pytest.fixture
def t0() -> datetime:
    """A fixed starting moment (whole seconds, so minute arithmetic is exact)."""
    return datetime.now(UTC).replace(microsecond=0)


def attempt(
    client: FlaskClient, email: str, password: str, at: datetime, ip: str | None = None
) -> TestResponse:
    """One login at the moment ``at``, from a client address of its own unless ``ip`` is given."""
    with time_machine.travel(at, tick=False):
        token = csrf_token(client, "/login")
        return client.post(
            "/login",
            data={"email": email, "password": password, "csrf_token": token},
            environ_base={"REMOTE_ADDR": ip or next(_addresses)},
        )


def log_out(client: FlaskClient, ip: str, at: datetime) -> None:
    """Log out from the client address that logged in (session protection is "strong")."""
    environ = {"REMOTE_ADDR": ip}
    with time_machine.travel(at, tick=False):
        token = csrf_token(client, "/account", environ_base=environ)
        response = client.post("/logout", data={"csrf_token": token}, environ_base=environ)
    assert response.status_code == 302


def lock(client: FlaskClient, email: str, at: datetime, last_ip: str | None = None) -> None:
    """Five wrong passwords, one a second, from five client addresses: the lock engages."""
    for n in range(5):
        ip = last_ip if n == 4 else None
        response = attempt(client, email, f"wrong {n}", at + timedelta(seconds=n), ip)
        assert response.status_code == 400, n


def test_twelve_wrong_passwords_from_twelve_addresses_then_the_right_one_is_refused(
    client: FlaskClient, t0: datetime
) -> None:
    user = UserFactory()
    codes = [
        attempt(client, user.email, f"guess {n}", t0 + timedelta(minutes=n)).status_code
        for n in range(12)
    ]
    assert codes == [400] * 5 + [429] * 7  # five counted failures, then refused unchecked

    right = attempt(client, user.email, PASSWORD, t0 + timedelta(minutes=12))
    assert right.status_code == 429
    assert LOCKED_JA in right.text
    assert "3分間停止しています" in right.text  # the lock ends 15 minutes after the first failure
    assert f'value="{user.email}"' in right.text  # the form keeps the address...
    assert PASSWORD not in right.text  # ...never the password
    assert 'action="/password/reset"' in right.text  # a reset works right away
    assert "新しいパスワードを設定するリンクを受け取る" in right.text
    assert client.get("/wallet").status_code == 302  # not logged in


def test_the_lock_ends_within_the_window_of_the_last_counted_failure(
    client: FlaskClient, t0: datetime
) -> None:
    user = UserFactory()
    for n in range(5):  # counted failures at t0 ... t0 + 4 min
        attempt(client, user.email, "wrong", t0 + timedelta(minutes=n))
    for n in range(5, 14):  # refused attempts, one a minute: they do not extend the lock
        assert attempt(client, user.email, "wrong", t0 + timedelta(minutes=n)).status_code == 429
    last_counted = t0 + timedelta(minutes=4)
    almost = t0 + WINDOW - timedelta(seconds=1)
    assert attempt(client, user.email, PASSWORD, almost).status_code == 429
    assert attempt(client, user.email, PASSWORD, last_counted + WINDOW).status_code == 302


def test_a_success_clears_the_failures(app: Flask, client: FlaskClient, t0: datetime) -> None:
    user = UserFactory()
    for n in range(4):
        attempt(client, user.email, "wrong", t0 + timedelta(seconds=n))
    assert attempt(client, user.email, PASSWORD, t0 + timedelta(seconds=5)).status_code == 302
    other = app.test_client()  # not a known device: the address's count applies
    for n in range(5):  # five more before the lock: the earlier four were forgotten
        later = t0 + timedelta(seconds=10 + n)
        assert attempt(other, user.email, "wrong", later).status_code == 400
    assert attempt(other, user.email, PASSWORD, t0 + timedelta(seconds=20)).status_code == 429


def test_a_known_device_lets_the_owner_in_while_a_stranger_stays_locked(
    app: Flask, client: FlaskClient, t0: datetime
) -> None:
    owner = UserFactory()
    first = attempt(client, owner.email, PASSWORD, t0, HOME)
    assert first.status_code == 302
    cookie = next(c for c in first.headers.getlist("Set-Cookie") if c.startswith("wallet_device="))
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Max-Age=31536000" in cookie
    assert "Secure" not in cookie  # Secure in production only
    log_out(client, HOME, t0)

    stranger = app.test_client()
    lock(stranger, owner.email, t0 + timedelta(minutes=1))
    at = t0 + timedelta(minutes=2)
    assert attempt(stranger, owner.email, PASSWORD, at).status_code == 429

    assert (
        attempt(client, owner.email, PASSWORD, at, HOME).status_code == 302
    )  # the owner's browser
    log_out(client, HOME, at)
    assert attempt(stranger, owner.email, PASSWORD, at).status_code == 429  # still locked


def test_a_known_device_has_a_limit_of_its_own(client: FlaskClient, t0: datetime) -> None:
    owner = UserFactory()
    assert attempt(client, owner.email, PASSWORD, t0, HOME).status_code == 302
    log_out(client, HOME, t0)
    for n in range(10):
        response = attempt(client, owner.email, "wrong", t0 + timedelta(seconds=n + 1))
        assert response.status_code == 400, n
    assert attempt(client, owner.email, PASSWORD, t0 + timedelta(seconds=20)).status_code == 429
    assert (
        attempt(client, owner.email, PASSWORD, t0 + WINDOW + timedelta(seconds=2)).status_code
        == 302
    )


def test_a_device_cookie_only_helps_the_account_it_was_issued_to(
    app: Flask, client: FlaskClient, t0: datetime
) -> None:
    mine, theirs = UserFactory(), UserFactory()
    assert attempt(client, mine.email, PASSWORD, t0, HOME).status_code == 302
    log_out(client, HOME, t0)
    lock(app.test_client(), theirs.email, t0 + timedelta(seconds=1))
    at = t0 + timedelta(seconds=10)
    assert attempt(client, theirs.email, PASSWORD, at).status_code == 429  # my cookie, their lock

    issued = client.get_cookie("wallet_device")
    assert issued is not None
    forger = app.test_client()
    tampered = issued.value[:-2] + ("AA" if issued.value[-2:] != "AA" else "BB")
    forger.set_cookie("wallet_device", tampered)
    assert attempt(forger, theirs.email, PASSWORD, at).status_code == 429


def test_a_password_reset_opens_the_lock(app: Flask, client: FlaskClient, t0: datetime) -> None:
    user = UserFactory()
    lock(app.test_client(), user.email, t0)
    at = t0 + timedelta(minutes=1)
    assert attempt(client, user.email, PASSWORD, at).status_code == 429
    with time_machine.travel(at, tick=False):
        post_form(client, "/password/reset", {"email": user.email})
        path = link_in(mails("password_reset", user.email)[-1], "reset_url")
        assert post_form(client, path, {"password": STRONG, "confirm": STRONG}).status_code == 302
    assert attempt(client, user.email, STRONG, at).status_code == 302  # no device cookie needed


def _render(app: Flask, user: User) -> tuple[str, str]:
    (mail,) = mails("login_throttled", user.email)
    envelope = Envelope(
        mail.id, mail.template, mail.to_email, mail.locale, mail.context, mail.created_at
    )
    message = render_message(envelope, app.config["WALLET_SETTINGS"])
    return str(message["Subject"]), message_part(message, "plain")


def test_the_holder_is_told_once_an_hour_with_the_facts_in_their_language(
    app: Flask, client: FlaskClient, t0: datetime
) -> None:
    user = UserFactory(locale="en", name="Hanako Shizuoka")
    lock(client, user.email, t0, last_ip="198.51.100.23")
    attempt(client, user.email, "still wrong", t0 + timedelta(minutes=1))  # refused: no news

    (mail,) = mails("login_throttled")
    assert mail.to_email == user.email
    assert mail.locale == "en"
    assert mail.context == {
        "recipient_name": "Hanako Shizuoka",
        "attempts": 5,
        "attempted_at": (t0 + timedelta(seconds=4)).isoformat(),
        "client_address": "198.51.100.23",
        "minutes": 15,
        "reset_url": f"{BASE_URL}/password/reset",
    }
    subject, text = _render(app, user)
    assert subject == "Failed logins to your Open Badge Wallet"
    assert "5 times with a wrong password" in text
    assert "198.51.100.23" in text
    assert "Nothing in your account has been changed" in text

    lock(client, user.email, t0 + WINDOW + timedelta(minutes=1))  # engaged again within the hour
    assert len(mails("login_throttled")) == 1
    lock(client, user.email, t0 + timedelta(minutes=61))  # an hour later: told again
    assert len(mails("login_throttled")) == 2


def test_a_lock_on_another_address_of_the_account_is_told_to_the_login_address(
    client: FlaskClient, t0: datetime
) -> None:
    user = UserFactory()
    user.emails.append(EmailAddress(email="second@example.ac.jp", verified_at=t0))
    lock(client, "Second@Example.ac.jp ", t0)  # as typed: case and spaces do not matter
    assert (
        attempt(client, "second@example.ac.jp", PASSWORD, t0 + timedelta(minutes=1)).status_code
        == 429
    )
    (mail,) = mails("login_throttled")
    assert mail.to_email == user.email
    assert mail.locale == "ja"


def test_an_unknown_address_gets_the_same_page_and_status(
    client: FlaskClient, t0: datetime
) -> None:
    user = UserFactory(email="known@shizuoka.ac.jp")
    ghost = "ghost@shizuoka.ac.jp"
    lock(client, user.email, t0)
    lock(client, ghost, t0)
    at = t0 + timedelta(minutes=1)
    known = attempt(client, user.email, "wrong", at)
    unknown = attempt(client, ghost, "wrong", at)
    assert known.status_code == unknown.status_code == 429
    assert without_csrf(known.text).replace("known@", "X@") == without_csrf(unknown.text).replace(
        "ghost@", "X@"
    )
    assert [m.to_email for m in mails("login_throttled")] == [user.email]  # nobody to tell


def _engaging_failure_seconds(client: FlaskClient, email: str, t0: datetime) -> float:
    """Median time of the failure that engages the lock (the one that may queue a mail)."""
    times = []
    for n in range(5):
        limiter.reset()  # a fresh count (and a fresh hourly notice) each round
        at = t0 + timedelta(minutes=n)
        for k in range(4):
            attempt(client, email, "wrong", at + timedelta(seconds=k))
        start = time.perf_counter()
        response = attempt(client, email, "wrong", at + timedelta(seconds=4))
        times.append(time.perf_counter() - start)
        assert response.status_code == 400
    return statistics.median(times)


def test_the_engaging_failure_takes_similar_time_for_known_and_unknown_addresses(
    client: FlaskClient, t0: datetime
) -> None:
    user = UserFactory()
    known = _engaging_failure_seconds(client, user.email, t0)
    unknown = _engaging_failure_seconds(client, "ghost@shizuoka.ac.jp", t0)
    assert similar(known, unknown), (known, unknown)
    assert len(mails("login_throttled")) == 5  # the known address was told each round


def test_the_per_client_limit_still_applies(client: FlaskClient, t0: datetime) -> None:
    codes = [
        attempt(client, f"ghost{n}@shizuoka.ac.jp", "wrong", t0, ip="192.0.2.1").status_code
        for n in range(11)
    ]
    assert codes == [400] * 10 + [429]  # ten addresses, none locked: the client limit
    refused = attempt(client, "ghost99@shizuoka.ac.jp", "wrong", t0, ip="192.0.2.1")
    assert refused.status_code == 429
    assert "しばらくお待ちください" in refused.text
    assert LOCKED_JA not in refused.text


def test_the_lock_message_in_english(client: FlaskClient, t0: datetime) -> None:
    client.set_cookie("wallet_lang", "en")
    lock(client, "ghost@shizuoka.ac.jp", t0)
    refused = attempt(client, "ghost@shizuoka.ac.jp", "wrong", t0 + timedelta(minutes=14))
    assert refused.status_code == 429
    assert LOCKED_EN in refused.text
    assert "logging in is paused for 1 minute." in refused.text
    assert "Send me a link to set a new password" in refused.text
