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

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal, TypeAlias

from wallet.openbadges import _fields as f
from wallet.openbadges.errors import DocumentError

JSON: TypeAlias = dict[str, Any]
VCDM = Literal["2.0", "1.1"]

VC_V2 = "https://www.w3.org/ns/credentials/v2"
VC_V1 = "https://www.w3.org/2018/credentials/v1"
OB_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
SCHEMA_ID = (
    "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json"
)
CREDENTIAL_TYPES = ("OpenBadgeCredential", "AchievementCredential")


def drop_empty(body: JSON) -> JSON:
    """No nulls and no empty lists, as OB 3.0 asks of JSON it serves."""
    return {key: value for key, value in body.items() if value is not None and value != []}


def format_datetime(value: datetime, path: str) -> str:
    """xsd:dateTime with a zone; UTC is written `Z`."""
    text = f.format_datetime(value, path)
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _types(doc: Mapping[str, Any], path: str, required: str) -> tuple[str, ...]:
    found = f.types_of(doc, path)
    if required not in found:
        raise DocumentError(f.join(path, "type"), f"must include {required}")
    return found


def _one(value: Any, path: str) -> Any:
    """A JSON-LD value that may be a one-element list."""
    if isinstance(value, list):
        if len(value) != 1:
            raise DocumentError(path, "must be one object")
        return value[0]
    return value


@dataclass(frozen=True)
class Image:
    id: str
    caption: str | None = None

    def to_object(self) -> JSON:
        return drop_empty({"id": self.id, "type": "Image", "caption": self.caption})

    @classmethod
    def from_value(cls, value: Any, path: str) -> Image | None:
        if value is None:
            return None
        if isinstance(value, str):  # tolerated: issuers of the 1.1 era wrote a bare URL
            return cls(value)
        doc = f.as_object(value, path)
        return cls(f.text(doc, "id", path), f.optional_text(doc, "caption", path))


@dataclass(frozen=True)
class Profile:
    """The issuer (or an endorser, or an achievement's creator)."""

    id: str
    name: str | None = None
    url: str | None = None
    email: str | None = None
    description: str | None = None
    image: Image | None = None

    def to_object(self) -> JSON:
        return drop_empty(
            {
                "id": self.id,
                "type": ["Profile"],
                "name": self.name,
                "url": self.url,
                "email": self.email,
                "description": self.description,
                "image": self.image.to_object() if self.image else None,
            }
        )

    @classmethod
    def from_value(cls, value: Any, path: str) -> Profile:
        if isinstance(value, str):
            return cls(value)
        doc = f.as_object(value, path)
        return cls(
            id=f.text(doc, "id", path),
            name=f.optional_text(doc, "name", path),
            url=f.optional_text(doc, "url", path),
            email=f.optional_text(doc, "email", path),
            description=f.optional_text(doc, "description", path),
            image=Image.from_value(doc.get("image"), f.join(path, "image")),
        )


@dataclass(frozen=True)
class Criteria:
    id: str | None = None
    narrative: str | None = None

    def to_object(self) -> JSON:
        return drop_empty({"id": self.id, "narrative": self.narrative})

    @classmethod
    def from_value(cls, value: Any, path: str) -> Criteria:
        doc = f.as_object(value, path)
        criteria = cls(f.optional_text(doc, "id", path), f.optional_text(doc, "narrative", path))
        if criteria.id is None and criteria.narrative is None:
            raise DocumentError(path, "needs an id or a narrative")
        return criteria


@dataclass(frozen=True)
class Related:
    """The same achievement in another language (or version)."""

    id: str
    in_language: str | None = None
    version: str | None = None

    def to_object(self) -> JSON:
        return drop_empty(
            {
                "id": self.id,
                "type": ["Related"],
                "inLanguage": self.in_language,
                "version": self.version,
            }
        )

    @classmethod
    def from_value(cls, value: Any, path: str) -> Related:
        doc = f.as_object(value, path)
        language = f.optional_text(doc, "inLanguage", path) or f.optional_text(
            doc, "@language", path
        )
        return cls(f.text(doc, "id", path), language, f.optional_text(doc, "version", path))


@dataclass(frozen=True)
class Achievement:
    id: str
    name: str
    description: str
    criteria: Criteria
    achievement_type: str | None = None
    image: Image | None = None
    in_language: str | None = None
    related: tuple[Related, ...] = ()
    tags: tuple[str, ...] = ()
    creator: Profile | None = None

    def to_object(self) -> JSON:
        return drop_empty(
            {
                "id": self.id,
                "type": ["Achievement"],
                "achievementType": self.achievement_type,
                "name": self.name,
                "description": self.description,
                "criteria": self.criteria.to_object(),
                "image": self.image.to_object() if self.image else None,
                "inLanguage": self.in_language,
                "related": [item.to_object() for item in self.related],
                "tag": list(self.tags),
                "creator": self.creator.to_object() if self.creator else None,
            }
        )

    @classmethod
    def from_value(cls, value: Any, path: str) -> Achievement:
        doc = f.as_object(value, path)
        _types(doc, path, "Achievement")
        creator = doc.get("creator")
        return cls(
            id=f.text(doc, "id", path),
            name=f.text(doc, "name", path),
            description=f.text(doc, "description", path),
            criteria=Criteria.from_value(doc.get("criteria"), f.join(path, "criteria")),
            achievement_type=f.optional_text(doc, "achievementType", path),
            image=Image.from_value(doc.get("image"), f.join(path, "image")),
            in_language=f.optional_text(doc, "inLanguage", path),
            related=tuple(
                Related.from_value(item, f"{f.join(path, 'related')}[{index}]")
                for index, item in enumerate(f.object_list(doc, "related"))
            ),
            tags=f.text_list(doc, "tag", path),
            creator=None
            if creator is None
            else Profile.from_value(creator, f.join(path, "creator")),
        )


@dataclass(frozen=True)
class IdentityObject:
    """A recipient identifier: `identityHash` is `sha256$…` of the identity + salt when hashed."""

    identity_hash: str
    identity_type: str = "emailAddress"
    hashed: bool = True
    salt: str | None = None

    def to_object(self) -> JSON:
        return drop_empty(
            {
                "type": "IdentityObject",
                "identityHash": self.identity_hash,
                "identityType": self.identity_type,
                "hashed": self.hashed,
                "salt": self.salt,
            }
        )

    @classmethod
    def from_value(cls, value: Any, path: str) -> IdentityObject:
        doc = f.as_object(value, path)
        hashed = f.optional_bool(doc, "hashed", path)
        if hashed is None:
            raise DocumentError(f.join(path, "hashed"), "is required")
        return cls(
            identity_hash=f.text(doc, "identityHash", path),
            identity_type=f.text(doc, "identityType", path),
            hashed=hashed,
            salt=f.optional_text(doc, "salt", path),
        )


@dataclass(frozen=True)
class Result:
    result_description: str | None = None
    value: str | None = None
    status: str | None = None
    achieved_level: str | None = None

    def to_object(self) -> JSON:
        return drop_empty(
            {
                "type": ["Result"],
                "resultDescription": self.result_description,
                "value": self.value,
                "status": self.status,
                "achievedLevel": self.achieved_level,
            }
        )

    @classmethod
    def from_value(cls, value: Any, path: str) -> Result:
        doc = f.as_object(value, path)
        return cls(
            f.optional_text(doc, "resultDescription", path),
            f.optional_text(doc, "value", path),
            f.optional_text(doc, "status", path),
            f.optional_text(doc, "achievedLevel", path),
        )


@dataclass(frozen=True)
class Evidence:
    id: str | None = None
    name: str | None = None
    description: str | None = None
    narrative: str | None = None
    genre: str | None = None
    audience: str | None = None

    def to_object(self) -> JSON:
        return drop_empty(
            {
                "id": self.id,
                "type": ["Evidence"],
                "name": self.name,
                "description": self.description,
                "narrative": self.narrative,
                "genre": self.genre,
                "audience": self.audience,
            }
        )

    @classmethod
    def from_value(cls, value: Any, path: str) -> Evidence:
        doc = f.as_object(value, path)
        return cls(
            *(
                f.optional_text(doc, key, path)
                for key in ("id", "name", "description", "narrative", "genre", "audience")
            )
        )


@dataclass(frozen=True)
class AchievementSubject:
    """The earner: an `id` (URL or DID) and/or `identifier`s (e.g. a salted email hash)."""

    achievement: Achievement
    id: str | None = None
    identifier: tuple[IdentityObject, ...] = ()
    result: tuple[Result, ...] = ()

    def to_object(self) -> JSON:
        return drop_empty(
            {
                "id": self.id,
                "type": ["AchievementSubject"],
                "identifier": [item.to_object() for item in self.identifier],
                "achievement": self.achievement.to_object(),
                "result": [item.to_object() for item in self.result],
            }
        )

    @classmethod
    def from_value(cls, value: Any, path: str) -> AchievementSubject:
        doc = f.as_object(_one(value, path), path)
        subject = cls(
            achievement=Achievement.from_value(doc.get("achievement"), f.join(path, "achievement")),
            id=f.optional_text(doc, "id", path),
            identifier=tuple(
                IdentityObject.from_value(item, f"{f.join(path, 'identifier')}[{index}]")
                for index, item in enumerate(f.object_list(doc, "identifier"))
            ),
            result=tuple(
                Result.from_value(item, f"{f.join(path, 'result')}[{index}]")
                for index, item in enumerate(f.object_list(doc, "result"))
            ),
        )
        if subject.id is None and not subject.identifier:
            raise DocumentError(path, "needs an id or an identifier")
        return subject


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


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [] if value is None else [value]


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC)
