"""An Open Badges 3.0 credential seen through the 2.0 shapes the imported-badge pages keep.

Importing stores an assertion, a badge class and an issuer (``ImportedBadge``); a 3.0
credential carries all three in one document, so after it verifies its parts are read
into those shapes (nothing is fetched or trusted beyond what the verifier checked), and
the credential itself is kept as the "assertion" JSON, from which it is checked again.
"""

from __future__ import annotations

import json
from typing import Any

from wallet.openbadges import v2
from wallet.openbadges.ob3.documents import CREDENTIAL_TYPES, Credential
from wallet.openbadges.report import Report


def as_v2(report: Report) -> None:
    """Fill ``report.assertion``/``badge``/``issuer`` from ``report.credential`` (a 3.0
    credential that verified, or failed for a reason the importer names)."""
    credential = report.credential
    if not isinstance(credential, Credential) or report.assertion is not None:
        return
    subject = credential.subject
    achievement = subject.achievement
    identifier = next(iter(subject.identifier), None)
    if identifier is not None:
        recipient = v2.IdentityObject(
            identity=identifier.identity_hash,
            type="email" if identifier.identity_type == "emailAddress" else "url",
            hashed=identifier.hashed,
            salt=identifier.salt,
        )
    else:
        recipient = v2.IdentityObject(identity=subject.id or "", type="url", hashed=False)
    issuer = credential.issuer
    report.issuer = v2.Profile(
        id=issuer.id, name=issuer.name or issuer.id, url=issuer.url or "", email=issuer.email or ""
    )
    image = achievement.image or credential.image
    report.badge = v2.BadgeClass(
        id=achievement.id,
        name=achievement.name,
        description=achievement.description,
        image=image.id if image else "",
        criteria=v2.Criteria(id=achievement.criteria.id, narrative=achievement.criteria.narrative),
        issuer=issuer.id,
        tags=achievement.tags,
    )
    report.assertion = v2.Assertion(
        id=credential.id,
        recipient=recipient,
        badge=achievement.id,
        verification=v2.VerificationObject(type="SignedBadge"),
        issued_on=credential.awarded_date or credential.valid_from,
        expires=credential.valid_until,
    )


def credential_text(assertion_json: Any) -> str:
    """The kept credential as text to verify again; "" when it is a 2.0 assertion."""
    if not isinstance(assertion_json, dict):
        return ""
    kinds = assertion_json.get("type")
    kinds = kinds if isinstance(kinds, list) else [kinds]
    if not any(kind in CREDENTIAL_TYPES for kind in kinds):
        return ""
    return json.dumps(assertion_json, ensure_ascii=False)
