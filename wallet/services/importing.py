"""Badges from other issuers in a student's wallet: import, re-check, share, remove.

A student pastes a badge's address or uploads a baked PNG or SVG. The badge is
verified the way any verifier would (``openbadges.registry.verify_any``) through the
fetcher the caller passes (the safe fetcher in the app), with the student's verified
addresses as the recipients to match. Only a badge that verifies, is neither revoked
nor expired, was awarded to one of those addresses and is not in the wallet yet is
kept; every refusal is an ``ImportRefusedError`` whose ``code`` says why and whose
``params`` carry what the message names. Nothing is written before the last check.

Our own badges are not imported: they reach the wallet through their claim (an
address of ours is never fetched; its award is looked up instead).

What is kept: the documents as received (assertion, badge class, issuer; a signed
badge's JWS; an uploaded image byte for byte), the names and dates read from them,
the badge image checked like an upload, and the verdict of the last check, which
``reverify_due`` refreshes (``jobs.reverify_imported_badges``). What the student does
with an imported badge, and what strangers see of it: ``services/imported_badges.py``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import unquote, urlsplit

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from wallet.models import Award, ImportedBadge, ImportSource, User
from wallet.openbadges import baking, registry, signing
from wallet.openbadges.errors import OpenBadgesError
from wallet.openbadges.fetching import Fetcher, FetchError, FetchResult
from wallet.openbadges.hashing import identity_matches
from wallet.openbadges.report import Report
from wallet.openbadges.v2 import Assertion, BadgeClass, Profile, image_url
from wallet.services import imported_ob3, verifying
from wallet.services.blobs import put_blob
from wallet.services.errors import ImageRejectedError, ServiceError
from wallet.services.images import check_image
from wallet.services.issuing import new_share_ids
from wallet.services.verifying import CHECK_GROUPS, Verdict, VerdictCheck

MAX_UPLOAD_BYTES = 2 * 1024 * 1024  # as much as the safe fetcher reads
MAX_URL_LENGTH = 2048
IMAGE_TYPES = {ImportSource.PNG: "image/png", ImportSource.SVG: "image/svg+xml"}
# a re-check is due this long after the last one (jobs.reverify_imported_badges)
RECHECK_AFTER = timedelta(days=1)


class ImportRefusedError(ServiceError):
    """The badge was not imported; ``code`` says why (``forms.importing`` words it):

    ``not_a_url``, ``image_too_large``, ``not_an_image``, ``no_badge_in_image``,
    ``several_badges_in_image``, ``ours_in_wallet`` (one of our badges, already
    theirs), ``ours`` (an address or badge of this wallet), ``unsupported_format``,
    ``fetch_failed`` (``cause``: the fetcher's reason or ``http_<status>``),
    ``unverified`` (``check``: the failing group of ``CHECK_GROUPS``), ``revoked``
    (``reason``), ``expired`` (``expires``), ``other_recipient`` (``address``),
    ``other_recipient_hashed``, ``duplicate`` (``imported_at``).
    """

    code = "import_refused"


# -- importing ------------------------------------------------------------------------


class _Recorder:
    """The caller's fetcher, keeping every answer (the documents as received) and
    refusing this site's own addresses without asking anyone."""

    def __init__(self, fetcher: Fetcher, base_url: str) -> None:
        self.fetcher = fetcher
        self.base_url = base_url
        self.answers: dict[str, FetchResult] = {}

    def __call__(self, url: str) -> FetchResult:
        if _is_ours(url, self.base_url):
            raise FetchError(f"{url} is an address of this wallet", code="ours")
        result = self.fetcher(url)
        self.answers[url] = result
        return result


def _is_ours(url: str, base_url: str) -> bool:
    ours = urlsplit(base_url)
    theirs = urlsplit(url.strip())
    return theirs.netloc.lower() == ours.netloc.lower() and theirs.path.startswith(
        ours.path.rstrip("/") + "/"
    )


def import_badge(
    session: Session,
    user: User,
    data: str | bytes,
    fetcher: Fetcher,
    *,
    base_url: str,
    now: datetime,
    max_image_bytes: int,
) -> ImportedBadge:
    """Import the badge at a URL (``data`` text) or baked into an image (bytes) into
    ``user``'s wallet, private; ``ImportRefusedError`` when it cannot be.

    ``fetcher`` reaches the issuer (the app's safe fetcher); ``max_image_bytes`` bounds
    the badge image kept for display (the uploaded file is bounded by ``MAX_UPLOAD_BYTES``).
    """
    source, source_url = _check_input(data)
    _refuse_ours(session, user, _addresses_named(data), base_url)
    recorder = _Recorder(fetcher, base_url)
    recipients = user.verified_emails
    report = registry.verify_any(
        data,
        recorder,
        recipients=recipients,
        now=now,
        url_format=verifying.url_format(data, recorder),
    )
    imported_ob3.as_v2(report)  # a 3.0 credential: its parts in the shapes kept below
    if report.assertion is not None:
        _refuse_ours(session, user, [report.assertion.id], base_url)
    assertion, badge, issuer = _refuse_unless_verified(report)
    key = _assertion_key(assertion.id)
    _refuse_duplicate(session, user, key)
    verdict = verifying.verdict_from_report(report, now)
    image_sha256 = _badge_image(session, report, recorder, max_image_bytes)
    source_image = (
        put_blob(session, data, IMAGE_TYPES[source]).sha256 if isinstance(data, bytes) else None
    )
    jws = _signed_jws(data, report)
    imported = ImportedBadge(
        user_id=user.id,
        share_id=_new_share_id(session),
        assertion_key=key,
        assertion_id=assertion.id,
        source=source,
        source_url=source_url,
        source_image_sha256=source_image,
        signed_jws=jws,
        assertion_json=_assertion_document(assertion, jws, report, recorder, source_url),
        badge_json=_document(recorder, assertion.badge_id, badge.to_json()),
        issuer_json=_document(recorder, badge.issuer_id, issuer.to_json()),
        recipient_email=_matching_address(assertion, recipients),
        issuer_name=_short(issuer.name, 200),
        issuer_url=_plain(issuer.url or ""),
        badge_name=_short(badge.name, 200),
        description=_plain(badge.description),
        criteria_url=_criteria_url(badge),
        criteria_text=_criteria_text(badge),
        image_sha256=image_sha256,
        issued_on=assertion.issued_on,
        expires_at=assertion.expires,
        is_public=False,
    )
    _record_verdict(imported, verdict)
    try:
        with session.begin_nested():  # two tabs importing the same badge at once
            session.add(imported)
    except IntegrityError:
        _refuse_duplicate(session, user, key)
        raise
    return imported


def _check_input(data: str | bytes) -> tuple[ImportSource, str]:
    """(source, source URL) of what was handed in, or the refusal of its shape."""
    if isinstance(data, bytes):
        if len(data) > MAX_UPLOAD_BYTES:
            raise ImportRefusedError("image_too_large", max_mb=MAX_UPLOAD_BYTES // (1024 * 1024))
        try:
            image_format = baking.detect_format(data)
            found = baking.extract_all(data)
        except OpenBadgesError:
            raise ImportRefusedError("not_an_image") from None
        if not found:
            raise ImportRefusedError("no_badge_in_image")
        if len(found) > 1:
            raise ImportRefusedError("several_badges_in_image", count=len(found))
        return ImportSource(image_format), ""
    url = data.strip()
    if not url.startswith(("http://", "https://")) or len(url) > MAX_URL_LENGTH:
        raise ImportRefusedError("not_a_url")
    return ImportSource.URL, url


def _addresses_named(data: str | bytes) -> list[str]:
    """The addresses the input itself names: the URL, or what an image carries (its
    hosted URL, its ``verify`` attribute, the id of its JSON)."""
    if isinstance(data, str):
        return [data.strip()]
    found = baking.extract_all(data)  # read once already: cannot fail here
    named: list[str] = []
    for item in found:
        named += [text.strip() for text in (item.payload, item.verify or "") if text]
        try:
            document = json.loads(item.payload)
        except ValueError:
            continue
        if isinstance(document, dict) and isinstance(document.get("id"), str):
            named.append(document["id"])
    return named


def _refuse_ours(session: Session, user: User, addresses: list[str], base_url: str) -> None:
    """One of our own badges (or any other address of this wallet) is never imported:
    say whether it is in the student's wallet already."""
    for address in addresses:
        if not _is_ours(address, base_url):
            continue
        award = _our_award(session, address, base_url)
        if award is not None and award.user_id == user.id:
            raise ImportRefusedError("ours_in_wallet")
        raise ImportRefusedError("ours")


def _our_award(session: Session, url: str, base_url: str) -> Award | None:
    """The award an address of ours shows: its share page or its hosted assertion."""
    prefix = urlsplit(base_url).path.rstrip("/")
    path = urlsplit(url.strip()).path[len(prefix) :]
    parts = [unquote(part) for part in path.strip("/").split("/")]
    match parts:
        case ["b", share_id, *_]:
            return session.scalar(select(Award).where(Award.share_id == share_id[:16]))
        case ["ob", "assertions", public_id] | ["ob", "v3", "credentials", public_id]:
            return session.scalar(select(Award).where(Award.public_id == public_id[:40]))
    return None


def _refuse_unless_verified(report: Report) -> tuple[Assertion, BadgeClass, Profile]:
    """The verified documents, or the refusal that says what is wrong, most telling first."""
    if report.status_of("format.supported") == "fail":
        raise ImportRefusedError("unsupported_format", format=report.format)
    if report.is_revoked:
        raise ImportRefusedError("revoked", reason=report.revocation_reason)
    failures = [check for check in report.failures if check.code != "recipient.match"]
    for check in failures:
        if check.cause == "ours":
            raise ImportRefusedError("ours")
        if check.cause:
            raise ImportRefusedError("fetch_failed", cause=check.cause)
    assertion, badge, issuer = report.assertion, report.badge, report.issuer
    if assertion is not None and not _storable(assertion.issued_on, assertion.expires):
        raise ImportRefusedError("unverified", check="expiry")
    only_expired = {check.code for check in failures} == {"expiry.not_expired"}
    if assertion is None or badge is None or issuer is None or (failures and not only_expired):
        raise ImportRefusedError("unverified", check=_failed_group(report))
    if only_expired:
        raise ImportRefusedError("expired", expires=assertion.expires)
    if report.status_of("recipient.match") != "pass":
        if assertion.recipient.hashed:
            raise ImportRefusedError("other_recipient_hashed")
        raise ImportRefusedError("other_recipient", address=assertion.recipient.identity)
    return assertion, badge, issuer


def _storable(*moments: datetime | None) -> bool:
    """Whether each time has a UTC equivalent (``0001-01-01T00:00+09:00`` has none)."""
    try:
        for moment in moments:
            if moment is not None:
                moment.astimezone(UTC)
    except OverflowError:
        return False
    return True


def _failed_group(report: Report) -> str:
    failed = {check.code for check in report.failures}
    for name, codes in CHECK_GROUPS:
        if failed & set(codes):
            return name
    return "record"  # the input itself could not be read as a badge


def _assertion_key(assertion_id: str) -> str:
    return hashlib.sha256(assertion_id.encode("utf-8")).hexdigest()


def _refuse_duplicate(session: Session, user: User, key: str) -> None:
    earlier = session.scalar(
        select(ImportedBadge).where(
            ImportedBadge.user_id == user.id, ImportedBadge.assertion_key == key
        )
    )
    if earlier is not None:
        raise ImportRefusedError("duplicate", imported_at=earlier.created_at)


def _matching_address(assertion: Assertion, recipients: list[str]) -> str:
    return next(
        (email for email in recipients if identity_matches(assertion.recipient, [email])), ""
    )


def _new_share_id(session: Session) -> str:
    # the awards' own drawing: it keeps the namespace shared
    return new_share_ids(session, 1)[0]


def _short(text: str, limit: int) -> str:
    text = _plain(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _plain(text: str) -> str:
    """Another issuer's text without NUL characters, which no text column can store
    (everything else is kept, and escaped wherever it is shown)."""
    return text.replace("\x00", "")


def _json_of(result: FetchResult | None) -> dict[str, Any] | None:
    if result is None or not result.ok:
        return None
    try:
        document = json.loads(result.body)
    except (ValueError, RecursionError):
        return None
    return document if isinstance(document, dict) else None


def _document(recorder: _Recorder, url: str, parsed: dict[str, Any]) -> dict[str, Any]:
    """The document as the issuer served it; embedded ones as the library read them."""
    return _json_of(recorder.answers.get(url)) or parsed


def _assertion_document(
    assertion: Assertion, jws: str, report: Report, recorder: _Recorder, source_url: str
) -> dict[str, Any]:
    if jws:
        return signing.decode(jws).payload
    served = _json_of(recorder.answers.get(assertion.id))
    if served is None and report.credential is not None:  # 3.0: the credential as served
        served = _json_of(recorder.answers.get(source_url))
    if served is not None:
        return served
    try:
        baked = json.loads(report.baked_payload or "")
    except ValueError:
        baked = None
    return baked if isinstance(baked, dict) else assertion.to_json()


def _signed_jws(data: str | bytes, report: Report) -> str:
    if not report.signed:
        return ""
    if isinstance(data, str):
        return data.strip()
    item = baking.extract_all(data)[0]
    for text in (item.verify, item.payload):
        if text and signing.is_jws(text.strip()):
            return text.strip()
    return ""


def _criteria_url(badge: BadgeClass) -> str:
    if isinstance(badge.criteria, str):
        return _plain(badge.criteria)
    return _plain(badge.criteria.id or "")


def _criteria_text(badge: BadgeClass) -> str:
    return "" if isinstance(badge.criteria, str) else _plain(badge.criteria.narrative or "")


def _badge_image(
    session: Session, report: Report, recorder: _Recorder, max_bytes: int
) -> str | None:
    """The badge class image as the verifier saw it, checked like an upload (an SVG is
    rewritten from safe parts); None when it cannot be shown."""
    url = image_url(report.badge.image) if report.badge else None
    if not url:
        return None
    body = _data_uri_bytes(url) if url.startswith("data:") else None
    if body is None:
        if url not in recorder.answers and report.credential is not None:
            try:  # a 3.0 credential names its image; its verifier had no need of it
                recorder(url)
            except (OpenBadgesError, OSError):
                return None
        result = recorder.answers.get(url)
        body = result.body if result is not None and result.ok else None
    if not body:
        return None
    try:
        checked = check_image(body, max_bytes=max_bytes)
    except ImageRejectedError:
        return None
    return put_blob(session, checked.data, checked.content_type).sha256


def _data_uri_bytes(url: str) -> bytes | None:
    header, _, data = url.partition(",")
    if not header.endswith(";base64"):
        return data.encode("utf-8", "replace")
    try:
        return base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        return None


def _record_verdict(imported: ImportedBadge, verdict: Verdict) -> None:
    imported.status = verdict.status
    imported.checks = [
        {"code": check.code, "status": check.status, "detail": _plain(check.detail)}
        for check in verdict.checks
    ]
    imported.revocation_reason = _plain(verdict.revocation_reason)
    imported.checked_at = verdict.checked_at


def stored_verdict(imported: ImportedBadge) -> Verdict:
    """The verdict of the badge's last check, as it was reached then."""
    return Verdict(
        status=imported.status,  # type: ignore[arg-type]
        checks=tuple(
            VerdictCheck(item["code"], item["status"], item.get("detail", ""))  # type: ignore[arg-type]
            for item in imported.checks
        ),
        checked_at=imported.checked_at,
        revocation_reason=imported.revocation_reason,
        expires_at=imported.expires_at,
    )


# -- checking again ---------------------------------------------------------------------


def reverify(
    session: Session, imported: ImportedBadge, fetcher: Fetcher, *, base_url: str, now: datetime
) -> None:
    """Check an imported badge again from its issuer and keep the new verdict (a
    revocation shows as revoked, with the issuer's reason). The documents stay as
    first received. A signed badge is checked from its JWS, any other from its
    hosted assertion."""
    data = (
        imported.signed_jws
        or imported_ob3.credential_text(imported.assertion_json)
        or imported.assertion_id
    )
    recorder = _Recorder(fetcher, base_url)
    report = registry.verify_any(
        data,
        recorder,
        recipients=[imported.recipient_email],
        now=now,
        url_format=verifying.url_format(data, recorder),
    )
    _record_verdict(imported, verifying.verdict_from_report(report, now))
    session.flush()


def reverify_due(
    session: Session, fetcher: Fetcher, *, base_url: str, now: datetime, limit: int
) -> int:
    """Check again up to ``limit`` imported badges last checked ``RECHECK_AFTER`` ago or
    more, oldest first; returns how many. The caller commits after each batch."""
    due = session.scalars(
        select(ImportedBadge)
        .where(ImportedBadge.checked_at <= now - RECHECK_AFTER)
        .order_by(ImportedBadge.checked_at, ImportedBadge.id)
        .limit(limit)
    ).all()
    for imported in due:
        reverify(session, imported, fetcher, base_url=base_url, now=now)
    return len(due)
