"""The wallet: later badges are accepted or declined there; other people's awards are 404."""

from __future__ import annotations

from datetime import UTC, datetime

from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from tests.accounts_support import link_in, log_in, mails
from tests.factories import PASSWORD, AwardFactory, UserFactory
from tests.helpers import post_form
from wallet.models import AwardState, EmailAddress

NEW = "新しい合言葉 2026"


def _sections(page: str) -> dict[str, str]:
    """The wallet's three sections by their ids, in page order."""
    received = page.split('<section id="received"', 1)[1]
    received, pending = received.split('<section id="pending"', 1)
    pending, offered = pending.split('<section id="offered"', 1)
    return {"received": received, "pending": pending, "offered": offered}


def test_wallet_lists_received_pending_and_offered_badges(client: FlaskClient) -> None:
    user = UserFactory()
    offered = AwardFactory(recipient_email=user.email)
    pending = AwardFactory(
        recipient_email=user.email, user=user, state=AwardState.PENDING, badge_class__anchored=True
    )
    issued = AwardFactory(recipient_email=user.email, user=user, issued=True)
    revoked = AwardFactory(recipient_email=user.email, revoked_at=datetime.now(UTC))
    someone_else = AwardFactory()
    log_in(client, user.email, PASSWORD)
    page = client.get("/wallet").text
    sections = _sections(page)
    assert "受領済みのバッジ" in sections["received"]
    assert "発行処理中のバッジ" in sections["pending"]
    assert "未受領のバッジ" in sections["offered"]
    assert offered.badge_class.name in sections["offered"]
    assert pending.badge_class.name in sections["pending"]
    assert issued.badge_class.name in sections["received"]
    assert revoked.badge_class.name not in page
    assert someone_else.badge_class.name not in page
    # the tabs at the top count each section and lead to it
    for anchor in ("#received", "#pending", "#offered"):
        assert f'href="{anchor}"' in page
    assert "受け取りを待っているバッジが 1 件あります。" in page


def test_empty_sections_say_what_to_do_next(client: FlaskClient) -> None:
    user = UserFactory()
    log_in(client, user.email, PASSWORD)
    sections = _sections(client.get("/wallet").text)
    assert "メールのリンクを開くか" in sections["received"]
    assert "操作は不要です" in sections["pending"]
    assert "アカウント設定でそのアドレスを追加する" in sections["offered"]
    assert 'href="/account"' in sections["offered"]
    assert 'href="/claim/resend"' in sections["offered"]


def test_accepting_a_later_hosted_badge_issues_it_and_queues_mail_2(
    client: FlaskClient, db_session: Session
) -> None:
    user = UserFactory(locale="en")
    award = AwardFactory(recipient_email=user.email)
    log_in(client, user.email, PASSWORD)
    response = post_form(client, f"/wallet/badges/{award.id}/accept", {}, page="/wallet")
    assert response.headers["Location"] == f"/wallet/badges/{award.id}"
    db_session.refresh(award)
    assert award.state == AwardState.ISSUED
    assert award.issued_at is not None
    [mail] = mails("badge_issued", user.email)
    assert mail.locale == "en"
    assert link_in(mail, "badge_url") == f"/wallet/badges/{award.id}"
    assert mail.context["badge_name_en"] == award.badge_class.name_en
    # a second click (another tab) is refused and sends nothing more
    again = post_form(client, f"/wallet/badges/{award.id}/accept", {}, page="/wallet")
    assert again.status_code == 409
    assert len(mails("badge_issued", user.email)) == 1


def test_accepting_an_anchored_badge_leaves_it_pending(
    client: FlaskClient, db_session: Session
) -> None:
    user = UserFactory()
    award = AwardFactory(recipient_email=user.email, badge_class__anchored=True)
    log_in(client, user.email, PASSWORD)
    post_form(client, f"/wallet/badges/{award.id}/accept", {}, page="/wallet")
    db_session.refresh(award)
    assert award.state == AwardState.PENDING
    assert mails("badge_issued") == []
    assert "翌日" in client.get(f"/wallet/badges/{award.id}").text


def test_badges_to_any_verified_address_reach_the_wallet(
    client: FlaskClient, db_session: Session
) -> None:
    user = UserFactory()
    user.emails.append(EmailAddress(email="old@example.jp", verified_at=datetime.now(UTC)))
    user.emails.append(EmailAddress(email="unproven@example.jp"))
    db_session.flush()
    to_second = AwardFactory(recipient_email="old@example.jp")
    to_unproven = AwardFactory(recipient_email="unproven@example.jp")
    log_in(client, user.email, PASSWORD)
    page = client.get("/wallet").text
    assert to_second.badge_class.name in page
    assert to_unproven.badge_class.name not in page
    assert client.get(f"/wallet/badges/{to_unproven.id}").status_code == 404


def test_declining_removes_the_offer(client: FlaskClient, db_session: Session) -> None:
    user = UserFactory()
    award = AwardFactory(recipient_email=user.email)
    log_in(client, user.email, PASSWORD)
    post_form(client, f"/wallet/badges/{award.id}/decline", {}, page="/wallet")
    db_session.refresh(award)
    assert award.state == AwardState.DECLINED
    assert award.badge_class.name not in client.get("/wallet").text


def test_other_peoples_awards_are_not_found(client: FlaskClient, db_session: Session) -> None:
    user = UserFactory()
    theirs = AwardFactory()
    log_in(client, user.email, PASSWORD)
    assert client.get(f"/wallet/badges/{theirs.id}").status_code == 404
    for action in ("accept", "decline"):
        response = post_form(client, f"/wallet/badges/{theirs.id}/{action}", {}, page="/wallet")
        assert response.status_code == 404
    db_session.refresh(theirs)
    assert theirs.state == AwardState.OFFERED


def test_a_badge_revoked_meanwhile_cannot_be_accepted(
    client: FlaskClient, db_session: Session
) -> None:
    user = UserFactory()
    award = AwardFactory(recipient_email=user.email)
    log_in(client, user.email, PASSWORD)
    token_page = "/wallet"
    client.get(token_page)
    award.revoked_at = datetime.now(UTC)
    db_session.flush()
    response = post_form(client, f"/wallet/badges/{award.id}/accept", {}, page=token_page)
    assert response.status_code == 410
    assert "取り消されたため" in response.text
    db_session.refresh(award)
    assert award.state == AwardState.OFFERED
    assert mails("badge_issued") == []


def test_account_settings_change_name_language_and_add_an_address(
    client: FlaskClient, db_session: Session
) -> None:
    user = UserFactory()
    log_in(client, user.email, PASSWORD)
    blank = post_form(client, "/account/name", {"name": " \u3000 "}, page="/account")
    assert blank.status_code == 400
    assert "氏名を入力してください" in blank.text
    assert (
        post_form(client, "/account/name", {"name": "浜松 一郎"}, page="/account").status_code
        == 302
    )
    assert user.name == "浜松 一郎"

    wrong = post_form(
        client,
        "/account/password",
        {
            "current_password": "nope",
            "password": "新しい合言葉 2026",
            "confirm": "新しい合言葉 2026",
        },
        page="/account",
    )
    assert wrong.status_code == 400
    assert "現在のパスワードが正しくありません" in wrong.text

    post_form(client, "/account/emails", {"email": "me@example.jp"}, page="/account")
    path = link_in(mails("add_email", "me@example.jp")[0], "verify_url")
    assert post_form(client, path, {}).status_code == 302
    assert "me@example.jp" in user.verified_emails
    assert client.get(path).status_code == 404  # single use

    # an address that belongs to another account: same answer, no mail
    other = UserFactory()
    taken = post_form(client, "/account/emails", {"email": other.email}, page="/account")
    free = post_form(client, "/account/emails", {"email": "free@example.jp"}, page="/account")
    assert taken.status_code == free.status_code == 302
    assert mails("add_email", other.email) == []

    post_form(client, "/account/language", {"locale": "en"}, page="/account")
    assert user.locale == "en"
    assert "Account settings" in client.get("/account").text


def test_changing_the_password_logs_out_other_devices(client: FlaskClient, app: object) -> None:
    user = UserFactory()
    other = client.__class__(app, client.response_wrapper, use_cookies=True)  # type: ignore[call-arg]
    log_in(client, user.email, PASSWORD)
    log_in(other, user.email, PASSWORD)
    response = post_form(
        client,
        "/account/password",
        {"current_password": PASSWORD, "password": NEW, "confirm": NEW},
        page="/account",
    )
    assert response.status_code == 302
    assert client.get("/wallet").status_code == 200
    assert other.get("/wallet").status_code == 302
