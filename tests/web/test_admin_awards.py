"""Awarding a badge from a CSV: preview, confirm, re-send, revoke."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.factories import AwardFactory, BadgeClassFactory, UserFactory
from tests.helpers import csrf_token, post_form
from tests.web.admin_helpers import sealed_value, staff_client, upload
from wallet.models import Award, AwardBatch, OutboxMail, Token
from wallet.security import hash_token

CSV = (
    "氏名,メールアドレス,学籍番号\n"
    "静岡 花子,Hanako@Example.ac.jp,70310001\n"
    "浜松 次郎,not-an-email,70310002\n"
    ",nameless@example.ac.jp,70310003\n"
    "静岡 花子,hanako@example.ac.jp,70310001\n"
    "Taro Shizuoka,taro@example.ac.jp,70310004\n"
)


def _count(session: Session, model: type) -> int:
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


def _preview(client: FlaskClient, badge_id: int, data: bytes, name: str = "list.csv"):  # type: ignore[no-untyped-def]
    return post_form(
        client,
        f"/admin/badges/{badge_id}/upload",
        {"file": upload(name, data)},
        content_type="multipart/form-data",
    )


def _confirm(client: FlaskClient, badge_id: int, sealed: str):  # type: ignore[no-untyped-def]
    return client.post(
        f"/admin/badges/{badge_id}/confirm",
        data={"sealed": sealed, "csrf_token": csrf_token(client, "/")},
    )


def test_preview_shows_every_row_and_writes_nothing(
    client: FlaskClient, db_session: Session
) -> None:
    client, _staff, _issuer = staff_client(client)
    badge = BadgeClassFactory()
    AwardFactory(badge_class=badge, recipient_email="taro@example.ac.jp")
    response = _preview(client, badge.id, CSV.encode("utf-8"))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "hanako@example.ac.jp" in page
    assert "メールアドレスの形式が正しくありません" in page
    assert "氏名がありません" in page
    assert "ファイル内で重複しています" in page
    assert "授与済みのため、スキップします" in page
    assert "授与予定 1 件" in page
    assert "問題あり 4 件" in page
    assert _count(db_session, Award) == 1
    assert _count(db_session, OutboxMail) == 0
    assert _count(db_session, AwardBatch) == 0


def test_confirm_awards_the_valid_rows_and_queues_mail_1(
    client: FlaskClient, db_session: Session
) -> None:
    client, _staff, _issuer = staff_client(client)
    badge = BadgeClassFactory(valid_days=30)
    page = _preview(client, badge.id, CSV.encode("cp932")).get_data(as_text=True)
    response = _confirm(client, badge.id, sealed_value(page))
    assert response.status_code == 302
    followed = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "2 件を授与し" in followed
    awards = db_session.scalars(select(Award).order_by(Award.id)).all()
    assert [a.recipient_email for a in awards] == ["hanako@example.ac.jp", "taro@example.ac.jp"]
    hanako = awards[0]
    assert hanako.student_number == "70310001"
    assert hanako.expires_at is not None
    assert len(hanako.public_id) >= 22
    assert hanako.share_id
    assert hanako.salt
    mails = db_session.scalars(select(OutboxMail).order_by(OutboxMail.id)).all()
    assert [m.to_email for m in mails] == ["hanako@example.ac.jp", "taro@example.ac.jp"]
    context = mails[0].context
    assert mails[0].template == "award_notice"
    assert context["recipient_name"] == "静岡 花子"
    assert context["badge_name"] == badge.name
    assert context["issuer_name"] == "静岡大学"
    claim_url = str(context["claim_url"])
    assert claim_url.startswith("http://wallet.test/claim/")
    token = db_session.scalars(
        select(Token).where(Token.token_hash == hash_token(claim_url.rsplit("/", 1)[1]))
    ).one()
    assert token.award_id == hanako.id
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", str(context["claim_expires_on"]))
    assert "静岡 花子" in followed


def test_a_list_without_languages_mails_each_account_owner_in_their_language(
    client: FlaskClient, db_session: Session
) -> None:
    client, _staff, _issuer = staff_client(client)
    UserFactory(locale="en", email="taro@example.ac.jp")
    badge = BadgeClassFactory()
    page = _preview(client, badge.id, CSV.encode("utf-8")).get_data(as_text=True)
    assert _confirm(client, badge.id, sealed_value(page)).status_code == 302
    mails = db_session.scalars(select(OutboxMail).order_by(OutboxMail.id)).all()
    assert [(m.to_email, m.locale) for m in mails] == [
        ("hanako@example.ac.jp", "ja"),  # no account yet: Japanese
        ("taro@example.ac.jp", "en"),  # the account is set to English
    ]


def test_uploading_the_same_file_again_creates_nothing(
    client: FlaskClient, db_session: Session
) -> None:
    client, _staff, _issuer = staff_client(client)
    badge = BadgeClassFactory()
    data = CSV.encode("utf-8-sig")
    sealed = sealed_value(_preview(client, badge.id, data).get_data(as_text=True))
    assert _confirm(client, badge.id, sealed).status_code == 302
    # the same confirmation posted twice, and the same file previewed again
    assert _confirm(client, badge.id, sealed).status_code == 302
    page = _preview(client, badge.id, data).get_data(as_text=True)
    assert "授与予定 0 件" in page
    assert "このファイルには授与できる方がいません" in page
    assert _count(db_session, Award) == 2
    assert _count(db_session, OutboxMail) == 2


def test_a_tampered_confirmation_is_refused(client: FlaskClient, db_session: Session) -> None:
    client, _staff, _issuer = staff_client(client)
    badge = BadgeClassFactory()
    other = BadgeClassFactory()
    sealed = sealed_value(_preview(client, badge.id, CSV.encode()).get_data(as_text=True))
    assert _confirm(client, badge.id, sealed[:-3] + "AAA").status_code == 400
    assert _confirm(client, other.id, sealed).status_code == 400  # sealed for another badge
    assert _count(db_session, Award) == 0


def test_broken_files_get_a_clear_message_and_change_nothing(
    client: FlaskClient, db_session: Session
) -> None:
    client, _staff, _issuer = staff_client(client)
    badge = BadgeClassFactory()
    cases = [
        ("氏名,学籍番号\n静岡 花子,1\n".encode(), "「メールアドレス」の列がありません"),
        (bytes(range(256)) * 64, "UTF-8 または Shift_JIS"),
        (b"", "ファイルにデータがありません"),
        (("a,b@example.jp\n" * 20_001).encode(), "20000 行まで"),
    ]
    for data, message in cases:
        response = _preview(client, badge.id, data)
        assert response.status_code == 400, message
        assert message in response.get_data(as_text=True)
    assert _count(db_session, Award) == 0


def test_a_file_over_the_request_limit_gets_a_friendly_page(client: FlaskClient) -> None:
    client, _staff, _issuer = staff_client(client)
    badge = BadgeClassFactory()
    body = b"x" * (5 * 1024 * 1024)
    response = client.post(
        f"/admin/badges/{badge.id}/upload",
        data=body,
        content_type="multipart/form-data; boundary=zzz",
    )
    assert response.status_code == 413
    assert "2048 KB" in response.get_data(as_text=True)


def test_resend_mails_a_new_link_and_the_first_one_keeps_working(
    client: FlaskClient, db_session: Session
) -> None:
    client, _staff, _issuer = staff_client(client)
    badge = BadgeClassFactory()
    sealed = sealed_value(_preview(client, badge.id, CSV.encode()).get_data(as_text=True))
    _confirm(client, badge.id, sealed)
    award = db_session.scalars(select(Award).order_by(Award.id)).first()
    assert award is not None
    response = post_form(
        client, f"/admin/awards/{award.id}/resend", {}, page=f"/admin/badges/{badge.id}"
    )
    assert response.status_code == 302
    mails = db_session.scalars(
        select(OutboxMail).where(OutboxMail.to_email == award.recipient_email)
    ).all()
    assert len(mails) == 2
    first, second = (urlsplit(str(m.context["claim_url"])).path for m in mails)
    assert first != second
    student = FlaskClient(client.application, client.response_wrapper, use_cookies=True)
    assert student.get(first).status_code == 200  # the link in the first mail still works
    assert student.get(second).status_code == 200


def test_resend_is_refused_once_accepted(client: FlaskClient, db_session: Session) -> None:
    client, _staff, _issuer = staff_client(client)
    award = AwardFactory(issued=True)
    response = post_form(client, f"/admin/awards/{award.id}/resend", {}, page="/admin/")
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "再送する必要はありません" in page
    assert _count(db_session, OutboxMail) == 0


def test_revoke_needs_a_reason_and_keeps_it(client: FlaskClient, db_session: Session) -> None:
    client, _staff, _issuer = staff_client(client)
    award = AwardFactory(issued=True)
    url = f"/admin/awards/{award.id}/revoke"
    response = post_form(client, url, {"reason": "   "})
    assert response.status_code == 400
    assert "取り消しの理由を入力してください" in response.get_data(as_text=True)
    assert award.revoked_at is None
    response = post_form(client, url, {"reason": "成績評価の誤りが判明したため"})
    assert response.status_code == 302
    db_session.refresh(award)
    assert award.revoked_at is not None
    assert award.revocation_reason == "成績評価の誤りが判明したため"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "取り消し済み" in page
    assert "成績評価の誤りが判明したため" in page
