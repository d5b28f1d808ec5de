"""Which kind of credential a document is, from its shape alone (nothing is fetched or checked).

A verifier picks its checks by format: Open Badges 2.0 assertions, Open Badges 3.0
credentials (W3C Verifiable Credentials, as JSON or as a VC-JWT) and Blockcerts
certificates (a `MerkleProof2019` or older `MerkleProof2017` proof) look different enough
to tell apart before anything is verified. OPEN_BADGES.md §1, §4 and §5 describe them.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from wallet.openbadges import signing
from wallet.openbadges.errors import OpenBadgesError

CredentialFormat = Literal["ob2", "ob3", "blockcerts", "unknown"]

OB2_CONTEXT = "https://w3id.org/openbadges/v2"
VC_CONTEXTS = ("https://www.w3.org/2018/credentials/v1", "https://www.w3.org/ns/credentials/v2")
OB3_CONTEXT_PREFIX = "https://purl.imsglobal.org/spec/ob/v3p0/"
BLOCKCERTS_CONTEXT_PREFIX = "https://w3id.org/blockcerts/"
BLOCKCERTS_PROOFS = ("MerkleProof2019", "MerkleProof2017")
OB3_TYPES = ("OpenBadgeCredential", "AchievementCredential", "EndorsementCredential")
OB2_TYPES = ("Assertion", "obi:Assertion", "https://w3id.org/openbadges#Assertion")


def _strings(value: Any) -> list[str]:
    """A JSON-LD value that may be a string, an object with an `id`, or a list of them."""
    items = value if isinstance(value, list) else [value]
    found = []
    for item in items:
        if isinstance(item, str):
            found.append(item)
        elif isinstance(item, dict) and isinstance(item.get("id"), str):
            found.append(item["id"])
    return found


def _proof_types(document: dict[str, Any]) -> list[str]:
    types = []
    for key in ("proof", "signature"):  # Blockcerts v3, v2
        proofs = document.get(key)
        for proof in proofs if isinstance(proofs, list) else [proofs]:
            if isinstance(proof, dict):
                types += _strings(proof.get("type"))
    return types


def document_format(document: Any) -> CredentialFormat:
    """The format of a parsed JSON document (or of a VC-JWT's claims)."""
    if not isinstance(document, dict):
        return "unknown"
    if isinstance(document.get("vc"), dict):  # a VC-JWT's claims: the credential is inside
        inner = document_format(document["vc"])
        return "ob3" if inner == "unknown" else inner
    contexts = _strings(document.get("@context"))
    types = _strings(document.get("type"))
    if any(kind in BLOCKCERTS_PROOFS for kind in _proof_types(document)) or any(
        context.startswith(BLOCKCERTS_CONTEXT_PREFIX) for context in contexts
    ):
        return "blockcerts"
    if (
        any(context in VC_CONTEXTS for context in contexts)
        or any(context.startswith(OB3_CONTEXT_PREFIX) for context in contexts)
        or any(kind in OB3_TYPES or kind == "VerifiableCredential" for kind in types)
    ):
        return "ob3"
    if OB2_CONTEXT in contexts or any(kind in OB2_TYPES for kind in types):
        return "ob2"
    if isinstance(document.get("recipient"), dict) and "badge" in document:
        return "ob2"  # an assertion without a context (Open Badges 1.x, or careless issuers)
    return "unknown"


def text_format(text: str) -> CredentialFormat:
    """The format of JSON text or a compact JWS (whose payload is read, not verified)."""
    text = text.strip()
    if signing.is_jws(text):
        try:
            return document_format(signing.decode(text).payload)
        except OpenBadgesError:
            return "unknown"
    try:
        return document_format(json.loads(text))
    except (ValueError, RecursionError):
        return "unknown"
