"""The small value objects inside Open Badges 2.0 documents (re-exported by `v2`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeAlias

from wallet.openbadges import _fields as f
from wallet.openbadges.errors import DocumentError

JSON: TypeAlias = dict[str, Any]


def drop_empty(body: JSON) -> JSON:
    return {key: value for key, value in body.items() if value is not None and value != []}


@dataclass(frozen=True)
class Criteria:
    id: str | None = None
    narrative: str | None = None

    def to_object(self) -> JSON:
        return drop_empty({"id": self.id, "narrative": self.narrative})

    @classmethod
    def from_value(cls, value: Any, path: str) -> Criteria | str:
        if isinstance(value, str):
            return value
        doc = f.as_object(value, path)
        criteria = cls(f.optional_text(doc, "id", path), f.optional_text(doc, "narrative", path))
        if criteria.id is None and criteria.narrative is None:
            raise DocumentError(path, "needs an id (URL) or a narrative")
        return criteria


@dataclass(frozen=True)
class Image:
    id: str
    caption: str | None = None
    author: str | None = None

    def to_object(self) -> JSON:
        return drop_empty({"id": self.id, "caption": self.caption, "author": self.author})

    @classmethod
    def from_value(cls, value: Any, path: str) -> Image | str:
        if isinstance(value, str):
            if not value.strip():
                raise DocumentError(path, "must not be empty")
            return value
        doc = f.as_object(value, path)
        return cls(
            f.text(doc, "id", path),
            f.optional_text(doc, "caption", path),
            f.optional_text(doc, "author", path),
        )


def image_json(image: Image | str | None) -> Any:
    return image.to_object() if isinstance(image, Image) else image


def image_url(image: Image | str | None) -> str | None:
    """The URL (or data URI) of an image given either as a string or as an Image."""
    return image.id if isinstance(image, Image) else image


@dataclass(frozen=True)
class Alignment:
    target_name: str
    target_url: str
    target_description: str | None = None
    target_framework: str | None = None
    target_code: str | None = None

    def to_object(self) -> JSON:
        return drop_empty(
            {
                "targetName": self.target_name,
                "targetUrl": self.target_url,
                "targetDescription": self.target_description,
                "targetFramework": self.target_framework,
                "targetCode": self.target_code,
            }
        )

    @classmethod
    def from_value(cls, value: Any, path: str) -> Alignment:
        doc = f.as_object(value, path)
        return cls(
            f.text(doc, "targetName", path),
            f.text(doc, "targetUrl", path),
            f.optional_text(doc, "targetDescription", path),
            f.optional_text(doc, "targetFramework", path),
            f.optional_text(doc, "targetCode", path),
        )


@dataclass(frozen=True)
class Evidence:
    id: str | None = None
    narrative: str | None = None
    name: str | None = None
    description: str | None = None
    genre: str | None = None
    audience: str | None = None

    def to_object(self) -> JSON:
        return drop_empty(
            {
                "id": self.id,
                "narrative": self.narrative,
                "name": self.name,
                "description": self.description,
                "genre": self.genre,
                "audience": self.audience,
            }
        )

    @classmethod
    def from_value(cls, value: Any, path: str) -> Evidence:
        if isinstance(value, str):
            return cls(id=value)
        doc = f.as_object(value, path)
        keys = ("id", "narrative", "name", "description", "genre", "audience")
        return cls(*(f.optional_text(doc, key, path) for key in keys))


@dataclass(frozen=True)
class IdentityObject:
    identity: str
    type: str = "email"
    hashed: bool = True
    salt: str | None = None

    def to_object(self) -> JSON:
        return drop_empty(
            {"type": self.type, "hashed": self.hashed, "salt": self.salt, "identity": self.identity}
        )

    @classmethod
    def from_value(cls, value: Any, path: str) -> IdentityObject:
        doc = f.as_object(value, path)
        identity = f.text(doc, "identity", path)
        kind = f.optional_text(doc, "type", path) or "email"
        hashed = f.optional_bool(doc, "hashed", path)
        if hashed is None:  # required by the spec, but older issuers omit it
            hashed = identity.lower().startswith(("sha256$", "md5$"))
        salt = f.optional_text(doc, "salt", path) if doc.get("salt") != "" else None
        if hashed:
            algorithm, _, digest = identity.partition("$")
            length = {"sha256": 64, "md5": 32}.get(algorithm.lower())
            hexdigits = set("0123456789abcdefABCDEF")
            if length is None or len(digest) != length or not set(digest) <= hexdigits:
                raise DocumentError(
                    f.join(path, "identity"), "a hashed identity must be sha256$ or md5$ + hex"
                )
        return cls(identity, kind, hashed, salt)


_VERIFICATION_TYPES = {"hosted": "HostedBadge", "signed": "SignedBadge"}


@dataclass(frozen=True)
class VerificationObject:
    type: str = "HostedBadge"
    creator: str | None = None
    verification_property: str | None = None
    starts_with: tuple[str, ...] = ()
    allowed_origins: tuple[str, ...] = ()

    def to_object(self) -> JSON:
        return drop_empty(
            {
                "type": self.type,
                "creator": self.creator,
                "verificationProperty": self.verification_property,
                "startsWith": list(self.starts_with),
                "allowedOrigins": list(self.allowed_origins),
            }
        )

    @classmethod
    def from_value(
        cls, value: Any, path: str, default_type: str = "HostedBadge"
    ) -> VerificationObject:
        doc = f.as_object(value, path)
        types = f.types_of(doc, path)
        kind = _VERIFICATION_TYPES.get(types[0], types[0]) if types else default_type
        return cls(
            kind,
            f.optional_text(doc, "creator", path),
            f.optional_text(doc, "verificationProperty", path),
            f.text_list(doc, "startsWith", path),
            f.text_list(doc, "allowedOrigins", path),
        )
