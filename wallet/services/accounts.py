"""Student accounts: login, activation, reset, names, addresses.

Every function takes the session and plain values, flushes and never commits.
Nothing here says whether an address has an account unless the caller has
proven it (a mailed token or the right password): the mail-sending functions
answer the same way for known and unknown addresses.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select, union_all
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from wallet import urls
from wallet.models import EmailAddress, Token, TokenPurpose, User
from wallet.openbadges.hashing import normalise_email
from wallet.security import hash_password, needs_rehash, verify_password
from wallet.services.errors import ServiceError, TokenInvalidError, ValidationError
from wallet.services.login_sessions import end_all_sessions
from wallet.services.outbox import address_limit_reached, queue_mail
from wallet.services.passwords import check_password
from wallet.services.text import TextTooLongError, clean_text
from wallet.services.tokens import consume_token, find_token, issue_token, spend_token

NAME_MAX = 200
ACTIVATION_LIFETIME = timedelta(hours=24)
RESET_LIFETIME = timedelta(hours=1)
ADD_EMAIL_LIFETIME = timedelta(hours=24)


class LoginFailedError(ServiceError):
    """Unknown address or wrong password: deliberately one error for both."""

    code = "login_failed"


class AccountInactiveError(ServiceError):
    """The password was right but the account has not been activated yet."""

    code = "account_inactive"


class AccountDeactivatedError(ServiceError):
    """The password was right but an administrator has turned the (staff) account off."""

    code = "account_deactivated"


class AccountExistsError(ServiceError):
    code = "account_exists"


class WrongPasswordError(ValidationError):
    code = "wrong_password"


class NameInvalidError(ValidationError):
    code = "name_invalid"


def clean_name(name: str) -> str:
    """The name as others will see it (``clean_text``: NFC, no hidden characters),
    its spaces, full-width ones included, collapsed; refuses an empty result."""
    cleaned = " ".join(clean_text(name, field="name").replace("\u3000", " ").split())
    if not cleaned:
        raise NameInvalidError(field="name")
    if len(cleaned) > NAME_MAX:
        raise TextTooLongError(field="name", max_len=NAME_MAX)
    return cleaned


def find_user_by_email(session: Session, email: str) -> User | None:
    """The account that owns ``email`` (its login address or a verified address)."""
    email = normalise_email(email)
    user = session.scalar(select(User).where(func.lower(User.email) == email))
    if user is not None:
        return user
    return session.scalar(
        select(User)
        .join(EmailAddress, EmailAddress.user_id == User.id)
        .where(EmailAddress.email == email, EmailAddress.verified_at.is_not(None))
    )


def owner_locales(session: Session, emails: list[str]) -> dict[str, str]:
    """The language of the account owning each of ``emails`` that has one, in one query.

    Owning means what ``find_user_by_email`` means: the login address or a
    verified one. ``emails`` must be normalised.
    """
    if not emails:
        return {}
    owned = union_all(
        select(func.lower(User.email).label("email"), User.id.label("user_id")),
        select(EmailAddress.email, EmailAddress.user_id).where(
            EmailAddress.verified_at.is_not(None)
        ),
    ).subquery()
    rows = session.execute(
        select(owned.c.email, User.locale)
        .join(User, User.id == owned.c.user_id)
        .where(owned.c.email.in_(emails))
    )
    return {email: locale for email, locale in rows}


@dataclass(frozen=True)
class _LinkMail:
    """A mail whose link carries a single-use token for ``user``."""

    purpose: TokenPurpose
    lifetime: timedelta
    template: str
    link_name: str  # the template's name for the link
    url: Callable[[str, str], str]  # (base URL, raw token) -> the link


_ACTIVATION = _LinkMail(
    TokenPurpose.ACTIVATE, ACTIVATION_LIFETIME, "activation", "activate_url", urls.activate
)
_RESET = _LinkMail(
    TokenPurpose.RESET, RESET_LIFETIME, "password_reset", "reset_url", urls.password_reset
)
_ADD_EMAIL = _LinkMail(
    TokenPurpose.ADD_EMAIL,
    ADD_EMAIL_LIFETIME,
    "add_email",
    "verify_url",
    urls.verify_added_email,
)


def _mail_link(
    session: Session,
    mail: _LinkMail,
    user: User,
    *,
    to_email: str,
    locale: str,
    base_url: str,
    now: datetime,
    **context: object,
) -> None:
    """Issue ``mail``'s token for ``user`` and queue the mail that carries it."""
    raw = issue_token(
        session,
        purpose=mail.purpose,
        email=to_email,
        lifetime=mail.lifetime,
        user_id=user.id,
        now=now,
    )
    queue_mail(
        session,
        template=mail.template,
        to_email=to_email,
        locale=locale,
        context={
            "recipient_name": user.name,
            mail.link_name: mail.url(base_url, raw),
            **context,
        },
    )


def queue_activation(session: Session, user: User, base_url: str, now: datetime) -> None:
    """Mail ``user`` a fresh activation link."""
    _mail_link(
        session,
        _ACTIVATION,
        user,
        to_email=user.email,
        locale=user.locale,
        base_url=base_url,
        now=now,
        hours=int(ACTIVATION_LIFETIME.total_seconds() // 3600),
    )


def create_account(
    session: Session,
    *,
    email: str,
    name: str,
    password: str,
    locale: str,
    terms_version: str,
    terms_accepted_at: datetime,
    base_url: str,
    now: datetime,
) -> User:
    """A new, not yet activated account whose address is already proven; mails activation."""
    email = normalise_email(email)
    name = clean_name(name)
    check_password(password, email)
    if find_user_by_email(session, email) is not None:
        raise AccountExistsError()
    user = User(
        email=email,
        name=name,
        password_hash=hash_password(password),
        locale=locale,
        terms_version=terms_version,
        terms_accepted_at=terms_accepted_at,
        created_at=now,
    )
    user.emails.append(EmailAddress(email=email, verified_at=now, created_at=now))
    try:
        with session.begin_nested():
            session.add(user)
            session.flush()
    except IntegrityError as error:  # the same form submitted twice at once
        raise AccountExistsError() from error
    # queued outside the savepoint: its release must not count as "the mail is committed"
    queue_activation(session, user, base_url, now)
    return user


def activate_account(session: Session, raw_token: str, now: datetime) -> User:
    """Spend an activation token; the account can log in from now on."""
    token = consume_token(session, raw_token, TokenPurpose.ACTIVATE, now)
    user = _token_user(session, token)
    if user.activated_at is None:
        user.activated_at = now
    session.flush()
    return user


def resend_activation(session: Session, email: str, base_url: str, now: datetime) -> None:
    """Mail a fresh activation link if ``email`` has an account waiting for it; silent otherwise."""
    user = find_user_by_email(session, email)
    if user is not None:
        send_activation_again(session, user, base_url, now)


def send_activation_again(session: Session, user: User, base_url: str, now: datetime) -> None:
    """A fresh activation link for ``user`` if still inactive, unless the address has
    had its share of activation mails lately."""
    if user.is_activated:
        return
    if not address_limit_reached(session, user.email, (_ACTIVATION.template,), now):
        queue_activation(session, user, base_url, now)


def log_in(session: Session, email: str, password: str) -> User:
    """Check the credentials; rehash the password when the parameters changed.

    Unknown addresses cost the same argon2 work as known ones.
    """
    user = find_user_by_email(session, email)
    if not verify_password(user.password_hash if user else None, password) or user is None:
        raise LoginFailedError()
    if not user.is_activated:
        raise AccountInactiveError()
    if user.is_deactivated:
        raise AccountDeactivatedError()
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    session.flush()
    return user


def request_password_reset(
    session: Session, email: str, locale: str, base_url: str, now: datetime
) -> None:
    """Mail a reset link when ``email`` has an account; silent otherwise.

    Also silent once the account's address had its share of reset mails.
    """
    user = find_user_by_email(session, email)
    if user is None or address_limit_reached(session, user.email, (_RESET.template,), now):
        return
    _mail_link(
        session,
        _RESET,
        user,
        to_email=user.email,
        locale=user.locale or locale,
        base_url=base_url,
        now=now,
        minutes=int(RESET_LIFETIME.total_seconds() // 60),
    )


def check_token(session: Session, raw_token: str, purpose: TokenPurpose, now: datetime) -> None:
    """Raise ``TokenInvalidError`` unless the link is still usable (nothing is spent)."""
    find_token(session, raw_token, purpose, now)


def check_add_email_token(session: Session, user: User, raw_token: str, now: datetime) -> str:
    """The address an add-address link would verify for ``user``."""
    return _add_email_token(session, user, raw_token, now).email


def _add_email_token(session: Session, user: User, raw_token: str, now: datetime) -> Token:
    token = find_token(session, raw_token, TokenPurpose.ADD_EMAIL, now)
    if token.user_id != user.id:
        raise TokenInvalidError()
    return token


def _token_user(session: Session, token: Token) -> User:
    """The account a mailed token was issued to; ``TokenInvalidError`` if it is gone."""
    user = session.get(User, token.user_id) if token.user_id else None
    if user is None:
        raise TokenInvalidError()
    return user


def reset_password(session: Session, raw_token: str, password: str, now: datetime) -> User:
    """Set a new password from a reset link; ends every session; the link proves the address."""
    token = find_token(session, raw_token, TokenPurpose.RESET, now)
    user = _token_user(session, token)
    check_password(password, user.email)
    spend_token(session, token, now)
    _set_password(session, user, password, now)
    if user.activated_at is None:
        user.activated_at = now
    session.flush()
    return user


def _set_password(session: Session, user: User, password: str, now: datetime) -> None:
    """A new password ends every login session: whoever knew the old one is out."""
    user.password_hash = hash_password(password)
    end_all_sessions(session, user, now)


def change_password(session: Session, user: User, current: str, new: str, now: datetime) -> None:
    """Needs the current password; every session and remember-me cookie stops working
    (the caller starts a new one for the browser that made the change)."""
    if not verify_password(user.password_hash, current):
        raise WrongPasswordError(field="current_password")
    check_password(new, user.email)
    _set_password(session, user, new, now)
    session.flush()


def change_name(session: Session, user: User, name: str) -> None:
    user.name = clean_name(name)
    session.flush()


def set_locale(session: Session, user: User, locale: str, allowed: tuple[str, ...]) -> None:
    if locale not in allowed:
        raise ValidationError(field="locale")
    user.locale = locale
    session.flush()


def request_add_email(
    session: Session, user: User, email: str, base_url: str, now: datetime
) -> None:
    """Mail a verification link to ``email`` for ``user``.

    Nothing is sent if the address already belongs to someone, or had its share
    of confirmation mails; the student's answer is the same either way.
    """
    email = normalise_email(email)
    if email in user.verified_emails or find_user_by_email(session, email) is not None:
        return
    if address_limit_reached(session, email, (_ADD_EMAIL.template,), now):
        return
    _mail_link(
        session,
        _ADD_EMAIL,
        user,
        to_email=email,
        locale=user.locale,
        base_url=base_url,
        now=now,
        hours=int(ADD_EMAIL_LIFETIME.total_seconds() // 3600),
    )


def verify_added_email(session: Session, user: User, raw_token: str, now: datetime) -> str:
    """Spend an add-address token issued to ``user``; returns the verified address."""
    token = _add_email_token(session, user, raw_token, now)
    attach_email(session, user, token.email, now)
    spend_token(session, token, now)
    return token.email


def attach_email(session: Session, user: User, email: str, now: datetime) -> None:
    """Record a proven address on ``user``; refuses one that another account owns."""
    email = normalise_email(email)
    owner = find_user_by_email(session, email)
    if owner is not None and owner.id != user.id:
        raise AccountExistsError(field="email")
    existing = session.scalar(select(EmailAddress).where(EmailAddress.email == email))
    if existing is None:
        user.emails.append(EmailAddress(email=email, verified_at=now, created_at=now))
    elif existing.user_id == user.id and existing.verified_at is None:
        existing.verified_at = now
    session.flush()


@dataclass(frozen=True)
class AccountSummary:
    user: User
    emails: list[EmailAddress]


def account_summary(session: Session, user: User) -> AccountSummary:
    emails = list(
        session.scalars(
            select(EmailAddress)
            .where(
                EmailAddress.user_id == user.id,
                or_(EmailAddress.verified_at.is_not(None), EmailAddress.email == user.email),
            )
            .order_by(EmailAddress.id)
        )
    )
    return AccountSummary(user=user, emails=emails)
