"""The W3C vc-di-eddsa specification's eddsa-rdfc-2022 test vector, reproduced step by step."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from wallet.openbadges import jsonld
from wallet.openbadges.errors import ProofError, UnknownContextError
from wallet.openbadges.ob3 import integrity, keys

VECTOR = Path(__file__).parent.parent / "vectors" / "eddsa_rdfc_2022"
EXAMPLES = "https://www.w3.org/ns/credentials/examples/v2"


def read(name: str) -> str:
    return (VECTOR / name).read_text(encoding="utf-8")


def load(name: str) -> Any:
    return json.loads(read(name))


def loader(url: str, options: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Bundled contexts plus the vector's example context, served from the vector folder."""
    if url == EXAMPLES:
        return {
            "contentType": "application/ld+json",
            "contextUrl": None,
            "documentUrl": url,
            "document": load("credentials-examples-v2.jsonld"),
        }
    return jsonld.load_document(url, options)


def canonicalize(document: Mapping[str, Any]) -> str:
    return jsonld.canonicalize(document, document_loader=loader)


def test_each_step_reproduces_the_published_values() -> None:
    unsigned = load("unsigned.json")
    options = load("proofConfigDataInt.json")

    assert canonicalize(unsigned) == read("canonDocDataInt.txt")
    assert hashlib.sha256(canonicalize(unsigned).encode()).hexdigest() == read("docHashDataInt.txt")
    assert canonicalize(options) == read("proofCanonDataInt.txt")
    assert hashlib.sha256(canonicalize(options).encode()).hexdigest() == read(
        "proofHashDataInt.txt"
    )
    combined = integrity.hash_data(unsigned, options, canonicalize)
    assert combined.hex() == read("combinedHashDataInt.txt")


def test_signing_with_the_published_key_gives_the_published_credential() -> None:
    pair = load("keyPair.json")
    private = keys.private_key_from_multikey(pair["privateKeyMultibase"])
    assert keys.multikey(private.public_key()) == pair["publicKeyMultibase"]
    method = load("proofConfigDataInt.json")["verificationMethod"]

    signed = integrity.sign(
        load("unsigned.json"),
        private,
        method,
        created=datetime.fromisoformat("2023-02-24T23:36:38Z"),
        canonicalize=canonicalize,
        strict=False,  # the example context maps every term through its @vocab
    )

    assert signed == load("signedDataInt.json")
    assert signed["proof"]["proofValue"] == read("sigBTC58DataInt.txt")
    assert keys.public_key_from_multikey(pair["publicKeyMultibase"])  # round trip


def test_the_published_credential_verifies_with_the_did_key_it_names() -> None:
    signed = load("signedDataInt.json")
    proof = integrity.read_proof(signed["proof"])
    _, method = keys.resolve_did_key(proof.verification_method)
    assert method.id == proof.verification_method
    assert isinstance(method.public_key, keys.ed25519.Ed25519PublicKey)

    integrity.verify(signed, proof, method.public_key, canonicalize)

    tampered = signed | {"name": "Alumni Credential (edited)"}
    with pytest.raises(ProofError, match="does not match"):
        integrity.verify(tampered, proof, method.public_key, canonicalize)


def test_without_the_example_context_bundled_nothing_is_fetched() -> None:
    with pytest.raises(UnknownContextError, match="examples/v2"):
        jsonld.canonicalize(load("unsigned.json"))
