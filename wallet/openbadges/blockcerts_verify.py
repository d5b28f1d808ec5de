"""The registry's verifier for Blockcerts v3 credentials (`registry.verify_any`).

From the credential alone, through the caller's fetcher: its issuer's Blockcerts profile
(name, the log it publishes in, its chain keys, its revocation list), then the proof as
`blockcerts.verify_anchored` checks it, reading the log's proof documents and keys from
where the profile says the log is published. A log anchor must name the issuer's own log
(anyone can anchor anything in their own log); a chain anchor must come from one of the
issuer's keys. The report carries the same check codes a page already words.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from wallet.openbadges import blockcerts
from wallet.openbadges.errors import OpenBadgesError, ProofError
from wallet.openbadges.fetching import Fetcher, FetchError, json_body
from wallet.openbadges.report import Report
from wallet.openbadges.signednote import Verifier
from wallet.openbadges.v2 import BadgeClass, Profile

_ETH_KEY = re.compile(r"ecdsa-koblitz-pubkey:(0x[0-9a-fA-F]{40})")


def _fetch_json(fetcher: Fetcher, url: str) -> Any:
    result = fetcher(url)
    if not result.ok:
        raise FetchError(f"{url}: HTTP {result.status}", f"http_{result.status}")
    return json_body(result)


def _origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.netloc}{parts.path}".rstrip("/")


class FetchedLog:
    """`blockcerts.LogSource` for the issuer's log, read through the fetcher at the URL the
    issuer's profile gives (`ledger`), whose schemeless form is the log's origin."""

    def __init__(self, fetcher: Fetcher, ledger_url: str) -> None:
        self.fetcher = fetcher
        self.url = ledger_url.rstrip("/")
        self.origin = _origin_of(self.url)

    def _check(self, origin: str) -> None:
        if origin != self.origin:
            raise ProofError("anchor.issuer", "the anchor is in a log that is not the issuer's")

    def proof(self, origin: str, index: int) -> blockcerts.LogProof:
        self._check(origin)
        try:
            return blockcerts.LogProof.from_json(
                _fetch_json(self.fetcher, f"{self.url}/entries/{index}/proof.json")
            )
        except FetchError as error:
            if error.code == "http_404":
                raise ProofError("anchor.root_missing", "the log has no such entry") from None
            raise ProofError("log.fetched", str(error)) from None
        except OpenBadgesError as error:
            raise ProofError("log.malformed", str(error)) from None

    def keys(self, origin: str) -> Sequence[Verifier]:
        self._check(origin)
        try:
            summary = _fetch_json(self.fetcher, f"{self.url}.json")
        except OpenBadgesError as error:
            raise ProofError("log.fetched", str(error)) from None
        return blockcerts.keys_from_json(summary.get("keys") if isinstance(summary, dict) else None)


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _parse_time(value: Any) -> datetime | None:
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def _issuer(report: Report, document: Mapping[str, Any], fetcher: Fetcher) -> dict[str, Any]:
    issuer = document.get("issuer")
    url = issuer.get("id") if isinstance(issuer, Mapping) else issuer
    if not isinstance(url, str) or not url.startswith(("https://", "http://")):
        report.failed("issuer.parsed", "the credential names no issuer profile URL")
        return {}
    try:
        profile = _fetch_json(fetcher, url)
    except FetchError as error:
        report.failed("issuer.fetched", str(error), cause=error.code)
        return {}
    except OpenBadgesError as error:
        report.failed("issuer.fetched", str(error))
        return {}
    report.passed("issuer.fetched")
    if not isinstance(profile, dict) or profile.get("id") != url:
        report.failed("issuer.id_matches", "the profile's id is not where it was fetched")
        return {}
    report.passed("issuer.parsed")
    report.issuer = Profile(
        id=url,
        name=_text(profile.get("name")),
        url=_text(profile.get("url")),
        email=_text(profile.get("email")),
    )
    return profile


def _claim(report: Report, document: Mapping[str, Any]) -> None:
    subject = document.get("credentialSubject")
    claim = subject.get("claim") if isinstance(subject, Mapping) else None
    if isinstance(claim, Mapping):
        report.badge = BadgeClass(
            id=_text(claim.get("id")),
            name=_text(claim.get("name")),
            description=_text(claim.get("description")),
            image="",
            criteria=_text(claim.get("criteria")),
            issuer=report.issuer.id if report.issuer else "",
        )


def _dates(report: Report, document: Mapping[str, Any], now: datetime) -> None:
    issued = _parse_time(document.get("issuanceDate") or document.get("validFrom"))
    expires_text = document.get("expirationDate") or document.get("validUntil")
    expires = _parse_time(expires_text) if expires_text else None
    report.issued_on, report.expires = issued, expires
    if issued is None:
        report.failed("issued.not_future", "no valid issuance date")
    elif issued > now:
        report.failed("issued.not_future", "issued in the future")
    else:
        report.passed("issued.not_future")
    if expires_text and expires is None:
        report.failed("expiry.not_expired", "the expiry date is not a date")
    elif expires is not None and expires <= now:
        report.failed("expiry.not_expired", expires.isoformat())
    else:
        report.passed("expiry.not_expired")


def _revocation(
    report: Report, document: Mapping[str, Any], profile: Mapping[str, Any], fetcher: Fetcher
) -> None:
    url = profile.get("revocationList")
    if not isinstance(url, str):
        return
    try:
        listed = _fetch_json(fetcher, url)
        revoked = listed["revokedAssertions"]
    except (OpenBadgesError, KeyError, TypeError) as error:
        report.warned("revocation.list_fetched", str(error))
        return
    report.passed("revocation.list_fetched")
    for entry in revoked if isinstance(revoked, list) else []:
        entry_id = entry.get("id") if isinstance(entry, Mapping) else entry
        if entry_id == document.get("id"):
            report.revocation_reason = (
                _text(entry.get("revocationReason")) if isinstance(entry, Mapping) else ""
            )
            report.failed("revocation.not_revoked", report.revocation_reason)
            return
    report.passed("revocation.not_revoked")


def _issuing_addresses(profile: Mapping[str, Any]) -> list[str]:
    keys = profile.get("publicKey")
    found = []
    for key in keys if isinstance(keys, list) else []:
        match = _ETH_KEY.fullmatch(_text(key.get("id")) if isinstance(key, Mapping) else "")
        if match:
            found.append(match.group(1))
    return found


def verify(
    data: str | bytes,
    fetcher: Fetcher,
    *,
    now: datetime,
    chain: blockcerts.ChainReader | None = None,
) -> Report:
    """A Blockcerts credential given as JSON text; never raises for bad input."""
    report = Report(format="blockcerts")
    try:
        document = blockcerts.parse_credential(data)
    except ProofError as error:
        report.failed("credential.parsed", error.reason)
        return report
    report.credential = document
    report.passed("credential.parsed")
    profile = _issuer(report, document, fetcher)
    _claim(report, document)
    _dates(report, document, now)
    ledger = profile.get("ledger")
    log = FetchedLog(fetcher, ledger if isinstance(ledger, str) else "https://invalid./ledger")
    try:
        _, anchors = blockcerts.verify_anchored(
            document,
            log,
            chain=chain,
            issuing_addresses=_issuing_addresses(profile),
            now=now,
        )
    except ProofError as error:
        code = (
            "anchor.proof" if error.code.startswith(("credential.", "proof.")) else "anchor.found"
        )
        report.failed(code, f"{error.code}: {error.reason}")
    else:
        report.passed("anchor.proof")
        report.anchored_by = max((a.anchored_by for a in anchors if a.anchored_by), default=None)
        report.passed("anchor.found", ", ".join(a.anchor for a in anchors))
        report.anchor_index = next((a.index for a in anchors if a.kind == "tlog"), None)
        if report.anchor_index is not None:
            report.anchor_url = f"{log.url}/entries/{report.anchor_index}"
    if profile:
        _revocation(report, document, profile, fetcher)
    return report
