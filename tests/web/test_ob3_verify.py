"""``/verify`` checks Open Badges 3.0 credentials in every form: JSON, VC-JWT, baked PNG
and SVG, and a URL; ours (read from the database, never over HTTP) and any issuer's
(through the remote fetcher). Every bad input gives its reason, never a 500."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.factories import AwardFactory, BadgeClassFactory, BlobFactory, png_bytes
from tests.unit.openbadges.ob3 import world as w
from tests.web.test_ob3_issuing import NAME
from tests.web.test_verify_page import JA, NoRemote, check_url, post, verdict_block
from wallet.config import Settings
from wallet.models import Award, AwardCredential
from wallet.openbadges.ob3 import baking, integrity, status
from wallet.services.ob3.issuing import issue_credentials
from wallet.views import verify as verify_view

SVG = (
    b'<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64" viewBox="0 0 64 64">'
    b'<circle cx="32" cy="32" r="30" fill="#1d5fa0"/></svg>\n'
)
VALID = "Valid badge"


@pytest.fixture(autouse=True)
def _fresh(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    verify_view.RESULTS.clear()
    monkeypatch.setitem(app.extensions, "wallet.fetcher", NoRemote())
    yield
    verify_view.RESULTS.clear()


def _issued(app: Flask, db_session: Session, *, svg: bool = False) -> AwardCredential:
    image = BlobFactory(data=SVG, content_type="image/svg+xml") if svg else BlobFactory()
    badge = BadgeClassFactory(name=NAME, image_sha256=image.sha256)
    award = AwardFactory(issued=True, badge_class=badge)
    settings: Settings = app.config["WALLET_SETTINGS"]
    issue_credentials(db_session, settings, [award], datetime.now(UTC))
    found = db_session.scalar(select(AwardCredential).where(AwardCredential.award_id == award.id))
    assert found is not None
    return found


def _valid(block: str) -> None:
    assert VALID in block
    assert "✗" not in block


def test_our_credential_in_every_form(app: Flask, client: FlaskClient, db_session: Session) -> None:
    stored = _issued(app, db_session, svg=True)
    award = db_session.get(Award, stored.award_id)
    assert award is not None
    png = baking.bake(png_bytes(), stored.document)
    answers = {
        "json": post(client, "text", text=stored.document),
        "jwt": post(client, "text", text=stored.jwt),
        "png": post(client, "image", image=(png, "badge.png")),
        "svg": post(client, "image", image=(baking.bake(SVG, stored.jwt), "badge.svg")),
        "url": check_url(client, f"http://wallet.test/ob/v3/credentials/{award.public_id}"),
    }
    for form, response in answers.items():
        assert response.status_code == 200, form
        block = verdict_block(response.text)
        _valid(block)
        assert NAME in response.text, form
        assert "The issuer's signature is valid" in block, form
    japanese = verdict_block(post(client, "text", JA, text=stored.jwt).text)
    assert "有効なバッジです" in japanese
    assert "発行者の署名は有効です" in japanese
    assert "オープンバッジ 3.0 の資格情報として正しい形式です" in japanese


def test_another_issuers_credential_through_the_remote_fetcher(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    fetcher = w.World().fetcher()
    monkeypatch.setitem(app.extensions, "wallet.fetcher", fetcher)
    response = post(client, "text", text=json.dumps(w.signed()))
    assert response.status_code == 200
    _valid(verdict_block(response.text))
    assert w.ISSUER in fetcher.requested  # its keys, through the app's fetcher
    assert w.LIST_URL in fetcher.requested
    jwt = post(client, "text", text=w.jwt(w.credential(8)))
    _valid(verdict_block(jwt.text))
    fetcher.documents[f"{w.BASE}/credentials/9"] = w.jwt(w.credential(9)).encode()
    by_url = check_url(client, f"{w.BASE}/credentials/9")
    _valid(verdict_block(by_url.text))


def _tampered() -> str:
    document = w.signed()
    document["credentialSubject"]["achievement"]["name"] = "データサイエンス応用"
    return json.dumps(document, ensure_ascii=False)


def _unknown_suite() -> str:
    document = w.signed()
    document["proof"]["cryptosuite"] = "ecdsa-rdfc-2019"
    return json.dumps(document)


def _unbundled_context() -> str:
    document = w.signed()
    document["@context"].append("https://example.org/unbundled/v1")
    return json.dumps(document)


def _unlisted_key() -> str:
    return json.dumps(w.signed(key=w.STRANGER_KEY, key_id=f"{w.ISSUER}#key-9"))


def _claims_disagree() -> str:
    from wallet.openbadges.ob3 import vcjwt

    body = w.credential(6).to_json()
    token = vcjwt.sign(body, w.KEY, kid=w.KEY_ID)
    header, _payload, _sig = token.split(".")
    forged = vcjwt.claims_for(body) | body | {"iss": "https://evil.example/issuer"}
    import base64

    payload = base64.urlsafe_b64encode(json.dumps(forged).encode()).rstrip(b"=").decode()
    signing_input = f"{header}.{payload}".encode()
    signature = base64.urlsafe_b64encode(w.KEY.sign(signing_input)).rstrip(b"=").decode()
    return f"{header}.{payload}.{signature}"


def _expired() -> str:
    made = w.credential(4, valid_until=datetime(2026, 5, 1, tzinfo=UTC))
    return json.dumps(w.signed(made))


def _schema_violation() -> str:
    document = w.credential().to_json()
    document["credentialSubject"]["achievement"]["criteria"] = "全部"
    return json.dumps(integrity.sign(document, w.KEY, w.KEY_ID, strict=False))


BAD = {
    "tampered": (_tampered, "The signature could not be verified"),
    "unknown cryptosuite": (_unknown_suite, "The signature could not be verified"),
    "unbundled context": (_unbundled_context, "Not a valid Open Badges 3.0 credential"),
    "unlisted key": (_unlisted_key, "The signature could not be verified"),
    "JWT claims disagree": (_claims_disagree, "The signature could not be verified"),
    "expired": (_expired, "Expired on"),
    "schema violation": (_schema_violation, "Not a valid Open Badges 3.0 credential"),
}


@pytest.mark.parametrize("case", BAD)
def test_each_bad_credential_is_reported_with_its_reason(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch, case: str
) -> None:
    monkeypatch.setitem(app.extensions, "wallet.fetcher", w.World().fetcher())
    make, words = BAD[case]
    response = post(client, "text", text=make())
    assert response.status_code == 200
    block = verdict_block(response.text)
    assert VALID not in block
    assert words in block


def test_a_revoked_bit_is_reported(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.extensions, "wallet.fetcher", w.World(revoked={5}).fetcher())
    block = verdict_block(post(client, "text", text=json.dumps(w.signed())).text)
    assert "Revoked by the issuer" in block
    assert VALID not in block


def test_a_status_list_of_someone_else_is_not_believed(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = w.World()
    other = status.list_credential(
        w.LIST_URL, "https://evil.example/issuer", status.encode(status.new_bitstring()), w.NOW
    )
    fetcher = world.fetcher()
    fetcher.documents[w.LIST_URL] = integrity.sign(other, w.STRANGER_KEY, "did:key:x#y")
    monkeypatch.setitem(app.extensions, "wallet.fetcher", fetcher)
    block = verdict_block(post(client, "text", text=json.dumps(w.signed())).text)
    assert VALID not in block


def test_nothing_at_a_credential_url_reads_as_nothing_found(
    app: Flask, client: FlaskClient
) -> None:
    response = check_url(client, "http://wallet.test/ob/v3/credentials/nosuchcredential")
    assert response.status_code == 400
    assert "Nothing was found at this address." in response.text


def test_endorsements_are_listed_with_their_verdict_in_both_languages(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.unit.openbadges.ob3 import test_endorsements as e

    world = w.World(extra={e.ENDORSER: e.endorser_profile()})
    monkeypatch.setitem(app.extensions, "wallet.fetcher", world.fetcher())
    good = w.signed(w.credential(endorsement=(e.signed(),)))
    block = verdict_block(post(client, "text", text=json.dumps(good)).text)
    _valid(block)
    assert "Endorsed by others, each endorsement checked with the endorser's key" in block
    japanese = verdict_block(post(client, "text", JA, text=json.dumps(good)).text)
    assert "推薦（エンドースメント）があり、それぞれ推薦者の鍵で確認済みです" in japanese

    verify_view.RESULTS.clear()
    forged = w.signed(w.credential(endorsement=(e.forged(),)))
    block = verdict_block(post(client, "text", text=json.dumps(forged)).text)
    assert VALID in block  # the badge holds; the endorsement is flagged
    assert "An endorsement in this badge could not be verified" in block
    assert "check-warn" in block
