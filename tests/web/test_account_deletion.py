"""Deleting an account: the student's data goes, the university's records keep verifying."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from tests.accounts_support import log_in, mails
from tests.factories import PASSWORD, AwardFactory, UserFactory
from tests.helpers import post_form
from wallet.models import Award, AwardState, EmailAddress, LoginSession, OutboxMail, User
from wallet.services import issuing
from wallet.services.errors import NotFoundError
from wallet.services.sharing import find_shared_award

DELETE = "/account/delete"


def _delete(client: FlaskClient, password: str = PASSWORD, understood: bool = True) -> TestResponse:
    data = {"password": password}
    if understood:
        data["understood"] = "y"
    return post_form(client, DELETE, data)


@pytest.fixture
def student(client: FlaskClient, db_session: Session) -> User:
    user = UserFactory(email="hanako@shizuoka.ac.jp", name="静岡 花子", locale="ja")
    db_session.add(EmailAddress(user=user, email="hanako@example.jp", verified_at=user.created_at))
    db_session.flush()
    assert log_in(client, user.email, PASSWORD).status_code == 302
    return user


@pytest.mark.parametrize(("password", "understood"), [("wrong password", True), (PASSWORD, False)])
def test_a_wrong_password_or_no_tick_deletes_nothing(
    client: FlaskClient, db_session: Session, student: User, password: str, understood: bool
) -> None:
    answer = _delete(client, password, understood)
    assert answer.status_code == 400
    page = answer.get_data(as_text=True)
    assert "パスワード" in page or "チェック" in page
    assert db_session.get(User, student.id) is not None
    assert client.get("/account").status_code == 200


def test_deleting_erases_the_student_and_keeps_the_records_verifiable(
    app: Flask, client: FlaskClient, db_session: Session, student: User
) -> None:
    issued = AwardFactory(issued=True, user=student, is_public=True, recipient_name=student.name)
    pending = AwardFactory(
        state=AwardState.PENDING, user=student, is_public=True, recipient_name=student.name
    )
    share_ids = (issued.share_id, pending.share_id)
    elsewhere = app.test_client()
    assert log_in(elsewhere, student.email, PASSWORD).status_code == 302
    student_id = student.id

    answer = _delete(client)

    assert answer.status_code == 302
    assert "削除しました" in client.get("/").get_data(as_text=True)
    db_session.expire_all()
    assert db_session.get(User, student_id) is None
    for model in (EmailAddress, LoginSession):
        count = db_session.scalar(select(func.count()).select_from(model))
        assert count == 0, model
    assert client.get("/account").status_code == 302  # logged out here
    assert elsewhere.get("/account").status_code == 302  # and everywhere else
    assert log_in(app.test_client(), "hanako@shizuoka.ac.jp", PASSWORD).status_code == 400

    for award in (issued, pending):
        db_session.refresh(award)
        assert award.user_id is None
        assert award.state == AwardState.OFFERED  # an unclaimed record the office can re-send
        assert award.recipient_name == ""
        assert not award.is_public
        assert award.share_id not in share_ids
        document = client.get(f"/ob/assertions/{award.public_id}")
        assert document.status_code == 200  # badge files handed out keep verifying
        assert "静岡 花子" not in document.get_data(as_text=True)
    for share_id in share_ids:
        with pytest.raises(NotFoundError):
            find_shared_award(db_session, share_id, None)


def test_a_last_mail_confirms_it_and_no_older_mail_to_the_student_is_kept(
    client: FlaskClient, db_session: Session, student: User
) -> None:
    db_session.add(OutboxMail(template="badge_issued", to_email="hanako@example.jp", status="sent"))
    AwardFactory(issued=True, user=student)
    db_session.flush()

    _delete(client)

    (farewell,) = mails("account_deleted")
    assert farewell.to_email == "hanako@shizuoka.ac.jp"
    assert farewell.locale == "ja"
    assert farewell.context["badge_count"] == 1
    to_student = db_session.scalars(
        select(OutboxMail.template).where(
            OutboxMail.to_email.in_(["hanako@shizuoka.ac.jp", "hanako@example.jp"])
        )
    ).all()
    assert to_student == ["account_deleted"]


def test_the_office_can_send_a_released_badge_again(
    client: FlaskClient, db_session: Session, student: User
) -> None:
    award = AwardFactory(issued=True, user=student, recipient_email="hanako@shizuoka.ac.jp")
    _delete(client)
    db_session.refresh(award)
    issuing.resend_claim(
        db_session, award.id, base_url="http://wallet.test", claim_lifetime=timedelta(days=90)
    )
    assert [m.to_email for m in mails("award_notice")] == ["hanako@shizuoka.ac.jp"]
    assert db_session.get(Award, award.id).is_offered  # type: ignore[union-attr]


def test_declined_badges_stay_declined(
    client: FlaskClient, db_session: Session, student: User
) -> None:
    declined = AwardFactory(state=AwardState.DECLINED, user=student)
    _delete(client)
    db_session.refresh(declined)
    assert declined.state == AwardState.DECLINED
    assert declined.user_id is None


def test_the_account_page_links_to_deletion_once_at_its_end(
    client: FlaskClient, student: User
) -> None:
    page = client.get("/account").text
    head, _, body = page.partition("</head>")
    assert "delete-heading" not in head  # not inside <title> or the stylesheet link
    assert body.count('id="delete-heading"') == 1
    assert body.index('id="delete-heading"') > body.index('id="language-heading"')
