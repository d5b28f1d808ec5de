"""Not genuine, never valid, never a 500: tampered credentials, wrong paths, missing roots,
forged or wrong-key checkpoints, a forked log. And a run stopped half-way loses nothing."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.factories import AwardFactory, BadgeClassFactory, UserFactory
from wallet import urls
from wallet.models import AnchorBatch, AnchoredCredential, AwardState, BatchStatus, OutboxMail
from wallet.openbadges import blockcerts, merkle2019
from wallet.openbadges.blockcerts import LogProof
from wallet.openbadges.errors import ProofError
from wallet.openbadges.ledger import verify_checkpoints_consistent
from wallet.openbadges.signednote import Checkpoint, Signer, Verifier, sign_checkpoint
from wallet.services.anchoring import credentials, log, run
from wallet.services.anchoring.verify import check_award
from wallet.services.verifying import verify_award

NOW = datetime(2026, 4, 2, 18, 0, tzinfo=UTC)


def anchored(app: Flask, session: Session, count: int = 3) -> list[dict[str, Any]]:
    badge = BadgeClassFactory(anchored=True)
    awards = [
        AwardFactory(
            badge_class=badge,
            state=AwardState.PENDING,
            user=UserFactory(),
            accepted_at=NOW - timedelta(hours=5),
        )
        for _ in range(count)
    ]
    run.run_anchoring(session, app.config["WALLET_SETTINGS"], NOW)
    found = [credentials.credential_of(session, a) for a in awards]
    return [credentials.signed_credential(c) for c in found if c is not None]


@dataclass
class FakeLog:
    """A log source a test can bend: a stranger's view of a log that lies."""

    proofs: dict[int, LogProof]
    key_list: Sequence[Verifier]

    def proof(self, origin: str, index: int) -> LogProof:
        if index not in self.proofs:
            raise ProofError("anchor.root_missing", "no such entry")
        return self.proofs[index]

    def keys(self, origin: str) -> Sequence[Verifier]:
        return self.key_list


def real_log(app: Flask, session: Session) -> FakeLog:
    settings = app.config["WALLET_SETTINGS"]
    source, origin = (
        log.DatabaseLog(session, settings.base_url),
        urls.ledger_origin(settings.base_url),
    )
    size = log.size(session)
    return FakeLog({i: source.proof(origin, i) for i in range(size)}, source.keys(origin))


def reason(credential: dict[str, Any], source: FakeLog) -> str:
    with pytest.raises(ProofError) as error:
        blockcerts.verify_anchored(credential, source, now=NOW)
    return error.value.code


def test_the_untouched_credential_verifies(app: Flask, db_session: Session) -> None:
    for credential in anchored(app, db_session):
        _, anchors = blockcerts.verify_anchored(credential, real_log(app, db_session), now=NOW)
        assert anchors[0].anchored_by == NOW


TAMPERINGS: dict[str, Callable[[dict[str, Any]], None]] = {
    "another name": lambda c: c["credentialSubject"].update(name="別人 太郎"),
    "another badge": lambda c: c["credentialSubject"]["claim"].update(name="博士（工学）"),
    "a later expiry": lambda c: c.update(expirationDate="2099-01-01T00:00:00Z"),
    "an added field": lambda c: c.update(narrative="優秀"),
}


@pytest.mark.parametrize("tamper", TAMPERINGS.values(), ids=TAMPERINGS.keys())
def test_a_tampered_credential_is_not_genuine(
    app: Flask, db_session: Session, tamper: Callable[[dict[str, Any]], None]
) -> None:
    credential = anchored(app, db_session)[0]
    tamper(credential)
    assert reason(credential, real_log(app, db_session)) in {
        "credential.hash_mismatch",
        "credential.unmapped_terms",
    }


def _with_proof(credential: dict[str, Any], proof: merkle2019.MerkleProof) -> dict[str, Any]:
    changed = copy.deepcopy(credential)
    changed["proof"]["proofValue"] = proof.encode()
    return changed


def test_a_wrong_path_is_not_genuine(app: Flask, db_session: Session) -> None:
    credential = anchored(app, db_session)[0]
    proof = merkle2019.MerkleProof.decode(credential["proof"]["proofValue"])
    flipped = [
        merkle2019.PathStep("left" if s.side == "right" else "right", s.hash) for s in proof.path
    ]
    bad = _with_proof(credential, replace(proof, path=tuple(flipped)))
    assert reason(bad, real_log(app, db_session)) == "proof.root_mismatch"


def test_a_root_missing_from_the_log_is_not_genuine(app: Flask, db_session: Session) -> None:
    credential = anchored(app, db_session, count=1)[0]
    source = real_log(app, db_session)
    assert reason(credential, FakeLog({}, source.key_list)) == "anchor.root_missing"
    # a credential whose own root is self-consistent but was never logged
    forged = copy.deepcopy(credential)
    forged["credentialSubject"]["name"] = "偽 花子"
    leaf = merkle2019.target_hash(forged)
    proof = merkle2019.MerkleProof.decode(credential["proof"]["proofValue"])
    forged_proof = replace(proof, target_hash=leaf, merkle_root=leaf, path=())
    assert reason(_with_proof(forged, forged_proof), source) == "anchor.root_missing"


def test_a_checkpoint_signed_by_another_key_is_not_genuine(app: Flask, db_session: Session) -> None:
    credential = anchored(app, db_session, count=1)[0]
    source = real_log(app, db_session)
    honest = source.proofs[0]
    origin = Checkpoint.parse(honest.checkpoint.split("\n\n")[0] + "\n").origin
    impostor = Signer.generate(origin)
    head = Checkpoint.parse(honest.checkpoint.split("\n\n")[0] + "\n")
    forged = replace(honest, checkpoint=sign_checkpoint(head, impostor, NOW))
    assert reason(credential, FakeLog({0: forged}, source.key_list)) == "note.unknown_key"
    # a corrupted signature by the real key
    raw = honest.checkpoint
    broken = raw[:-10] + ("A" if raw[-10] != "A" else "B") + raw[-9:]
    assert reason(credential, FakeLog({0: replace(honest, checkpoint=broken)}, source.key_list))


def test_a_checkpoint_signed_after_its_key_was_retired_is_not_genuine(
    app: Flask, db_session: Session
) -> None:
    credential = anchored(app, db_session, count=1)[0]
    source = real_log(app, db_session)
    retired = [replace(k, valid_until=NOW - timedelta(days=1)) for k in source.key_list]
    assert reason(credential, FakeLog(source.proofs, retired)) == "note.key_expired"


def test_a_forked_log_is_detected(app: Flask, db_session: Session) -> None:
    """Two checkpoints the log signed that no consistency proof joins: it showed two
    histories. Here the second history rewrites entry 0."""
    anchored(app, db_session, count=1)
    settings = app.config["WALLET_SETTINGS"]
    signer = log.signer_for(settings)
    keys = log.verifiers(log.published_keys(db_session))
    honest = log.latest_checkpoint(db_session)
    assert honest is not None
    from wallet.openbadges.translog import LogTree

    other = LogTree.from_entries([b"badge-batch/v1\n" + b"0" * 64 + b"\n", b"x"])
    fork = sign_checkpoint(
        Checkpoint(signer.name, other.size, other.root()), signer, NOW + timedelta(minutes=1)
    )
    with pytest.raises(ProofError) as error:
        verify_checkpoints_consistent(honest.note, fork, other.consistency_proof(1, 2), keys)
    assert error.value.code == "log.consistency"


def test_a_tampered_stored_credential_shows_as_not_genuine_on_every_page(
    app: Flask, db_session: Session, client: Any
) -> None:
    anchored(app, db_session, count=1)
    stored = db_session.scalars(select(AnchoredCredential)).one()
    document = json.loads(stored.unsigned)
    document["credentialSubject"]["name"] = "書き換え"
    stored.unsigned = json.dumps(document, ensure_ascii=False)
    stored.award.is_public = True
    db_session.flush()
    settings = app.config["WALLET_SETTINGS"]
    result = check_award(db_session, stored.award, settings.base_url, NOW)
    assert not result.genuine
    assert result.reason == "credential.hash_mismatch"
    verdict = verify_award(
        db_session, stored.award, base_url=settings.base_url, timezone=settings.timezone, now=NOW
    )
    assert verdict.status == "unverified"
    page = client.get(f"/b/{stored.award.share_id}", headers={"Accept-Language": "en"})
    assert page.status_code == 200
    assert "The public ledger does not confirm this badge" in page.get_data(as_text=True)


# -- a run stopped half-way --------------------------------------------------------------


def pending(count: int) -> None:
    badge = BadgeClassFactory(anchored=True)
    for _ in range(count):
        AwardFactory(
            badge_class=badge,
            state=AwardState.PENDING,
            user=UserFactory(),
            accepted_at=NOW - timedelta(hours=5),
        )


def counts(session: Session) -> tuple[int, int, int]:
    issued_mail = select(func.count()).select_from(OutboxMail)
    return (
        session.scalar(select(func.count()).select_from(AnchorBatch)) or 0,
        session.scalar(issued_mail.where(OutboxMail.template == "badge_issued")) or 0,
        log.size(session),
    )


class Killed(Exception):
    """The worker process died here."""


def test_killed_after_building_the_next_run_anchors_the_same_batch_once(
    app: Flask, db_session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    pending(3)
    settings = app.config["WALLET_SETTINGS"]

    def die(*args: object, **kwargs: object) -> bool:
        raise Killed

    monkeypatch.setattr(run, "anchor_batch", die)
    with pytest.raises(Killed):
        run.run_anchoring(db_session, settings, NOW)
    db_session.rollback()
    assert counts(db_session) == (1, 0, 0)  # built and committed, nothing anchored
    monkeypatch.undo()
    report = run.run_anchoring(db_session, settings, NOW + timedelta(minutes=1))
    assert (report.built, report.anchored, report.issued) == (0, 3, 3)
    assert counts(db_session) == (1, 3, 1)


def test_killed_while_completing_nothing_is_issued_twice(
    app: Flask, db_session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    pending(3)
    settings = app.config["WALLET_SETTINGS"]
    original = run.issued_mail
    sent = []

    def die_on_second(*args: Any, **kwargs: Any) -> dict[str, Any]:
        sent.append(1)
        if len(sent) == 2:
            raise Killed
        return original(*args, **kwargs)

    monkeypatch.setattr(run, "issued_mail", die_on_second)
    with pytest.raises(Killed):
        run.run_anchoring(db_session, settings, NOW)
    db_session.rollback()  # the completing transaction is lost, anchored stays
    batch = db_session.scalars(select(AnchorBatch)).one()
    assert batch.status == BatchStatus.ANCHORED
    assert counts(db_session) == (1, 0, 1)
    monkeypatch.undo()
    report = run.run_anchoring(db_session, settings, NOW + timedelta(minutes=1))
    assert report.issued == 3
    assert counts(db_session) == (1, 3, 1)


def test_a_chain_that_is_down_leaves_the_batch_pending_and_retried(
    app: Flask, db_session: Session
) -> None:
    pending(2)
    settings = app.config["WALLET_SETTINGS"]

    class DownChain:
        name = "eth:sepolia"
        calls = 0

        def prepare(self, root: bytes) -> run.PreparedTransaction:
            self.calls += 1
            raise run.ChainUnavailable("connection refused")

        def send(self, raw: bytes) -> None: ...

        def confirmed_at(self, tx_hash: str) -> datetime | None:
            return None

        def anchor_uri(self, tx_hash: str) -> str:
            return f"blink:eth:sepolia:{tx_hash}"

        def verification_method(self) -> str:
            return "ecdsa-koblitz-pubkey:0x0"

    chain = DownChain()
    report = run.run_anchoring(db_session, settings, NOW, chain)
    assert report.issued == 0
    assert report.waiting == ["connection refused"]
    batch = db_session.scalars(select(AnchorBatch)).one()
    assert (batch.status, batch.attempts) == (BatchStatus.BUILT, 1)
    assert batch.retry_after == NOW + timedelta(minutes=5)
    assert counts(db_session) == (1, 0, 0)
    # not retried before its time; then retried with a longer wait
    assert not run.is_due(db_session, settings, NOW + timedelta(minutes=4))
    assert run.is_due(db_session, settings, NOW + timedelta(minutes=5))
    run.run_anchoring(db_session, settings, NOW + timedelta(minutes=5), chain)
    assert batch.attempts == 2
    assert batch.retry_after == NOW + timedelta(minutes=15)
    # the chain is back (here: no chain configured any more): completed, once
    report = run.run_anchoring(db_session, settings, NOW + timedelta(minutes=15))
    assert report.issued == 2
    assert counts(db_session) == (1, 2, 1)


def test_a_run_is_due_only_when_an_award_accepted_before_the_last_run_time_waits(
    app: Flask, db_session: Session
) -> None:
    settings = app.config["WALLET_SETTINGS"]  # 03:00 Asia/Tokyo = 18:00 UTC
    AwardFactory(
        badge_class=BadgeClassFactory(anchored=True),
        state=AwardState.PENDING,
        user=UserFactory(),
        accepted_at=datetime(2026, 4, 2, 10, 0, tzinfo=UTC),
    )
    assert not run.is_due(db_session, settings, datetime(2026, 4, 2, 17, 59, tzinfo=UTC))
    assert run.is_due(db_session, settings, datetime(2026, 4, 2, 18, 0, tzinfo=UTC))
    # a worker that was down at 03:00 catches up when it starts
    assert run.is_due(db_session, settings, datetime(2026, 4, 3, 9, 0, tzinfo=UTC))
    run.run_anchoring(db_session, settings, datetime(2026, 4, 3, 9, 0, tzinfo=UTC))
    assert not run.is_due(db_session, settings, datetime(2026, 4, 3, 9, 1, tzinfo=UTC))


def test_a_revoked_pending_award_is_never_anchored(app: Flask, db_session: Session) -> None:
    award = AwardFactory(
        badge_class=BadgeClassFactory(anchored=True),
        state=AwardState.PENDING,
        user=UserFactory(),
        accepted_at=NOW - timedelta(hours=5),
        revoked_at=NOW - timedelta(hours=1),
    )
    report = run.run_anchoring(db_session, app.config["WALLET_SETTINGS"], NOW)
    assert report.built == 0
    assert award.state == AwardState.PENDING
    assert counts(db_session) == (0, 0, 0)
