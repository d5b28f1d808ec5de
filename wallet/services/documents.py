"""Hosted Open Badges 2.0 documents: issuer profile, badge class, assertion, revocation list.

Models plus the site's ``base_url`` in, `wallet.openbadges.v2` objects or JSON-LD dicts out.
The URLs are a public contract (DESIGN.md) and must never change:

- issuer          ``{base}/ob/issuers/{issuer.public_id}``
- revocation list ``{base}/ob/issuers/{issuer.public_id}/revocations``
- badge class     ``{base}/ob/badges/{badge_class.public_id}``
- assertion       ``{base}/ob/assertions/{award.public_id}``
- images          ``{base}/ob/images/{sha256}``

Only the primary-language texts go into the documents; English versions stay in the app.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload
from sqlalchemy.orm.interfaces import ORMOption

from wallet import urls
from wallet.models import AnchoredCredential, Award, AwardState, BadgeClass, Issuer
from wallet.openbadges import v2
from wallet.openbadges.hashing import hash_identity, normalise_email
from wallet.services.errors import NotFoundError

JSON = dict[str, Any]


def issuer_url(base_url: str, issuer: Issuer) -> str:
    return urls.issuer(base_url, issuer.public_id)


def revocation_list_url(base_url: str, issuer: Issuer) -> str:
    return urls.revocation_list(base_url, issuer.public_id)


def badge_class_url(base_url: str, badge_class: BadgeClass) -> str:
    return urls.badge_class(base_url, badge_class.public_id)


def assertion_url(base_url: str, award: Award) -> str:
    return urls.assertion(base_url, award.public_id)


def image_url(base_url: str, sha256: str) -> str:
    return urls.image(base_url, sha256)


# What the 1EdTech validator accepts in `allowedOrigins`: a DNS name, no port, no IP address.
_HOSTNAME = re.compile(r"^(?=.{4,253}$)((?!-)[a-zA-Z0-9-]{0,62}[a-zA-Z0-9]\.)+[a-zA-Z]{2,63}$")


def _allowed_origins(base_url: str) -> tuple[str, ...]:
    """The site's host as OB 2.0 `allowedOrigins` wants it (bare host: no scheme, no path).

    With a port or an IP address (development) the list is left out: the validator rejects
    such values, and its default, the issuer id's host[:port], is this very origin anyway.
    """
    origin = urlsplit(base_url).netloc
    return (origin,) if _HOSTNAME.match(origin) else ()


def _moment(value: datetime) -> datetime:
    # whole seconds read better and every OB consumer parses them
    return value.replace(microsecond=0)


def issuer_profile(issuer: Issuer, base_url: str) -> v2.Profile:
    """The issuer's Profile. Its verification policy accepts hosted assertions only on this
    site's origin and under ``/ob/assertions/``, so nothing else served here can pose as one."""
    return v2.Profile(
        id=issuer_url(base_url, issuer),
        name=issuer.name,
        url=issuer.url,
        email=issuer.email,
        description=issuer.description or None,
        image=image_url(base_url, issuer.image_sha256) if issuer.image_sha256 else None,
        revocation_list=revocation_list_url(base_url, issuer),
        verification=v2.VerificationObject(
            type="VerificationObject",
            starts_with=(urls.assertions_prefix(base_url),),
            allowed_origins=_allowed_origins(base_url),
        ),
    )


def badge_class_document(badge_class: BadgeClass, base_url: str) -> v2.BadgeClass:
    """The BadgeClass. Criteria: the narrative and/or the criteria URL staff entered (the
    description stands in when both are empty, since OB 2.0 requires criteria)."""
    criteria = v2.Criteria(
        id=badge_class.criteria_url or None,
        narrative=badge_class.criteria_text or None,
    )
    if criteria.id is None and criteria.narrative is None:
        criteria = v2.Criteria(narrative=badge_class.description)
    return v2.BadgeClass(
        id=badge_class_url(base_url, badge_class),
        name=badge_class.name,
        description=badge_class.description,
        image=image_url(base_url, badge_class.image_sha256),
        criteria=criteria,
        issuer=issuer_url(base_url, badge_class.issuer),
        tags=tuple(badge_class.tags or ()),
    )


def recipient_identity(award: Award) -> v2.IdentityObject:
    """``sha256$`` + hex(sha256(normalised email + the award's salt)); never the plain email."""
    return v2.IdentityObject(
        identity=hash_identity(normalise_email(award.recipient_email), award.salt),
        type="email",
        hashed=True,
        salt=award.salt,
    )


def assertion_document(award: Award, base_url: str) -> v2.Assertion:
    """The hosted Assertion of a live award. It carries no name, only the hashed email."""
    return v2.Assertion(
        id=assertion_url(base_url, award),
        recipient=recipient_identity(award),
        badge=badge_class_url(base_url, award.badge_class),
        verification=v2.VerificationObject(type="HostedBadge"),
        issued_on=_moment(award.issued_on),
        expires=_moment(award.expires_at) if award.expires_at else None,
    )


def revoked_assertion_body(award: Award, base_url: str) -> JSON:
    """What a revoked assertion URL answers (with HTTP 410), as OB 2.0 specifies."""
    body: JSON = {"@context": v2.CONTEXT, "id": assertion_url(base_url, award), "revoked": True}
    if award.revocation_reason:
        body["revocationReason"] = award.revocation_reason
    return body


def revocation_list(session: Session, issuer: Issuer, base_url: str) -> v2.RevocationList:
    """Every revoked award of the issuer's badge classes, oldest revocation first; an
    anchored one twice: its assertion's URL, and its Blockcerts credential's id (the list is
    the issuer profile's ``revocationList`` for Blockcerts verifiers too)."""
    revoked = session.execute(
        select(Award, AnchoredCredential.credential_id)
        .join(BadgeClass, Award.badge_class_id == BadgeClass.id)
        .outerjoin(AnchoredCredential, AnchoredCredential.award_id == Award.id)
        .where(BadgeClass.issuer_id == issuer.id, Award.revoked_at.is_not(None))
        .order_by(Award.revoked_at, Award.id)
    ).all()
    entries = []
    for award, credential_id in revoked:
        reason = award.revocation_reason or None
        entries.append(v2.RevokedAssertion(assertion_url(base_url, award), reason))
        if credential_id:
            entries.append(v2.RevokedAssertion(credential_id, reason))
    return v2.RevocationList(
        id=revocation_list_url(base_url, issuer),
        issuer=issuer_url(base_url, issuer),
        revoked_assertions=tuple(entries),
    )


@dataclass(frozen=True)
class HostedDocument:
    """A JSON-LD body and the HTTP status to serve it with."""

    body: JSON
    status: int = 200


Published = TypeVar("Published", Issuer, BadgeClass, Award)


def _by_public_id(
    session: Session, model: type[Published], public_id: str, *options: ORMOption
) -> Published:
    if not public_id or len(public_id) > 40:
        raise NotFoundError()
    found = session.scalar(select(model).options(*options).where(model.public_id == public_id))
    if found is None:
        raise NotFoundError()
    return found


def get_issuer_document(session: Session, public_id: str, base_url: str) -> HostedDocument:
    """The issuer profile by public id; `NotFoundError` if there is none."""
    issuer = _by_public_id(session, Issuer, public_id)
    return HostedDocument(issuer_profile(issuer, base_url).to_json())


def get_badge_class_document(session: Session, public_id: str, base_url: str) -> HostedDocument:
    """The badge class by public id; `NotFoundError` if there is none."""
    badge_class = _by_public_id(session, BadgeClass, public_id)
    return HostedDocument(badge_class_document(badge_class, base_url).to_json())


def get_assertion_document(session: Session, public_id: str, base_url: str) -> HostedDocument:
    """The assertion by public id, whatever its wallet visibility.

    - offered (not accepted yet), pending, issued: served (200); the issuer made the award,
      and any badge file handed out must keep verifying.
    - revoked: 410 with ``{id, revoked: true, revocationReason}``; also in the revocation list.
    - declined by the recipient: `NotFoundError`, like an id that never existed.
    """
    # the badge class comes in the same query: its URL is in the document
    award = _by_public_id(session, Award, public_id, joinedload(Award.badge_class))
    if award.is_revoked:
        return HostedDocument(revoked_assertion_body(award, base_url), status=410)
    if award.state == AwardState.DECLINED:
        raise NotFoundError()
    return HostedDocument(assertion_document(award, base_url).to_json())


def get_revocation_list_document(
    session: Session, issuer_public_id: str, base_url: str
) -> HostedDocument:
    """The issuer's revocation list; `NotFoundError` for an unknown issuer."""
    issuer = _by_public_id(session, Issuer, issuer_public_id)
    return HostedDocument(revocation_list(session, issuer, base_url).to_json())
