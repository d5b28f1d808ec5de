"""The VC-JWT form of an Open Badges 3.0 credential (OB 3.0 §8.2): a compact JWS whose payload
is the credential plus the claims `iss` (issuer.id), `jti` (id), `sub` (credentialSubject.id),
`nbf` (validFrom) and `exp` (validUntil). Credentials made for VC Data Model 1.1 carry the
credential in a `vc` claim instead, with `issuanceDate`/`expirationDate`; both are read.

Signing and signature checks go through PyJWT's JWS layer with the algorithm fixed by the
key's type (EdDSA for Ed25519, RS256 for RSA), never taken from the token alone.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

from wallet.openbadges import _fields as f
from wallet.openbadges import signing
from wallet.openbadges.errors import DocumentError, OpenBadgesError, ProofError
from wallet.openbadges.ob3 import keys
from wallet.openbadges.ob3.documents import ENDORSEMENT_TYPE, Credential, Endorsement

ALGORITHMS = ("EdDSA", "RS256")
HEADERS = frozenset({"alg", "kid", "jwk", "typ"})
CLAIMS = ("iss", "jti", "sub", "nbf", "exp", "iat", "aud")

PrivateKey = ed25519.Ed25519PrivateKey | rsa.RSAPrivateKey


@dataclass(frozen=True)
class Token:
    """A VC-JWT read without checking its signature (to find the key to check it with)."""

    header: dict[str, Any]
    payload: dict[str, Any]
    credential: dict[str, Any]

    @property
    def extra_headers(self) -> list[str]:
        """Header names OB 3.0 does not allow (it allows only alg, kid, jwk, typ)."""
        return sorted(set(self.header) - HEADERS)


def _algorithm(key: PrivateKey | keys.PublicKey) -> str:
    if isinstance(key, ed25519.Ed25519PrivateKey | ed25519.Ed25519PublicKey):
        return "EdDSA"
    return "RS256"


def _numeric(moment: datetime) -> int:
    return int(moment.timestamp())


def claims_for(credential: Mapping[str, Any]) -> dict[str, Any]:
    """The JWT claims a credential's fields call for (DocumentError if it cannot be read):
    an OpenBadgeCredential's, or an EndorsementCredential's (whose subject is what it
    endorses)."""
    parsed: Credential | Endorsement
    subject: str | None
    if ENDORSEMENT_TYPE in f.types_of(f.as_object(credential, ""), ""):
        parsed = Endorsement.from_json(credential)
        subject = parsed.subject_id
    else:
        parsed = Credential.from_json(credential)
        subject = parsed.subject.id
    claims: dict[str, Any] = {
        "iss": parsed.issuer.id,
        "jti": parsed.id,
        "nbf": _numeric(parsed.valid_from),
    }
    if subject is not None:
        claims["sub"] = subject
    if parsed.valid_until is not None:
        claims["exp"] = _numeric(parsed.valid_until)
    return claims


def sign(
    credential: Mapping[str, Any],
    private_key: PrivateKey,
    *,
    kid: str | None = None,
    embed_jwk: bool = False,
) -> str:
    """The compact JWS of `credential` (which may already carry a Data Integrity proof).

    The header names the key by `kid` (a verification method id) or embeds its public `jwk`.
    The payload is UTF-8 JSON with texts as given (no `\\u` escapes).
    """
    if kid is None and not embed_jwk:
        raise OpenBadgesError("a VC-JWT header needs a kid or the public jwk")
    payload = dict(credential) | claims_for(credential)
    header: dict[str, Any] = {"typ": "JWT"}
    if kid is not None:
        header["kid"] = kid
    if embed_jwk:
        header["jwk"] = keys.public_jwk(private_key.public_key())
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return jwt.api_jws.PyJWS().encode(
        body, private_key, algorithm=_algorithm(private_key), headers=header
    )


def read(token: str) -> Token:
    """Split a VC-JWT without verifying it; DocumentError when it is not one."""
    try:
        decoded = signing.decode(token)
    except OpenBadgesError as error:
        raise DocumentError("jwt", str(error)) from None
    payload = decoded.payload
    inner = payload.get("vc")
    if isinstance(inner, dict):
        credential = dict(inner)
    else:
        credential = {key: value for key, value in payload.items() if key not in CLAIMS}
    return Token(decoded.header, payload, credential)


def verify_signature(token: str, public_key: keys.PublicKey) -> None:
    """ProofError(`proof.valid`) unless the JWS verifies with `public_key` under the one
    algorithm that key type allows (and the header names that algorithm)."""
    algorithm = _algorithm(public_key)
    try:
        jwt.api_jws.PyJWS().decode_complete(token, key=public_key, algorithms=[algorithm])
    except jwt.InvalidAlgorithmError:
        raise ProofError("proof.suite", f"the token's alg is not {algorithm}") from None
    except jwt.InvalidSignatureError:
        raise ProofError("proof.valid", "the signature does not match the token") from None
    except (jwt.PyJWTError, ValueError, TypeError) as error:
        raise ProofError("proof.valid", f"not a valid JWS: {error}") from None


def claim_disagreements(token: Token) -> list[str]:
    """Each JWT claim that disagrees with the credential in its body (empty: all agree)."""
    try:
        expected = claims_for(token.credential)
    except DocumentError as error:
        return [f"the credential cannot be read: {error}"]
    found = []
    for name in ("iss", "jti", "nbf"):
        if token.payload.get(name) != expected[name]:
            found.append(f"{name} is {token.payload.get(name)!r}, the body says {expected[name]!r}")
    for name in ("sub", "exp"):
        if token.payload.get(name) != expected.get(name):
            found.append(
                f"{name} is {token.payload.get(name)!r}, the body says {expected.get(name)!r}"
            )
    return found
