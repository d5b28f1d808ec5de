"""Verification methods: Multikey and JWK public keys, did:key and did:web, key rotation.

An issuer lists its keys in its profile (or DID document) under `verificationMethod` or
`assertionMethod`; a proof names one by id. Rotating keys means adding the new one and
keeping the old ones listed, so credentials signed before the rotation keep verifying. A
method may say when it stops being good (`expires`, `revoked`, as the W3C Controlled
Identifiers document defines them): proofs created before that moment still verify.

did:key is resolved here (the key is in the identifier); did:web only becomes a URL
(`did_web_url`): the caller fetches it through its safe fetcher.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote, unquote

from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

from wallet.openbadges import _fields as f
from wallet.openbadges.errors import DocumentError, OpenBadgesError
from wallet.openbadges.multibase import decode_base58btc, encode_base58btc

PublicKey = ed25519.Ed25519PublicKey | rsa.RSAPublicKey

ED25519_PUB = b"\xed\x01"  # multicodec ed25519-pub, as an unsigned varint
ED25519_PRIV = b"\x80\x26"  # multicodec ed25519-priv (0x1300)
METHOD_TYPES = ("Multikey", "Ed25519VerificationKey2020", "JsonWebKey", "JsonWebKey2020")
MIN_RSA_BITS = 2048


class KeyMaterialError(OpenBadgesError):
    """A key or verification method is malformed or of a kind we do not accept."""


@dataclass(frozen=True)
class VerificationMethod:
    """One public key an issuer (its `controller`) publishes under `id`."""

    id: str
    type: str
    controller: str
    public_key: PublicKey
    expires: datetime | None = None
    revoked: datetime | None = None

    def unusable_at(self, moment: datetime) -> str:
        """Why a proof made at `moment` may not use this key ("" when it may)."""
        if self.revoked is not None and moment >= self.revoked:
            return f"the key was revoked at {self.revoked.isoformat()}"
        if self.expires is not None and moment >= self.expires:
            return f"the key expired at {self.expires.isoformat()}"
        return ""

    def to_json(self) -> dict[str, Any]:
        """As a Multikey (Ed25519) or JsonWebKey (RSA) verification method."""
        body: dict[str, Any] = {"id": self.id, "controller": self.controller}
        if isinstance(self.public_key, ed25519.Ed25519PublicKey):
            body |= {"type": "Multikey", "publicKeyMultibase": multikey(self.public_key)}
        else:
            body |= {"type": "JsonWebKey", "publicKeyJwk": public_jwk(self.public_key)}
        if self.expires is not None:
            body["expires"] = self.expires.isoformat()
        if self.revoked is not None:
            body["revoked"] = self.revoked.isoformat()
        return body


# Multikey -----------------------------------------------------------------------------------


def multikey(key: ed25519.Ed25519PublicKey) -> str:
    """`z6Mk…`: multibase base58btc of the ed25519-pub multicodec prefix and the 32 bytes."""
    return encode_base58btc(ED25519_PUB + key.public_bytes_raw())


def public_key_from_multikey(text: str) -> ed25519.Ed25519PublicKey:
    try:
        data = decode_base58btc(text)
    except OpenBadgesError as error:
        raise KeyMaterialError(f"publicKeyMultibase: {error}") from None
    if not data.startswith(ED25519_PUB) or len(data) != 34:
        raise KeyMaterialError("publicKeyMultibase is not an Ed25519 public key")
    return ed25519.Ed25519PublicKey.from_public_bytes(data[2:])


def private_key_from_multikey(text: str) -> ed25519.Ed25519PrivateKey:
    """An Ed25519 private key from its Multikey form (`z3u2…`, ed25519-priv multicodec)."""
    try:
        data = decode_base58btc(text)
    except OpenBadgesError as error:
        raise KeyMaterialError(f"privateKeyMultibase: {error}") from None
    if not data.startswith(ED25519_PRIV) or len(data) != 34:
        raise KeyMaterialError("privateKeyMultibase is not an Ed25519 private key")
    return ed25519.Ed25519PrivateKey.from_private_bytes(data[2:])


def private_multikey(key: ed25519.Ed25519PrivateKey) -> str:
    return encode_base58btc(ED25519_PRIV + key.private_bytes_raw())


# JWK ----------------------------------------------------------------------------------------


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(value: Any, name: str) -> bytes:
    if not isinstance(value, str) or not value:
        raise KeyMaterialError(f"the JWK's {name} is missing")
    try:
        return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError):
        raise KeyMaterialError(f"the JWK's {name} is not base64url") from None


def public_jwk(key: PublicKey) -> dict[str, str]:
    """The public JWK of an Ed25519 (OKP) or RSA key (never a private member)."""
    if isinstance(key, ed25519.Ed25519PublicKey):
        return {"kty": "OKP", "crv": "Ed25519", "x": _b64(key.public_bytes_raw())}
    numbers = key.public_numbers()
    n = numbers.n.to_bytes((numbers.n.bit_length() + 7) // 8, "big")
    e = numbers.e.to_bytes((numbers.e.bit_length() + 7) // 8, "big")
    return {"kty": "RSA", "n": _b64(n), "e": _b64(e)}


def public_key_from_jwk(jwk: Any) -> PublicKey:
    """An Ed25519 or RSA (2048 bits or more) public key; a JWK holding `d` is refused."""
    if not isinstance(jwk, Mapping):
        raise KeyMaterialError("the JWK is not a JSON object")
    if "d" in jwk:
        raise KeyMaterialError("the JWK holds a private key")
    kty = jwk.get("kty")
    if kty == "OKP" and jwk.get("crv") == "Ed25519":
        raw = _unb64(jwk.get("x"), "x")
        if len(raw) != 32:
            raise KeyMaterialError("the JWK's x is not 32 bytes")
        return ed25519.Ed25519PublicKey.from_public_bytes(raw)
    if kty == "RSA":
        n = int.from_bytes(_unb64(jwk.get("n"), "n"), "big")
        e = int.from_bytes(_unb64(jwk.get("e"), "e"), "big")
        if n.bit_length() < MIN_RSA_BITS or e < 3 or e % 2 == 0:
            raise KeyMaterialError(f"RSA keys must have at least {MIN_RSA_BITS} bits")
        return rsa.RSAPublicNumbers(e, n).public_key()
    raise KeyMaterialError("only Ed25519 (OKP) and RSA JWKs are accepted")


def same_key(one: PublicKey, other: PublicKey) -> bool:
    return public_jwk(one) == public_jwk(other)


# Verification methods ------------------------------------------------------------------------


def _optional_time(doc: Mapping[str, Any], key: str, path: str) -> datetime | None:
    value = doc.get(key)
    return None if value is None else f.parse_datetime(value, f.join(path, key))


def method_from_json(doc: Any, path: str = "verificationMethod") -> VerificationMethod:
    """Read a Multikey, Ed25519VerificationKey2020 or JsonWebKey(2020) verification method."""
    try:
        obj = f.as_object(doc, path)
        method_id = f.text(obj, "id", path)
        kind = f.text(obj, "type", path)
        controller = f.optional_text(obj, "controller", path) or method_id.split("#", 1)[0]
        if kind not in METHOD_TYPES:
            raise KeyMaterialError(f"{path}: verification method type {kind} is not accepted")
        if "publicKeyMultibase" in obj:
            key: PublicKey = public_key_from_multikey(obj["publicKeyMultibase"])
        elif "publicKeyJwk" in obj:
            key = public_key_from_jwk(obj["publicKeyJwk"])
        else:
            raise KeyMaterialError(f"{path}: no publicKeyMultibase or publicKeyJwk")
        return VerificationMethod(
            method_id,
            kind,
            controller,
            key,
            expires=_optional_time(obj, "expires", path),
            revoked=_optional_time(obj, "revoked", path),
        )
    except DocumentError as error:
        raise KeyMaterialError(str(error)) from None


def listed_method(controller_document: Any, method_id: str) -> VerificationMethod | None:
    """The method `method_id` as the issuer's profile or DID document lists it, or None.

    Embedded methods are read from `verificationMethod` and `assertionMethod`; a bare id in
    `assertionMethod` refers to one in `verificationMethod`. A listed method that is
    malformed raises `KeyMaterialError`.
    """
    if not isinstance(controller_document, Mapping):
        return None
    for key in ("verificationMethod", "assertionMethod"):
        for index, item in enumerate(f.object_list(controller_document, key)):
            if isinstance(item, Mapping) and item.get("id") == method_id:
                return method_from_json(item, f"{key}[{index}]")
    return None


# DIDs ---------------------------------------------------------------------------------------


def resolve_did_key(did_url: str) -> tuple[dict[str, Any], VerificationMethod]:
    """The DID document of a `did:key:z6Mk…` (with or without its `#fragment`) and its one
    verification method. Only Ed25519 keys (the `z6Mk` prefix)."""
    did = did_url.split("#", 1)[0]
    if not did.startswith("did:key:"):
        raise KeyMaterialError("not a did:key")
    fingerprint = did[len("did:key:") :]
    key = public_key_from_multikey(fingerprint)
    method = VerificationMethod(f"{did}#{fingerprint}", "Multikey", did, key)
    document = {
        "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
        "id": did,
        "verificationMethod": [method.to_json()],
        "assertionMethod": [method.id],
        "authentication": [method.id],
    }
    return document, method


def did_web_url(did: str) -> str:
    """Where a did:web DID document lives: `did:web:example.ac.jp` ->
    `https://example.ac.jp/.well-known/did.json`; `did:web:example.ac.jp:issuers:1` ->
    `https://example.ac.jp/issuers/1/did.json` (a port is written `%3A`)."""
    did = did.split("#", 1)[0]
    if not did.startswith("did:web:"):
        raise KeyMaterialError("not a did:web")
    parts = did[len("did:web:") :].split(":")
    host = unquote(parts[0])
    if not host or any(c in host for c in "/?#@ ") or any(not part for part in parts[1:]):
        raise KeyMaterialError("malformed did:web")
    path = "/".join(quote(unquote(part), safe="") for part in parts[1:])
    return f"https://{host}/{path}/did.json" if path else f"https://{host}/.well-known/did.json"


def controller_document(controller: str, resolve: Callable[[str], Any]) -> Any:
    """The document listing `controller`'s keys: built for did:key, fetched through
    `resolve` for did:web (at its HTTPS address) and http(s) profiles (plain http only
    serves development sites; the caller's fetcher decides what it may reach)."""
    if controller.startswith("did:key:"):
        return resolve_did_key(controller)[0]
    if controller.startswith("did:web:"):
        return resolve(did_web_url(controller))
    if controller.startswith(("https://", "http://")):  # http: development sites only
        return resolve(controller)
    raise KeyMaterialError(f"cannot look up keys of {controller}")


def listed_ids(document: Any) -> list[str]:
    """Methods a controller document lists by id only (to be fetched on their own)."""
    if not isinstance(document, Mapping):
        return []
    return [
        item
        for key in ("verificationMethod", "assertionMethod")
        for item in f.object_list(document, key)
        if isinstance(item, str)
    ]


def embedded_ids(document: Any) -> list[str]:
    """Ids of the methods a controller document embeds."""
    if not isinstance(document, Mapping):
        return []
    return [
        item["id"]
        for key in ("verificationMethod", "assertionMethod")
        for item in f.object_list(document, key)
        if isinstance(item, Mapping) and isinstance(item.get("id"), str)
    ]


def controller_of(method_id: str) -> str:
    """The document that must list `method_id`: the part before `#`."""
    return method_id.split("#", 1)[0]
