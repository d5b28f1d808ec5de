"""The claim link from mail 1: terms, registration, activation, login, acceptance."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import time_machine
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.accounts_support import (
    STRONG,
    activate,
    agree_terms,
    link_in,
    log_in,
    mails,
    make_claim,
    register,
)
from tests.factories import UserFactory
from tests.helpers import post_form
from wallet.models import AwardState, User
from wallet.services.claims import TERMS_VERSION

EMAIL = "taro@shizuoka.ac.jp"
FILLED_PASSWORD = re.compile(r'<input[^>]*type="password"[^>]*value="[^"]')


def users(db_session: Session) -> int:
    return int(db_session.scalar(select(func.count()).select_from(User)) or 0)


def test_first_claim_registers_activates_and_accepts_at_login(
    client: FlaskClient, db_session: Session
) -> None:
    award, raw = make_claim(recipient_email="hanako@shizuoka.ac.jp")
    page = client.get(f"/claim/{raw}")
    assert page.status_code == 200
    assert "オープンバッジ" in page.text
    assert "hanako@shizuoka.ac.jp" in page.text
    # registration needs the terms first
    assert client.get(f"/claim/{raw}/register").status_code == 302
    assert "利用規約" in client.get(f"/claim/{raw}/terms").text

    response = register(client, raw, name="  静岡　花子 ")
    assert response.status_code == 302
    confirmation = client.get(response.headers["Location"])
    assert "hanako@shizuoka.ac.jp" in confirmation.text
    assert "有効化" in confirmation.text

    user = db_session.scalars(select(User).where(User.email == "hanako@shizuoka.ac.jp")).one()
    assert user.name == "静岡 花子"
    assert user.terms_version == TERMS_VERSION
    assert user.terms_accepted_at is not None
    assert not user.is_activated
    # not activated yet: the password is right but login is refused, with a way out
    refused = log_in(client, "hanako@shizuoka.ac.jp", STRONG)
    assert refused.status_code == 400
    assert "有効化されていません" in refused.text

    assert activate(client, "hanako@shizuoka.ac.jp").status_code == 302
    assert award.state == AwardState.OFFERED
    welcome = log_in(client, "hanako@shizuoka.ac.jp", STRONG)
    assert welcome.headers["Location"] == "/wallet"
    db_session.refresh(award)
    assert award.state == AwardState.ISSUED
    assert award.user_id == user.id
    assert award.recipient_name == "静岡 花子"
    wallet = client.get("/wallet")
    assert award.badge_class.name in wallet.text
    issued = mails("badge_issued", "hanako@shizuoka.ac.jp")
    assert len(issued) == 1
    assert link_in(issued[0], "badge_url") == f"/wallet/badges/{award.id}"
    # the claim link stops working once the award is accepted
    assert client.get(f"/claim/{raw}").status_code == 404


def test_anchored_badge_becomes_pending_without_mail_2(
    client: FlaskClient, db_session: Session
) -> None:
    award, raw = make_claim(badge_class__anchored=True)
    register(client, raw)
    activate(client, award.recipient_email)
    log_in(client, award.recipient_email, STRONG)
    db_session.refresh(award)
    assert award.state == AwardState.PENDING
    assert award.issued_at is None
    assert mails("badge_issued") == []
    assert "発行処理中" in client.get("/wallet").text


def test_english_browser_gets_english_pages_and_mail(client: FlaskClient) -> None:
    award, raw = make_claim()
    headers = {"Accept-Language": "en-US,en;q=0.9"}
    page = client.get(f"/claim/{raw}", headers=headers)
    assert "You have been awarded an Open Badge" in page.text
    client.set_cookie("wallet_lang", "en")
    assert "Terms of use" in client.get(f"/claim/{raw}/terms").text
    register(client, raw)
    assert mails("activation", award.recipient_email)[0].locale == "en"


def test_double_submitted_registration_makes_one_account(
    client: FlaskClient, db_session: Session
) -> None:
    award, raw = make_claim()
    assert register(client, raw).status_code == 302
    before = users(db_session)
    agree_terms(client, raw)  # the back button: the same form, submitted again
    again = post_form(
        client,
        f"/claim/{raw}/register",
        {"name": "二度目 太郎", "password": STRONG, "confirm": STRONG},
    )
    assert again.status_code == 409
    assert "すでに存在します" in again.text
    assert 'value="二度目 太郎"' in again.text
    assert users(db_session) == before
    assert len(mails("activation", award.recipient_email)) == 1


def test_bad_registration_input_keeps_the_name_and_changes_nothing(
    client: FlaskClient, db_session: Session
) -> None:
    _award, raw = make_claim(recipient_email=EMAIL)
    before = users(db_session)
    cases = [
        ({"name": "静岡 太郎", "password": STRONG, "confirm": STRONG + "x"}, "一致しません"),
        ({"name": "静岡 太郎", "password": "short1", "confirm": "short1"}, "8～256文字"),
        ({"name": "   ", "password": STRONG, "confirm": STRONG}, "氏名を入力してください"),
        ({"name": "\u3000\u3000", "password": STRONG, "confirm": STRONG}, "氏名を入力してください"),
        ({"name": "静岡 太郎", "password": "password1", "confirm": "password1"}, "よく使われる"),
        ({"name": "静岡 太郎", "password": EMAIL, "confirm": EMAIL}, "メールアドレスを"),
    ]
    agree_terms(client, raw)
    for data, message in cases:
        response = post_form(client, f"/claim/{raw}/register", data)
        assert response.status_code == 400, data
        assert message in response.text, data
        if data["name"].strip():
            assert f'value="{data["name"]}"' in response.text
        assert not FILLED_PASSWORD.search(response.text)
    assert users(db_session) == before
    assert mails("activation") == []


def test_award_revoked_while_registering(client: FlaskClient, db_session: Session) -> None:
    award, raw = make_claim()
    agree_terms(client, raw)
    award.revoked_at = datetime.now(UTC)
    db_session.flush()
    before = users(db_session)
    response = post_form(
        client,
        f"/claim/{raw}/register",
        {"name": "静岡 次郎", "password": STRONG, "confirm": STRONG},
        page="/",
    )
    assert response.status_code == 410
    assert "取り消" in response.text
    assert "静岡 次郎" in response.text
    assert users(db_session) == before
    assert client.get(f"/claim/{raw}").status_code == 410


def test_unknown_used_and_expired_claim_links_offer_a_resend(client: FlaskClient) -> None:
    _award, raw = make_claim()
    unknown = client.get("/claim/not-a-real-token")
    assert unknown.status_code == 404
    assert "再送" in unknown.text
    with time_machine.travel(datetime.now(UTC) + timedelta(days=91)):
        expired = client.get(f"/claim/{raw}")
    assert expired.status_code == 404
    assert "再送" in expired.text


def test_existing_account_logs_in_then_accepts(client: FlaskClient, db_session: Session) -> None:
    user = UserFactory()
    award, raw = make_claim(recipient_email=user.email)
    page = client.get(f"/claim/{raw}")
    assert "ログインして受け取る" in page.text
    response = log_in(client, user.email, "correct horse battery staple", next=f"/claim/{raw}")
    assert response.headers["Location"] == f"/claim/{raw}"
    assert "バッジを受け取る" in client.get(f"/claim/{raw}").text
    accepted = post_form(client, f"/claim/{raw}/accept", {}, page=f"/claim/{raw}")
    assert accepted.status_code == 302, accepted.text[-2500:]
    assert accepted.headers["Location"] == f"/wallet/badges/{award.id}"
    db_session.refresh(award)
    assert award.state == AwardState.ISSUED
    # a replayed accept is refused without a second mail 2
    assert client.get(f"/claim/{raw}").status_code == 404
    assert len(mails("badge_issued")) == 1


def test_logged_in_as_another_account_can_add_the_address(
    client: FlaskClient, db_session: Session
) -> None:
    user = UserFactory()
    award, raw = make_claim(recipient_email="private.mail@example.jp")
    log_in(client, user.email, "correct horse battery staple")
    page = client.get(f"/claim/{raw}")
    assert "private.mail@example.jp" in page.text
    assert "ログアウトして続ける" in page.text
    response = post_form(client, f"/claim/{raw}/add-email", {}, page=f"/claim/{raw}")
    assert response.status_code == 302
    db_session.refresh(award)
    db_session.refresh(user)
    assert award.user_id == user.id
    assert "private.mail@example.jp" in user.verified_emails


def test_logged_in_as_another_account_can_log_out_and_continue(client: FlaskClient) -> None:
    user = UserFactory()
    _award, raw = make_claim()
    log_in(client, user.email, "correct horse battery staple")
    response = post_form(client, "/logout", {"next": f"/claim/{raw}"}, page=f"/claim/{raw}")
    assert response.headers["Location"] == f"/claim/{raw}"
    assert "ウォレットアカウントを作成" in client.get(f"/claim/{raw}").text


def test_claim_resend_answers_the_same_for_known_and_unknown_addresses(
    client: FlaskClient,
) -> None:
    make_claim(recipient_email="known@shizuoka.ac.jp")
    known = post_form(client, "/claim/resend", {"email": "known@shizuoka.ac.jp"})
    unknown = post_form(client, "/claim/resend", {"email": "nobody@shizuoka.ac.jp"})
    assert (known.status_code, known.headers["Location"]) == (
        unknown.status_code,
        unknown.headers["Location"],
    )
    notices = mails("award_notice")
    assert [m.to_email for m in notices] == ["known@shizuoka.ac.jp"]
    path = link_in(notices[0], "claim_url")
    assert client.get(path).status_code == 200
