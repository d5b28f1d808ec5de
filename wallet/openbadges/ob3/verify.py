"""Verify an Open Badges 3.0 credential end to end, as OB 3.0 §9 lists the steps.

Input: credential JSON, a VC-JWT, a baked PNG/SVG, or a URL serving either. Checks, each a
`Check` in the same `Report` the 2.0 verifier fills: the contexts are bundled, the JSON
schema holds, a proof holds (an `eddsa-rdfc-2022` Data Integrity proof or the VC-JWT
signature, whichever the input has; one valid proof suffices) with a key the issuer lists,
the JWT claims agree with the body, the dates, the status list (itself a verified
credential of the same issuer), and optionally the recipient. Nothing is raised for bad
input: every problem is a failed check with its reason.

Documents (issuer profiles, DID documents, keys, status lists) come through `resolve`, a
callable the caller passes (by default built on the `fetcher`): the library never reaches
the network itself. did:key is resolved here; did:web maps to its HTTPS URL first.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ed25519

from wallet.openbadges import _fields as f
from wallet.openbadges import jsonld, signing
from wallet.openbadges.errors import (
    DocumentError,
    OpenBadgesError,
    ProofError,
    UnknownContextError,
)
from wallet.openbadges.fetching import Fetcher, FetchError, json_body
from wallet.openbadges.ob3 import baking, integrity, keys, schema, status, vcjwt
from wallet.openbadges.ob3.documents import Credential, Endorsement
from wallet.openbadges.ob3.recipient import recipient_matches
from wallet.openbadges.report import Report

CLOCK_SKEW = timedelta(minutes=5)

Resolver = Callable[[str], Any]
"""GET a URL and return its JSON; raise `OpenBadgesError` (or `OSError`) when it cannot."""


def resolver_for(fetcher: Fetcher) -> Resolver:
    """A resolver reading JSON through `fetcher` (a non-2xx answer raises FetchError); a
    body that is a compact JWS (a VC-JWT served as text) comes back as that text."""

    def resolve(url: str) -> Any:
        result = fetcher(url)
        if not result.ok:
            raise FetchError(f"{url} answered HTTP {result.status}", f"http_{result.status}")
        try:
            return json_body(result)
        except OpenBadgesError:
            text = result.body[: signing.MAX_JWS_BYTES].decode("ascii", "replace").strip()
            if signing.is_jws(text):
                return text
            raise

    return resolve


@dataclass(frozen=True)
class _Options:
    resolve: Resolver
    recipients: tuple[str, ...]
    now: datetime


def verify(
    data: str | bytes,
    fetcher: Fetcher,
    *,
    recipients: Iterable[str] = (),
    now: datetime | None = None,
    resolve: Resolver | None = None,
) -> Report:
    """Verify whatever the user has; `report.credential` is the parsed `Credential`."""
    options = _Options(
        resolve or resolver_for(fetcher), tuple(recipients), now or datetime.now(UTC)
    )
    report = Report(format="ob3")
    try:
        _verify_input(data, report, options)
    except RecursionError:
        report.failed("credential.parsed", "the credential is nested too deeply")
    return report


def _verify_input(data: str | bytes, report: Report, options: _Options) -> None:
    if isinstance(data, bytes | bytearray):
        try:
            text = baking.extract(bytes(data))
        except OpenBadgesError as error:
            report.failed("image.extracted", str(error))
            return
        report.passed("image.extracted")
        report.baked_payload = text
    else:
        text = data.strip()
    if text.startswith(("https://", "http://")):
        try:
            fetched = options.resolve(text)
        except (OpenBadgesError, OSError) as error:
            cause = error.code if isinstance(error, FetchError) else ""
            report.failed("credential.fetched", f"{text}: {error}", cause)
            return
        report.passed("credential.fetched", text)
        if isinstance(fetched, str):
            text = fetched.strip()
        else:
            _verify_json(fetched, report, options)
            return
    if signing.is_jws(text):
        report.passed("input.recognised", "jwt")
        _verify_jwt(text, report, options)
        return
    try:
        document = json.loads(text)
    except ValueError:
        report.failed("input.recognised", "not credential JSON, a VC-JWT or a URL")
        return
    report.passed("input.recognised", "json")
    _verify_json(document, report, options)


def _parse(document: Any, report: Report) -> Credential | None:
    """Contexts and schema first (their reasons are the most precise), then the typed read."""
    if isinstance(document, Mapping):
        contexts = [item for item in f.object_list(document, "@context") if isinstance(item, str)]
        unbundled = [url for url in contexts if url not in jsonld.context_urls()]
        if unbundled:
            report.failed("context.bundled", ", ".join(unbundled))
        else:
            report.passed("context.bundled")
        problems = schema.violations(document)
        if problems:
            report.failed("schema.valid", "; ".join(problems))
        else:
            report.passed("schema.valid")
    try:
        credential = Credential.from_json(document)
    except DocumentError as error:
        report.failed("credential.parsed", str(error))
        return None
    report.passed("credential.parsed", credential.vcdm)
    report.credential = credential
    report.issued_on = credential.awarded_date or credential.valid_from
    report.expires = credential.valid_until
    return credential


def _verify_json(document: Any, report: Report, options: _Options) -> None:
    credential = _parse(document, report)
    if credential is None:
        return
    _check_proofs(document, credential.issuer.id, report, options)
    _check_common(credential, report, options)


def _verify_jwt(token: str, report: Report, options: _Options) -> None:
    report.signed = True
    try:
        read = vcjwt.read(token)
    except DocumentError as error:
        report.failed("credential.parsed", str(error))
        return
    credential = _parse(read.credential, report)
    if credential is None:
        return
    disagreements = vcjwt.claim_disagreements(read)
    if disagreements:
        report.failed("jwt.claims", "; ".join(disagreements))
    else:
        report.passed("jwt.claims")
    if read.extra_headers:
        report.warned("jwt.header", f"headers OB 3.0 does not allow: {read.extra_headers}")
    _check_jwt_signature(token, read, credential.issuer.id, credential.valid_from, report, options)
    _check_common(credential, report, options)


# Keys ---------------------------------------------------------------------------------------


def _issuer_method(
    issuer: str, method_id: str, report: Report, options: _Options
) -> keys.VerificationMethod | None:
    """The method `method_id` if the issuer's profile (or DID document) lists it."""
    try:
        document = keys.controller_document(issuer, options.resolve)
    except (OpenBadgesError, OSError) as error:
        cause = error.code if isinstance(error, FetchError) else ""
        report.failed("issuer.fetched", f"{issuer}: {error}", cause)
        return None
    try:
        method = keys.listed_method(document, method_id)
        if method is None and method_id in keys.listed_ids(document):
            method = keys.method_from_json(options.resolve(method_id.split("#", 1)[0]))
            if method.id != method_id:
                method = None
    except (OpenBadgesError, OSError) as error:
        report.failed("key.listed", f"{method_id}: {error}")
        return None
    if method is None:
        report.failed("key.listed", f"the issuer does not list the key {method_id}")
        return None
    return method


def _usable(method: keys.VerificationMethod, moment: datetime, report: Report) -> bool:
    reason = method.unusable_at(moment)
    if reason:
        return report.failed("key.listed", f"{method.id}: {reason}")
    return report.passed("key.listed", method.id)


# Proofs -------------------------------------------------------------------------------------


def _check_proofs(
    document: Mapping[str, Any], issuer_id: str, report: Report, options: _Options
) -> None:
    """One valid proof, by a key `issuer_id` lists, suffices."""
    proofs = integrity.proofs_of(document)
    if not proofs:
        report.failed("proof.valid", "the credential carries no proof")
        return
    failures: list[tuple[str, str]] = []
    for index, raw in enumerate(proofs):
        scratch = Report()
        if _check_proof(document, raw, f"proof[{index}]", issuer_id, scratch, options):
            report.checks.extend(scratch.checks)
            return
        failures.extend((check.code, check.detail) for check in scratch.failures)
    for code, detail in failures:
        report.failed(code, detail)


def _check_proof(
    document: Mapping[str, Any],
    raw: Any,
    path: str,
    issuer_id: str,
    report: Report,
    options: _Options,
) -> bool:
    try:
        proof = integrity.read_proof(raw, path)
    except ProofError as error:
        return report.failed(error.code, error.reason)
    report.passed("proof.suite", integrity.CRYPTOSUITE)
    method = _issuer_method(issuer_id, proof.verification_method, report, options)
    if method is None or not _usable(method, proof.created or options.now, report):
        return False
    if not isinstance(method.public_key, ed25519.Ed25519PublicKey):
        return report.failed("proof.valid", f"{method.id} is not an Ed25519 key")
    try:
        integrity.verify(document, proof, method.public_key)
    except UnknownContextError as error:
        return report.failed("context.bundled", error.url)
    except ProofError as error:
        return report.failed(error.code, error.reason)
    except OpenBadgesError as error:
        return report.failed("proof.valid", str(error))
    return report.passed("proof.valid", proof.verification_method)


def _check_jwt_signature(
    token: str,
    read: vcjwt.Token,
    issuer_id: str,
    valid_from: datetime,
    report: Report,
    options: _Options,
) -> None:
    alg = read.header.get("alg")
    if alg not in vcjwt.ALGORITHMS:
        report.failed("proof.suite", f"unsupported JWT alg {alg!r}")
        return
    report.passed("proof.suite", str(alg))
    kid, jwk = read.header.get("kid"), read.header.get("jwk")
    if isinstance(kid, str):
        method = _issuer_method(issuer_id, kid, report, options)
    elif jwk is not None:
        method = _method_for_jwk(issuer_id, jwk, report, options)
    else:
        report.failed("key.listed", "the JWT header names no key (kid or jwk)")
        return
    if method is None or not _usable(method, valid_from, report):
        return
    try:
        vcjwt.verify_signature(token, method.public_key)
    except ProofError as error:
        report.failed(error.code, error.reason)
        return
    report.passed("proof.valid", method.id)


def _method_for_jwk(
    issuer: str, jwk: Any, report: Report, options: _Options
) -> keys.VerificationMethod | None:
    """An embedded `jwk` is only trusted when the issuer lists the same key."""
    try:
        key = keys.public_key_from_jwk(jwk)
        document = keys.controller_document(issuer, options.resolve)
    except (OpenBadgesError, OSError) as error:
        report.failed("key.listed", str(error))
        return None
    for item_id in keys.embedded_ids(document):
        try:
            method = keys.listed_method(document, item_id)
        except OpenBadgesError:
            continue
        if method is not None and keys.same_key(method.public_key, key):
            return method
    report.failed("key.listed", "the issuer does not list the JWT's key")
    return None


# Dates, status, recipient --------------------------------------------------------------------


def _check_common(credential: Credential, report: Report, options: _Options) -> None:
    now = options.now
    if credential.valid_from > now + CLOCK_SKEW:
        report.failed("issued.not_future", credential.valid_from.isoformat())
    else:
        report.passed("issued.not_future")
    if credential.valid_until is None:
        report.passed("expiry.not_expired", "never expires")
    elif credential.valid_until <= now:
        report.failed("expiry.not_expired", credential.valid_until.isoformat())
    else:
        report.passed("expiry.not_expired", credential.valid_until.isoformat())
    _check_status(credential, report, options)
    _check_endorsements(credential, report, options)
    if options.recipients:
        if recipient_matches(credential, options.recipients):
            report.passed("recipient.match")
        else:
            report.failed("recipient.match", "not awarded to this person")


def _check_status(credential: Credential, report: Report, options: _Options) -> None:
    for entry in credential.credential_status:
        kind = status.kind(entry)
        if kind == "unknown":
            report.warned("revocation.list_fetched", f"unknown status type {entry.get('type')}")
            continue
        try:
            list_doc = options.resolve(status.entry_url(entry))
        except (OpenBadgesError, OSError) as error:
            cause = error.code if isinstance(error, FetchError) else ""
            report.failed("revocation.list_fetched", str(error), cause)
            return
        try:
            issuer_id = credential.issuer.id
            found = _read_status(entry, kind, list_doc, credential.id, issuer_id, options)
        except OpenBadgesError as error:
            report.failed("revocation.list_fetched", str(error))
            return
        report.passed("revocation.list_fetched", status.entry_url(entry))
        if found.set:
            report.revocation_reason = found.reason
            report.failed("revocation.not_revoked", found.reason or found.purpose)
            return
    report.passed("revocation.not_revoked")


def _read_status(
    entry: Mapping[str, Any],
    kind: str,
    list_doc: Any,
    credential_id: str,
    issuer_id: str,
    options: _Options,
) -> status.Status:
    """What the fetched list says of the credential (`OpenBadgesError` when it cannot be
    believed or read)."""
    if kind == "bitstring":
        _check_list_credential(list_doc, issuer_id, options)
        return status.check_bitstring(entry, list_doc)
    return status.check_revocation_list(credential_id, list_doc)


def _check_list_credential(list_doc: Any, issuer_id: str, options: _Options) -> None:
    """The status list is a credential too: of `issuer_id`, a valid proof, still valid."""
    if not isinstance(list_doc, Mapping):
        raise status.StatusError("the status list is not a JSON object")
    issuer = list_doc.get("issuer")
    list_issuer = issuer.get("id") if isinstance(issuer, Mapping) else issuer
    if list_issuer != issuer_id:
        raise status.StatusError("the status list was issued by someone else")
    until = list_doc.get("validUntil")
    if isinstance(until, str) and f.parse_datetime(until, "validUntil") <= options.now:
        raise status.StatusError("the status list has expired")
    scratch = Report()
    for index, raw in enumerate(integrity.proofs_of(list_doc)):
        proof_report = Report()
        if _check_proof(list_doc, raw, f"proof[{index}]", issuer_id, proof_report, options):
            return
        scratch.checks.extend(proof_report.failures)
    reasons = "; ".join(check.detail for check in scratch.checks) or "it carries no proof"
    raise status.StatusError(f"the status list's proof does not hold: {reasons}")


# Endorsements --------------------------------------------------------------------------------


def _check_endorsements(credential: Credential, report: Report, options: _Options) -> None:
    """Each endorsement the credential carries, checked as a credential of its endorser:
    bundled contexts, its proof (or JWT signature) by a key the endorser lists, its dates,
    that it endorses this credential, its achievement or its issuer, and the endorser's
    status list. The credential's
    own proof already covers that the issuer put it there; one that does not hold is a
    warning (`endorsement.valid`), not a failure of the badge."""
    achievement = credential.subject.achievement
    endorsed = {credential.id, credential.issuer.id, achievement.id}
    if achievement.creator is not None:
        endorsed.add(achievement.creator.id)
    items: list[Mapping[str, Any] | str] = [*credential.endorsement, *credential.endorsement_jwt]
    for item in items:
        who, problem = _endorsement_problem(item, endorsed, options)
        if problem is None:
            report.passed("endorsement.valid", who)
        else:
            report.warned("endorsement.valid", f"{who}: {problem}" if who else problem)


def _endorsement_problem(
    item: Mapping[str, Any] | str, endorsed: set[str], options: _Options
) -> tuple[str, str | None]:
    """(who endorses, why the endorsement does not hold, or None when it does)."""
    read: vcjwt.Token | None = None
    document: Mapping[str, Any] = item if isinstance(item, Mapping) else {}
    if isinstance(item, str):
        try:
            read = vcjwt.read(item)
        except DocumentError as error:
            return "", str(error)
        document = read.credential
    contexts = [c for c in f.object_list(document, "@context") if isinstance(c, str)]
    unbundled = [url for url in contexts if url not in jsonld.context_urls()]
    if unbundled:
        return "", f"contexts that are not bundled: {', '.join(unbundled)}"
    try:
        endorsement = Endorsement.from_json(document)
    except DocumentError as error:
        return "", f"not an endorsement credential: {error}"
    who = endorsement.issuer.name or endorsement.issuer.id
    if endorsement.subject_id not in endorsed:
        return who, f"it endorses {endorsement.subject_id}, not this badge or its issuer"
    if endorsement.valid_from > options.now + CLOCK_SKEW:
        return who, "not valid yet"
    if endorsement.valid_until is not None and endorsement.valid_until <= options.now:
        return who, "expired"
    scratch = Report()
    if read is None:
        _check_proofs(document, endorsement.issuer.id, scratch, options)
    else:
        disagreements = vcjwt.claim_disagreements(read)
        if disagreements:
            return who, "; ".join(disagreements)
        _check_jwt_signature(
            str(item), read, endorsement.issuer.id, endorsement.valid_from, scratch, options
        )
    if scratch.failures:
        return who, "; ".join(check.detail for check in scratch.failures)
    return who, _endorsement_status_problem(document, endorsement, options)


def _endorsement_status_problem(
    document: Mapping[str, Any], endorsement: Endorsement, options: _Options
) -> str | None:
    """Why the endorser's status list says the endorsement no longer holds (revoked, or
    the list cannot be read), or None."""
    for entry in f.object_list(document, "credentialStatus"):
        kind = status.kind(entry)
        if kind == "unknown" or not isinstance(entry, Mapping):
            continue
        try:
            list_doc = options.resolve(status.entry_url(entry))
            found = _read_status(
                entry, kind, list_doc, endorsement.id, endorsement.issuer.id, options
            )
        except (OpenBadgesError, OSError) as error:
            return f"its status list cannot be read: {error}"
        if found.set:
            return f"the endorser revoked it{': ' + found.reason if found.reason else ''}"
    return None
