"""Signed badges: JWS compact serialisation with RS256, as Open Badges 2.0 requires.

The assertion's `verification.creator` names the issuer's CryptographicKey; keeping old keys
published (and listed in the issuer's `publicKey`) lets assertions signed before a key
rotation keep verifying.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from wallet.openbadges.errors import DocumentError, SignatureError
from wallet.openbadges.v2 import Assertion, CryptographicKey

ALGORITHM = "RS256"
MAX_JWS_BYTES = 1024 * 1024
_JWS = re.compile(r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$")


def is_jws(text: str) -> bool:
    """Whether `text` looks like a JWS compact serialisation (three base64url parts)."""
    return len(text) <= MAX_JWS_BYTES and bool(_JWS.match(text.strip()))


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise SignatureError("the JWS is not base64url") from None


def generate_private_key_pem(key_size: int = 2048) -> str:
    """A new RSA private key (PKCS#8 PEM) for signing."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=key_size)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode("ascii")


def _load_private_key(private_key_pem: str | bytes) -> rsa.RSAPrivateKey:
    pem = private_key_pem.encode("ascii") if isinstance(private_key_pem, str) else private_key_pem
    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise SignatureError("the private key is not an unencrypted PEM key") from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise SignatureError("RS256 needs an RSA private key")
    return key


def public_key_pem(private_key_pem: str | bytes) -> str:
    """The SubjectPublicKeyInfo PEM to publish as a CryptographicKey's `publicKeyPem`."""
    public = _load_private_key(private_key_pem).public_key()
    return public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode("ascii")


def sign_payload(payload: Mapping[str, Any], private_key_pem: str | bytes) -> str:
    """RS256 JWS compact serialisation of any JSON object."""
    key = _load_private_key(private_key_pem)
    header = _b64encode(json.dumps({"alg": ALGORITHM}, separators=(",", ":")).encode())
    body = _b64encode(json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode())
    signing_input = f"{header}.{body}".encode("ascii")
    signature = key.sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
    return f"{header}.{body}.{_b64encode(signature)}"


def sign_assertion(assertion: Assertion, private_key_pem: str | bytes) -> str:
    """Sign an assertion whose verification is `SignedBadge` with a `creator` key URL."""
    if assertion.verification.type != "SignedBadge":
        raise SignatureError("the assertion's verification type must be SignedBadge")
    if not assertion.verification.creator:
        raise SignatureError("the assertion's verification needs a creator (key URL)")
    return sign_payload(assertion.to_json(), private_key_pem)


@dataclass(frozen=True)
class DecodedJWS:
    header: dict[str, Any]
    payload: dict[str, Any]
    signing_input: bytes
    signature: bytes


def decode(jws: str) -> DecodedJWS:
    """Split and decode a JWS without checking its signature (to find the key to check with)."""
    if not isinstance(jws, str) or not is_jws(jws):
        raise SignatureError("not a JWS compact serialisation")
    header_part, payload_part, signature_part = jws.strip().split(".")
    objects = []
    for part in (header_part, payload_part):
        try:
            value = json.loads(_b64decode(part))
        except (ValueError, RecursionError):
            raise SignatureError("the JWS header or payload is not JSON") from None
        if not isinstance(value, dict):
            raise SignatureError("the JWS header or payload is not a JSON object")
        objects.append(value)
    return DecodedJWS(
        objects[0],
        objects[1],
        f"{header_part}.{payload_part}".encode("ascii"),
        _b64decode(signature_part),
    )


def decode_assertion(jws: str) -> Assertion:
    """The Assertion inside a JWS, unverified; DocumentError if it is not one."""
    return Assertion.from_json(decode(jws).payload)


def verify_jws(jws: str, key: CryptographicKey) -> dict[str, Any]:
    """Check an RS256 JWS against a published key; return its payload."""
    decoded = decode(jws)
    if decoded.header.get("alg") != ALGORITHM:
        raise SignatureError(f"unsupported JWS algorithm (only {ALGORITHM})")
    try:
        public = serialization.load_pem_public_key(key.public_key_pem.encode("utf-8"))
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise SignatureError("the key's publicKeyPem is not a PEM public key") from None
    if not isinstance(public, rsa.RSAPublicKey):
        raise SignatureError("RS256 needs an RSA public key")
    try:
        public.verify(decoded.signature, decoded.signing_input, padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        raise SignatureError("the signature does not match the key") from None
    return decoded.payload


def verify_signed_assertion(jws: str, keys: Mapping[str, CryptographicKey]) -> Assertion:
    """Verify against the key named by the assertion's `verification.creator`.

    `keys` maps key ids to keys, e.g. every key an issuer has ever published (rotation).
    """
    assertion = decode_assertion(jws)
    creator = assertion.verification.creator
    if creator is None:
        raise DocumentError("verification.creator", "is required for a signed badge")
    key = keys.get(creator)
    if key is None:
        raise SignatureError("the signing key is unknown")
    verify_jws(jws, key)
    return assertion
