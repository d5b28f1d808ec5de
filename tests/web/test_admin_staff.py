"""Administrators manage staff: invite with a role and departments, change them, turn
accounts off and on. Bad input is a 400 that keeps what was typed; every change is
one audit row, a refused one none."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.datastructures import MultiDict
from werkzeug.test import TestResponse

from tests.conftest import BASE_URL
from tests.factories import PASSWORD, DepartmentFactory, UserFactory
from tests.helpers import csrf_token, post_form
from tests.web.admin_helpers import log_in, staff_client
from wallet.models import AuditEntry, Department, OutboxMail, StaffRole, User

NEW = "kogaku.office@shizuoka.ac.jp"
CHECKBOX = re.compile(r"<input [^>]*name=\"department_ids\"[^>]*>")


def _ticked(page: str) -> set[int]:
    """The departments ticked on a staff form."""
    return {
        int(re.search(r'value="(\d+)"', box).group(1))  # type: ignore[union-attr]
        for box in CHECKBOX.findall(page)
        if " checked" in box
    }


def _entries(session: Session) -> list[AuditEntry]:
    session.expire_all()
    return list(session.scalars(select(AuditEntry).order_by(AuditEntry.id)))


def _post(client: FlaskClient, url: str, fields: list[tuple[str, object]]) -> TestResponse:
    """A form post whose fields may repeat (a list of ticked checkboxes)."""
    token = csrf_token(client, url)
    return client.post(url, data=MultiDict([*fields, ("csrf_token", token)]))


def _invite(client: FlaskClient, *departments: Department, **changes: str) -> TestResponse:
    fields: dict[str, str] = {
        "email": NEW,
        "name": "工学部 学務係",
        "locale": "ja",
        "role": "department",
        **changes,
    }
    ticked = [("department_ids", str(d.id)) for d in departments]
    return _post(client, "/admin/staff/new", [*fields.items(), *ticked])


def _user(session: Session, email: str = NEW) -> User | None:
    session.expire_all()
    return session.scalar(select(User).where(User.email == email))


def _departments(issuer: object) -> tuple[Department, Department]:
    return (
        DepartmentFactory(issuer=issuer, name="情報学部", name_en="Faculty of Informatics"),
        DepartmentFactory(issuer=issuer, name="教育学部", name_en="Faculty of Education"),
    )


def test_an_invited_member_chooses_a_password_and_sees_their_department(
    app: Flask, client: FlaskClient, db_session: Session
) -> None:
    client, admin, issuer = staff_client(client)
    informatics, _education = _departments(issuer)
    response = _invite(client, informatics)
    assert response.status_code == 302
    member = _user(db_session)
    assert member is not None
    assert member.staff_role == StaffRole.DEPARTMENT
    assert [d.name for d in member.departments] == ["情報学部"]
    (entry,) = _entries(db_session)
    assert (entry.action, entry.actor_id, entry.target_id) == ("staff.invite", admin.id, member.id)
    assert entry.details == {
        "email": NEW,
        "name": "工学部 学務係",
        "role": "department",
        "departments": [{"id": informatics.id, "name": "情報学部"}],
    }
    mail = db_session.scalars(select(OutboxMail).where(OutboxMail.to_email == NEW)).one()
    assert mail.template == "staff_invitation"
    link = str(mail.context["set_password_url"]).removeprefix(BASE_URL)
    assert "password" not in str(entry.details).lower().replace("set_password", "")

    newcomer = app.test_client()
    chosen = "夏の富士山に登る 2026 春"
    answer = post_form(newcomer, link, {"password": chosen, "confirm": chosen})
    assert answer.status_code == 302, answer.text
    login = post_form(newcomer, "/login", {"email": NEW, "password": chosen})
    assert login.status_code == 302
    page = newcomer.get("/admin/").text
    assert "担当の学部・研究科等：" in page
    assert "情報学部" in page
    assert newcomer.get("/admin/staff").status_code == 404


def test_bad_invitations_are_refused_keeping_the_input(
    client: FlaskClient, db_session: Session
) -> None:
    client, _admin, issuer = staff_client(client)
    informatics, _education = _departments(issuer)
    cases = [
        ({"email": "not an address"}, (informatics,), "メールアドレス"),
        ({"name": ""}, (informatics,), "氏名を入力してください"),
        ({"name": "学務\u202e係"}, (informatics,), "U+202E"),
        ({}, (), "学部・研究科等を 1 つ以上選んでください"),
        ({"role": "admin"}, (informatics,), "チェックを外す"),
        ({"role": "owner"}, (informatics,), "選択肢が正しくありません"),
        ({"email": UserFactory().email}, (informatics,), "すでにあります"),
    ]
    for changes, departments, message in cases:
        response = _invite(client, *departments, **changes)
        page = response.get_data(as_text=True)
        assert response.status_code == 400, (changes, page[-500:])
        assert message in page, changes
        assert f'value="{changes.get("email", NEW)}"' in page  # what was typed stays
        assert _ticked(page) == {d.id for d in departments}, changes
    tampered = _post(
        client,
        "/admin/staff/new",
        [
            ("email", NEW),
            ("name", "x"),
            ("locale", "ja"),
            ("role", "department"),
            ("department_ids", "999999"),
        ],
    )
    assert tampered.status_code == 400
    assert _user(db_session) is None
    assert _entries(db_session) == []
    assert db_session.scalar(select(func.count()).select_from(OutboxMail)) == 0


def test_changing_role_and_departments_is_audited_with_before_and_after(
    client: FlaskClient, db_session: Session
) -> None:
    client, admin, issuer = staff_client(client)
    informatics, education = _departments(issuer)
    member = UserFactory(department_staff=True, departments=[informatics])
    url = f"/admin/staff/{member.id}"
    assert _ticked(client.get(url).text) == {informatics.id}
    moved = _post(
        client,
        url,
        [
            ("role", "department"),
            ("department_ids", str(informatics.id)),
            ("department_ids", str(education.id)),
        ],
    )
    assert moved.status_code == 302
    promoted = _post(client, url, [("role", "admin")])
    assert promoted.status_code == 302
    unchanged = _post(client, url, [("role", "admin")])
    assert unchanged.status_code == 302
    both, promotion = _entries(db_session)
    assert (both.action, both.actor_id, both.target_id) == ("staff.access", admin.id, member.id)
    assert both.details == {
        "email": member.email,
        "before": {
            "role": "department",
            "departments": [{"id": informatics.id, "name": "情報学部"}],
        },
        "after": {
            "role": "department",
            "departments": [
                {"id": informatics.id, "name": "情報学部"},
                {"id": education.id, "name": "教育学部"},
            ],
        },
    }
    assert promotion.details["after"] == {"role": "admin", "departments": []}
    assert _user(db_session, member.email).is_admin  # type: ignore[union-attr]


def test_bad_access_changes_are_refused(client: FlaskClient, db_session: Session) -> None:
    client, admin, issuer = staff_client(client)
    informatics, _education = _departments(issuer)
    member = UserFactory(department_staff=True, departments=[informatics])
    for fields, message in (
        ([("role", "department")], "1 つ以上"),
        ([("role", "admin"), ("department_ids", str(informatics.id))], "チェックを外す"),
        ([("role", "department"), ("department_ids", "x")], "無効な選択"),
    ):
        response = _post(client, f"/admin/staff/{member.id}", fields)
        assert response.status_code == 400, fields
        assert message in response.get_data(as_text=True), fields
    own = _post(
        client,
        f"/admin/staff/{admin.id}",
        [("role", "department"), ("department_ids", str(informatics.id))],
    )
    assert own.status_code == 400
    assert "自分の権限は変更できません" in own.get_data(as_text=True)
    assert _entries(db_session) == []
    assert _user(db_session, admin.email).is_admin  # type: ignore[union-attr]
    student = UserFactory()
    assert client.get(f"/admin/staff/{student.id}").status_code == 404


def test_an_account_turned_off_is_logged_out_and_cannot_log_in(
    app: Flask, client: FlaskClient, db_session: Session
) -> None:
    client, admin, issuer = staff_client(client)
    informatics, _education = _departments(issuer)
    member = UserFactory(department_staff=True, departments=[informatics])
    theirs = app.test_client()
    log_in(theirs, member)
    assert theirs.get("/admin/").status_code == 200
    page = f"/admin/staff/{member.id}"
    off = post_form(client, f"/admin/staff/{member.id}/deactivate", {}, page=page)
    assert off.status_code == 302
    assert theirs.get("/admin/").location.startswith("/login")  # their login ended
    refused = post_form(theirs, "/login", {"email": member.email, "password": PASSWORD})
    assert refused.status_code == 400
    assert "このアカウントは停止されています" in refused.text
    assert "停止中" in client.get("/admin/staff").text
    on = post_form(client, f"/admin/staff/{member.id}/reactivate", {}, page=page)
    assert on.status_code == 302
    log_in(theirs, member)
    assert theirs.get("/admin/").status_code == 200
    entries = _entries(db_session)
    assert [(e.action, e.actor_id, e.target_id) for e in entries] == [
        ("staff.deactivate", admin.id, member.id),
        ("staff.reactivate", admin.id, member.id),
    ]
    assert entries[0].details == {"email": member.email}


def test_an_administrator_cannot_turn_themselves_off(
    client: FlaskClient, db_session: Session
) -> None:
    client, admin, _issuer = staff_client(client)
    page = f"/admin/staff/{admin.id}"
    assert "アカウントを停止する" not in client.get(page).text
    response = post_form(client, f"/admin/staff/{admin.id}/deactivate", {}, page="/admin/staff")
    assert response.status_code == 400
    assert "自分のアカウントは停止できません" in response.text
    assert not _user(db_session, admin.email).is_deactivated  # type: ignore[union-attr]
    assert _entries(db_session) == []


def test_the_staff_list_shows_roles_departments_and_state(
    client: FlaskClient, db_session: Session
) -> None:
    client, admin, issuer = staff_client(client)
    informatics, _education = _departments(issuer)
    UserFactory(department_staff=True, departments=[informatics], name="情報 太郎")
    UserFactory(
        department_staff=True, departments=[informatics], name="停止 花子"
    ).deactivated_at = admin.created_at
    UserFactory(name="学生 次郎")
    page = client.get("/admin/staff").text
    assert "情報 太郎" in page
    assert "停止 花子" in page
    assert "学生 次郎" not in page
    assert "全学管理者" in page
    assert "学部等担当者" in page
    assert page.index("情報 太郎") < page.index("停止 花子")  # active ones first


def _invitations(session: Session) -> list[str]:
    """The set-password links mailed to NEW, oldest first."""
    session.expire_all()
    mails = session.scalars(
        select(OutboxMail).where(OutboxMail.to_email == NEW).order_by(OutboxMail.id)
    )
    return [str(mail.context["set_password_url"]).removeprefix(BASE_URL) for mail in mails]


def test_an_invitation_not_used_yet_can_be_sent_again_with_a_new_link(
    app: Flask, client: FlaskClient, db_session: Session
) -> None:
    client, admin, issuer = staff_client(client)
    informatics, _education = _departments(issuer)
    assert _invite(client, informatics).status_code == 302
    member = _user(db_session)
    assert member is not None
    page = f"/admin/staff/{member.id}"
    assert "招待中（パスワード未設定）" in client.get("/admin/staff").text
    assert "招待を再送する" in client.get(page).text

    again = post_form(client, f"/admin/staff/{member.id}/invite-again", {}, page=page)
    assert again.status_code == 302
    assert f"{NEW} に招待を再送しました" in client.get(again.location).text
    first, second = _invitations(db_session)
    assert first != second
    assert [e.action for e in _entries(db_session)] == ["staff.invite", "staff.reinvite"]
    assert _entries(db_session)[1].actor_id == admin.id

    newcomer = app.test_client()
    chosen = "秋の浜名湖を一周する 2026"
    stale = post_form(newcomer, first, {"password": chosen, "confirm": chosen})
    assert stale.status_code != 302  # the earlier link stopped working
    assert post_form(newcomer, second, {"password": chosen, "confirm": chosen}).status_code == 302
    assert post_form(newcomer, "/login", {"email": NEW, "password": chosen}).status_code == 302

    assert "招待中" not in client.get("/admin/staff").text
    assert "招待を再送する" not in client.get(page).text
    used = post_form(client, f"/admin/staff/{member.id}/invite-again", {}, page=page)
    assert used.status_code == 400
    assert "すでにパスワードを設定しています" in used.text
    assert len(_invitations(db_session)) == 2


def test_an_invitation_is_not_sent_again_to_an_account_turned_off_or_by_department_staff(
    app: Flask, client: FlaskClient, db_session: Session
) -> None:
    client, _admin, issuer = staff_client(client)
    informatics, _education = _departments(issuer)
    _invite(client, informatics)
    member = _user(db_session)
    assert member is not None
    page = f"/admin/staff/{member.id}"
    post_form(client, f"/admin/staff/{member.id}/deactivate", {}, page=page)
    assert "招待を再送する" not in client.get(page).text
    off = post_form(client, f"/admin/staff/{member.id}/invite-again", {}, page=page)
    assert off.status_code == 400
    assert "先にアカウントを再開してから" in off.text

    colleague = app.test_client()
    log_in(colleague, UserFactory(department_staff=True, departments=[informatics]))
    other = post_form(colleague, f"/admin/staff/{member.id}/invite-again", {}, page="/admin/")
    assert other.status_code == 404
    assert len(_invitations(db_session)) == 1
