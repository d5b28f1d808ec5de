"""The parts of an Open Badges 3.0 credential: profile, achievement, subject, identifier,
result, evidence, image, criteria, related (re-exported by `documents`).

Each has `to_object()` (JSON with no nulls or empty lists) and `from_value(value, path)`,
which raises `DocumentError(field, reason)` for malformed input.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeAlias

from wallet.openbadges import _fields as f
from wallet.openbadges.errors import DocumentError

JSON: TypeAlias = dict[str, Any]


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
