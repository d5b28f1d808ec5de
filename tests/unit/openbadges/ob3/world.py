"""An issuer with keys, a profile, a status list and signed credentials, served from memory."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

from wallet.openbadges.fetching import MemoryFetcher
from wallet.openbadges.hashing import hash_identity, normalise_email
from wallet.openbadges.ob3 import integrity, keys, status, vcjwt
from wallet.openbadges.ob3.documents import (
    Achievement,
    AchievementSubject,
    Credential,
    Criteria,
    Evidence,
    IdentityObject,
    Image,
    Profile,
    Related,
    Result,
)

BASE = "https://badges.example.ac.jp"
ISSUER = f"{BASE}/ob/issuers/1"
KEY_ID = f"{ISSUER}#key-2"
OLD_KEY_ID = f"{ISSUER}#key-1"
RSA_KEY_ID = f"{ISSUER}#key-rsa"
LIST_URL = f"{BASE}/ob/status/1"
EMAIL = "Hanako.Yamada@example.ac.jp"
SALT = "9f2c4e1a7b3d5c6e8f0a1b2c3d4e5f60"
NOW = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
SIGNED_AT = datetime(2026, 4, 1, 9, 30, tzinfo=UTC)

# Fixed seeds: the same keys every run (a failing run can be replayed).
KEY = ed25519.Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
OLD_KEY = ed25519.Ed25519PrivateKey.from_private_bytes(bytes(range(1, 33)))
STRANGER_KEY = ed25519.Ed25519PrivateKey.from_private_bytes(bytes(range(2, 34)))


def credential(index: int = 5, **changes: Any) -> Credential:
    """A typical credential of ours: Japanese texts, an English sibling, a hashed email."""
    achievement = Achievement(
        id=f"{BASE}/ob/achievements/7",
        name="データサイエンス基礎",
        description="統計と機械学習の基礎を学び、六つの課題すべてに合格した。",
        criteria=Criteria(narrative="全六回の課題に合格し、最終レポートを提出すること。"),
        achievement_type="Course",
        image=Image(f"{BASE}/ob/images/3f2a.png", caption="データサイエンス基礎バッジ"),
        in_language="ja",
        related=(Related(f"{BASE}/ob/achievements/7/en", in_language="en"),),
        tags=("統計", "機械学習"),
    )
    subject = AchievementSubject(
        achievement=achievement,
        identifier=(IdentityObject(hash_identity(normalise_email(EMAIL), SALT), salt=SALT),),
        result=(Result(result_description="最終評価", value="秀"),),
    )
    made = Credential(
        id=f"urn:uuid:0b0c5a1e-8d0e-4f7c-9a37-4c7b1f3e2d{index:02d}",
        issuer=Profile(ISSUER, name="例示大学 教務課", url="https://www.example.ac.jp"),
        name="データサイエンス基礎",
        description="例示大学が授与するオープンバッジです。",
        valid_from=SIGNED_AT,
        subject=subject,
        evidence=(Evidence(narrative="最終レポート「東京の気温の時系列分析」"),),
        credential_status=(status.entry(LIST_URL, index),),
    )
    return replace(made, **changes)


def profile_document(profile_id: str, name: str, methods: list[dict[str, Any]]) -> dict[str, Any]:
    """A 3.0 profile listing `methods` for assertions (an issuer's, or an endorser's)."""
    return {
        "@context": [
            "https://www.w3.org/ns/credentials/v2",
            "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
            "https://www.w3.org/ns/cid/v1",
        ],
        "id": profile_id,
        "type": ["Profile"],
        "name": name,
        "verificationMethod": methods,
        "assertionMethod": [item["id"] for item in methods],
    }


@dataclass
class World:
    """An issuer profile listing its keys, and a fetcher serving it and its status list."""

    revoked: set[int] = field(default_factory=set)
    rsa_key: rsa.RSAPrivateKey | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def profile(self) -> dict[str, Any]:
        methods = [
            keys.VerificationMethod(KEY_ID, "Multikey", ISSUER, KEY.public_key()).to_json(),
            keys.VerificationMethod(
                OLD_KEY_ID,
                "Multikey",
                ISSUER,
                OLD_KEY.public_key(),
                revoked=datetime(2026, 3, 1, tzinfo=UTC),
            ).to_json(),
        ]
        if self.rsa_key is not None:
            methods.append(
                keys.VerificationMethod(
                    RSA_KEY_ID, "JsonWebKey", ISSUER, self.rsa_key.public_key()
                ).to_json()
            )
        return profile_document(ISSUER, "例示大学 教務課", methods)

    def status_list(self) -> dict[str, Any]:
        bits = status.new_bitstring()
        encoded = status.encode(bits)
        for index in self.revoked:
            encoded = status.set_bit(encoded, index)
        unsigned = status.list_credential(LIST_URL, ISSUER, encoded, SIGNED_AT)
        return integrity.sign(unsigned, KEY, KEY_ID, created=SIGNED_AT)

    def fetcher(self) -> MemoryFetcher:
        return MemoryFetcher({ISSUER: self.profile(), LIST_URL: self.status_list(), **self.extra})


def signed(
    made: Credential | None = None,
    key: ed25519.Ed25519PrivateKey = KEY,
    key_id: str = KEY_ID,
    created: datetime = SIGNED_AT,
) -> dict[str, Any]:
    return integrity.sign((made or credential()).to_json(), key, key_id, created=created)


def jwt(made: Credential | None = None, key: Any = KEY, key_id: str = KEY_ID) -> str:
    return vcjwt.sign((made or credential()).to_json(), key, kid=key_id)
