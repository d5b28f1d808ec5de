"""The login throttle service, on each counting strategy the rate-limit storage may use.

Production picks the strategy through Flask-Limiter's settings; the rules must
hold for the fixed window (Flask-Limiter's default) and the moving window alike.
The memory storage reads ``time.time()`` itself, so the clock is moved with
time-machine, frozen at each moment a test names. Redis keeps its own clock
(key expiry happens in the server), so with Redis only counting is tested:
two web nodes share one count.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from limits.storage import MemoryStorage, RedisStorage
from limits.strategies import FixedWindowRateLimiter, MovingWindowRateLimiter, RateLimiter
from sqlalchemy.orm import Session

from tests.factories import PASSWORD, UserFactory
from wallet.models import EmailAddress, User
from wallet.services import login_throttle
from wallet.services.accounts import LoginFailedError
from wallet.services.login_throttle import (
    FAILURES_PER_ADDRESS,
    FAILURES_PER_DEVICE,
    WINDOW_MINUTES,
    Attempt,
    LoginThrottle,
    LoginThrottledError,
    SignedIn,
)

BASE_URL = "http://wallet.test"
SECRET = "unit-test-secret"
WINDOW = timedelta(minutes=WINDOW_MINUTES)
REDIS_URL = os.environ.get("WALLET_TEST_REDIS_URL", "")
STRATEGIES: dict[str, Callable[[MemoryStorage], RateLimiter]] = {
    "fixed-window": FixedWindowRateLimiter,
    "moving-window": MovingWindowRateLimiter,
}


@pytest.fixture(params=sorted(STRATEGIES))
def throttle(request: pytest.FixtureRequest) -> Iterator[LoginThrottle]:
    storage = MemoryStorage()
    yield LoginThrottle(limiter=STRATEGIES[request.param](storage), secret=SECRET)
    storage.reset()


@pytest.fixture
def t0() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def sign_in(
    session: Session,
    throttle: LoginThrottle,
    email: str,
    password: str,
    at: datetime,
    device_token: str = "",
) -> SignedIn:
    with time_machine.travel(at, tick=False):
        attempt = Attempt(email, password, client_address="192.0.2.1", device_token=device_token)
        return login_throttle.sign_in(session, throttle, attempt, base_url=BASE_URL, now=at)


def fail(session: Session, throttle: LoginThrottle, email: str, at: datetime, **kw: str) -> None:
    with pytest.raises(LoginFailedError):
        sign_in(session, throttle, email, "wrong password", at, **kw)


def refused(session: Session, throttle: LoginThrottle, email: str, at: datetime, **kw: str) -> int:
    """Minutes the refusal asks to wait; the right password is not even checked."""
    with pytest.raises(LoginThrottledError) as caught:
        sign_in(session, throttle, email, PASSWORD, at, **kw)
    return caught.value.minutes


def test_refused_attempts_never_extend_the_lock(
    db_session: Session, throttle: LoginThrottle, t0: datetime
) -> None:
    user = UserFactory()
    for n in range(FAILURES_PER_ADDRESS):  # one failure a minute
        fail(db_session, throttle, user.email, t0 + timedelta(minutes=n))
    last_counted = t0 + timedelta(minutes=FAILURES_PER_ADDRESS - 1)
    waits = [
        refused(db_session, throttle, user.email, last_counted + timedelta(minutes=n, seconds=30))
        for n in range(10)
    ]
    assert all(1 <= wait <= WINDOW_MINUTES for wait in waits), waits
    assert waits == sorted(waits, reverse=True)  # the wait only shrinks
    signed_in = sign_in(db_session, throttle, user.email, PASSWORD, last_counted + WINDOW)
    assert signed_in.user.id == user.id


def test_a_known_device_token_is_only_good_for_its_account_and_for_a_year(
    db_session: Session, throttle: LoginThrottle, t0: datetime
) -> None:
    owner, other = UserFactory(), UserFactory()
    token = sign_in(db_session, throttle, owner.email, PASSWORD, t0).device_token
    other_token = sign_in(db_session, throttle, other.email, PASSWORD, t0).device_token
    foreign = LoginThrottle(limiter=throttle.limiter, secret="another secret")
    forged = sign_in(db_session, foreign, owner.email, PASSWORD, t0).device_token

    later = t0 + timedelta(days=364)
    for n in range(FAILURES_PER_ADDRESS):
        fail(db_session, throttle, owner.email, later + timedelta(seconds=n))
    at = later + timedelta(seconds=10)
    refused(db_session, throttle, owner.email, at)  # no token
    refused(db_session, throttle, owner.email, at, device_token=other_token)
    refused(db_session, throttle, owner.email, at, device_token=forged)
    refused(db_session, throttle, owner.email, at, device_token="not a token")
    again = sign_in(db_session, throttle, owner.email, PASSWORD, at, device_token=token)
    assert again.device_token != token  # renewed: a year from now

    expired = t0 + timedelta(days=366)
    for n in range(FAILURES_PER_ADDRESS):
        fail(db_session, throttle, owner.email, expired + timedelta(seconds=n))
    refused(db_session, throttle, owner.email, expired + timedelta(seconds=10), device_token=token)


def test_a_known_device_counts_on_its_own_and_keeps_its_id(
    db_session: Session, throttle: LoginThrottle, t0: datetime
) -> None:
    owner = UserFactory()
    token = sign_in(db_session, throttle, owner.email, PASSWORD, t0).device_token
    for n in range(FAILURES_PER_DEVICE - 1):
        fail(db_session, throttle, owner.email, t0 + timedelta(seconds=n + 1), device_token=token)
    # the renewed token is the same device: its count carries on
    renewed = sign_in(db_session, throttle, owner.email, PASSWORD, t0, device_token=token)
    for n in range(FAILURES_PER_DEVICE):
        at = t0 + timedelta(seconds=20 + n)
        fail(db_session, throttle, owner.email, at, device_token=renewed.device_token)
    at = t0 + timedelta(seconds=40)
    assert refused(db_session, throttle, owner.email, at, device_token=token) >= 1
    # the address itself was never counted
    assert sign_in(db_session, throttle, owner.email, PASSWORD, at).user.id == owner.id


def test_clear_failures_forgets_every_address_of_the_account(
    db_session: Session, throttle: LoginThrottle, t0: datetime
) -> None:
    user: User = UserFactory(email="Hanako@Shizuoka.ac.jp")
    user.emails.append(EmailAddress(email="hanako@example.ac.jp", verified_at=t0))
    db_session.flush()
    for email in ("hanako@shizuoka.ac.jp", "hanako@example.ac.jp"):
        for n in range(FAILURES_PER_ADDRESS):
            fail(db_session, throttle, email, t0 + timedelta(seconds=n))
        refused(db_session, throttle, email, t0 + timedelta(seconds=10))
    with time_machine.travel(t0 + timedelta(seconds=11), tick=False):
        login_throttle.clear_failures(throttle, user)
    for email in ("HANAKO@shizuoka.ac.jp", "hanako@example.ac.jp"):
        assert sign_in(db_session, throttle, email, PASSWORD, t0 + timedelta(seconds=12)).user


@pytest.mark.skipif(not REDIS_URL, reason="WALLET_TEST_REDIS_URL not set (bin/test sets it)")
def test_two_web_nodes_on_redis_share_one_count(db_session: Session) -> None:
    prefix = f"wallet-test-{secrets.token_hex(4)}"
    storages = [RedisStorage(REDIS_URL, key_prefix=prefix) for _ in range(2)]
    nodes = [LoginThrottle(FixedWindowRateLimiter(storage), SECRET) for storage in storages]
    user = UserFactory()
    now = datetime.now(UTC)
    try:
        for n in range(FAILURES_PER_ADDRESS):  # alternate between the two nodes
            fail(db_session, nodes[n % 2], user.email, now)
        for node in nodes:
            assert refused(db_session, node, user.email, now) <= WINDOW_MINUTES
    finally:
        storages[0].reset()


def test_with_the_apps_rate_limits_off_nothing_is_counted(db_session: Session) -> None:
    off = LoginThrottle(limiter=None, secret=SECRET)
    user = UserFactory()
    now = datetime.now(UTC)
    for _ in range(FAILURES_PER_ADDRESS + 1):
        fail(db_session, off, user.email, now)
    signed_in = sign_in(db_session, off, user.email, PASSWORD, now)
    assert signed_in.device_token  # a known device all the same
    login_throttle.clear_failures(off, user)
