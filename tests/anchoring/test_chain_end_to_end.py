"""The daily run with an Ethereum chain configured, end to end: our credentials, from the real
run, verify in Blockcerts' own verifier (cert-verifier-js) against the local chain and the
issuer profile and revocation list as the app serves them; and in ours against our log."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy.orm import Session

from tests.anchoring.conftest import ISSUER_KEY, SEPOLIA, Chain, require_npm_oracle
from tests.anchoring.test_blockcerts_verifier import cert_verifier_js
from tests.factories import AwardFactory, BadgeClassFactory, UserFactory
from tests.loopback_http import LoopbackServer, answer, tls_pair
from wallet import urls
from wallet.config import Settings
from wallet.models import AnchorBatch, Award, AwardState
from wallet.services import documents
from wallet.services.anchoring import chains, credentials
from wallet.services.anchoring.run import run_anchoring
from wallet.services.anchoring.verify import check_award


def _serve_issuer(
    server: LoopbackServer, session: Session, settings: Settings, issuer_id: str
) -> None:
    """What the app serves at the issuer's Blockcerts profile and revocation list."""
    profile = credentials.issuer_profile_document(
        session, settings, issuer_id, chains.chain_key(settings)
    )
    revocations = documents.get_revocation_list_document(session, issuer_id, settings.base_url)
    base = settings.base_url.removeprefix(server.url("").rstrip("/"))
    server.routes[f"{base}/ob/issuers/{issuer_id}/blockcerts"] = answer(
        json.dumps(profile, ensure_ascii=False).encode()
    )
    server.routes[f"{base}/ob/issuers/{issuer_id}/revocations"] = answer(
        json.dumps(revocations.body).encode(), "application/json"
    )


def test_our_chain_anchored_credentials_verify_in_blockcerts_verifier(
    app: Flask, db_session: Session, chain: Chain, tmp_path: Path
) -> None:
    require_npm_oracle()
    server_tls, _ = tls_pair(["127.0.0.1"], tmp_path)
    with LoopbackServer(tls=server_tls) as server:
        settings: Settings = app.config["WALLET_SETTINGS"].with_overrides(
            base_url=server.url("").rstrip("/"),
            eth_rpc_url=chain.url,
            eth_chain="sepolia",
            eth_chain_id=SEPOLIA,
            eth_private_key=ISSUER_KEY,
        )
        badge = BadgeClassFactory(anchored=True, name="データサイエンス基礎")
        awards: list[Award] = [
            AwardFactory(
                badge_class=badge,
                state=AwardState.PENDING,
                user=UserFactory(name=name),
                recipient_name=name,
                accepted_at=datetime.now(UTC) - timedelta(hours=3),
            )
            for name in ("静岡 花子", "浜松 太郎", "Jane Smith")
        ]
        now = datetime.now(UTC) - timedelta(minutes=1)
        report = run_anchoring(db_session, settings, now, chains.chain_for(settings))
        assert report.issued == 3, report
        batch = db_session.query(AnchorBatch).one()
        assert batch.tx_hash.startswith("0x")
        assert batch.log_index == 0  # the root is in our log too
        documents_: list[dict[str, Any]] = []
        for award in awards:
            found = credentials.credential_of(db_session, award)
            assert found is not None
            document = credentials.signed_credential(found)
            assert document["proof"]["verificationMethod"].endswith("/blockcerts#key-1")
            documents_.append(document)
            assert check_award(db_session, award, settings.base_url, now).genuine

        # one of them revoked afterwards: Blockcerts' verifier reads our revocation list
        awards[2].revoked_at = datetime.now(UTC)
        awards[2].revocation_reason = "記載誤りのため"
        db_session.flush()
        _serve_issuer(server, db_session, settings, badge.issuer.public_id)
        outcomes = cert_verifier_js(chain, tmp_path / "issuer.pem", tmp_path, documents_)

    for outcome in outcomes[:2]:
        assert outcome.status == "success", outcome
        passed = {step["code"] for step in outcome.steps if step["status"] == "success"}
        assert {"computeLocalHash", "compareHashes", "checkMerkleRoot", "checkReceipt"} <= passed
        assert {"checkAuthenticity", "checkRevokedStatus"} <= passed
    assert outcomes[2].status == "failure"
    assert outcomes[2].failed_step == "checkRevokedStatus"
    assert all(not outcome.blocked for outcome in outcomes)
    assert urls.ledger_origin(settings.base_url).endswith("/ledger")
