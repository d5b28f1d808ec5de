"""/verify takes a Blockcerts credential (pasted, or its downloaded file) and checks it like
anyone else would: the issuer's profile, the proof, the issuer's own log, the revocation
list. Tampered, foreign-log, revoked and broken files are told apart, never a 500."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from tests.factories import AwardFactory, BadgeClassFactory, UserFactory
from tests.web.test_verify_page import JA, post, upload
from tests.web.test_verify_page import verdict_block as verdict_of
from wallet.models import Award, AwardState
from wallet.openbadges import merkle2019
from wallet.openbadges.fetching import FetchError, FetchResult
from wallet.services.anchoring import credentials
from wallet.services.anchoring.run import run_anchoring


class Unreachable:
    """The rest of the web, from here: every address refused as the safe fetcher would."""

    def __call__(self, url: str) -> FetchResult:
        raise FetchError(f"{url}: connection refused", "connect_failed")


@pytest.fixture(autouse=True)
def _offline(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """Our own credentials are checked from the database, never over HTTP."""
    monkeypatch.setitem(app.extensions, "wallet.fetcher", Unreachable())


@pytest.fixture
def anchored(app: Flask, db_session: Session) -> tuple[Award, dict[str, Any]]:
    award = AwardFactory(
        badge_class=BadgeClassFactory(anchored=True, name="データサイエンス基礎"),
        state=AwardState.PENDING,
        user=UserFactory(),
        recipient_name="静岡 花子",
        accepted_at=datetime.now(UTC) - timedelta(hours=5),
    )
    run_anchoring(db_session, app.config["WALLET_SETTINGS"], datetime.now(UTC) - timedelta(hours=1))
    found = credentials.credential_of(db_session, award)
    assert found is not None
    return award, credentials.signed_credential(found)


def test_a_pasted_credential_of_ours_is_valid_and_says_where_it_is_recorded(
    client: FlaskClient, anchored: tuple[Award, dict[str, Any]]
) -> None:
    _, document = anchored
    page = post(client, "text", text=json.dumps(document, ensure_ascii=False)).text
    verdict = verdict_of(page)
    assert "verdict-valid" in page
    assert "Recorded in the public ledger on" in verdict
    assert "/ledger/entries/0" in verdict
    assert "データサイエンス基礎" in page
    japanese = post(client, "text", JA, text=json.dumps(document)).text
    assert "公開台帳へ記録済み" in japanese


def test_the_downloaded_file_can_be_uploaded(
    client: FlaskClient, anchored: tuple[Award, dict[str, Any]]
) -> None:
    _, document = anchored
    page = upload(client, json.dumps(document).encode(), "blockcerts.json").text
    assert "verdict-valid" in page


def test_a_tampered_credential_is_not_genuine(
    client: FlaskClient, anchored: tuple[Award, dict[str, Any]]
) -> None:
    _, document = anchored
    tampered = copy.deepcopy(document)
    tampered["credentialSubject"]["name"] = "浜松 次郎"
    response = post(client, "text", text=json.dumps(tampered))
    assert response.status_code == 200
    assert "verdict-unverified" in response.text
    assert "The public ledger does not confirm this badge" in verdict_of(response.text)
    assert "credential.hash_mismatch" in response.text


def test_a_credential_anchored_in_someone_elses_log_is_not_genuine(
    client: FlaskClient, anchored: tuple[Award, dict[str, Any]]
) -> None:
    """A forger anchors their own root in their own log and names our issuer."""
    _, document = anchored
    forged = copy.deepcopy(document)
    forged["credentialSubject"]["name"] = "偽 太郎"
    leaf = merkle2019.target_hash(forged)
    proof = merkle2019.MerkleProof(
        leaf, leaf, (), (merkle2019.tlog_anchor("forger.example/ledger", 0),)
    )
    forged["proof"]["proofValue"] = proof.encode()
    page = post(client, "text", text=json.dumps(forged)).text
    assert "verdict-unverified" in page
    assert "anchor.issuer" in page


def test_a_revoked_anchored_badge_is_revoked_with_the_reason(
    db_session: Session, client: FlaskClient, anchored: tuple[Award, dict[str, Any]]
) -> None:
    award, document = anchored
    award.revoked_at = datetime.now(UTC)
    award.revocation_reason = "記載誤りのため取り消しました"
    db_session.flush()
    page = post(client, "text", text=json.dumps(document)).text
    assert "verdict-revoked" in page
    assert "記載誤りのため取り消しました" in page


@pytest.mark.parametrize(
    "change",
    [
        lambda d: d.pop("proof"),
        lambda d: d["proof"].update(proofValue="z123"),
        lambda d: d.update(issuer="http://wallet.test/ob/issuers/nobody/blockcerts"),
        lambda d: d.update(issuer="https://elsewhere.example/issuer.json"),
        lambda d: d.update(issuer=42),
        lambda d: d.update(expirationDate="2001-01-01T00:00:00Z"),
    ],
    ids=[
        "no proof",
        "garbage proof",
        "unknown issuer",
        "unreachable issuer",
        "issuer not a URL",
        "expired",
    ],
)
def test_broken_credentials_get_a_verdict_never_a_500(
    client: FlaskClient, anchored: tuple[Award, dict[str, Any]], change: Any
) -> None:
    _, document = anchored
    broken = copy.deepcopy(document)
    change(broken)
    response = post(client, "text", text=json.dumps(broken))
    assert response.status_code in (200, 400)
    assert "verdict-valid" not in response.text
