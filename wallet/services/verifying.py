"""Verdicts: whether a badge is genuine, in the words a person reads.

``wallet.openbadges.verify`` checks a badge and reports machine codes. Here a report
becomes a **verdict** (valid, revoked, expired, pending, could not be verified) with a
short list of checks (issuer, the hosted record, recipient, revocation, expiry, image,
and for a pending badge the anchoring run it waits for); templates word each check.

Our own badges are verified the way anyone verifies them, from their hosted
documents, but those documents come straight from the database through
``SiteFetcher``: no HTTP request to ourselves, and nothing outside this site is
ever fetched. ``verify_url`` is the same seam for any badge (the verify page).

Verdicts are kept in a small in-process cache (``VerdictCache``) keyed by
everything the verdict depends on, so a revocation, expiry or completion shows at
once and a busy page verifies each badge about once a minute per process.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Generic, Literal, Protocol, TypeVar
from urllib.parse import unquote

from sqlalchemy.orm import Session

from wallet.config import Settings
from wallet.db import utcnow
from wallet.models import Award, AwardState
from wallet.openbadges import formats
from wallet.openbadges.errors import OpenBadgesError
from wallet.openbadges.fetching import MAX_DOCUMENT_BYTES, Fetcher, FetchError, FetchResult
from wallet.openbadges.formats import CredentialFormat
from wallet.openbadges.report import Report
from wallet.openbadges.verify import verify_hosted
from wallet.services import documents
from wallet.services.anchoring import published
from wallet.services.anchoring.verify import AnchorFacts, AnchorResult, check_award
from wallet.services.badges import ANCHORING_TIME, next_anchoring_run
from wallet.services.blobs import get_blob
from wallet.services.errors import NotFoundError
from wallet.services.ob3 import issuing as ob3_issuing
from wallet.services.ob3 import keys as ob3_keys
from wallet.services.ob3 import status as ob3_status

VerdictStatus = Literal["valid", "revoked", "expired", "pending", "unverified"]
CheckStatus = Literal["pass", "fail", "warn", "wait"]

# The checks a person reads, each made of the report codes behind it, in page order.
# Codes about the input itself (``input.recognised``, ``image.extracted``) are not
# listed: they say what was handed in, not whether the badge is genuine.
CHECK_GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    # a format with no verifier yet (registry.verify_any): its detail names the format
    ("format", ("format.supported",)),
    ("issuer", ("issuer.fetched", "issuer.parsed", "issuer.id_matches", "issuer.id_valid")),
    # Open Badges 3.0: a well-formed credential (bundled contexts, 1EdTech's schema)
    (
        "credential",
        ("credential.fetched", "context.bundled", "schema.valid", "credential.parsed"),
    ),
    (
        "record",
        (
            "assertion.fetched",
            "assertion.parsed",
            "assertion.id_matches",
            "origin.allowed",
            "baked.matches_hosted",
            "badge.fetched",
            "badge.parsed",
            "badge.id_matches",
            "badge.origin_allowed",
        ),
    ),
    (
        "signature",
        (
            "signature.creator",
            "key.listed",
            "key.fetched",
            "key.parsed",
            "key.owner",
            "signature.valid",
            "proof.suite",
            "proof.valid",
            "jwt.claims",
            "jwt.header",
        ),
    ),
    ("recipient", ("recipient.match",)),
    ("revocation", ("revocation.list_fetched", "revocation.not_revoked")),
    ("expiry", ("issued.not_future", "expiry.after_issue", "expiry.not_expired")),
    ("image", ("image.present", "image.type")),
    # Open Badges 3.0: endorsements by third parties, each checked with the endorser's key
    ("endorsement", ("endorsement.valid",)),
    # Blockcerts: the proof leads to the root, and the root is where the anchor says
    ("anchoring", ("anchor.proof", "anchor.found")),
)
_EXPIRY_CODES = {"expiry.not_expired"}

# The daily anchoring run (DESIGN.md): 03:00 in the site's time zone completes every
# anchored badge accepted since the run before.
# How long a verdict is reused while nothing it depends on changes (docs/sharing.md).
VERDICT_TTL = timedelta(seconds=60)


@dataclass(frozen=True)
class VerdictCheck:
    """One line of the verdict: ``code`` names the check (see ``CHECK_GROUPS``);
    ``detail`` is the library's technical account of failures and warnings; ``cause``
    why a document behind it could not be fetched (``Check.cause``: ``blocked_address``,
    ``http_404``...), for a page to say in the reader's language."""

    code: str
    status: CheckStatus
    detail: str = ""
    cause: str = ""


@dataclass(frozen=True)
class Verdict:
    status: VerdictStatus
    checks: tuple[VerdictCheck, ...]
    checked_at: datetime
    revocation_reason: str = ""
    expires_at: datetime | None = None
    # pending (anchored) badges: when the anchoring run should complete it
    completes_at: datetime | None = None
    # anchored badges once complete: where and when (services/anchoring/verify.py)
    anchor: AnchorFacts | None = None

    @property
    def is_valid(self) -> bool:
        return self.status == "valid"

    def fingerprint(self) -> str:
        """What the verdict says, without when it was reached: equal fingerprints read
        the same to a person (the share page's ETag is built from it)."""
        parts = [
            self.status,
            self.revocation_reason,
            _iso(self.expires_at),
            _iso(self.completes_at),
            str(self.anchor) if self.anchor else "",
            *(f"{check.code}:{check.status}" for check in self.checks),
        ]
        return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def _iso(moment: datetime | None) -> str:
    return moment.isoformat() if moment else ""


# -- from a report to a verdict ---------------------------------------------------------


def _group_status(report: Report, codes: tuple[str, ...]) -> CheckStatus | None:
    found = {report.status_of(code) for code in codes}
    worst: tuple[CheckStatus, ...] = ("fail", "warn", "pass")
    return next((status for status in worst if status in found), None)


def verdict_from_report(report: Report, now: datetime) -> Verdict:
    """The verdict on a finished report; ``now`` is when the checks ran.

    Revoked outranks everything (the issuer said so); any other failure but expiry
    means the badge could not be verified; an expiry alone makes it expired.
    """
    checks: list[VerdictCheck] = []
    for name, codes in CHECK_GROUPS:
        outcome = _group_status(report, codes)
        if outcome is not None:
            failing = [c for c in report.checks if c.code in codes and c.status != "pass"]
            detail = "; ".join(c.detail for c in failing if c.detail)
            cause = next((c.cause for c in failing if c.cause), "")
            checks.append(VerdictCheck(name, outcome, detail, cause))
    failed = {check.code for check in report.failures}
    expires_at = report.assertion.expires if report.assertion else report.expires
    status: VerdictStatus
    if report.is_revoked:
        status = "revoked"
    elif (report.assertion is None and report.credential is None) or failed - _EXPIRY_CODES:
        status = "unverified"
    elif failed:
        status = "expired"
    else:
        status = "valid"
    return Verdict(
        status=status,
        checks=tuple(checks),
        checked_at=now,
        revocation_reason=report.revocation_reason if report.is_revoked else "",
        expires_at=expires_at,
        anchor=_anchor_facts(report),
    )


def _anchor_facts(report: Report) -> AnchorFacts | None:
    if report.anchored_by is None and report.anchor_index is None:
        return None
    return AnchorFacts(report.anchored_by, report.anchor_index, report.anchor_url)


def verify_url(
    url: str, fetcher: Fetcher, now: datetime, *, recipients: Iterable[str] = ()
) -> Verdict:
    """Verify the hosted badge at ``url`` through ``fetcher`` (any badge, any site)."""
    return verdict_from_report(verify_hosted(url, fetcher, recipients=recipients, now=now), now)


# -- which verifier a URL's answer needs ----------------------------------------------


def url_format(data: str | bytes, fetcher: Fetcher) -> CredentialFormat:
    """What a URL serves: an Open Badges 3.0 credential (JSON or VC-JWT) goes to the 3.0
    verifier; anything else to the 2.0 verifier, which explains what it found."""
    if not isinstance(data, str) or not data.startswith(("http://", "https://")):
        return "ob2"
    try:
        answer = fetcher(data)
    except (OpenBadgesError, OSError):
        return "ob2"  # the 2.0 verifier fetches again and says why it failed
    if not answer.ok or len(answer.body) > MAX_DOCUMENT_BYTES:
        return "ob2"
    text = answer.body.decode("utf-8", "replace")
    return "ob3" if formats.text_format(text) == "ob3" else "ob2"


# -- our own documents, straight from the database -----------------------------------


class SiteFetcher:
    """A fetcher that answers this site's own ``/ob/...`` URLs from the database, as
    the routes would, and refuses every other URL (``FetchError``) without going online."""

    def __init__(
        self,
        session: Session,
        base_url: str,
        chain_key: tuple[str, bytes] | None = None,
        settings: Settings | None = None,
    ) -> None:
        self.session = session
        self.base_url = base_url.rstrip("/")
        self.chain_key = chain_key  # for the Blockcerts profile, when a chain anchors
        # Open Badges 3.0 status lists are signed when read: that takes the settings' key
        self.settings = settings
        self.requested: list[str] = []

    def __call__(self, url: str) -> FetchResult:
        self.requested.append(url)
        prefix = self.base_url + "/"
        if not url.startswith(prefix):
            raise FetchError(f"{url} is not a document of this site")
        rest = url[len(prefix) :]
        if "?" in rest or "#" in rest:
            return _not_found(url)
        parts = [unquote(part) for part in rest.split("/")]
        try:
            return self._answer(url, parts)
        except NotFoundError:
            return _not_found(url)

    def _answer(self, url: str, parts: list[str]) -> FetchResult:
        session, base = self.session, self.base_url
        match parts:
            case ["ob", "assertions", public_id]:
                document = documents.get_assertion_document(session, public_id, base)
            case ["ob", "badges", public_id]:
                document = documents.get_badge_class_document(session, public_id, base)
            case ["ob", "issuers", public_id]:
                document = documents.get_issuer_document(session, public_id, base)
            case ["ob", "issuers", public_id, "revocations"]:
                document = documents.get_revocation_list_document(session, public_id, base)
            case ["ob", "issuers", _, "blockcerts"] | ["ledger.json"] | ["ledger", "entries", *_]:
                anchoring = published.site_document(session, base, parts, self.chain_key)
                return _json_answer(url, anchoring)
            case ["ob", "v3", *_]:
                return self._ob3(url, parts)
            case ["ob", "images", sha256]:
                blob = get_blob(session, sha256)
                return FetchResult(200, blob.content_type, blob.data, url)
            case _:
                return _not_found(url)
        body = json.dumps(document.body, ensure_ascii=False).encode("utf-8")
        return FetchResult(document.status, "application/ld+json", body, url)

    def _ob3(self, url: str, parts: list[str]) -> FetchResult:
        """Our Open Badges 3.0 documents, as ``views/ob3.py`` serves them."""
        session, base = self.session, self.base_url
        match parts:
            case ["ob", "v3", "issuers", public_id]:
                return _json_answer(url, ob3_keys.profile_document(session, base, public_id))
            case ["ob", "v3", "issuers", public_id, "did.json"]:
                return _json_answer(url, ob3_keys.did_document(session, base, public_id))
            case ["ob", "v3", "issuers", public_id, "status", number] if (
                number.isdigit() and self.settings is not None
            ):
                body = ob3_status.status_list_document(
                    session, self.settings, public_id, int(number), utcnow()
                )
                return _json_answer(url, body)
            case ["ob", "v3", "credentials", public_id]:
                document = ob3_issuing.stored_document(session, public_id)
                return FetchResult(200, "application/vc+ld+json", document.encode("utf-8"), url)
        return _not_found(url)


def _json_answer(url: str, body: object) -> FetchResult:
    data = json.dumps(body, ensure_ascii=False).encode("utf-8")
    return FetchResult(200, "application/json", data, url)


def _not_found(url: str) -> FetchResult:
    return FetchResult(404, "application/json", b'{"error": "not_found"}', url)


# -- the verdict on one of our awards --------------------------------------------------


class _Dated(Protocol):
    @property
    def checked_at(self) -> datetime: ...


T = TypeVar("T", bound=_Dated)


class TimedCache(Generic[T]):
    """Results kept in this process, each until ``ttl`` has passed or a moment that
    changes it (an expiry, an anchoring run) comes, whichever is first.

    Keys name everything a result depends on, so a change is a new key and shows at
    once; the time limit bounds how old "checked at" can be. A process-local dict is
    enough: each process checks a badge at most once a minute, and nothing else has to
    be running.
    """

    def __init__(self, ttl: timedelta = VERDICT_TTL, size: int = 4096) -> None:
        self.ttl = ttl
        self.size = size
        self._entries: OrderedDict[str, tuple[datetime, T]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str, now: datetime) -> T | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            until, value = entry
            if not value.checked_at <= now < until:
                del self._entries[key]
                return None
            self._entries.move_to_end(key)
            return value

    def put(self, key: str, value: T, until: datetime) -> None:
        with self._lock:
            self._entries[key] = (until, value)
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


class VerdictCache(TimedCache[Verdict]):
    """Verdicts on our awards, keyed by ``award_key``: a revocation or a completed
    anchoring is a new key and shows at once."""


def award_key(award: Award, base_url: str) -> str:
    """What the verdict on ``award`` depends on: its published facts and state."""
    badge = award.badge_class
    parts = [
        base_url,
        award.public_id,
        award.state,
        award.recipient_email,
        award.salt,
        _iso(award.issued_on),
        _iso(award.expires_at),
        _iso(award.accepted_at),
        _iso(award.revoked_at),
        award.revocation_reason,
        badge.public_id,
        badge.image_sha256,
        badge.issuer.public_id,
    ]
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def anchoring_completes_at(
    award: Award, timezone: str, now: datetime, run_time: str = ANCHORING_TIME
) -> datetime | None:
    """When a pending (anchored) badge should complete: the first run after it was
    accepted, which is the next day unless it was accepted in the small hours; if that
    run has passed without completing it, the next one. None for other badges."""
    if not award.is_pending or award.accepted_at is None:
        return None
    due = next_anchoring_run(award.accepted_at, timezone, run_time)
    return due if due > now else next_anchoring_run(now, timezone, run_time)


def _with_anchor(verdict: Verdict, result: AnchorResult) -> Verdict:
    """Add the anchoring check; a credential our log does not confirm is not genuine
    (revoked still outranks it: the issuer's word is what a reader needs first)."""
    check = VerdictCheck("anchoring", "pass" if result.genuine else "fail", result.detail)
    status = verdict.status
    if not result.genuine and status != "revoked":
        status = "unverified"
    return replace(verdict, status=status, checks=(*verdict.checks, check), anchor=result.facts)


def verify_award(
    session: Session,
    award: Award,
    *,
    base_url: str,
    timezone: str,
    now: datetime,
    cache: VerdictCache | None = None,
    run_time: str = ANCHORING_TIME,
) -> Verdict:
    """The verdict on one of our awards, from its hosted documents.

    The recipient check compares the assertion's hashed identity with the address the
    award was made to. A pending (anchored) badge that verifies otherwise is
    ``pending``, with the anchoring run that will complete it.
    """
    key = award_key(award, base_url)
    if cache is not None and (cached := cache.get(key, now)) is not None:
        return cached
    report = verify_hosted(
        documents.assertion_url(base_url, award),
        SiteFetcher(session, base_url),
        recipients=[award.recipient_email],
        now=now,
    )
    verdict = verdict_from_report(report, now)
    completes_at = anchoring_completes_at(award, timezone, now, run_time)
    if award.badge_class.is_anchored and award.state == AwardState.ISSUED and not award.is_revoked:
        verdict = _with_anchor(verdict, check_award(session, award, base_url, now))
    if completes_at is not None and verdict.is_valid:
        verdict = replace(
            verdict,
            status="pending",
            checks=(*verdict.checks, VerdictCheck("anchoring", "wait")),
            completes_at=completes_at,
        )
    if cache is not None:
        changes = [m for m in (verdict.expires_at, completes_at) if m is not None and m > now]
        cache.put(key, verdict, min([now + cache.ttl, *changes]))
    return verdict
