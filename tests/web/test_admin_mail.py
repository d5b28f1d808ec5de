"""The office and mail: failed mail listed and re-sent once however often; reminders counted."""

from __future__ import annotations

from datetime import UTC, datetime

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.factories import AwardFactory, UserFactory
from tests.helpers import csrf_token, post_form
from tests.web.admin_helpers import log_in, staff_client
from wallet.models import MailStatus, OutboxMail
from wallet.services.outbox import queue_mail

PAGE = "/admin/mail/failed"


def _failed(session: Session, to_email: str, error: str, attempts: int = 10) -> OutboxMail:
    mail = queue_mail(
        session,
        template="award_notice",
        to_email=to_email,
        locale="ja",
        context={"claim_url": "http://wallet.test/claim/x"},
    )
    mail.status = MailStatus.FAILED
    mail.attempts = attempts
    mail.last_error = error
    session.flush()
    return mail


def _statuses(session: Session) -> dict[str, str]:
    session.expire_all()
    return {m.to_email: m.status for m in session.scalars(select(OutboxMail))}


def test_the_page_lists_failed_mail_with_reason_and_attempts(
    client: FlaskClient, db_session: Session
) -> None:
    client, _staff, _issuer = staff_client(client)
    _failed(db_session, "nobody@shizuoka.ac.jp", "recipient refused: 550 5.1.1 User unknown", 1)
    _failed(db_session, "<b>x</b>@shizuoka.ac.jp", "554 'Relay access denied'")
    queue_mail(db_session, template="award_notice", to_email="ok@x.jp", locale="ja", context={})

    page = client.get(PAGE).get_data(as_text=True)

    assert "送信できなかったメール" in page
    assert "nobody@shizuoka.ac.jp" in page
    assert "550 5.1.1 User unknown" in page
    assert "授与のお知らせ（メール1）" in page
    assert "&lt;b&gt;x&lt;/b&gt;@shizuoka.ac.jp" in page
    assert "ok@x.jp" not in page  # queued, not failed
    assert "(2)" in page


def test_re_sending_one_twice_queues_it_once(client: FlaskClient, db_session: Session) -> None:
    client, _staff, _issuer = staff_client(client)
    mail = _failed(db_session, "hanako@shizuoka.ac.jp", "421 try again later")
    other = _failed(db_session, "jiro@shizuoka.ac.jp", "421 try again later")
    url = f"{PAGE}/{mail.id}/retry"

    first = post_form(client, url, {}, page=PAGE)
    assert first.status_code == 302
    assert "1件のメールを再送します" in client.get(first.headers["Location"]).get_data(as_text=True)
    second = post_form(client, url, {}, page=PAGE)
    assert "再送するメールはありません" in client.get(second.headers["Location"]).get_data(
        as_text=True
    )

    assert _statuses(db_session) == {
        "hanako@shizuoka.ac.jp": MailStatus.QUEUED,
        "jiro@shizuoka.ac.jp": MailStatus.FAILED,
    }
    db_session.refresh(mail)
    assert mail.attempts == 0
    assert other.id != mail.id


def test_re_send_all(client: FlaskClient, db_session: Session) -> None:
    client, _staff, _issuer = staff_client(client)
    for name in ("a", "b", "c"):
        _failed(db_session, f"{name}@shizuoka.ac.jp", "421 try again later")
    response = post_form(client, f"{PAGE}/retry", {}, page=PAGE)
    assert "3件のメールを再送します" in client.get(response.headers["Location"]).get_data(
        as_text=True
    )
    assert set(_statuses(db_session).values()) == {MailStatus.QUEUED}
    assert "送信できなかったメールはありません" in client.get(PAGE).get_data(as_text=True)


def test_re_sending_needs_the_csrf_token_and_staff(
    client: FlaskClient, db_session: Session
) -> None:
    student = UserFactory()
    mail = _failed(db_session, "hanako@shizuoka.ac.jp", "421 try again later")
    assert client.get(PAGE).status_code == 302  # anonymous: to the login page
    log_in(client, student)
    assert client.get(PAGE).status_code == 403
    token = csrf_token(client, "/wallet")
    assert client.post(f"{PAGE}/retry", data={"csrf_token": token}).status_code == 403

    client.post("/logout", data={"csrf_token": token})
    client, _staff, _issuer = staff_client(client)
    assert client.post(f"{PAGE}/{mail.id}/retry", data={}).status_code == 400
    assert _statuses(db_session) == {"hanako@shizuoka.ac.jp": MailStatus.FAILED}


def test_the_badge_page_shows_how_many_reminders_went(
    client: FlaskClient, db_session: Session
) -> None:
    client, _staff, _issuer = staff_client(client)
    award = AwardFactory(reminders_sent=2, reminded_at=datetime(2026, 6, 1, 3, 0, tzinfo=UTC))
    page = client.get(f"/admin/badges/{award.badge_class_id}").get_data(as_text=True)
    assert "再送 2回（最終 2026/06/01）" in page
