"""A small, consistent Open Badges world: one issuer, a badge class, assertions, images, keys."""

from __future__ import annotations

import io
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from functools import cache
from typing import Any

from PIL import Image as PILImage

from wallet.openbadges.fetching import FetchResult, MemoryFetcher
from wallet.openbadges.hashing import hashed_recipient
from wallet.openbadges.signing import generate_private_key_pem, public_key_pem, sign_assertion
from wallet.openbadges.v2 import (
    Assertion,
    BadgeClass,
    Criteria,
    CryptographicKey,
    Profile,
    RevocationList,
    RevokedAssertion,
    VerificationObject,
)

ORIGIN = "https://badges.example.ac.jp"
ISSUER_ID = f"{ORIGIN}/ob/issuers/1"
BADGE_ID = f"{ORIGIN}/ob/badges/1"
ASSERTION_ID = f"{ORIGIN}/ob/assertions/1"
IMAGE_URL = f"{ORIGIN}/ob/images/badge.png"
KEY_ID = f"{ORIGIN}/ob/keys/1"
OLD_KEY_ID = f"{ORIGIN}/ob/keys/0"
LIST_ID = f"{ORIGIN}/ob/revocations/1"
EMAIL = "Hanako.Yamada@Example.ac.jp"
SALT = "5f1c0e7a9d2b4c6e8f0a1b2c3d4e5f60"
NOW = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)
ISSUED_ON = datetime(2026, 4, 1, 9, 30, tzinfo=UTC)


def png_bytes(size: int = 32, colour: tuple[int, int, int] = (20, 90, 160)) -> bytes:
    buffer = io.BytesIO()
    PILImage.new("RGB", (size, size), colour).save(buffer, format="PNG")
    return buffer.getvalue()


SVG = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n'
    b'<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64" viewBox="0 0 64 64">'
    b'<circle cx="32" cy="32" r="30" fill="#1d5fa0"/></svg>\n'
)


@cache
def private_key(name: str = "current") -> str:
    return generate_private_key_pem()


def issuer(**changes: Any) -> Profile:
    base = Profile(
        id=ISSUER_ID,
        name="Example University",
        url=ORIGIN,
        email="badges@example.ac.jp",
        image=f"{ORIGIN}/ob/images/issuer.png",
        public_key=(KEY_ID, OLD_KEY_ID),
        revocation_list=LIST_ID,
    )
    return replace(base, **changes)


def badge(**changes: Any) -> BadgeClass:
    base = BadgeClass(
        id=BADGE_ID,
        name="Data Science Basics",
        description="Completed the data science foundation course.",
        image=IMAGE_URL,
        criteria=Criteria(narrative="Pass all six assignments."),
        issuer=ISSUER_ID,
        tags=("data", "python"),
    )
    return replace(base, **changes)


def assertion(**changes: Any) -> Assertion:
    base = Assertion(
        id=ASSERTION_ID,
        recipient=hashed_recipient(EMAIL, SALT),
        badge=BADGE_ID,
        verification=VerificationObject(),
        issued_on=ISSUED_ON,
    )
    return replace(base, **changes)


def signed_assertion(**changes: Any) -> Assertion:
    verification = VerificationObject(type="SignedBadge", creator=KEY_ID)
    values: dict[str, Any] = {
        "id": "urn:uuid:2f1e5e0e-7c39-4d55-9a31-6f1e1c7d2b10",
        "verification": verification,
    }
    return assertion(**(values | changes))


@cache
def key(key_id: str = KEY_ID, name: str = "current") -> CryptographicKey:
    return CryptographicKey(key_id, ISSUER_ID, public_key_pem(private_key(name)))


def sign(document: Assertion, name: str = "current") -> str:
    return sign_assertion(document, private_key(name))


@dataclass
class World:
    """Documents published at their ids, served through an in-memory fetcher."""

    documents: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.documents:
            self.publish(issuer(), badge(), assertion(), key(), key(OLD_KEY_ID, "old"))
            self.publish(RevocationList(LIST_ID, ISSUER_ID))
            self.documents[IMAGE_URL] = png_bytes()

    def publish(self, *documents: Any) -> None:
        for document in documents:
            self.documents[document.id] = document.to_json()

    def answer(
        self, url: str, status: int, content_type: str = "text/plain", body: bytes = b""
    ) -> None:
        self.documents[url] = FetchResult(status, content_type, body, url)

    def fetcher(self) -> MemoryFetcher:
        return MemoryFetcher(self.documents)


def revoked_list(*entries: RevokedAssertion) -> RevocationList:
    return RevocationList(LIST_ID, ISSUER_ID, entries)
