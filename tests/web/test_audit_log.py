"""The audit log: one entry per staff action, saying who did what; the page and CSV."""

from __future__ import annotations

import csv
import io

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.factories import AwardFactory, BadgeClassFactory, png_bytes
from tests.helpers import post_form
from tests.web.admin_helpers import first_department, sealed_value, staff_client, upload
from wallet.models import AuditEntry, MailStatus, OutboxMail, User
from wallet.services import audit
from wallet.services.outbox import queue_mail

CSV = "氏名,メールアドレス,学籍番号\n静岡 花子,hanako@example.ac.jp,70310001\n"


def _entries(session: Session) -> list[AuditEntry]:
    session.expire_all()
    return list(session.scalars(select(AuditEntry).order_by(AuditEntry.id)))


def _only(session: Session, action: str) -> AuditEntry:
    entries = _entries(session)
    assert [e.action for e in entries] == [action]
    return entries[0]


def _by(entry: AuditEntry, staff: User) -> None:
    assert (entry.actor_id, entry.actor_email) == (staff.id, staff.email)
    assert entry.created_at.utcoffset() is not None


def _failed(session: Session, to_email: str) -> OutboxMail:
    mail = queue_mail(session, template="award_notice", to_email=to_email, locale="ja", context={})
    mail.status = MailStatus.FAILED
    session.flush()
    return mail


def _badge_form(**changes: object) -> dict[str, object]:
    form: dict[str, object] = {
        "name": "データサイエンス",
        "name_en": "Data Science",
        "description": "所定の科目を修了しました。",
        "description_en": "",
        "criteria_text": "全科目の単位を修得すること。",
        "criteria_url": "",
        "kind": "hosted",
        "valid_days": "",
        "tags": "",
        "image": upload("badge.png", png_bytes(200)),
    }
    if "department_id" not in changes:
        form["department_id"] = str(first_department().id)
    form.update(changes)
    return form


def test_editing_the_issuer_profile(client: FlaskClient, db_session: Session) -> None:
    client, staff, issuer = staff_client(client)
    form = {
        "name": "静岡大学 教務課",
        "name_en": issuer.name_en,
        "url": issuer.url,
        "email": issuer.email,
        "description": issuer.description,
        "linkedin_organization_id": "",
        "mail_domains": "",
    }
    response = post_form(client, "/admin/issuer", form, content_type="multipart/form-data")
    assert response.status_code == 302
    entry = _only(db_session, "issuer.edit")
    _by(entry, staff)
    assert (entry.target_type, entry.target_id) == ("issuer", issuer.id)
    assert "name" in entry.details["changed"]  # type: ignore[operator]


def test_creating_and_editing_a_badge(client: FlaskClient, db_session: Session) -> None:
    client, staff, _issuer = staff_client(client)
    response = post_form(
        client, "/admin/badges/new", _badge_form(), content_type="multipart/form-data"
    )
    assert response.status_code == 302
    created = _only(db_session, "badge_class.create")
    _by(created, staff)
    assert created.target_type == "badge_class"
    assert created.details == {"name": "データサイエンス"}
    response = post_form(
        client,
        f"/admin/badges/{created.target_id}/edit",
        _badge_form(name="統計学", image=upload("none.png", b"")),  # same department
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    edited = _entries(db_session)[-1]
    assert edited.action == "badge_class.edit"
    _by(edited, staff)
    assert edited.target_id == created.target_id
    assert edited.details == {"name": "統計学", "changed": ["name"]}


def test_confirming_a_list_is_one_entry_with_the_count(
    client: FlaskClient, db_session: Session
) -> None:
    client, staff, _issuer = staff_client(client)
    badge = BadgeClassFactory()
    preview = post_form(
        client,
        f"/admin/badges/{badge.id}/upload",
        {"file": upload("list.csv", CSV.encode())},
        content_type="multipart/form-data",
    ).get_data(as_text=True)
    assert _entries(db_session) == []  # a preview is not an action
    response = post_form(
        client,
        f"/admin/badges/{badge.id}/confirm",
        {"sealed": sealed_value(preview)},
        page=f"/admin/badges/{badge.id}",
    )
    assert response.status_code == 302
    entry = _only(db_session, "award.issue")
    _by(entry, staff)
    assert (entry.target_type, entry.target_id) == ("badge_class", badge.id)
    assert entry.details["created"] == 1
    assert entry.details["skipped"] == 0
    assert entry.details["filename"] == "list.csv"


def test_resending_and_revoking_an_award(client: FlaskClient, db_session: Session) -> None:
    client, staff, _issuer = staff_client(client)
    award = AwardFactory(recipient_email="hanako@example.ac.jp")
    page = f"/admin/badges/{award.badge_class_id}"
    assert post_form(client, f"/admin/awards/{award.id}/resend", {}, page=page).status_code == 302
    resent = _only(db_session, "award.resend")
    _by(resent, staff)
    assert (resent.target_type, resent.target_id) == ("award", award.id)
    assert resent.details == {"email": "hanako@example.ac.jp"}
    response = post_form(client, f"/admin/awards/{award.id}/revoke", {"reason": "誤って授与"})
    assert response.status_code == 302
    revoked = _entries(db_session)[-1]
    assert revoked.action == "award.revoke"
    _by(revoked, staff)
    assert revoked.details == {"email": "hanako@example.ac.jp", "reason": "誤って授与"}


def test_queuing_failed_mail_again(client: FlaskClient, db_session: Session) -> None:
    client, staff, _issuer = staff_client(client)
    one = _failed(db_session, "a@shizuoka.ac.jp")
    _failed(db_session, "b@shizuoka.ac.jp")
    page = "/admin/mail/failed"
    post_form(client, f"{page}/{one.id}/retry", {}, page=page)
    post_form(client, f"{page}/retry", {}, page=page)
    single, every = _entries(db_session)
    for entry in (single, every):
        assert entry.action == "mail.requeue"
        _by(entry, staff)
    assert (single.target_type, single.target_id) == ("outbox_mail", one.id)
    assert single.details == {"count": 1, "mail_ids": [one.id]}
    assert (every.target_type, every.details) == ("", {"count": 1, "mail_ids": "all"})


def test_the_create_staff_command(app: Flask, db_session: Session) -> None:
    result = app.test_cli_runner().invoke(
        args=[
            "create-staff",
            "office@shizuoka.ac.jp",
            "--name",
            "教務課",
            "--role",
            "admin",
            "--generate-password",
        ]
    )
    assert result.exit_code == 0, result.output
    entry = _only(db_session, "staff.create")
    user = db_session.scalars(select(User).where(User.email == "office@shizuoka.ac.jp")).one()
    assert (entry.actor_id, entry.actor_email) == (None, "")
    assert (entry.target_type, entry.target_id) == ("user", user.id)
    assert entry.details == {
        "email": "office@shizuoka.ac.jp",
        "name": "教務課",
        "role": "admin",
        "departments": [],
    }
    assert "password" not in str(entry.details).lower()


def test_the_entry_rolls_back_with_a_refused_action(
    client: FlaskClient, db_session: Session
) -> None:
    client, _staff, _issuer = staff_client(client)
    award = AwardFactory()
    response = post_form(client, f"/admin/awards/{award.id}/revoke", {"reason": " "})
    assert response.status_code == 400
    assert _entries(db_session) == []


def test_nothing_else_writes_entries(app: Flask, client: FlaskClient, db_session: Session) -> None:
    assert app.test_cli_runner().invoke(args=["demo-data"]).exit_code == 0
    client, _staff, _issuer = staff_client(client)
    for url in ("/admin/", "/admin/awards", "/admin/dashboard", "/admin/audit", "/admin/audit.csv"):
        assert client.get(url).status_code == 200, url
    assert _entries(db_session) == []


def _revoke_two(client: FlaskClient) -> list[int]:
    ids = []
    for email in ("=HYPERLINK(1)@example.ac.jp", "taro@example.ac.jp"):
        award = AwardFactory(recipient_email=email)
        post_form(client, f"/admin/awards/{award.id}/revoke", {"reason": "誤り"})
        ids.append(award.id)
    return ids


def test_the_page_shows_entries_newest_first_in_both_languages(
    client: FlaskClient, db_session: Session
) -> None:
    client, staff, _issuer = staff_client(client)
    first, second = _revoke_two(client)
    page = client.get("/admin/audit").get_data(as_text=True)
    assert "操作記録" in page
    assert "授与を取り消し" in page
    assert staff.email in page
    assert page.index(f"award #{second}") < page.index(f"award #{first}")
    staff.locale = "en"
    db_session.flush()
    english = client.get("/admin/audit").get_data(as_text=True)
    assert "Audit log" in english
    assert "Revoked an award" in english


def test_the_page_is_paginated(client: FlaskClient, db_session: Session) -> None:
    client, staff, _issuer = staff_client(client)
    award = AwardFactory()
    for _ in range(51):
        audit.record(db_session, staff, "award.resend", award, {"email": "x@example.ac.jp"})
    first = client.get("/admin/audit").get_data(as_text=True)
    assert first.count(f"award #{award.id}") == 50
    assert "/admin/audit?page=2" in first
    second = client.get("/admin/audit?page=2").get_data(as_text=True)
    assert second.count(f"award #{award.id}") == 1


def test_the_csv_has_every_entry_safe_for_spreadsheets(
    client: FlaskClient, db_session: Session
) -> None:
    client, staff, _issuer = staff_client(client)
    first, second = _revoke_two(client)
    response = client.get("/admin/audit.csv")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))
    assert len(rows) == 3
    assert [row[6] for row in rows[1:]] == [str(second), str(first)]
    assert {row[1] for row in rows[1:]} == {staff.email}
    assert rows[1][3] == "award.revoke"
    assert rows[2][7].startswith('{"email": "=HYPERLINK')  # JSON starts with "{": inert


def test_an_entry_still_names_a_deleted_staff_member(
    client: FlaskClient, db_session: Session
) -> None:
    client, staff, _issuer = staff_client(client)
    award = AwardFactory()
    post_form(client, f"/admin/awards/{award.id}/revoke", {"reason": "誤り"})
    staff_id, email = staff.id, staff.email
    db_session.delete(staff)
    db_session.flush()
    entry = _only(db_session, "award.revoke")
    assert (entry.actor_id, entry.actor_email) == (staff_id, email)
