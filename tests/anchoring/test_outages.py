"""Outages during the daily run: the database restarts under it, the chain node is down, or
the chain holds something else. Nothing is lost, nothing issued twice, nothing called genuine
that is not."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import OperationalError

from tests.anchoring.conftest import ISSUER_KEY, SEPOLIA, Chain
from tests.anchoring.test_faults import NOW, pending
from tests.conftest import fresh_app
from tests.smtp import free_port
from wallet import extensions as ext
from wallet.models import AnchorBatch, BatchStatus, OutboxMail
from wallet.openbadges import blockcerts, merkle2019
from wallet.openbadges.errors import ProofError
from wallet.services.anchoring import chains, log, run


def test_the_database_restarting_mid_run_loses_nothing(tmp_path: Path) -> None:
    """PostgreSQL drops the run's connection between two steps (a restart, as the run
    sees it); the run fails there and the next one finishes, once."""
    with fresh_app(tmp_path) as app, app.app_context():
        engine = ext.db.engine
        if engine.dialect.name != "postgresql":
            pytest.skip("terminating the server's connections needs PostgreSQL")
        session = ext.db.session()
        pending(3)
        session.commit()
        settings = app.config["WALLET_SETTINGS"]
        original = run.anchor_batch

        def restart_then_anchor(*args: object, **kwargs: object) -> bool:
            # the server ends the run's connection, as a restart would (only that one:
            # other tests' connections to the same database live on)
            pid = session.connection().exec_driver_sql("SELECT pg_backend_pid()").scalar()
            with engine.connect() as other:
                other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
                other.commit()
            return original(*args, **kwargs)  # type: ignore[arg-type]

        run.anchor_batch = restart_then_anchor  # type: ignore[assignment]
        try:
            with pytest.raises(OperationalError):
                run.run_anchoring(session, settings, NOW)
        finally:
            run.anchor_batch = original  # type: ignore[assignment]
        session.rollback()
        session.close()
        engine.dispose()  # the pool's connections died with the "restart"
        session = ext.db.session()
        batch = session.scalars(select(AnchorBatch)).one()
        assert batch.status == BatchStatus.BUILT  # the build step had committed
        report = run.run_anchoring(session, settings, NOW + timedelta(minutes=1))
        assert report.issued == 3
        mails = (
            select(func.count())
            .select_from(OutboxMail)
            .where(OutboxMail.template == "badge_issued")
        )
        assert session.scalar(mails) == 3
        assert log.size(session) == 1


def test_a_chain_node_that_is_down_postpones_the_batch(tmp_path: Path, chain: Chain) -> None:
    """The real Ethereum anchor, pointed at a port nothing listens on, then at the node."""
    with fresh_app(tmp_path) as app, app.app_context():
        session = ext.db.session()
        pending(2)
        session.commit()
        base = app.config["WALLET_SETTINGS"].with_overrides(
            eth_chain="sepolia", eth_chain_id=SEPOLIA, eth_private_key=ISSUER_KEY
        )
        down = base.with_overrides(eth_rpc_url=f"http://127.0.0.1:{free_port()}")
        report = run.run_anchoring(session, down, NOW, chains.chain_for(down))
        assert report.issued == 0
        assert report.waiting
        batch = session.scalars(select(AnchorBatch)).one()
        assert (batch.status, batch.tx_hash, batch.attempts) == (BatchStatus.BUILT, "", 1)
        assert log.size(session) == 0
        up = base.with_overrides(eth_rpc_url=chain.url)
        later = batch.retry_after
        assert later is not None
        report = run.run_anchoring(session, up, later, chains.chain_for(up))
        assert report.issued == 2
        assert batch.tx_hash.startswith("0x")
        assert log.size(session) == 1


def test_a_transaction_outbid_for_an_hour_is_signed_again_with_higher_fees(
    tmp_path: Path, chain: Chain
) -> None:
    with fresh_app(tmp_path) as app, app.app_context():
        session = ext.db.session()
        pending(2)
        session.commit()
        settings = app.config["WALLET_SETTINGS"].with_overrides(
            eth_chain="sepolia", eth_chain_id=SEPOLIA, eth_private_key=ISSUER_KEY,
            eth_rpc_url=chain.url,
        )  # fmt: skip

        def run_at(moment: datetime) -> run.RunReport:
            return run.run_anchoring(session, settings, moment, chains.chain_for(settings))

        with chain.mining_stopped():
            assert run_at(NOW).issued == 0
            batch = session.scalars(select(AnchorBatch)).one()
            stuck, nonce = batch.tx_hash, batch.tx_nonce
            offered = int(chain.rpc("eth_getTransactionByHash", stuck)["maxFeePerGas"], 16)
            # the base fee jumps above what it offered: blocks go on without it
            chain.rpc("hardhat_setNextBlockBaseFeePerGas", hex(4 * offered))
            chain.mine()
            assert run_at(NOW + timedelta(minutes=30)).issued == 0
            assert batch.tx_hash == stuck  # within the hour: the same transaction, waited for
            later = NOW + run.REPRICE_AFTER + timedelta(minutes=5)
            assert run_at(later).issued == 0
            assert (batch.tx_nonce, batch.tx_prepared_at) == (nonce, later)
            assert batch.tx_hash != stuck
            chain.mine()
        chain.wait_mined(batch.tx_hash)
        assert run_at(later + timedelta(minutes=10)).issued == 2
        assert batch.status == BatchStatus.COMPLETE
        anchored = chain.rpc("eth_getTransactionByHash", batch.tx_hash)
        assert anchored["input"] == "0x" + batch.merkle_root
        assert chain.rpc("eth_getTransactionByHash", stuck) is None  # replaced, never mined


def test_a_chain_transaction_holding_another_root_is_not_genuine(chain: Chain) -> None:
    """A sound proof whose anchor names a transaction carrying some other root."""
    anchor = chain.anchor()
    prepared = anchor.prepare(merkle2019.sha256(b"another night"))
    anchor.send(prepared)
    chain.wait_mined(prepared.tx_hash)
    credential = blockcerts.build_credential(
        blockcerts.CredentialContent(
            credential_id="urn:uuid:0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0",
            issuer_profile="https://badges.example.ac.jp/ob/issuers/1/blockcerts",
            issued=NOW,
            expires=None,
            recipient_name="静岡 花子",
            achievement_id="https://badges.example.ac.jp/ob/badges/1",
            achievement_name="データサイエンス基礎",
            achievement_description="修了",
            criteria="",
            image_url="https://badges.example.ac.jp/ob/images/ab",
            metadata={},
        )
    )
    (proof,) = merkle2019.batch_proofs(
        [merkle2019.target_hash(credential)], [anchor.anchor_uri(prepared.tx_hash)]
    )
    credential["proof"] = merkle2019.proof_object(
        proof, created="2026-04-02T18:00:00Z", verification_method="x#key-1"
    )
    reader = blockcerts.ChainReader("sepolia", anchor.transaction)
    with pytest.raises(ProofError) as error:
        blockcerts.verify_anchored(credential, NoLog(), chain=reader, now=NOW)
    assert error.value.code == "chain.data_mismatch"


class NoLog:
    def proof(self, origin: str, index: int) -> blockcerts.LogProof:
        raise AssertionError("a chain anchor needs no log")

    def keys(self, origin: str) -> list[object]:
        raise AssertionError("a chain anchor needs no log")
