"""Keeping the wallet after graduation.

A student logs in with any of their verified addresses (``accounts.find_user_by_email``),
so the wallet outlives the university address as long as the account has another one.
When every verified address of an account is at the university's mail domains (the
issuer profile, ``mail_domains``), the wallet asks kindly to add a personal address,
through the usual add-address flow on the account page. "Later" puts the question off
until the next term; a verified personal address ends it for good.

Terms are the Japanese academic year's: April to September and October to March, in the
site's time zone (Asia/Tokyo), so the question comes back at most twice a year.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from wallet.models import User
from wallet.services.issuing import get_issuer
from wallet.services.mail_domains import is_at_domains

TERM_START_MONTHS = (4, 10)  # the first and second terms begin on 1 April and 1 October


def term_start(now: datetime, timezone: str) -> datetime:
    """When the term containing ``now`` began (midnight on 1 April or 1 October in
    ``timezone``), as a UTC moment. January to March belong to the term that began the
    October before."""
    local = now.astimezone(ZoneInfo(timezone))
    first, second = TERM_START_MONTHS
    if local.month >= second:
        year, month = local.year, second
    elif local.month >= first:
        year, month = local.year, first
    else:
        year, month = local.year - 1, second
    return datetime(year, month, 1, tzinfo=ZoneInfo(timezone)).astimezone(UTC)


def has_only_university_addresses(user: User, domains: list[str]) -> bool:
    """Whether every verified address of ``user`` is at the university's ``domains``;
    False when no domains are set (the wallet cannot tell, so it never asks)."""
    addresses = user.verified_emails or [user.email]
    return bool(domains) and all(is_at_domains(address, domains) for address in addresses)


def should_ask_for_personal_address(
    user: User, domains: list[str], now: datetime, timezone: str
) -> bool:
    """The rule: a student (not programme-office staff) whose verified addresses are all
    at ``domains``, and who has not answered "Later" since the current term began."""
    if user.is_staff or not has_only_university_addresses(user, domains):
        return False
    postponed = user.graduation_prompt_postponed_at
    return postponed is None or postponed < term_start(now, timezone)


def asks_for_personal_address(session: Session, user: User, now: datetime, timezone: str) -> bool:
    """Whether the wallet shows ``user`` the graduation prompt now (see the module)."""
    issuer = get_issuer(session)
    domains = list(issuer.mail_domains or []) if issuer is not None else []
    return should_ask_for_personal_address(user, domains, now, timezone)


def postpone_graduation_prompt(session: Session, user: User, now: datetime) -> None:
    """The student answered "Later": the prompt stays away until the next term begins."""
    user.graduation_prompt_postponed_at = now
    session.flush()
