"""What /ledger publishes is enough for a stranger to check every anchored badge; the
student downloads the Blockcerts file; private badges stay private."""

from __future__ import annotations

import base64
import itertools
import json
from datetime import UTC, datetime, timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from tests.factories import AwardFactory, BadgeClassFactory, UserFactory
from tests.web.admin_helpers import log_in
from wallet.models import Award, AwardState
from wallet.openbadges import blockcerts, merkle2019
from wallet.openbadges.ledger import batch_entry, verify_checkpoints_consistent
from wallet.openbadges.signednote import open_checkpoint
from wallet.openbadges.translog import LogTree, verify_inclusion
from wallet.services.anchoring.run import run_anchoring

NOW = datetime.now(UTC).replace(microsecond=0)


def anchor_nights(app: Flask, session: Session, nights: list[int], **kwargs: object) -> list[Award]:
    """Accept ``n`` anchored awards on each night and run the daily job after each."""
    settings = app.config["WALLET_SETTINGS"]
    badge = BadgeClassFactory(anchored=True)
    made = []
    for night, count in enumerate(nights):
        when = NOW - timedelta(days=len(nights) - night)
        for _ in range(count):
            made.append(
                AwardFactory(
                    badge_class=badge,
                    state=AwardState.PENDING,
                    user=UserFactory(),
                    accepted_at=when - timedelta(hours=5),
                    **kwargs,
                )
            )
        run_anchoring(session, settings, when)
    return made


def get_json(client: FlaskClient, url: str) -> dict:  # type: ignore[type-arg]
    response = client.get(url)
    assert response.status_code == 200, url
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    return json.loads(response.data)


def test_a_stranger_rebuilds_every_proof_from_the_published_json_alone(
    app: Flask, db_session: Session, client: FlaskClient
) -> None:
    awards = anchor_nights(app, db_session, [3, 1, 4])
    summary = get_json(client, "/ledger.json")
    keys = blockcerts.keys_from_json(summary["keys"])
    entries = get_json(client, summary["entries"].removeprefix("http://localhost"))
    raw = [base64.b64decode(item["entry"]) for item in entries["entries"]]
    assert [item["index"] for item in entries["entries"]] == [0, 1, 2]
    tree = LogTree.from_entries(raw)
    # every checkpoint is signed by a published key, has the root of the rebuilt tree at
    # its size, and each extends the one before
    checkpoints = get_json(client, "/ledger/checkpoints.json")["checkpoints"]
    assert [c["size"] for c in checkpoints] == [1, 2, 3]
    for older, newer in itertools.pairwise(checkpoints):
        proof = tree.consistency_proof(older["size"], newer["size"])
        verify_checkpoints_consistent(older["note"], newer["note"], proof, keys)
    for item in checkpoints:
        signed = open_checkpoint(item["note"], keys)
        assert signed.checkpoint.root_hash == tree.root(item["size"])
    # every entry's published inclusion proof is the one the stranger computes
    for index in range(3):
        published = get_json(client, f"/ledger/entries/{index}/proof.json")
        mine = tree.inclusion_proof(index, published["tree_size"])
        assert published["inclusion"] == [h.hex() for h in mine]
        verify_inclusion(
            index, published["tree_size"], tree.leaf(index), mine, tree.root(published["tree_size"])
        )
    # and each credential's root is one of the entries
    for award in awards:
        student = app.test_client()
        log_in(student, award.user)
        response = student.get(f"/wallet/badges/{award.id}/blockcerts.json")
        assert response.status_code == 200
        assert "attachment" in response.headers["Content-Disposition"]
        credential = json.loads(response.data)
        proof = merkle2019.verify_credential(credential)
        assert batch_entry(proof.merkle_root) in raw


def test_the_ledger_json_refuses_bad_ranges_with_400(
    app: Flask, db_session: Session, client: FlaskClient
) -> None:
    anchor_nights(app, db_session, [1])
    assert client.get("/ledger/entries.json?start=-1").status_code == 400
    assert client.get("/ledger/entries.json?limit=100000").status_code == 400
    assert client.get("/ledger/entries.json?start=x").status_code == 400
    assert client.get("/ledger/consistency.json?from=2&to=1").status_code == 400
    assert client.get("/ledger/entries/5/proof.json").status_code == 404
    assert client.get("/ledger/entries/5").status_code == 404
    page = get_json(client, "/ledger/entries.json?start=0&limit=1")
    assert len(page["entries"]) == 1
    assert "next" not in page


def test_the_ledger_page_explains_and_links_each_entry(
    app: Flask, db_session: Session, client: FlaskClient
) -> None:
    anchor_nights(app, db_session, [2])
    page = client.get("/ledger", headers={"Accept-Language": "ja"}).get_data(as_text=True)
    assert "公開台帳" in page
    assert "台帳の名前" in page
    signing_keys = page.split("署名鍵")[1].split("</ul>")[0]
    assert "T" not in signing_keys.split("<br>")[1]  # since when, as a date for people
    assert 'href="/ledger/entries/0"' in page
    entry = client.get("/ledger/entries/0", headers={"Accept-Language": "ja"})
    text = entry.get_data(as_text=True)
    assert "2 件のバッジ" in text
    assert "T" not in text.split("記録日時")[1].split("</dd>")[0]  # a date for people


def test_the_share_page_says_where_a_public_anchored_badge_is_recorded(
    app: Flask, db_session: Session, client: FlaskClient
) -> None:
    (award,) = anchor_nights(app, db_session, [1], is_public=True)
    page = client.get(f"/b/{award.share_id}", headers={"Accept-Language": "en"})
    text = page.get_data(as_text=True)
    assert "Valid badge" in text
    assert "Recorded in the public ledger on" in text
    assert "/ledger/entries/0" in text
    download = client.get(f"/b/{award.share_id}/blockcerts.json")
    assert download.status_code == 200
    assert json.loads(download.data)["proof"]["type"] == "MerkleProof2019"


def test_a_private_anchored_badge_has_no_public_download(
    app: Flask, db_session: Session, client: FlaskClient
) -> None:
    (award,) = anchor_nights(app, db_session, [1], is_public=False)
    assert client.get(f"/b/{award.share_id}/blockcerts.json").status_code == 404
    assert client.get(f"/b/{award.share_id}").status_code == 404
    other = UserFactory()
    log_in(client, other)
    assert client.get(f"/wallet/badges/{award.id}/blockcerts.json").status_code == 404


def test_the_wallet_shows_pending_then_recorded(
    app: Flask, db_session: Session, client: FlaskClient
) -> None:
    owner = UserFactory(locale="en")
    award = AwardFactory(
        badge_class=BadgeClassFactory(anchored=True),
        state=AwardState.PENDING,
        user=owner,
        accepted_at=NOW - timedelta(hours=1),
    )
    log_in(client, owner)
    english = {"Accept-Language": "en"}
    before = client.get(f"/wallet/badges/{award.id}", headers=english).get_data(as_text=True)
    assert "Expected to be complete on" in before
    assert client.get(f"/wallet/badges/{award.id}/blockcerts.json").status_code == 404
    run_anchoring(db_session, app.config["WALLET_SETTINGS"], NOW)
    after = client.get(f"/wallet/badges/{award.id}", headers=english).get_data(as_text=True)
    assert "Recorded in the public ledger" in after
    assert "Download the Blockcerts file" in after


def test_the_blockcerts_issuer_profile_names_the_ledger(
    app: Flask, db_session: Session, client: FlaskClient
) -> None:
    badge = BadgeClassFactory(anchored=True)
    profile = get_json(client, f"/ob/issuers/{badge.issuer.public_id}/blockcerts")
    assert profile["type"] == "Profile"
    assert profile["ledger"].endswith("/ledger")
    assert profile["name"] == badge.issuer.name
    assert client.get("/ob/issuers/nobody/blockcerts").status_code == 404
