"""Check any badge someone hands in: what the verify page ``/verify`` does.

A stranger (no account) gives an assertion URL or one of our share links, JSON or a
compact JWS, or a baked PNG or SVG image. ``check_badge`` reads what was given,
refuses what is not a badge with a typed error (``CheckInputError``, the view's
4xx), and verifies the rest through the registry of verifiers by format
(``openbadges.registry``), so Open Badges 3.0 and Blockcerts arrive here with no
change. The verdict is the share page's (``verifying.verdict_from_report``).

Where documents come from: this site's own ``/ob/...`` documents straight from
the database (``SiteFetcher``: never an HTTP request to ourselves), everything
else through the fetcher the caller passes (the app's safe fetcher). A share link
``/b/<share-id>`` stands for its award's assertion; a private or unknown one is
refused exactly like an address where nothing is found.

Results are kept briefly per assertion URL or per payload (``CheckCache``), so a
QR code scanned by a room full of people is verified about once a minute.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal
from urllib.parse import urlsplit

from sqlalchemy.orm import Session

from wallet import urls
from wallet.config import Settings
from wallet.openbadges import baking, signing
from wallet.openbadges.blockcerts import ChainReader
from wallet.openbadges.errors import BakingError
from wallet.openbadges.fetching import Fetcher, FetchResult
from wallet.openbadges.hashing import identity_matches
from wallet.openbadges.ob3.documents import Credential
from wallet.openbadges.registry import verify_any
from wallet.openbadges.report import Report
from wallet.openbadges.v2 import IdentityObject
from wallet.services import sharing, verifying
from wallet.services.errors import NotFoundError, ServiceError
from wallet.services.verifying import SiteFetcher, TimedCache, Verdict, verdict_from_report

InputKind = Literal["url", "text", "image"]

# Baked badge images are small; the safe fetcher's cap on a fetched answer is the same.
MAX_UPLOAD_BYTES = 2 * 1024 * 1024
# How long a result is reused: the longest a revocation can take to show here.
CHECK_TTL = timedelta(seconds=60)


class CheckInputError(ServiceError):
    """What was handed in is not a badge we can check; ``code`` says why (a fetch
    failure's ``cause`` when the given address gave no assertion), ``field`` where."""

    code = "not_an_assertion"


@dataclass(frozen=True)
class CheckedBadge:
    """What the verify page shows: the verdict, and what the badge says of itself.

    Texts come from the badge's own documents (untrusted, escaped on the page); any of
    them may be missing when verification stopped early (a badge revoked by a 410)."""

    verdict: Verdict
    format: str
    assertion_url: str = ""
    badge_name: str = ""
    badge_description: str = ""
    issuer_name: str = ""
    issuer_url: str = ""
    issued_on: datetime | None = None
    recipient: IdentityObject | None = None

    @property
    def checked_at(self) -> datetime:
        return self.verdict.checked_at


class CheckCache(TimedCache[CheckedBadge]):
    """Recent results in this process, keyed by assertion URL or payload hash."""

    def __init__(self, ttl: timedelta = CHECK_TTL, size: int = 1024) -> None:
        super().__init__(ttl, size)


class RoutingFetcher:
    """This site's documents from the database (``SiteFetcher``), others through
    ``remote``: a badge of ours is never fetched over HTTP from ourselves."""

    def __init__(self, site: SiteFetcher, remote: Fetcher) -> None:
        self.site = site
        self.remote = remote

    def __call__(self, url: str) -> FetchResult:
        if url.startswith(self.site.base_url + "/"):
            return self.site(url)
        return self.remote(url)


class RememberingFetcher:
    """Each URL fetched once per check: a URL is read to tell its format, then verified."""

    def __init__(self, fetcher: Fetcher) -> None:
        self.fetcher = fetcher
        self.answers: dict[str, FetchResult] = {}

    def __call__(self, url: str) -> FetchResult:
        if url not in self.answers:
            self.answers[url] = self.fetcher(url)
        return self.answers[url]


def check_badge(
    session: Session,
    given: str | bytes,
    kind: InputKind,
    *,
    base_url: str,
    remote: Fetcher,
    now: datetime,
    cache: CheckCache | None = None,
    chain: ChainReader | None = None,
    chain_key: tuple[str, bytes] | None = None,
    settings: Settings | None = None,
) -> CheckedBadge:
    """Verify what a person handed in: a URL, JSON or JWS text, or image bytes.

    ``CheckInputError`` (field ``url``, ``text`` or ``image``) when it is not a badge:
    no usable URL, not JSON, an image with no badge or with several, or an address
    that gives no assertion (the fetch failure's code, e.g. ``blocked_address``).
    """
    data = _read_input(session, given, kind, base_url)
    key = _cache_key(data)
    if cache is not None and (cached := cache.get(key, now)) is not None:
        return cached
    site = SiteFetcher(session, base_url, chain_key, settings)
    fetcher = RememberingFetcher(RoutingFetcher(site, remote))
    report = verify_any(
        data, fetcher, now=now, chain=chain, url_format=verifying.url_format(data, fetcher)
    )
    checked = _checked(report, now, kind)
    if cache is not None:
        expires = checked.verdict.expires_at
        changes = [expires] if expires is not None and expires > now else []
        cache.put(key, checked, min([now + cache.ttl, *changes]))
    return checked


def _read_input(
    session: Session, given: str | bytes, kind: InputKind, base_url: str
) -> str | bytes:
    if isinstance(given, bytes):
        if given.lstrip()[:1] == b"{":  # a downloaded credential file (Blockcerts, 3.0 JSON)
            try:
                return _read_input(session, given.decode("utf-8"), "text", base_url)
            except UnicodeDecodeError:
                raise CheckInputError("not_json", field="image") from None
        return _read_image(given)
    text = given.strip()
    if text.startswith(("http://", "https://")) or kind == "url":
        return _read_url(session, text, base_url, kind)
    if signing.is_jws(text):
        return text
    try:
        json.loads(text)
    except (ValueError, RecursionError):
        raise CheckInputError("not_json", field="text") from None
    return text


def _read_url(session: Session, url: str, base_url: str, field: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or any(c.isspace() for c in url):
        raise CheckInputError("bad_url", field=field)
    share_prefix = urls.shares_prefix(base_url)
    if url.startswith(share_prefix):
        share_id = url[len(share_prefix) :].split("?", 1)[0].split("#", 1)[0].rstrip("/")
        try:
            award = sharing.find_shared_award(session, share_id, None)
        except NotFoundError:
            # private or unknown: the same answer as an address with nothing there
            raise CheckInputError("http_404", field=field) from None
        return urls.assertion(base_url, award.public_id)
    return url


def _read_image(data: bytes) -> bytes:
    if len(data) > MAX_UPLOAD_BYTES:
        raise CheckInputError("upload_too_large", field="image", max_kb=MAX_UPLOAD_BYTES // 1024)
    try:
        baking.detect_format(data)
    except BakingError:
        raise CheckInputError("not_an_image", field="image") from None
    try:
        found = baking.extract_all(data)
    except BakingError:
        raise CheckInputError("image_damaged", field="image") from None
    if not found:
        raise CheckInputError("no_badge", field="image")
    if len(found) > 1:
        raise CheckInputError("several_badges", field="image", count=len(found))
    return data


def _cache_key(data: str | bytes) -> str:
    if isinstance(data, str) and data.startswith(("http://", "https://")):
        return "url:" + data
    raw = data if isinstance(data, bytes) else data.encode("utf-8")
    kind = "image" if isinstance(data, bytes) else "text"
    return f"{kind}:" + hashlib.sha256(raw).hexdigest()


def _checked(report: Report, now: datetime, field: str) -> CheckedBadge:
    unsupported = report.status_of("format.supported") == "fail"
    found = report.assertion is not None or report.credential is not None
    if not found and not report.is_revoked and not unsupported and not _malformed_ob3(report):
        raise _input_error(report, field)
    verdict = verdict_from_report(report, now)
    if isinstance(report.credential, Credential):  # Open Badges 3.0 (Blockcerts: a dict)
        return _checked_credential(report.credential, verdict, report.format)
    assertion, badge, issuer = report.assertion, report.badge, report.issuer
    return CheckedBadge(
        verdict=verdict,
        format=report.format,
        assertion_url=assertion.id if assertion else "",
        badge_name=badge.name if badge else "",
        badge_description=badge.description if badge else "",
        issuer_name=issuer.name if issuer else "",
        issuer_url=issuer.url if issuer else "",
        issued_on=assertion.issued_on if assertion else report.issued_on,
        recipient=assertion.recipient if assertion else None,
    )


_OB3_FORM = ("context.bundled", "schema.valid", "credential.parsed")


def _malformed_ob3(report: Report) -> bool:
    """A 3.0 credential was recognised but is malformed: the verdict says why, check by
    check, rather than "not a badge"."""
    return report.format == "ob3" and any(report.status_of(code) == "fail" for code in _OB3_FORM)


def _checked_credential(credential: Credential, verdict: Verdict, format: str) -> CheckedBadge:
    """What an Open Badges 3.0 credential says of itself (its id is shown as the record)."""
    achievement = credential.subject.achievement
    identifier = next(iter(credential.subject.identifier), None)
    recipient = None
    if identifier is not None and identifier.identity_type == "emailAddress":
        recipient = IdentityObject(
            identity=identifier.identity_hash,
            type="email",
            hashed=identifier.hashed,
            salt=identifier.salt,
        )
    return CheckedBadge(
        verdict=verdict,
        format=format,
        assertion_url=credential.id if credential.id.startswith(("https://", "http://")) else "",
        badge_name=achievement.name,
        badge_description=achievement.description,
        issuer_name=credential.issuer.name or "",
        issuer_url=credential.issuer.url or "",
        issued_on=credential.awarded_date or credential.valid_from,
        recipient=recipient,
    )


def _input_error(report: Report, field: str) -> CheckInputError:
    """Why the given input led to no assertion: the first failure's fetch cause, or
    what was found instead of an assertion."""
    failure = report.failures[0] if report.failures else None
    if failure is None:
        return CheckInputError("not_an_assertion", field=field)
    if failure.cause or failure.code.endswith(".fetched"):
        return CheckInputError(failure.cause or "connect_failed", field=field)
    if failure.code == "image.extracted":
        return CheckInputError("image_damaged", field=field)
    if failure.code == "input.recognised" and field == "text":
        return CheckInputError("not_json", field=field)
    return CheckInputError("not_an_assertion", field=field)


def recipient_matches(identity: str, salt: str, email: str) -> bool:
    """Whether ``email`` is the recipient whose identity the result page showed
    (``sha256$...`` with its salt, or a plain address): the no-script recipient check.
    The address is hashed here and forgotten, never stored or logged."""
    hashed = "$" in identity
    recipient = IdentityObject(identity=identity, type="email", hashed=hashed, salt=salt or None)
    return identity_matches(recipient, [email])
