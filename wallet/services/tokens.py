"""Mailed secrets: random, stored hashed, single-use, expiring."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from wallet.db import utcnow
from wallet.models import Token, TokenPurpose
from wallet.security import hash_token, new_token
from wallet.services.errors import TokenInvalidError


def issue_token(
    session: Session,
    *,
    purpose: TokenPurpose,
    email: str,
    lifetime: timedelta,
    user_id: int | None = None,
    award_id: int | None = None,
    now: datetime | None = None,
) -> str:
    """Store the hash of a new token and return the token itself (to be mailed)."""
    raw = new_token()
    session.add(
        Token(
            purpose=purpose,
            token_hash=hash_token(raw),
            email=email,
            user_id=user_id,
            award_id=award_id,
            expires_at=(now or utcnow()) + lifetime,
        )
    )
    session.flush()
    return raw


def find_token(
    session: Session, raw: str, purpose: TokenPurpose, now: datetime | None = None
) -> Token:
    """The usable token for ``raw``; ``TokenInvalidError`` if unknown, used or expired."""
    if not raw or len(raw) > 128:
        raise TokenInvalidError()
    token = session.scalar(
        select(Token).where(Token.token_hash == hash_token(raw), Token.purpose == purpose)
    )
    if token is None or not token.is_usable(now or utcnow()):
        raise TokenInvalidError()
    return token


def consume_token(
    session: Session, raw: str, purpose: TokenPurpose, now: datetime | None = None
) -> Token:
    """Like ``find_token`` but marks it used, so a replay fails."""
    return spend_token(session, find_token(session, raw, purpose, now), now)


def spend_token(session: Session, token: Token, now: datetime | None = None) -> Token:
    """Mark a token that ``find_token`` returned used, so a replay fails."""
    token.used_at = now or utcnow()
    session.flush()
    return token
