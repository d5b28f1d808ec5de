"""Open Badges 2.0 documents as frozen dataclasses: build, serialise and parse.

`to_json()` gives a JSON-LD dict with the v2 `@context` at the top level; `from_json()` accepts
the shapes real issuers publish (ids or embedded objects, image as a string or an object,
`type` as a string or a list) and raises `DocumentError(field, reason)` for anything else.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeAlias

from wallet.openbadges import _fields as f
from wallet.openbadges._objects import (
    Alignment,
    Criteria,
    Evidence,
    IdentityObject,
    Image,
    VerificationObject,
    drop_empty,
    image_json,
    image_url,
)
from wallet.openbadges.errors import DocumentError

__all__ = [
    "CONTEXT",
    "Alignment",
    "Assertion",
    "BadgeClass",
    "Criteria",
    "CryptographicKey",
    "Document",
    "Evidence",
    "IdentityObject",
    "Image",
    "Profile",
    "RevocationList",
    "RevokedAssertion",
    "VerificationObject",
    "image_url",
    "parse",
]

CONTEXT = "https://w3id.org/openbadges/v2"

JSON: TypeAlias = dict[str, Any]


def _with_context(body: JSON) -> JSON:
    return {"@context": CONTEXT, **body}


@dataclass(frozen=True)
class Profile:
    id: str
    name: str
    url: str
    email: str
    description: str | None = None
    image: str | Image | None = None
    telephone: str | None = None
    public_key: tuple[str, ...] = ()
    revocation_list: str | None = None
    verification: VerificationObject | None = None

    def to_object(self) -> JSON:
        return drop_empty(
            {
                "type": "Issuer",
                "id": self.id,
                "name": self.name,
                "url": self.url,
                "email": self.email,
                "description": self.description,
                "image": image_json(self.image),
                "telephone": self.telephone,
                "publicKey": list(self.public_key),
                "revocationList": self.revocation_list,
                "verification": self.verification.to_object() if self.verification else None,
            }
        )

    def to_json(self) -> JSON:
        return _with_context(self.to_object())

    @classmethod
    def from_json(cls, document: Mapping[str, Any], path: str = "") -> Profile:
        doc = f.as_object(document, path)
        f.expect_type(doc, path, "Issuer", "Profile")
        keys = []
        for index, item in enumerate(f.object_list(doc, "publicKey")):
            key_path = f"{f.join(path, 'publicKey')}[{index}]"
            if isinstance(item, str):
                keys.append(item)
            else:  # an embedded CryptographicKey: keep its id
                keys.append(f.text(f.as_object(item, key_path), "id", key_path))
        revocation_list = doc.get("revocationList")
        if isinstance(revocation_list, Mapping):
            revocation_list = f.text(revocation_list, "id", f.join(path, "revocationList"))
        else:
            revocation_list = f.optional_text(doc, "revocationList", path)
        verification = doc.get("verification")
        return cls(
            id=f.identifier(doc, "id", path),
            name=f.text(doc, "name", path),
            url=f.text(doc, "url", path),
            email=f.text(doc, "email", path),
            description=f.optional_text(doc, "description", path),
            image=_optional_image(doc, path),
            telephone=f.optional_text(doc, "telephone", path),
            public_key=tuple(keys),
            revocation_list=revocation_list,
            verification=None
            if verification is None
            else VerificationObject.from_value(
                verification, f.join(path, "verification"), "VerificationObject"
            ),
        )


def _optional_image(doc: Mapping[str, Any], path: str) -> str | Image | None:
    value = doc.get("image")
    return None if value is None else Image.from_value(value, f.join(path, "image"))


@dataclass(frozen=True)
class BadgeClass:
    id: str
    name: str
    description: str
    image: str | Image
    criteria: Criteria | str
    issuer: str | Profile
    tags: tuple[str, ...] = ()
    alignment: tuple[Alignment, ...] = ()

    @property
    def issuer_id(self) -> str:
        return self.issuer.id if isinstance(self.issuer, Profile) else self.issuer

    def to_object(self) -> JSON:
        return drop_empty(
            {
                "type": "BadgeClass",
                "id": self.id,
                "name": self.name,
                "description": self.description,
                "image": image_json(self.image),
                "criteria": self.criteria.to_object()
                if isinstance(self.criteria, Criteria)
                else self.criteria,
                "issuer": self.issuer.to_object()
                if isinstance(self.issuer, Profile)
                else self.issuer,
                "tags": list(self.tags),
                "alignment": [item.to_object() for item in self.alignment],
            }
        )

    def to_json(self) -> JSON:
        return _with_context(self.to_object())

    @classmethod
    def from_json(cls, document: Mapping[str, Any], path: str = "") -> BadgeClass:
        doc = f.as_object(document, path)
        f.expect_type(doc, path, "BadgeClass")
        image = _optional_image(doc, path)
        if image is None:
            raise DocumentError(f.join(path, "image"), "is required")
        if doc.get("criteria") is None:
            raise DocumentError(f.join(path, "criteria"), "is required")
        issuer = doc.get("issuer")
        issuer_path = f.join(path, "issuer")
        alignment_path = f.join(path, "alignment")
        return cls(
            id=f.identifier(doc, "id", path),
            name=f.text(doc, "name", path),
            description=f.text(doc, "description", path),
            image=image,
            criteria=Criteria.from_value(doc["criteria"], f.join(path, "criteria")),
            issuer=Profile.from_json(issuer, issuer_path)
            if isinstance(issuer, Mapping)
            else f.identifier(doc, "issuer", path),
            tags=f.text_list(doc, "tags", path),
            alignment=tuple(
                Alignment.from_value(item, f"{alignment_path}[{index}]")
                for index, item in enumerate(f.object_list(doc, "alignment"))
            ),
        )


@dataclass(frozen=True)
class Assertion:
    id: str
    recipient: IdentityObject
    badge: str | BadgeClass
    verification: VerificationObject
    issued_on: datetime
    image: str | Image | None = None
    expires: datetime | None = None
    evidence: tuple[Evidence, ...] = ()
    narrative: str | None = None
    revoked: bool | None = None
    revocation_reason: str | None = None

    @property
    def badge_id(self) -> str:
        return self.badge.id if isinstance(self.badge, BadgeClass) else self.badge

    def to_object(self) -> JSON:
        return drop_empty(
            {
                "type": "Assertion",
                "id": self.id,
                "recipient": self.recipient.to_object(),
                "badge": self.badge.to_object()
                if isinstance(self.badge, BadgeClass)
                else self.badge,
                "verification": self.verification.to_object(),
                "issuedOn": f.format_datetime(self.issued_on, "issuedOn"),
                "image": image_json(self.image),
                "expires": None
                if self.expires is None
                else f.format_datetime(self.expires, "expires"),
                "evidence": [item.to_object() for item in self.evidence],
                "narrative": self.narrative,
                "revoked": self.revoked,
                "revocationReason": self.revocation_reason,
            }
        )

    def to_json(self) -> JSON:
        return _with_context(self.to_object())

    @classmethod
    def from_json(cls, document: Mapping[str, Any], path: str = "") -> Assertion:
        doc = f.as_object(document, path)
        f.expect_type(doc, path, "Assertion")
        for key in ("recipient", "badge", "issuedOn"):
            if doc.get(key) is None:
                raise DocumentError(f.join(path, key), "is required")
        verification = doc.get("verification", doc.get("verify"))
        if verification is None:
            raise DocumentError(f.join(path, "verification"), "is required")
        badge = doc["badge"]
        evidence_path = f.join(path, "evidence")
        expires = doc.get("expires")
        return cls(
            id=f.identifier(doc, "id", path),
            recipient=IdentityObject.from_value(doc["recipient"], f.join(path, "recipient")),
            badge=BadgeClass.from_json(badge, f.join(path, "badge"))
            if isinstance(badge, Mapping)
            else f.identifier(doc, "badge", path),
            verification=VerificationObject.from_value(verification, f.join(path, "verification")),
            issued_on=f.parse_datetime(doc["issuedOn"], f.join(path, "issuedOn")),
            image=_optional_image(doc, path),
            expires=None if expires is None else f.parse_datetime(expires, f.join(path, "expires")),
            evidence=tuple(
                Evidence.from_value(item, f"{evidence_path}[{index}]")
                for index, item in enumerate(f.object_list(doc, "evidence"))
            ),
            narrative=f.optional_text(doc, "narrative", path),
            revoked=f.optional_bool(doc, "revoked", path),
            revocation_reason=f.optional_text(doc, "revocationReason", path),
        )


@dataclass(frozen=True)
class RevokedAssertion:
    id: str
    revocation_reason: str | None = None


@dataclass(frozen=True)
class RevocationList:
    id: str
    issuer: str
    revoked_assertions: tuple[RevokedAssertion, ...] = ()

    def is_revoked(self, assertion_id: str) -> RevokedAssertion | None:
        """The entry revoking `assertion_id`, if any."""
        return next((item for item in self.revoked_assertions if item.id == assertion_id), None)

    def to_json(self) -> JSON:
        entries = [
            drop_empty({"id": item.id, "revocationReason": item.revocation_reason})
            for item in self.revoked_assertions
        ]
        return _with_context(
            {
                "type": "RevocationList",
                "id": self.id,
                "issuer": self.issuer,
                "revokedAssertions": entries,
            }
        )

    @classmethod
    def from_json(cls, document: Mapping[str, Any], path: str = "") -> RevocationList:
        doc = f.as_object(document, path)
        f.expect_type(doc, path, "RevocationList")
        if doc.get("revokedAssertions") is None:
            raise DocumentError(f.join(path, "revokedAssertions"), "is required")
        list_path = f.join(path, "revokedAssertions")
        entries = []
        # A single entry may arrive as a bare object or string (JSON-LD compaction): keep it.
        for index, item in enumerate(f.object_list(doc, "revokedAssertions")):
            item_path = f"{list_path}[{index}]"
            if isinstance(item, str):
                entries.append(RevokedAssertion(item))
                continue
            entry = f.as_object(item, item_path)
            key = "id" if entry.get("id") is not None else "uid"
            entries.append(
                RevokedAssertion(
                    f.text(entry, key, item_path),
                    f.optional_text(entry, "revocationReason", item_path),
                )
            )
        issuer = doc.get("issuer")
        return cls(
            id=f.identifier(doc, "id", path),
            issuer=f.text(issuer, "id", f.join(path, "issuer"))
            if isinstance(issuer, Mapping)
            else f.text(doc, "issuer", path),
            revoked_assertions=tuple(entries),
        )


@dataclass(frozen=True)
class CryptographicKey:
    id: str
    owner: str
    public_key_pem: str

    def to_json(self) -> JSON:
        return _with_context(
            {
                "type": "CryptographicKey",
                "id": self.id,
                "owner": self.owner,
                "publicKeyPem": self.public_key_pem,
            }
        )

    @classmethod
    def from_json(cls, document: Mapping[str, Any], path: str = "") -> CryptographicKey:
        doc = f.as_object(document, path)
        f.expect_type(doc, path, "CryptographicKey")
        return cls(
            id=f.identifier(doc, "id", path),
            owner=f.text(doc, "owner", path),
            public_key_pem=f.text(doc, "publicKeyPem", path),
        )


Document: TypeAlias = Profile | BadgeClass | Assertion | RevocationList | CryptographicKey

_PARSERS: dict[str, Any] = {
    "Issuer": Profile.from_json,
    "Profile": Profile.from_json,
    "BadgeClass": BadgeClass.from_json,
    "Assertion": Assertion.from_json,
    "RevocationList": RevocationList.from_json,
    "CryptographicKey": CryptographicKey.from_json,
}


def parse(document: Any) -> Document:
    """Parse any OB 2.0 document, choosing the class by its `type`."""
    doc = f.as_object(document, "")
    for type_name in f.types_of(doc, ""):
        parser = _PARSERS.get(type_name.rsplit(":", 1)[-1])
        if parser is not None:
            result: Document = parser(doc)
            return result
    raise DocumentError("type", "is not an Open Badges 2.0 document type")
