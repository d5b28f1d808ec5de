"""Every badge we issue is an Open Badges 3.0 credential too: signed at issuance through the
real acceptance path, served with the issuer's keys and status list, revoked through the
office's revoke (its bit flips), and downloadable as JSON, JWT and baked PNG/SVG."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest
from flask.testing import FlaskClient
from jsonschema import Draft201909Validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.accounts_support import log_in
from tests.factories import PASSWORD, AwardFactory, BadgeClassFactory, UserFactory
from tests.helpers import post_form
from tests.ob3_support import AppFetcher
from tests.web.admin_helpers import staff_client
from wallet.config import ConfigurationError, Settings
from wallet.models import Award, AwardCredential, AwardState, CredentialKey
from wallet.openbadges.ob3 import baking, schema, status
from wallet.openbadges.ob3.verify import verify
from wallet.services.ob3 import issuing as ob3_issuing
from wallet.services.ob3 import keys as ob3_keys

NAME = "データサイエンス基礎 〜統計と機械学習〜"
DESCRIPTION = "全六回の課題に合格し、最終レポート「東京の気温」を提出した。"


def _accepted(client: FlaskClient, db_session: Session, **badge: object) -> Award:
    """A hosted badge accepted by its student through the wallet's button."""
    user = UserFactory()
    badge_class = BadgeClassFactory(name=NAME, description=DESCRIPTION, **badge)
    award = AwardFactory(badge_class=badge_class, recipient_email=user.email)
    log_in(client, user.email, PASSWORD)
    response = post_form(client, f"/wallet/badges/{award.id}/accept", {}, page="/wallet")
    assert response.status_code == 302
    db_session.refresh(award)
    assert award.state == AwardState.ISSUED
    return award


def _stored(db_session: Session, award: Award) -> AwardCredential:
    found = db_session.scalar(select(AwardCredential).where(AwardCredential.award_id == award.id))
    assert found is not None
    return found


def test_accepting_signs_and_stores_the_credential(
    client: FlaskClient, db_session: Session
) -> None:
    award = _accepted(client, db_session)
    stored = _stored(db_session, award)
    document = json.loads(stored.document)
    assert document["credentialSubject"]["achievement"]["name"] == NAME
    assert NAME.encode("utf-8") in stored.document.encode("utf-8")  # not \u-escaped
    (proof,) = document["proof"]  # a list, as 1EdTech's schema wants
    assert proof["cryptosuite"] == "eddsa-rdfc-2022"
    assert "credentialSchema" not in document
    official = Draft201909Validator(schema._bundled()["2.0"])  # 1EdTech's, as published
    assert list(official.iter_errors(document)) == []
    entry = document["credentialStatus"]
    assert entry["type"] == "BitstringStatusListEntry"
    assert int(entry["statusListIndex"]) == stored.status_index
    report = verify(stored.document, AppFetcher(client), recipients=[award.recipient_email])
    assert report.valid, report.failures
    assert report.status_of("recipient.match") == "pass"
    jwt_report = verify(stored.jwt, AppFetcher(client))
    assert jwt_report.valid, jwt_report.failures


def test_the_profile_lists_the_key_as_multikey_with_the_cid_context(
    client: FlaskClient, db_session: Session
) -> None:
    award = _accepted(client, db_session)
    issuer = award.badge_class.issuer
    profile = client.get(f"/ob/v3/issuers/{issuer.public_id}").get_json()
    assert "https://www.w3.org/ns/cid/v1" in profile["@context"]
    (method,) = profile["verificationMethod"]
    assert method["type"] == "Multikey"
    assert method["publicKeyMultibase"].startswith("z6Mk")
    assert profile["assertionMethod"] == [method["id"]]
    assert (
        json.loads(_stored(db_session, award).document)["proof"][0]["verificationMethod"]
        == (method["id"])
    )
    did = client.get(f"/ob/v3/issuers/{issuer.public_id}/did.json").get_json()
    assert did["id"] == "did:web:wallet.test:ob:v3:issuers:" + issuer.public_id
    assert did["verificationMethod"][0]["publicKeyMultibase"] == method["publicKeyMultibase"]
    assert client.get("/ob/v3/issuers/nobody").status_code == 404


def test_revoking_in_the_office_flips_the_bit(client: FlaskClient, db_session: Session) -> None:
    award = _accepted(client, db_session)
    stored = _stored(db_session, award)
    document = json.loads(stored.document)
    list_url = document["credentialStatus"]["statusListCredential"]
    before = client.get(list_url.removeprefix("http://wallet.test")).get_json()
    bits = status.decode(before["credentialSubject"]["encodedList"])
    assert not status.bit(bits, stored.status_index)
    office = FlaskClient(client.application, client.response_wrapper, use_cookies=True)
    staff, _user, _issuer = staff_client(office)
    response = post_form(staff, f"/admin/awards/{award.id}/revoke", {"reason": "誤って授与"})
    assert response.status_code == 302
    after = staff.get(list_url.removeprefix("http://wallet.test")).get_json()
    assert status.bit(status.decode(after["credentialSubject"]["encodedList"]), stored.status_index)
    for form in (stored.document, stored.jwt):
        report = verify(form, AppFetcher(staff))
        assert not report.valid
        assert report.is_revoked
        assert report.status_of("revocation.list_fetched") == "pass"  # the list's proof holds


def test_the_downloads_extract_and_verify(client: FlaskClient, db_session: Session) -> None:
    award = _accepted(client, db_session)
    stored = _stored(db_session, award)
    page = client.get(f"/wallet/badges/{award.id}").get_data(as_text=True)
    for fmt in ("json", "jwt", "png"):
        assert f"/wallet/badges/{award.id}/ob3.{fmt}" in page
    json_file = client.get(f"/wallet/badges/{award.id}/ob3.json")
    assert json_file.status_code == 200
    assert json_file.data == stored.document.encode("utf-8")
    assert "attachment" in json_file.headers["Content-Disposition"]
    assert client.get(f"/wallet/badges/{award.id}/ob3.jwt").get_data(as_text=True) == stored.jwt
    png = client.get(f"/wallet/badges/{award.id}/ob3.png")
    assert png.mimetype == "image/png"
    assert baking.extract(png.data) == stored.document
    report = verify(png.data, AppFetcher(client))
    assert report.valid, report.failures
    assert client.get(f"/wallet/badges/{award.id}/ob3.svg").status_code == 404  # a PNG badge
    share = client.get(f"/b/{award.share_id}").get_data(as_text=True)
    assert f"/b/{award.share_id}/ob3.jwt" in share
    stranger = FlaskClient(client.application, client.response_wrapper, use_cookies=True)
    assert stranger.get(f"/b/{award.share_id}/ob3.json").data == stored.document.encode()
    served = stranger.get(f"/ob/v3/credentials/{award.public_id}")
    assert served.mimetype == "application/vc+ld+json"
    assert served.data == stored.document.encode("utf-8")


def test_private_and_pending_badges_offer_no_3_0_download(
    client: FlaskClient, db_session: Session
) -> None:
    user = UserFactory()
    private = AwardFactory(
        issued=True,
        user=user,
        recipient_email=user.email,
        is_public=False,
        accepted_at=datetime.now(UTC),
    )
    pending = AwardFactory(
        badge_class=BadgeClassFactory(anchored=True),
        state=AwardState.PENDING,
        user=user,
        recipient_email=user.email,
        is_public=True,
        accepted_at=datetime.now(UTC),
    )
    stranger = FlaskClient(client.application, client.response_wrapper, use_cookies=True)
    assert stranger.get(f"/b/{private.share_id}/ob3.json").status_code == 404
    log_in(client, user.email, PASSWORD)
    assert client.get(f"/wallet/badges/{private.id}/ob3.json").status_code == 200  # made now
    assert client.get(f"/wallet/badges/{pending.id}/ob3.json").status_code == 404
    assert "ob3.json" not in client.get(f"/wallet/badges/{pending.id}").get_data(as_text=True)
    assert client.get(f"/wallet/badges/{pending.id}/ob3.gif").status_code == 404


def test_rotation_keeps_old_credentials_verifying(
    client: FlaskClient, db_session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Changing WALLET_CREDENTIAL_KEY: the next signature lists the new key and closes the
    old one's period; the credential signed before still verifies, the old key signs no more."""
    award = _accepted(client, db_session)
    old = _stored(db_session, award)
    settings = client.application.config["WALLET_SETTINGS"]
    rotated = settings.with_overrides(credential_key=ob3_keys.new_secret())
    later = datetime.now(UTC) + timedelta(seconds=5)
    ob3_keys.signer_for(db_session, rotated, award.badge_class.issuer, later)
    monkeypatch.setitem(client.application.config, "WALLET_SETTINGS", rotated)
    rows = db_session.scalars(select(CredentialKey)).all()
    assert len(rows) == 2
    assert rows[0].valid_until is not None
    profile = client.get(f"/ob/v3/issuers/{award.badge_class.issuer.public_id}").get_json()
    assert [("expires" in m) for m in profile["verificationMethod"]] == [True, False]
    report = verify(old.document, AppFetcher(client))
    assert report.valid, report.failures
    with pytest.raises(ConfigurationError, match="retired"):
        ob3_keys.signer_for(db_session, settings, award.badge_class.issuer, later)


def _issued(count: int) -> list[Award]:
    badge_class = BadgeClassFactory(name=NAME, description=DESCRIPTION)
    return [AwardFactory(badge_class=badge_class, issued=True) for _ in range(count)]


def test_status_bits_are_random_not_in_issue_order(db_session: Session, settings: Settings) -> None:
    awards = _issued(40)
    assert ob3_issuing.issue_credentials(db_session, settings, awards, datetime.now(UTC)) == 40
    rows = {row.award_id: row for row in db_session.scalars(select(AwardCredential))}
    indexes = [rows[award.id].status_index for award in awards]  # in issue order
    assert len(set(indexes)) == 40
    assert indexes != sorted(indexes)  # 1 in 40! by chance
    assert sum(rows[a.id].status_index == a.id % ob3_issuing.LIST_BITS for a in awards) < 3
    for award in awards:
        document = json.loads(rows[award.id].document)
        entry = document["credentialStatus"]
        assert int(entry["statusListIndex"]) == rows[award.id].status_index
        assert entry["statusListCredential"].endswith(f"/status/{rows[award.id].status_list}")


@pytest.mark.parametrize("count", [1, 30])  # drawn and checked; the whole list read
def test_a_bit_in_use_is_never_given_again(
    db_session: Session, settings: Settings, monkeypatch: pytest.MonkeyPatch, count: int
) -> None:
    (first,) = _issued(1)
    ob3_issuing.issue_credentials(db_session, settings, [first], datetime.now(UTC))
    taken = _stored(db_session, first).status_index
    drawn = ob3_issuing._random.sample

    def taken_first(population: Sequence[int], k: int) -> list[int]:
        picked = drawn(population, k)
        return [taken, *(i for i in picked if i != taken)][:k] if taken in population else picked

    monkeypatch.setattr(ob3_issuing._random, "sample", taken_first)
    awards = _issued(count)
    ob3_issuing.issue_credentials(db_session, settings, awards, datetime.now(UTC))
    indexes = {_stored(db_session, award).status_index for award in awards}
    assert len(indexes) == count
    assert taken not in indexes


def test_a_bit_taken_at_the_same_moment_is_drawn_again(
    db_session: Session, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    (first,) = _issued(1)
    ob3_issuing.issue_credentials(db_session, settings, [first], datetime.now(UTC))
    taken = (_stored(db_session, first).status_list, _stored(db_session, first).status_index)
    real = ob3_issuing.status_positions
    calls = []

    def raced(session: Session, award_ids: Sequence[int]) -> dict[int, tuple[int, int]]:
        calls.append(award_ids)  # the first draw lands on the bit another issuance just took
        return {award_ids[0]: taken} if len(calls) == 1 else real(session, award_ids)

    monkeypatch.setattr(ob3_issuing, "status_positions", raced)
    (second,) = _issued(1)
    assert ob3_issuing.issue_credentials(db_session, settings, [second], datetime.now(UTC)) == 1
    assert len(calls) == 2
    assert _stored(db_session, second).status_index != taken[1]
