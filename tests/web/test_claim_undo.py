"""A claim link that adds its address to whoever is logged in tells that mailbox, which can undo it.

The story: someone left their account logged in on a shared computer; the next
student opens mail 1 there and adds their own address (and badge) to that
account. The mailbox gets a notice with a link that takes both back.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import time_machine
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from tests.accounts_support import STRONG, activate, link_in, log_in, mails, make_claim, register
from tests.factories import PASSWORD, AwardFactory, UserFactory
from tests.helpers import post_form
from wallet.mail import Envelope, render_message
from wallet.mail.folder import html_links, message_part
from wallet.models import Award, AwardState, EmailAddress, OutboxMail, TokenPurpose, User
from wallet.services.tokens import issue_token

OWNER = "hanako.private@example.jp"  # the mailbox mail 1 went to
UNUSABLE = "このリンクは使用できません"


def add_by_claim(client: FlaskClient, user: User, **award: object) -> Award:
    """Logged in as ``user``, open mail 1 sent to ``OWNER`` and add the address."""
    made, raw = make_claim(recipient_email=OWNER, **award)
    assert log_in(client, user.email, PASSWORD).status_code == 302
    response = post_form(client, f"/claim/{raw}/add-email", {}, page=f"/claim/{raw}")
    assert response.status_code == 302
    return made


def undo_path() -> str:
    (notice,) = mails("address_added", OWNER)
    return link_in(notice, "undo_url")


def rendered_text(app: Flask, mail: OutboxMail) -> tuple[str, str]:
    envelope = Envelope(
        mail.id, mail.template, mail.to_email, mail.locale, mail.context, mail.created_at
    )
    message = render_message(envelope, app.config["WALLET_SETTINGS"])
    return message_part(message, "plain"), message_part(message, "html")


def test_adding_the_address_mails_it_a_notice_with_a_working_undo_link(
    app: Flask, client: FlaskClient
) -> None:
    user = UserFactory(name="浜松 次郎")
    with time_machine.travel(datetime(2026, 11, 2, 6, 4, tzinfo=UTC)):
        award = add_by_claim(client, user, recipient_name="静岡 花子", locale="en")

        (notice,) = mails("address_added")
        assert notice.to_email == OWNER
        assert notice.locale == "en"  # the award's language, not the account's
        text, html = rendered_text(app, notice)
        assert "Dear 静岡 花子," in text
        assert "the Open Badge Wallet account of 浜松 次郎" in text
        # CLDR puts a narrow no-break space before "PM"
        assert "November 2, 2026 3:04\u202fPM (Japan Standard Time)" in text
        assert award.badge_class.name_en in text
        assert "works once and for 30 days" in text
        undo_url = str(notice.context["undo_url"])
        assert ("This was not me: undo it", undo_url) in html_links(html)

        page = client.get(undo_path())
        assert page.status_code == 200
        assert OWNER in page.text
        assert "浜松 次郎" in page.text
        assert award.badge_class.name in page.text
        assert "メールアドレスを取り除く" in page.text


def test_the_notice_is_written_in_japanese_for_a_japanese_award(
    app: Flask, client: FlaskClient
) -> None:
    add_by_claim(client, UserFactory(name="浜松 次郎"), recipient_name="静岡 花子")
    (notice,) = mails("address_added", OWNER)
    text, _html = rendered_text(app, notice)
    assert "静岡 花子 様" in text
    assert "浜松 次郎 さんのオープンバッジウォレットのアカウントに追加されました" in text
    assert "（日本標準時）" in text


def test_undo_gives_the_address_and_badge_back_to_the_mailbox_owner(
    app: Flask, client: FlaskClient, db_session: Session
) -> None:
    now = datetime.now(UTC)
    user = UserFactory()
    second = "jiro.second@example.jp"
    user.emails.append(EmailAddress(email=second, verified_at=now))
    own = AwardFactory(recipient_email=user.email, user=user, issued=True, accepted_at=now)
    via_second = AwardFactory(recipient_email=second, user=user, issued=True, accepted_at=now)
    award = add_by_claim(client, user, recipient_name="静岡 花子")
    db_session.refresh(award)
    assert award.state == AwardState.ISSUED
    shared_as = award.share_id

    # still logged in as that account, as on the shared computer
    response = post_form(client, undo_path(), {})
    assert response.status_code == 302
    assert response.headers["Location"] == "/claim/undone"
    done = client.get("/claim/undone").text
    assert OWNER in done
    assert "新しい授与のお知らせをお送りしました" in done
    assert "ログインしたまま" in done
    assert user.email in done

    for row in (user, award, own, via_second):
        db_session.refresh(row)
    assert OWNER not in user.verified_emails
    assert user.email in user.verified_emails
    assert second in user.verified_emails
    assert award.user_id is None
    assert award.state == AwardState.OFFERED
    assert award.accepted_at is None
    assert award.issued_at is None
    assert not award.is_public
    assert award.share_id != shared_as
    for kept in (own, via_second):
        assert (kept.user_id, kept.state) == (user.id, AwardState.ISSUED)
    wallet = client.get("/wallet").text
    assert award.badge_class.name not in wallet
    assert own.badge_class.name in wallet
    assert client.get(f"/wallet/badges/{award.id}").status_code == 404

    (removed,) = mails("address_removed")
    assert removed.to_email == user.email
    text, _html = rendered_text(app, removed)
    assert OWNER in text
    assert award.badge_class.name in text

    # the real owner claims it from the fresh mail 1
    (fresh,) = mails("award_notice", OWNER)
    claim = link_in(fresh, "claim_url")
    owner = app.test_client()
    assert "ウォレットアカウントを作成" in owner.get(claim).text
    assert register(owner, claim.removeprefix("/claim/"), name="静岡 花子").status_code == 302
    assert activate(owner, OWNER).status_code == 302
    assert log_in(owner, OWNER, STRONG).status_code == 302
    db_session.refresh(award)
    assert award.state == AwardState.ISSUED
    assert award.user is not None
    assert award.user.email == OWNER
    assert award.recipient_name == "静岡 花子"
    assert award.badge_class.name in owner.get("/wallet").text


def test_the_undo_link_works_once(client: FlaskClient) -> None:
    add_by_claim(client, UserFactory())
    path = undo_path()
    assert post_form(client, path, {}).status_code == 302

    again = client.get(path)
    assert again.status_code == 404
    assert UNUSABLE in again.text
    replay = post_form(client, path, {}, page="/")
    assert replay.status_code == 404
    assert len(mails("award_notice", OWNER)) == 1
    assert len(mails("address_removed")) == 1


def test_an_expired_or_unknown_undo_link_changes_nothing(
    client: FlaskClient, db_session: Session
) -> None:
    user = UserFactory()
    award = add_by_claim(client, user)
    path = undo_path()
    with time_machine.travel(datetime.now(UTC) + timedelta(days=30, minutes=1)):
        expired = client.get(path)
        refused = post_form(client, path, {}, page="/")
    assert (expired.status_code, refused.status_code) == (404, 404)
    assert UNUSABLE in expired.text
    assert client.get("/claim/undo/not-a-real-token").status_code == 404
    db_session.refresh(user)
    db_session.refresh(award)
    assert OWNER in user.verified_emails
    assert award.user_id == user.id


def test_an_undo_link_never_removes_the_login_address(
    client: FlaskClient, db_session: Session
) -> None:
    user = UserFactory()
    own = AwardFactory(recipient_email=user.email, user=user, issued=True)
    raw = issue_token(
        db_session,
        purpose=TokenPurpose.UNDO_ADD_EMAIL,
        email=user.email,
        lifetime=timedelta(days=30),
        user_id=user.id,
        award_id=own.id,
    )
    page = client.get(f"/claim/undo/{raw}")
    assert page.status_code == 404
    assert UNUSABLE in page.text
    assert post_form(client, f"/claim/undo/{raw}", {}, page="/").status_code == 404
    db_session.refresh(user)
    db_session.refresh(own)
    assert user.email in user.verified_emails
    assert (own.user_id, own.state) == (user.id, AwardState.ISSUED)
    assert mails("award_notice") == []


def test_undo_needs_the_csrf_token(client: FlaskClient, db_session: Session) -> None:
    user = UserFactory()
    add_by_claim(client, user)
    assert client.post(undo_path(), data={}).status_code == 400
    db_session.refresh(user)
    assert OWNER in user.verified_emails


def test_undo_returns_every_badge_the_address_brought_and_reoffers_the_live_ones(
    client: FlaskClient, db_session: Session
) -> None:
    user = UserFactory()
    pending = add_by_claim(client, user, badge_class__anchored=True)
    # with the address on the account, later badges to it show in that wallet
    later = AwardFactory(recipient_email=OWNER)
    declined = AwardFactory(recipient_email=OWNER)
    withdrawn = AwardFactory(recipient_email=OWNER)
    for award, action in ((later, "accept"), (declined, "decline"), (withdrawn, "accept")):
        path = f"/wallet/badges/{award.id}/{action}"
        assert post_form(client, path, {}, page="/wallet").status_code == 302
    withdrawn.revoked_at = datetime.now(UTC)
    db_session.flush()
    db_session.refresh(pending)
    assert pending.state == AwardState.PENDING

    assert post_form(client, undo_path(), {}).status_code == 302
    for award in (pending, later, declined, withdrawn):
        db_session.refresh(award)
        assert (award.user_id, award.state, award.accepted_at) == (None, AwardState.OFFERED, None)
    offered = {mail.context["badge_name"] for mail in mails("award_notice", OWNER)}
    assert offered == {a.badge_class.name for a in (pending, later, declined)}
    (removed,) = mails("address_removed")
    listed = {badge["badge_name"] for badge in removed.context["badges"]}
    assert listed == {a.badge_class.name for a in (pending, later, declined, withdrawn)}


def test_an_address_already_on_the_account_sends_no_notice(
    client: FlaskClient, db_session: Session
) -> None:
    user = UserFactory()
    user.emails.append(EmailAddress(email=OWNER, verified_at=datetime.now(UTC)))
    db_session.flush()
    add_by_claim(client, user)
    assert mails("address_added") == []
