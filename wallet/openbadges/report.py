"""The verification report: a list of checks with stable machine-readable codes.

Codes (the app translates them): `input.recognised`, `image.extracted`, `assertion.fetched`,
`assertion.parsed`, `assertion.id_matches`, `baked.matches_hosted`, `badge.fetched`,
`badge.parsed`, `badge.id_matches`, `badge.origin_allowed`, `issuer.fetched`, `issuer.parsed`,
`issuer.id_matches`, `issuer.id_valid`, `origin.allowed`, `signature.creator`, `key.listed`,
`key.fetched`, `key.parsed`, `key.owner`, `signature.valid`, `issued.not_future`,
`expiry.after_issue`, `expiry.not_expired`, `recipient.match`, `revocation.list_fetched`,
`revocation.not_revoked`, `image.present`, `image.type`; from the registry, `format.supported`.
Open Badges 3.0 (`ob3.verify`) adds `credential.fetched`, `credential.parsed`,
`context.bundled`, `schema.valid`, `proof.suite`, `proof.valid`, `jwt.claims`, `jwt.header`,
`endorsement.valid` (one per endorsement; a warning when it does not hold)
and reuses `key.listed`, `issuer.fetched`, `issued.not_future` (not yet valid),
`expiry.not_expired`, `revocation.list_fetched`, `revocation.not_revoked`, `recipient.match`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from wallet.openbadges.v2 import Assertion, BadgeClass, Profile

CheckStatus = Literal["pass", "fail", "warn"]


@dataclass(frozen=True)
class Check:
    """`cause` says why a document could not be fetched, for a page to translate: the
    fetcher's `FetchError.code` (e.g. `blocked_address`), or `http_<status>` (`http_404`)."""

    code: str
    status: CheckStatus
    detail: str = ""
    cause: str = ""


@dataclass
class Report:
    """`valid` when an assertion (2.0) or a credential (3.0) was found and no check failed
    (warnings are allowed)."""

    checks: list[Check] = field(default_factory=list)
    assertion: Assertion | None = None
    badge: BadgeClass | None = None
    issuer: Profile | None = None
    signed: bool = False
    baked_payload: str | None = None
    # the issuer's words when it revoked the assertion (410 body, `revocationReason`, or the
    # revocation list); empty when it gave none or the assertion is not revoked
    revocation_reason: str = ""
    # which verifier read it (`registry.verify_any`): "ob2", "ob3", "blockcerts"
    format: str = "ob2"
    # the Open Badges 3.0 credential read (`ob3.documents.Credential`); None for 2.0
    credential: Any = None
    # what a credential says of itself when there is no 2.0 assertion to say it (3.0,
    # Blockcerts): when it was issued and until when it is valid
    issued_on: datetime | None = None
    expires: datetime | None = None
    # Blockcerts: the latest time the credential can have been anchored, and our log's entry
    anchored_by: datetime | None = None
    anchor_index: int | None = None
    anchor_url: str = ""

    @property
    def valid(self) -> bool:
        found = self.assertion is not None or self.credential is not None
        return found and not self.failures

    @property
    def is_revoked(self) -> bool:
        """The issuer says the assertion is revoked (whatever else was found)."""
        return self.status_of("revocation.not_revoked") == "fail"

    @property
    def failures(self) -> list[Check]:
        return [check for check in self.checks if check.status == "fail"]

    @property
    def warnings(self) -> list[Check]:
        return [check for check in self.checks if check.status == "warn"]

    def status_of(self, code: str) -> CheckStatus | None:
        """The worst status recorded under `code` (None if never checked)."""
        statuses = {check.status for check in self.checks if check.code == code}
        for status in ("fail", "warn", "pass"):
            if status in statuses:
                return status
        return None

    def add(self, code: str, status: CheckStatus, detail: str = "", cause: str = "") -> bool:
        self.checks.append(Check(code, status, detail, cause))
        return status != "fail"

    def passed(self, code: str, detail: str = "") -> bool:
        return self.add(code, "pass", detail)

    def failed(self, code: str, detail: str = "", cause: str = "") -> bool:
        return self.add(code, "fail", detail, cause)

    def warned(self, code: str, detail: str = "", cause: str = "") -> bool:
        return self.add(code, "warn", detail, cause)
