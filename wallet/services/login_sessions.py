"""Logged-in browsers as rows: listed on the account page, ended by logging out.

The session cookie (and the remember-me cookie) carry a random key; the row
keeps only its hash. A key is good while its row is not ended and has been used
recently enough: 24 hours for a plain login, 30 days with "remember me".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from sqlalchemy import select
from sqlalchemy.orm import Session
from ua_parser import parse as parse_user_agent

from wallet.models import LoginSession, User
from wallet.security import hash_token, new_token
from wallet.services.errors import NotFoundError

IDLE_LIFETIME = timedelta(hours=24)
REMEMBERED_IDLE_LIFETIME = timedelta(days=30)
# last_seen_at is written at most this often: not one write per request
TOUCH_EVERY = timedelta(minutes=5)
USER_AGENT_MAX = 400


def _idle_lifetime(record: LoginSession) -> timedelta:
    return REMEMBERED_IDLE_LIFETIME if record.remember else IDLE_LIFETIME


def start_session(
    session: Session,
    user: User,
    *,
    remember: bool,
    user_agent: str,
    client_address: str,
    now: datetime,
) -> tuple[LoginSession, str]:
    """Record a new logged-in browser for ``user``; returns it and the key for its cookie."""
    key = new_token()
    record = LoginSession(
        user_id=user.id,
        key_hash=hash_token(key),
        remember=remember,
        user_agent=user_agent[:USER_AGENT_MAX],
        client_address=client_address[:64],
        created_at=now,
        last_seen_at=now,
    )
    session.add(record)
    session.flush()
    return record, key


def find_session(session: Session, key: str, now: datetime) -> LoginSession | None:
    """The live session a cookie's key belongs to, or None (unknown, ended or idle too long)."""
    if not key or len(key) > 128:
        return None
    record = session.scalar(select(LoginSession).where(LoginSession.key_hash == hash_token(key)))
    if record is None or record.is_ended or now - record.last_seen_at > _idle_lifetime(record):
        return None
    return record


def touch_session(
    session: Session, record: LoginSession, client_address: str, now: datetime
) -> bool:
    """Note that the browser is still in use (at most every few minutes); True if written."""
    if now - record.last_seen_at < TOUCH_EVERY and record.client_address == client_address[:64]:
        return False
    record.last_seen_at = now
    record.client_address = client_address[:64]
    session.flush()
    return True


def rotate_key(session: Session, record: LoginSession, now: datetime) -> str:
    """A new key for the same session (a remember-me cookie was just used); the old one dies."""
    key = new_token()
    record.key_hash = hash_token(key)
    record.last_seen_at = now
    session.flush()
    return key


def end_session(session: Session, record: LoginSession, now: datetime) -> None:
    """Log this browser out: its cookies stop working wherever they are replayed."""
    if record.ended_at is None:
        record.ended_at = now
    session.flush()


def end_session_of(session: Session, user: User, session_id: int, now: datetime) -> None:
    """End one of ``user``'s sessions from the account page; someone else's is not found."""
    record = session.get(LoginSession, session_id)
    if record is None or record.user_id != user.id or record.is_ended:
        raise NotFoundError()
    end_session(session, record, now)


def end_all_sessions(
    session: Session, user: User, now: datetime, *, keep: LoginSession | None = None
) -> int:
    """End every session of ``user`` (but ``keep``); returns how many were ended."""
    records = session.scalars(
        select(LoginSession).where(LoginSession.user_id == user.id, LoginSession.ended_at.is_(None))
    ).all()
    ended = [r for r in records if keep is None or r.id != keep.id]
    for record in ended:
        record.ended_at = now
    session.flush()
    return len(ended)


@dataclass(frozen=True)
class ActiveSession:
    id: int
    browser: str
    system: str
    device: str
    client_address: str
    created_at: datetime
    last_seen_at: datetime
    is_current: bool


def active_sessions(
    session: Session, user: User, now: datetime, current: LoginSession | None
) -> list[ActiveSession]:
    """``user``'s live sessions, the current one first, then the most recently used."""
    records = session.scalars(
        select(LoginSession)
        .where(LoginSession.user_id == user.id, LoginSession.ended_at.is_(None))
        .order_by(LoginSession.last_seen_at.desc(), LoginSession.id.desc())
    )
    live = [r for r in records if now - r.last_seen_at <= _idle_lifetime(r)]
    current_id = current.id if current is not None else None
    live.sort(key=lambda r: r.id != current_id)
    return [
        ActiveSession(
            id=r.id,
            client_address=r.client_address,
            created_at=r.created_at,
            last_seen_at=r.last_seen_at,
            is_current=r.id == current_id,
            **describe_user_agent(r.user_agent),
        )
        for r in live
    ]


@lru_cache(maxsize=512)
def describe_user_agent(user_agent: str) -> dict[str, str]:
    """Browser, system and device in words ("Mobile Safari 17", "iOS 17.1", "iPhone");
    an empty string where the User-Agent does not say."""
    parsed = parse_user_agent(user_agent) if user_agent else None
    browser = system = device = ""
    if parsed is not None and parsed.user_agent is not None:
        browser = " ".join(p for p in (parsed.user_agent.family, parsed.user_agent.major) if p)
    if parsed is not None and parsed.os is not None:
        version = ".".join(p for p in (parsed.os.major, parsed.os.minor) if p)
        system = " ".join(p for p in (parsed.os.family, version) if p)
    if parsed is not None and parsed.device is not None and parsed.device.family != "Other":
        device = parsed.device.family
    return {
        "browser": "" if browser.startswith("Other") else browser,
        "system": "" if system.startswith("Other") else system,
        "device": device,
    }
