"""Blockcerts' own verifier (npm `@blockcerts/cert-verifier-js`, `tests/oracles/blockcerts/`)
accepts credentials we anchor on Ethereum, and refuses tampered ones.

An independent implementation is the point: nothing of our verifier is used here. The
credentials are written by hand in this test (the proofs with `merkle2019`), their batch root
sent to the local chain by `EthereumAnchor`; the verifier reads the transaction from that
chain through its custom-explorer option (`verify.mjs`) and the issuer profile from an HTTPS
server on loopback (it upgrades every http:// URL it fetches to https://). It reaches nothing
else: `verify.mjs` refuses any connection beyond loopback and reports it.
"""

from __future__ import annotations

import base64
import copy
import json
import os
import subprocess
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.anchoring.conftest import ORACLE_DIR, STRANGER_KEY, Chain, require_npm_oracle
from tests.loopback_http import LoopbackServer, answer, tls_pair
from wallet.openbadges import merkle2019
from wallet.services.anchoring.ethereum import EthereumAnchor

CONTEXTS = ["https://www.w3.org/2018/credentials/v1", "https://w3id.org/blockcerts/v3"]
STUDENTS = ["静岡 花子", "浜松 太郎", "Jane Smith"]


def rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def issuer_profile(url: str, anchor: EthereumAnchor, revocations: str) -> dict[str, Any]:
    """What cert-verifier-js reads: `type` Profile, `publicKey` (the address that sends the
    transactions, with the date it became valid) and `verificationMethod` (the same key as a
    secp256k1 JWK, from which it derives that address again)."""
    public = anchor.public_key
    return {
        "@context": ["https://w3id.org/openbadges/v2", "https://w3id.org/blockcerts/v3"],
        "type": "Profile",
        "id": url,
        "name": "静岡大学 / Shizuoka University",
        "url": "https://www.shizuoka.ac.jp/",
        "email": "office@example.ac.jp",
        "publicKey": [
            {
                "id": f"ecdsa-koblitz-pubkey:{anchor.address}",
                "created": rfc3339(datetime.now(UTC) - timedelta(days=1)),
            }
        ],
        "verificationMethod": [
            {
                "id": f"{url}#key-1",
                "type": "EcdsaSecp256k1VerificationKey2019",
                "controller": url,
                "publicKeyJwk": {
                    "kty": "EC",
                    "crv": "secp256k1",
                    "x": b64url(public[:32]),
                    "y": b64url(public[32:]),
                },
            }
        ],
        "revocationList": revocations,
    }


def unsigned_credential(issuer: str, student: str) -> dict[str, Any]:
    issued = datetime.now(UTC) - timedelta(minutes=5)
    return {
        "@context": list(CONTEXTS),
        "id": f"urn:uuid:{uuid.uuid4()}",
        "type": ["VerifiableCredential", "BlockcertsCredential"],
        "issuer": issuer,
        "issuanceDate": rfc3339(issued),
        "name": "データサイエンス入門 / Introduction to Data Science",
        "description": "15 週の講義と演習を修了した。",
        "credentialSubject": {
            "id": f"urn:uuid:{uuid.uuid4()}",
            "name": student,
            "claim": {
                "name": "データサイエンス入門",
                "description": "Completed 15 weeks of lectures and exercises.",
                "criteria": "https://badges.example.ac.jp/criteria/ds-101",
            },
        },
        "display": {"contentMediaType": "text/html", "content": f"<p>{student}</p>"},
    }


def anchored_batch(chain: Chain, issuer: str, root_on_chain: bytes | None = None) -> list[dict]:
    """Three credentials, one tree, its root sent to the chain (or, to fake a forged
    anchor, `root_on_chain` instead)."""
    anchor = chain.anchor()
    credentials = [unsigned_credential(issuer, student) for student in STUDENTS]
    leaves = [merkle2019.target_hash(credential) for credential in credentials]
    root = merkle2019.MerkleTree(leaves).root
    prepared = anchor.prepare(root if root_on_chain is None else root_on_chain)
    anchor.send(prepared)
    chain.wait_mined(prepared.tx_hash)
    proofs = merkle2019.batch_proofs(leaves, [anchor.anchor_uri(prepared.tx_hash)])
    created = rfc3339(datetime.now(UTC) - timedelta(seconds=30))
    for credential, proof in zip(credentials, proofs, strict=True):
        credential["proof"] = merkle2019.proof_object(
            proof, created=created, verification_method=f"{issuer}#key-1"
        )
    return credentials


@dataclass
class Outcome:
    status: str
    steps: list[dict[str, Any]]
    blocked: list[str]
    error: str | None

    @property
    def failed_step(self) -> str | None:
        failed = [step["code"] for step in self.steps if step["status"] == "failure"]
        return failed[0] if failed else None


def cert_verifier_js(
    chain: Chain, certificate: Path, folder: Path, credentials: list[dict]
) -> list[Outcome]:
    node = require_npm_oracle()
    files = []
    for index, credential in enumerate(credentials):
        path = folder / f"credential-{uuid.uuid4().hex[:8]}-{index}.json"
        path.write_text(json.dumps(credential, ensure_ascii=False))
        files.append(str(path))
    result = subprocess.run(
        [node, str(ORACLE_DIR / "verify.mjs"), "--rpc", chain.url, *files],
        cwd=ORACLE_DIR,
        env={**os.environ, "NODE_EXTRA_CA_CERTS": str(certificate)},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return [
        Outcome(item["status"], item["steps"], item["blocked"], item.get("error"))
        for item in json.loads(result.stdout)
    ]


@pytest.fixture
def issuer_site(tmp_path: Path) -> Any:
    require_npm_oracle()
    server_tls, _ = tls_pair(["127.0.0.1"], tmp_path)
    with LoopbackServer(tls=server_tls) as server:
        yield server, tmp_path / "issuer.pem"


def test_blockcerts_verifies_our_anchored_credentials_and_refuses_tampered_ones(
    chain: Chain, issuer_site: tuple[LoopbackServer, Path], tmp_path: Path
) -> None:
    server, certificate = issuer_site
    profile_url = server.url("/issuer/blockcerts.json")
    revocations = server.url("/issuer/revocations.json")
    server.routes["/issuer/revocations.json"] = answer(
        json.dumps({"id": revocations, "type": "RevocationList", "revokedAssertions": []}).encode(),
        "application/json",
    )
    profile = issuer_profile(profile_url, chain.anchor(), revocations)
    server.routes["/issuer/blockcerts.json"] = answer(json.dumps(profile).encode())

    batch = anchored_batch(chain, profile_url)
    tampered = copy.deepcopy(batch[1])
    tampered["credentialSubject"]["name"] = "浜松 次郎"
    # a batch whose proofs are sound, anchored in a transaction holding another root
    forged = anchored_batch(chain, profile_url, root_on_chain=merkle2019.sha256(b"other"))[0]

    outcomes = cert_verifier_js(chain, certificate, tmp_path, [*batch, tampered, forged])

    for outcome in outcomes[:3]:
        assert outcome.status == "success", outcome
        passed = {step["code"] for step in outcome.steps if step["status"] == "success"}
        assert {"computeLocalHash", "fetchRemoteHash", "compareHashes", "checkMerkleRoot"} <= (
            passed
        )
        assert {"checkReceipt", "checkAuthenticity", "checkRevokedStatus"} <= passed
    assert outcomes[3].status == "failure"
    assert outcomes[3].failed_step == "compareHashes"
    assert outcomes[4].status == "failure"
    assert outcomes[4].failed_step == "checkMerkleRoot"
    assert all(not outcome.blocked for outcome in outcomes)  # loopback was enough
    assert any(r.path.startswith("/issuer/revocations.json") for r in server.requests)


def test_blockcerts_refuses_a_credential_whose_issuer_profile_names_another_key(
    chain: Chain, issuer_site: tuple[LoopbackServer, Path], tmp_path: Path
) -> None:
    server, certificate = issuer_site
    profile_url = server.url("/issuer/blockcerts.json")
    revocations = server.url("/issuer/revocations.json")
    server.routes["/issuer/revocations.json"] = answer(b'{"revokedAssertions": []}')
    batch = anchored_batch(chain, profile_url)
    ours = issuer_profile(profile_url, chain.anchor(), revocations)
    theirs = issuer_profile(profile_url, chain.anchor(STRANGER_KEY), revocations)

    # the profile publishes someone else's address: our transaction's sender is not in it
    server.routes["/issuer/blockcerts.json"] = answer(json.dumps(theirs).encode())
    [wrong_address] = cert_verifier_js(chain, certificate, tmp_path, batch[:1])
    # the address is ours but the verification method's key is someone else's
    server.routes["/issuer/blockcerts.json"] = answer(
        json.dumps(ours | {"verificationMethod": theirs["verificationMethod"]}).encode()
    )
    [wrong_method] = cert_verifier_js(chain, certificate, tmp_path, batch[:1])

    assert wrong_address.status == "failure"
    assert wrong_address.failed_step == "checkAuthenticity"
    # the identity check that derives the address from the key reports no step of its own
    # for a profile that is not a DID document, only the final failure
    assert wrong_method.status == "failure"
    assert wrong_method.failed_step is None
    assert not wrong_address.blocked
    assert not wrong_method.blocked
