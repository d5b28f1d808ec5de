"""Slowing down password guessing against one account, from any number of client addresses.

The per-client limit on ``/login`` stops one machine; it does not stop twelve
machines trying one student's address. This module counts failed logins per
address typed, whoever types it, and refuses further attempts for that address
(without checking the password) once there have been too many.

A refusal alone would let a stranger lock a student out by typing wrong
passwords on purpose. So a browser that has logged in to the account before
carries a signed *known-device* token (the view keeps it in a cookie); attempts
with a valid token for the account typed are counted per device instead, and
the address's lock does not apply to them. A successful password reset clears
the address's failures too, so "set a new password" always opens the door
at once.

The counters live in the rate-limit storage (memory in development and tests,
Redis in production): every web node sees the same counts and they expire by
themselves. The caller passes the storage's strategy in (``limits``'
``RateLimiter``: Flask-Limiter's ``limiter.limiter``), so nothing here imports
Flask. Keys are HMACs of the normalised address under the app secret, known
and unknown addresses alike: the storage never holds an address, and nothing
the student sees tells whether an account exists (same refusal, same page; the
only difference is a mail to the account holder, which only they can read).
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from itsdangerous import BadSignature, URLSafeTimedSerializer
from limits import RateLimitItem, RateLimitItemPerHour, RateLimitItemPerMinute
from limits.strategies import RateLimiter
from sqlalchemy.orm import Session

from wallet import urls
from wallet.models import User
from wallet.openbadges.hashing import normalise_email
from wallet.services.accounts import LoginFailedError, find_user_by_email
from wallet.services.claims import SignIn
from wallet.services.claims import sign_in as check_and_sign_in
from wallet.services.errors import ServiceError
from wallet.services.outbox import queue_mail

# Five wrong passwords in a row is more than a student mistyping (they usually get
# it on the second or third try, or use "forgot your password"), and few enough
# that guessing stays hopeless: with the common-password list refused at
# registration, 5 guesses per 15 minutes is under 500 a day per address.
FAILURES_PER_ADDRESS = 5
# A known device is the student's own phone or laptop: more room for typos, yet
# still a limit, in case the device is shared or lost.
FAILURES_PER_DEVICE = 10
# How far back failures count, and so the longest a lock can last: the window
# starts at a counted failure and refused attempts are never counted, so no
# lock outlives the last counted failure by more than this.
WINDOW_MINUTES = 15
# Tell the holder when a lock engages, but at most once an hour, so a
# sustained attack does not flood their mailbox.
NOTICES_PER_HOUR = 1
# A known device stays known this long after its last successful login.
DEVICE_LIFETIME = timedelta(days=365)

_NAMESPACE = "WALLET-LOGIN"
_PER_ADDRESS = RateLimitItemPerMinute(FAILURES_PER_ADDRESS, WINDOW_MINUTES, namespace=_NAMESPACE)
_PER_DEVICE = RateLimitItemPerMinute(FAILURES_PER_DEVICE, WINDOW_MINUTES, namespace=_NAMESPACE)
_NOTICES = RateLimitItemPerHour(NOTICES_PER_HOUR, namespace=_NAMESPACE)
_DEVICE_SALT = "wallet.known-device"


class LoginThrottledError(ServiceError):
    """Too many failed logins for this address (or device): wait, or reset the password."""

    code = "login_throttled"

    def __init__(self, minutes: int) -> None:
        super().__init__(minutes=minutes)
        self.minutes = minutes


@dataclass(frozen=True)
class LoginThrottle:
    """Where the counts live (``limiter``) and the secret that keys and signs them.

    ``limiter`` is None when the app's rate limits are switched off (the browser
    tests do that): then nothing is counted and nothing is refused.
    """

    limiter: RateLimiter | None
    secret: str


@dataclass(frozen=True)
class Attempt:
    """One press of "Log in": what was typed and where it came from."""

    email: str
    password: str
    client_address: str  # for the notice mail
    device_token: str = ""  # the known-device token the browser sent, if any


@dataclass(frozen=True)
class SignedIn(SignIn):
    device_token: str  # the browser is a known device from now on


@dataclass(frozen=True)
class _Counter:
    """The count an attempt falls under: the address typed, or a known device."""

    item: RateLimitItem
    key: str
    user_id: int | None = None  # known for a device; looked up for an address when needed


def sign_in(
    session: Session,
    throttle: LoginThrottle,
    attempt: Attempt,
    *,
    base_url: str,
    now: datetime,
) -> SignedIn:
    """Log in as ``claims.sign_in`` does, unless the address (or device) is locked.

    Raises ``LoginThrottledError`` without checking the password while locked;
    otherwise whatever ``claims.sign_in`` raises. A wrong password (or unknown
    address) is counted; the failure that engages the lock queues a notice to
    the account holder. A success clears the count it was under.
    """
    email = normalise_email(attempt.email)
    limiter = throttle.limiter
    if limiter is None:
        result = check_and_sign_in(session, email, attempt.password, base_url, now)
    else:
        counter = _counter_for(session, throttle, email, attempt.device_token)
        if not limiter.test(counter.item, counter.key):
            raise LoginThrottledError(_minutes_left(limiter, counter, now))
        try:
            result = check_and_sign_in(session, email, attempt.password, base_url, now)
        except LoginFailedError:
            _count_failure(session, limiter, counter, email, attempt, base_url, now)
            raise
        # A success from a known device leaves the address's count alone: those
        # failures are most likely someone else's.
        limiter.clear(counter.item, counter.key)
    return SignedIn(
        user=result.user,
        accepted=result.accepted,
        device_token=_device_token(throttle, result.user.id, attempt.device_token),
    )


def clear_failures(throttle: LoginThrottle, user: User) -> None:
    """Forget the failed logins for each of ``user``'s addresses (after a password reset)."""
    if throttle.limiter is None:
        return
    for email in {normalise_email(user.email), *user.verified_emails}:
        throttle.limiter.clear(_PER_ADDRESS, _address_key(throttle, email))


def _address_key(throttle: LoginThrottle, email: str) -> str:
    digest = hmac.new(throttle.secret.encode(), email.encode(), hashlib.sha256).hexdigest()
    return f"address/{digest}"


def _counter_for(
    session: Session, throttle: LoginThrottle, email: str, device_token: str
) -> _Counter:
    device = _read_device_token(throttle, device_token)
    if device is not None:
        user_id, device_id = device
        # only a token issued to the account typed counts: the owner's browser
        owner = find_user_by_email(session, email)
        if owner is not None and owner.id == user_id:
            return _Counter(_PER_DEVICE, f"device/{user_id}/{device_id}", user_id)
    return _Counter(_PER_ADDRESS, _address_key(throttle, email))


def _minutes_left(limiter: RateLimiter, counter: _Counter, now: datetime) -> int:
    """Whole minutes until the lock frees, rounded up; never more than the window."""
    reset_at = limiter.get_window_stats(counter.item, counter.key).reset_time
    minutes = math.ceil((reset_at - now.timestamp()) / 60)
    return min(max(minutes, 1), WINDOW_MINUTES)


def _count_failure(
    session: Session,
    limiter: RateLimiter,
    counter: _Counter,
    email: str,
    attempt: Attempt,
    base_url: str,
    now: datetime,
) -> None:
    """Count one failure; when it is the one that engages the lock, tell the holder."""
    counted = limiter.hit(counter.item, counter.key)
    if not counted or limiter.test(counter.item, counter.key):
        return  # not locked yet, or another request engaged the lock just now
    user = session.get(User, counter.user_id) if counter.user_id else None
    if user is None:
        user = find_user_by_email(session, email)
    if user is None:
        return  # an unknown address: nobody to tell, and the answer is the same
    if not limiter.hit(_NOTICES, f"notice/{user.id}"):
        return
    queue_mail(
        session,
        template="login_throttled",
        to_email=user.email,
        locale=user.locale,
        context={
            "recipient_name": user.name,
            "attempts": counter.item.amount,
            "attempted_at": now.isoformat(),
            "client_address": attempt.client_address,
            "minutes": WINDOW_MINUTES,
            "reset_url": urls.password_reset(base_url),
        },
    )


def _serializer(throttle: LoginThrottle) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(throttle.secret, salt=_DEVICE_SALT)


def _read_device_token(throttle: LoginThrottle, token: str) -> tuple[int, str] | None:
    """(account id, device id) of a valid, unexpired token; None for anything else."""
    if not token:
        return None
    try:
        payload = _serializer(throttle).loads(token, max_age=int(DEVICE_LIFETIME.total_seconds()))
    except BadSignature:
        return None
    match payload:
        case [int() as user_id, str() as device_id]:
            return user_id, device_id
    return None


def _device_token(throttle: LoginThrottle, user_id: int, previous: str) -> str:
    """A fresh token for ``user_id``; the same device id if the browser already had one."""
    device = _read_device_token(throttle, previous)
    device_id = device[1] if device and device[0] == user_id else secrets.token_urlsafe(16)
    return str(_serializer(throttle).dumps([user_id, device_id]))
