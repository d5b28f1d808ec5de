"""Each issuer's Ed25519 signing key, its published verification methods, its 3.0 profile
and its did:web DID document.

The private keys are never stored: each issuer's is derived (HKDF-SHA256, the issuer's
public id as info) from one secret in the settings, ``WALLET_CREDENTIAL_KEY`` (development
keeps a generated one in the instance folder, as it does the ledger's key). The public
half goes into ``credential_key`` with the period it signs in. Rotating = configuring a
new secret: the next signature closes every old key's period (its ``expires`` in the
profile) and opens the new one's, so credentials signed before keep verifying and an old
key can sign nothing new.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ed25519
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import select
from sqlalchemy.orm import Session

from wallet import urls
from wallet.config import ConfigurationError, Settings
from wallet.models import CredentialKey, Issuer
from wallet.openbadges.ob3 import keys
from wallet.openbadges.ob3.documents import OB_CONTEXT, VC_V2
from wallet.services.errors import NotFoundError

CID_CONTEXT = "https://www.w3.org/ns/cid/v1"
DID_CONTEXTS = ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"]


def new_secret() -> str:
    """A fresh value for ``WALLET_CREDENTIAL_KEY`` (an Ed25519 private Multikey)."""
    return keys.private_multikey(ed25519.Ed25519PrivateKey.generate())


def _secret(settings: Settings) -> ed25519.Ed25519PrivateKey:
    if settings.credential_key:
        try:
            return keys.private_key_from_multikey(settings.credential_key.strip())
        except keys.KeyMaterialError as error:
            raise ConfigurationError(f"WALLET_CREDENTIAL_KEY: {error}") from None
    if settings.is_production:
        raise ConfigurationError(
            "production needs WALLET_CREDENTIAL_KEY (flask credentials new-key)"
        )
    return _development_secret(settings.instance_path / "credential_key")


def _development_secret(path: Path) -> ed25519.Ed25519PrivateKey:
    if path.exists():
        return keys.private_key_from_multikey(path.read_text().strip())
    path.parent.mkdir(parents=True, exist_ok=True)
    secret = new_secret()
    path.write_text(secret + "\n")
    path.chmod(0o600)
    return keys.private_key_from_multikey(secret)


def issuer_key(settings: Settings, issuer_public_id: str) -> ed25519.Ed25519PrivateKey:
    """The issuer's current private key, derived from the configured secret."""
    seed = HKDF(
        algorithm=hashes.SHA256(),
        length=32,
        salt=b"wallet open badges 3.0 issuer key",
        info=issuer_public_id.encode("utf-8"),
    ).derive(_secret(settings).private_bytes_raw())
    return ed25519.Ed25519PrivateKey.from_private_bytes(seed)


def method_id(base_url: str, issuer_public_id: str, public_key: str) -> str:
    """A key's id: the 3.0 profile's URL with the Multikey as fragment."""
    return f"{urls.ob3_issuer(base_url, issuer_public_id)}#{public_key}"


@dataclass(frozen=True)
class IssuerSigner:
    """What signing for one issuer needs: the key and the id verifiers look it up by."""

    issuer: Issuer
    private_key: ed25519.Ed25519PrivateKey
    verification_method: str


def signer_for(session: Session, settings: Settings, issuer: Issuer, now: datetime) -> IssuerSigner:
    """The issuer's current key, published (rotating out any other) before it signs."""
    private_key = issuer_key(settings, issuer.public_id)
    public = keys.multikey(private_key.public_key())
    _publish(session, issuer, public, now)
    return IssuerSigner(issuer, private_key, method_id(settings.base_url, issuer.public_id, public))


def _publish(session: Session, issuer: Issuer, public: str, now: datetime) -> None:
    now = now.replace(microsecond=0)
    rows = published(session, issuer.id)
    if any(row.public_key == public and row.valid_until is None for row in rows):
        return
    if any(row.public_key == public for row in rows):
        raise ConfigurationError(
            "WALLET_CREDENTIAL_KEY was retired: a retired key never signs again"
        )
    for row in rows:
        if row.valid_until is None:
            row.valid_until = now
    session.add(CredentialKey(issuer_id=issuer.id, public_key=public, valid_from=now))
    session.flush()


def published(session: Session, issuer_id: int) -> list[CredentialKey]:
    return list(
        session.scalars(
            select(CredentialKey)
            .where(CredentialKey.issuer_id == issuer_id)
            .order_by(CredentialKey.valid_from, CredentialKey.id)
        )
    )


def _methods(session: Session, base_url: str, issuer: Issuer, controller: str) -> list[Any]:
    found = []
    for row in published(session, issuer.id):
        method = keys.VerificationMethod(
            f"{controller}#{row.public_key}",
            "Multikey",
            controller,
            keys.public_key_from_multikey(row.public_key),
            expires=row.valid_until,
        )
        found.append(method.to_json())
    return found


def _issuer(session: Session, public_id: str) -> Issuer:
    issuer = session.scalar(select(Issuer).where(Issuer.public_id == public_id))
    if issuer is None:
        raise NotFoundError()
    return issuer


def profile_document(session: Session, base_url: str, public_id: str) -> dict[str, Any]:
    """The issuer's 3.0 Profile, listing every key it ever signed with (old ones with the
    moment they stopped signing)."""
    issuer = _issuer(session, public_id)
    profile_id = urls.ob3_issuer(base_url, issuer.public_id)
    methods = _methods(session, base_url, issuer, profile_id)
    body: dict[str, Any] = {
        "@context": [VC_V2, OB_CONTEXT, CID_CONTEXT],
        "id": profile_id,
        "type": ["Profile"],
        "name": issuer.name,
        "url": issuer.url,
        "email": issuer.email,
    }
    if issuer.description:
        body["description"] = issuer.description
    if issuer.image_sha256:
        body["image"] = {"id": urls.image(base_url, issuer.image_sha256), "type": "Image"}
    if methods:
        body["verificationMethod"] = methods
        body["assertionMethod"] = [method["id"] for method in methods]
    return body


def did_document(session: Session, base_url: str, public_id: str) -> dict[str, Any]:
    """The issuer's did:web DID document: the same keys, under the DID."""
    issuer = _issuer(session, public_id)
    did = urls.ob3_issuer_did(base_url, issuer.public_id)
    methods = _methods(session, base_url, issuer, did)
    return {
        "@context": DID_CONTEXTS,
        "id": did,
        "alsoKnownAs": [urls.ob3_issuer(base_url, issuer.public_id)],
        "verificationMethod": methods,
        "assertionMethod": [method["id"] for method in methods],
    }
