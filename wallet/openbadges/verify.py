"""Verify hosted, signed and baked Open Badges 2.0 assertions, as the 1EdTech validator does.

Unlike validator-core 1.1.2 this verifier also reports a hosted assertion answering 410 or
carrying `"revoked": true` as revoked, reads single-entry revocation lists, checks the badge
image's HTTP status, content type and bytes, and compares a baked copy with the hosted one.
The network is reached only through the `fetcher` passed in.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar
from urllib.parse import urlsplit

from wallet.openbadges import baking, signing
from wallet.openbadges.errors import DocumentError, OpenBadgesError
from wallet.openbadges.fetching import Fetcher, FetchError, FetchResult, json_body
from wallet.openbadges.hashing import identity_matches
from wallet.openbadges.report import Report
from wallet.openbadges.v2 import (
    Assertion,
    BadgeClass,
    CryptographicKey,
    Profile,
    RevocationList,
    image_url,
)

CLOCK_SKEW = timedelta(minutes=5)
IMAGE_TYPES = ("image/png", "image/svg+xml")

D = TypeVar("D", Assertion, BadgeClass, Profile, RevocationList, CryptographicKey)


@dataclass(frozen=True)
class _Options:
    fetcher: Fetcher
    recipients: tuple[str, ...]
    now: datetime
    check_image: bool


def verify(
    data: str | bytes,
    fetcher: Fetcher,
    *,
    recipients: Iterable[str] = (),
    now: datetime | None = None,
    check_image: bool = True,
) -> Report:
    """Verify whatever the user has: a hosted URL, a JWS, assertion JSON, or a baked image.

    `recipients` are candidate identities (e.g. the user's verified emails); without any the
    recipient is not checked. `now` defaults to the current time (UTC).
    """
    options = _Options(fetcher, tuple(recipients), now or datetime.now(UTC), check_image)
    report = Report()
    if isinstance(data, bytes | bytearray):
        try:
            extracted = baking.extract_details(bytes(data))
        except OpenBadgesError as error:
            report.failed("image.extracted", str(error))
            return report
        report.passed("image.extracted", extracted.format)
        text = extracted.verify if extracted.verify and signing.is_jws(extracted.verify) else None
        report.baked_payload = extracted.payload
        _verify_text(text or extracted.payload, report, options)
        return report
    _verify_text(data, report, options)
    return report


def verify_hosted(url: str, fetcher: Fetcher, **kwargs: Any) -> Report:
    """Verify the hosted assertion at `url`."""
    return verify(url, fetcher, **kwargs)


def verify_signed(jws: str, fetcher: Fetcher, **kwargs: Any) -> Report:
    """Verify a signed assertion (JWS compact serialisation)."""
    return verify(jws, fetcher, **kwargs)


def verify_baked(image: bytes, fetcher: Fetcher, **kwargs: Any) -> Report:
    """Verify the assertion baked into a PNG or SVG image."""
    return verify(bytes(image), fetcher, **kwargs)


def _verify_text(text: str, report: Report, options: _Options) -> None:
    text = text.strip()
    if signing.is_jws(text):
        report.passed("input.recognised", "signed")
        _verify_signed(text, report, options)
    elif text.startswith(("http://", "https://")):
        report.passed("input.recognised", "hosted")
        _verify_hosted(text, None, report, options)
    elif text.startswith("{"):
        _verify_json(text, report, options)
    else:
        report.failed("input.recognised", "not a URL, a JWS or assertion JSON")


def _verify_json(text: str, report: Report, options: _Options) -> None:
    """Assertion JSON at hand: its id (or 1.0 `verify.url`) says where to fetch the original."""
    try:
        document = json.loads(text)
        copy = Assertion.from_json(document)
    except (ValueError, RecursionError):
        report.failed("input.recognised", "not JSON")
        return
    except DocumentError as error:
        url = _legacy_url(document)
        if url is None:
            report.failed("assertion.parsed", str(error))
            return
        report.passed("input.recognised", "hosted")
        _verify_hosted(url, None, report, options)
        return
    report.passed("input.recognised", "hosted")
    if not copy.id.startswith(("http://", "https://")):
        report.failed("assertion.fetched", "a hosted assertion needs an http(s) id")
        return
    _verify_hosted(copy.id, copy, report, options)


def _legacy_url(document: Any) -> str | None:
    verify_object = document.get("verify") if isinstance(document, dict) else None
    url = verify_object.get("url") if isinstance(verify_object, dict) else None
    return url if isinstance(url, str) and url.startswith(("http://", "https://")) else None


def _fetch(url: str, what: str, report: Report, options: _Options) -> FetchResult | None:
    try:
        result = options.fetcher(url)
    except (OpenBadgesError, OSError) as error:
        report.failed(f"{what}.fetched", f"{url}: {error}", _cause(error))
        return None
    if what == "assertion" and result.status == 410:
        report.revocation_reason = _reason_in(result)
        report.failed("revocation.not_revoked", report.revocation_reason or f"{url} answered 410")
        return None
    if not result.ok:
        report.failed(
            f"{what}.fetched", f"{url} answered HTTP {result.status}", f"http_{result.status}"
        )
        return None
    return result


def _cause(error: Exception) -> str:
    """Why there was no answer, as the fetcher put it (`FetchError.code`), or `connect_failed`
    for an `OSError` from a fetcher without codes."""
    if isinstance(error, FetchError):
        return error.code
    return "connect_failed" if isinstance(error, OSError) else ""


def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""


def _reason_in(result: FetchResult) -> str:
    """The `revocationReason` of a 410 answer's body, as OB 2.0 suggests serving it."""
    try:
        body = json_body(result)
    except OpenBadgesError:
        return ""
    return _text(body.get("revocationReason")) if isinstance(body, dict) else ""


def _load(url: str, cls: type[D], what: str, report: Report, options: _Options) -> D | None:
    """Fetch and parse a document; if its id differs from where it was fetched, warn and
    refetch that id once (as the validator does); a second mismatch fails."""
    for attempt in range(2):
        result = _fetch(url, what, report, options)
        if result is None:
            return None
        try:
            raw = json_body(result)
        except OpenBadgesError as error:
            report.failed(f"{what}.parsed", f"{url}: {error}")
            return None
        if what == "assertion" and isinstance(raw, dict) and raw.get("revoked") is True:
            report.revocation_reason = _text(raw.get("revocationReason"))
            report.failed("revocation.not_revoked", report.revocation_reason or "revoked")
            return None
        report.passed(f"{what}.fetched", url)
        try:
            document = cls.from_json(raw)
        except DocumentError as error:
            report.failed(f"{what}.parsed", str(error))
            return None
        report.passed(f"{what}.parsed")
        if document.id in (url, result.url):
            report.passed(f"{what}.id_matches")
            return document
        if attempt == 0:
            report.warned(f"{what}.id_matches", f"fetched {url}, its id is {document.id}")
            url = document.id
    report.failed(f"{what}.id_matches", f"{url} does not serve the document with that id")
    return None


def _verify_hosted(url: str, copy: Assertion | None, report: Report, options: _Options) -> None:
    assertion = _load(url, Assertion, "assertion", report, options)
    if assertion is None:
        return
    report.assertion = assertion
    if copy is not None:
        _compare_copy(copy, assertion, report)
    if assertion.verification.type != "HostedBadge":
        report.warned("assertion.parsed", f"verification type {assertion.verification.type}")
    if not _load_badge_and_issuer(assertion, report, options):
        return
    _check_scope(assertion, report)
    _check_common(assertion, report, options, list_required=False)


def _compare_copy(copy: Assertion, hosted: Assertion, report: Report) -> None:
    def key(item: Assertion) -> tuple[object, ...]:
        return (item.id, item.recipient, item.badge_id, item.issued_on, item.expires)

    if key(copy) == key(hosted):
        report.passed("baked.matches_hosted")
    else:
        report.failed("baked.matches_hosted", "the copy at hand differs from the hosted one")


def _verify_signed(jws: str, report: Report, options: _Options) -> None:
    report.signed = True
    try:
        assertion = signing.decode_assertion(jws)
    except OpenBadgesError as error:
        report.failed("assertion.parsed", str(error))
        return
    report.passed("assertion.parsed")
    report.assertion = assertion
    creator = assertion.verification.creator
    if assertion.verification.type != "SignedBadge" or not creator:
        report.failed("signature.creator", "a signed badge needs a SignedBadge creator key")
        return
    report.passed("signature.creator", creator)
    if not _load_badge_and_issuer(assertion, report, options):
        return
    issuer = report.issuer
    if issuer is None:
        return
    if creator not in issuer.public_key:
        report.failed("key.listed", f"{creator} is not among the issuer's public keys")
        return
    report.passed("key.listed", creator)
    key = _load(creator, CryptographicKey, "key", report, options)
    if key is None:
        return
    if key.owner != issuer.id:
        report.failed("key.owner", f"the key belongs to {key.owner}")
        return
    report.passed("key.owner")
    try:
        signing.verify_jws(jws, key)
    except OpenBadgesError as error:
        report.failed("signature.valid", str(error))
        return
    report.passed("signature.valid")
    _check_common(assertion, report, options, list_required=True)


def _embedded_or_load(
    value: D | str, cls: type[D], what: str, report: Report, options: _Options
) -> D | None:
    """The document embedded in its parent, or fetched from the URL the parent gives."""
    if isinstance(value, str):
        return _load(value, cls, what, report, options)
    report.passed(f"{what}.parsed", "embedded")
    return value


def _load_badge_and_issuer(assertion: Assertion, report: Report, options: _Options) -> bool:
    badge = _embedded_or_load(assertion.badge, BadgeClass, "badge", report, options)
    if badge is None:
        return False
    report.badge = badge
    issuer = _embedded_or_load(badge.issuer, Profile, "issuer", report, options)
    if issuer is None:
        return False
    report.issuer = issuer
    if not issuer.id.startswith(("http://", "https://")):
        return report.failed("issuer.id_valid", "the issuer id must be an http(s) URL")
    report.passed("issuer.id_valid")
    origins = _allowed_origins(issuer)
    if badge.id.startswith(("http://", "https://")) and _authority(badge.id) not in origins:
        return report.failed("badge.origin_allowed", f"{badge.id} is not on {', '.join(origins)}")
    report.passed("badge.origin_allowed")
    return True


def _authority(url: str) -> str:
    try:
        return urlsplit(url).netloc.lower()
    except ValueError:
        return ""


def _allowed_origins(issuer: Profile) -> tuple[str, ...]:
    policy = issuer.verification
    if policy is not None and policy.allowed_origins:
        return tuple(origin.lower() for origin in policy.allowed_origins)
    return (_authority(issuer.id),)


def _check_scope(assertion: Assertion, report: Report) -> None:
    issuer = report.issuer
    if issuer is None:
        return
    policy = issuer.verification
    prefixes = policy.starts_with if policy is not None else ()
    if prefixes and not any(assertion.id.startswith(prefix) for prefix in prefixes):
        report.failed("origin.allowed", f"{assertion.id} does not start with an allowed prefix")
        return
    origins = _allowed_origins(issuer)
    if _authority(assertion.id) not in origins:
        report.failed("origin.allowed", f"{assertion.id} is not hosted on {', '.join(origins)}")
        return
    report.passed("origin.allowed")


def _check_common(
    assertion: Assertion, report: Report, options: _Options, *, list_required: bool
) -> None:
    now = options.now
    if assertion.issued_on > now + CLOCK_SKEW:
        report.failed("issued.not_future", assertion.issued_on.isoformat())
    else:
        report.passed("issued.not_future")
    if assertion.expires is not None:
        if assertion.expires < assertion.issued_on:
            report.failed("expiry.after_issue", assertion.expires.isoformat())
        if assertion.expires <= now:
            report.failed("expiry.not_expired", assertion.expires.isoformat())
        else:
            report.passed("expiry.not_expired", assertion.expires.isoformat())
    else:
        report.passed("expiry.not_expired", "never expires")
    if options.recipients:
        if identity_matches(assertion.recipient, options.recipients):
            report.passed("recipient.match")
        else:
            report.failed("recipient.match", f"not awarded to this {assertion.recipient.type}")
    _check_revocation(assertion, report, options, list_required=list_required)
    if options.check_image:
        _check_image(report, options)


def _check_revocation(
    assertion: Assertion, report: Report, options: _Options, *, list_required: bool
) -> None:
    if assertion.revoked:
        report.revocation_reason = _text(assertion.revocation_reason)
        report.failed("revocation.not_revoked", report.revocation_reason or "revoked")
        return
    issuer = report.issuer
    list_url = issuer.revocation_list if issuer else None
    if list_url is None:
        if list_required:
            report.warned("revocation.list_fetched", "the issuer publishes no revocation list")
        report.passed("revocation.not_revoked")
        return
    before = len(report.checks)
    revocations = _load(list_url, RevocationList, "revocation_list", report, options)
    causes = [check.cause for check in report.checks[before:] if check.cause]
    del report.checks[before:]  # keep the report's codes stable: summarise in two checks
    if revocations is None:
        detail = f"{list_url} could not be read"
        cause = causes[-1] if causes else ""
        if list_required:
            report.failed("revocation.list_fetched", detail, cause)
            return
        report.warned("revocation.list_fetched", detail, cause)
    else:
        report.passed("revocation.list_fetched")
        entry = revocations.is_revoked(assertion.id)
        if entry is not None:
            report.revocation_reason = _text(entry.revocation_reason)
            report.failed("revocation.not_revoked", report.revocation_reason or "revoked")
            return
    report.passed("revocation.not_revoked")


def _check_image(report: Report, options: _Options) -> None:
    badge = report.badge
    url = image_url(badge.image) if badge else None
    if url is None:
        report.failed("image.present", "the badge class has no image")
        return
    if url.startswith("data:"):
        media_type, body = _data_uri(url)
    else:
        try:
            result = options.fetcher(url)
        except (FetchError, OpenBadgesError, OSError) as error:
            report.failed("image.present", f"{url}: {error}", _cause(error))
            return
        if not result.ok:
            report.failed(
                "image.present", f"{url} answered HTTP {result.status}", f"http_{result.status}"
            )
            return
        media_type, body = result.media_type, result.body
    report.passed("image.present")
    if media_type not in IMAGE_TYPES:
        report.failed("image.type", f"served as {media_type or 'nothing'}")
        return
    try:
        found = baking.detect_format(body)
    except OpenBadgesError:
        found = None
    if found is None or f"image/{found}" != media_type.replace("+xml", ""):
        report.failed("image.type", f"the bytes are not {media_type}")
        return
    report.passed("image.type", media_type)


def _data_uri(url: str) -> tuple[str, bytes]:
    header, _, data = url.partition(",")
    media_type = header[5:].split(";", 1)[0].strip().lower()
    if header.endswith(";base64"):
        try:
            return media_type, base64.b64decode(data, validate=True)
        except (binascii.Error, ValueError):
            return media_type, b""
    return media_type, data.encode("utf-8", "replace")
