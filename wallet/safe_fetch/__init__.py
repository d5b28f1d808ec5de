"""The safe fetcher: how the wallet GETs a URL someone typed or a badge names.

`fetcher_for(settings)` is the one the app uses; docs/fetching.md says what it refuses and
why. Modules: `reasons` (the codes of `FetchError`), `addresses` (which addresses are
public, how hosts spell them), `targets` (reading a URL), `connection` (one exchange with
one address, under a deadline), `client` (`SafeFetcher`: resolving, checking, redirects).
"""

from __future__ import annotations

from wallet.config import Settings
from wallet.safe_fetch.client import (
    BADGE_TYPES,
    DOCUMENT_TYPES,
    IMAGE_TYPES,
    USER_AGENT,
    Limits,
    Resolver,
    SafeFetcher,
    StaticResolver,
    system_resolver,
)
from wallet.safe_fetch.reasons import Reason

__all__ = [
    "BADGE_TYPES",
    "DOCUMENT_TYPES",
    "IMAGE_TYPES",
    "Limits",
    "Reason",
    "Resolver",
    "SafeFetcher",
    "StaticResolver",
    "fetcher_for",
    "system_resolver",
]


def fetcher_for(settings: Settings) -> SafeFetcher:
    """The app's fetcher: the system's resolver, the configured ports, no allow-list."""
    return SafeFetcher(
        resolver=system_resolver,
        ports=settings.fetch_ports,
        user_agent=f"{USER_AGENT} +{settings.base_url}",
    )
