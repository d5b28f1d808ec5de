"""Open Badges 3.0 documents as frozen dataclasses: build, serialise and parse.

`Credential.to_json()` writes the VC Data Model 2.0 form (`validFrom`/`validUntil`, the
contexts `credentials/v2` then OB `context-3.0.3.json`); `from_json()` also reads the 1.1 form
(`issuanceDate`/`expirationDate`, `credentials/v1`) and says which it read in `vcdm`.
Texts are kept exactly as given (no normalisation), so Japanese comes back byte for byte.
Languages: an Achievement states its `inLanguage`; the same achievement in another language
is a `related` entry with its own `inLanguage` (how OB 3.0 links translations).

What the verifier checks is the JSON it was given; these objects are the readable view.
Malformed input raises `DocumentError(field, reason)`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal, TypeAlias

from wallet.openbadges import _fields as f
from wallet.openbadges.errors import DocumentError
from wallet.openbadges.ob3.parts import (
    Achievement,
    AchievementSubject,
    Criteria,
    Evidence,
    IdentityObject,
    Image,
    Profile,
    Related,
    Result,
    drop_empty,
    format_datetime,
)

__all__ = [
    "Achievement",
    "AchievementSubject",
    "Credential",
    "Criteria",
    "Endorsement",
    "Evidence",
    "IdentityObject",
    "Image",
    "Profile",
    "Related",
    "Result",
    "drop_empty",
    "format_datetime",
]

JSON: TypeAlias = dict[str, Any]
VCDM = Literal["2.0", "1.1"]

VC_V2 = "https://www.w3.org/ns/credentials/v2"
VC_V1 = "https://www.w3.org/2018/credentials/v1"
OB_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
SCHEMA_ID = (
    "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json"
)
CREDENTIAL_TYPES = ("OpenBadgeCredential", "AchievementCredential")
ENDORSEMENT_TYPE = "EndorsementCredential"


@dataclass(frozen=True)
class Credential:
    """An OpenBadgeCredential (alias AchievementCredential).

    `endorsement` keeps endorsement credentials as the JSON they came in (each carries its
    own proof); `credential_status` likewise (`status` reads it).
    """

    id: str
    issuer: Profile
    name: str
    valid_from: datetime
    subject: AchievementSubject
    description: str | None = None
    valid_until: datetime | None = None
    image: Image | None = None
    awarded_date: datetime | None = None
    evidence: tuple[Evidence, ...] = ()
    credential_status: tuple[JSON, ...] = ()
    endorsement: tuple[JSON, ...] = ()
    endorsement_jwt: tuple[str, ...] = ()
    types: tuple[str, ...] = ("VerifiableCredential", "OpenBadgeCredential")
    vcdm: VCDM = "2.0"
    extra_contexts: tuple[str, ...] = field(default=())

    def to_json(self) -> JSON:
        """The VC Data Model 2.0 form (1.1 credentials are read, never written).

        No `credentialSchema`: its type `1EdTechJsonSchemaValidator2019` is defined by no
        context, so it would go unsigned and strict JSON-LD processors (Digital Bazaar's)
        refuse the whole credential; verifiers check the schema anyway.
        """
        status = list(self.credential_status)
        body = drop_empty(
            {
                "@context": [VC_V2, OB_CONTEXT, *self.extra_contexts],
                "id": self.id,
                "type": list(self.types),
                "issuer": self.issuer.to_object(),
                "validFrom": format_datetime(self.valid_from, "validFrom"),
                "validUntil": None
                if self.valid_until is None
                else format_datetime(self.valid_until, "validUntil"),
                "awardedDate": None
                if self.awarded_date is None
                else format_datetime(self.awarded_date, "awardedDate"),
                "name": self.name,
                "description": self.description,
                "image": self.image.to_object() if self.image else None,
                "credentialSubject": self.subject.to_object(),
                "evidence": [item.to_object() for item in self.evidence],
                "endorsement": list(self.endorsement),
                "endorsementJwt": list(self.endorsement_jwt),
                "credentialStatus": status[0] if len(status) == 1 else status,
            }
        )
        return body

    @classmethod
    def from_json(cls, document: Any) -> Credential:
        doc = f.as_object(document, "")
        contexts = tuple(c for c in _list(doc.get("@context")) if isinstance(c, str))
        types = f.types_of(doc, "")
        if "VerifiableCredential" not in types or not any(t in types for t in CREDENTIAL_TYPES):
            raise DocumentError("type", "must include VerifiableCredential and OpenBadgeCredential")
        vcdm: VCDM = "1.1" if VC_V1 in contexts else "2.0"
        start, end = ("validFrom", "validUntil")
        if vcdm == "1.1":
            start, end = ("issuanceDate", "expirationDate")
        if start not in doc:
            raise DocumentError(start, "is required")
        return cls(
            id=f.text(doc, "id", ""),
            issuer=Profile.from_value(doc.get("issuer"), "issuer"),
            name=f.optional_text(doc, "name", "") or "",
            valid_from=_utc(f.parse_datetime(doc[start], start)),
            valid_until=None if doc.get(end) is None else _utc(f.parse_datetime(doc[end], end)),
            subject=AchievementSubject.from_value(
                doc.get("credentialSubject"), "credentialSubject"
            ),
            description=f.optional_text(doc, "description", ""),
            image=Image.from_value(doc.get("image"), "image"),
            awarded_date=None
            if doc.get("awardedDate") is None
            else _utc(f.parse_datetime(doc["awardedDate"], "awardedDate")),
            evidence=tuple(
                Evidence.from_value(item, f"evidence[{index}]")
                for index, item in enumerate(f.object_list(doc, "evidence"))
            ),
            credential_status=tuple(
                dict(f.as_object(item, "credentialStatus"))
                for item in f.object_list(doc, "credentialStatus")
            ),
            endorsement=tuple(
                dict(f.as_object(item, "endorsement")) for item in f.object_list(doc, "endorsement")
            ),
            endorsement_jwt=f.text_list(doc, "endorsementJwt", ""),
            types=types,
            vcdm=vcdm,
            extra_contexts=tuple(c for c in contexts if c not in (VC_V1, VC_V2, OB_CONTEXT)),
        )


@dataclass(frozen=True)
class Endorsement:
    """An EndorsementCredential: a third party (its `issuer`, the endorser) vouching for
    the thing `subject_id` names (a credential, an achievement or a profile), signed with
    the endorser's own key."""

    id: str
    issuer: Profile
    valid_from: datetime
    subject_id: str
    name: str = ""
    comment: str | None = None
    valid_until: datetime | None = None
    vcdm: VCDM = "2.0"

    def to_json(self) -> JSON:
        """The VC Data Model 2.0 form."""
        return drop_empty(
            {
                "@context": [VC_V2, OB_CONTEXT],
                "id": self.id,
                "type": ["VerifiableCredential", ENDORSEMENT_TYPE],
                "name": self.name,
                "issuer": self.issuer.to_object(),
                "validFrom": format_datetime(self.valid_from, "validFrom"),
                "validUntil": None
                if self.valid_until is None
                else format_datetime(self.valid_until, "validUntil"),
                "credentialSubject": {
                    "id": self.subject_id,
                    "type": ["EndorsementSubject"],
                    "endorsementComment": self.comment,
                },
            }
        )

    @classmethod
    def from_json(cls, document: Any) -> Endorsement:
        doc = f.as_object(document, "")
        types = f.types_of(doc, "")
        if "VerifiableCredential" not in types or ENDORSEMENT_TYPE not in types:
            raise DocumentError(
                "type", "must include VerifiableCredential and EndorsementCredential"
            )
        contexts = tuple(c for c in _list(doc.get("@context")) if isinstance(c, str))
        vcdm: VCDM = "1.1" if VC_V1 in contexts else "2.0"
        start, end = (
            ("issuanceDate", "expirationDate") if vcdm == "1.1" else ("validFrom", "validUntil")
        )
        if start not in doc:
            raise DocumentError(start, "is required")
        subject = f.as_object(doc.get("credentialSubject"), "credentialSubject")
        return cls(
            id=f.text(doc, "id", ""),
            issuer=Profile.from_value(doc.get("issuer"), "issuer"),
            valid_from=_utc(f.parse_datetime(doc[start], start)),
            subject_id=f.text(subject, "id", "credentialSubject"),
            name=f.optional_text(doc, "name", "") or "",
            comment=f.optional_text(subject, "endorsementComment", "credentialSubject"),
            valid_until=None if doc.get(end) is None else _utc(f.parse_datetime(doc[end], end)),
            vcdm=vcdm,
        )


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [] if value is None else [value]


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC)
