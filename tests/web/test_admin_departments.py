"""Departments: administrators create and rename them (audited); department staff see
their departments' badges, awards, dashboard rows, search results and CSV only."""

from __future__ import annotations

import csv
import io

from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.factories import (
    AwardFactory,
    BadgeClassFactory,
    DepartmentFactory,
    UserFactory,
    png_bytes,
)
from tests.helpers import post_form
from tests.web.admin_helpers import log_in, staff_client, upload
from wallet.models import AuditEntry, BadgeClass, Department, Issuer


def _entries(session: Session) -> list[AuditEntry]:
    session.expire_all()
    return list(session.scalars(select(AuditEntry).order_by(AuditEntry.id)))


def _count(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(Department)) or 0)


def test_administrators_create_and_rename_departments(
    client: FlaskClient, db_session: Session
) -> None:
    client, admin, issuer = staff_client(client)
    created = post_form(
        client,
        "/admin/departments/new",
        {"name": " 情報学部 ", "name_en": "Faculty of Informatics"},
    )
    assert created.status_code == 302
    department = db_session.scalars(select(Department).where(Department.name == "情報学部")).one()
    assert (department.issuer_id, department.name_en) == (issuer.id, "Faculty of Informatics")
    listing = client.get("/admin/departments").text
    assert "情報学部" in listing
    assert f"/admin/departments/{department.id}/edit" in listing
    url = f"/admin/departments/{department.id}/edit"
    assert 'value="情報学部"' in client.get(url).text
    renamed = post_form(client, url, {"name": "情報学部（浜松）", "name_en": "Informatics"})
    assert renamed.status_code == 302
    same = post_form(client, url, {"name": "情報学部（浜松）", "name_en": "Informatics"})
    assert same.status_code == 302
    create, rename = _entries(db_session)  # saving the same names again is no change
    assert (create.action, create.actor_id, create.target_id) == (
        "department.create",
        admin.id,
        department.id,
    )
    assert create.details == {"name": "情報学部", "name_en": "Faculty of Informatics"}
    assert (rename.action, rename.target_type) == ("department.rename", "department")
    assert rename.details == {
        "before": {"name": "情報学部", "name_en": "Faculty of Informatics"},
        "after": {"name": "情報学部（浜松）", "name_en": "Informatics"},
    }


def test_bad_department_names_are_refused_keeping_the_input(
    client: FlaskClient, db_session: Session
) -> None:
    client, _admin, issuer = staff_client(client)  # its department is 工学部
    other = DepartmentFactory(issuer=issuer, name="教育学部", name_en="Faculty of Education")
    for fields, message in (
        ({"name": "", "name_en": "Faculty of Law"}, "名称（日本語）を入力"),
        ({"name": "\u3000", "name_en": "Faculty of Law"}, "名称（日本語）を入力"),
        ({"name": "法学部\u202e", "name_en": "Faculty of Law"}, "U+202E"),
        ({"name": "工学部", "name_en": "Faculty of Law"}, "「工学部」という名称"),
        (
            {"name": "法学部", "name_en": "faculty of engineering"},
            "という名称の学部・研究科等はすでに",
        ),
        ({"name": "法" * 201, "name_en": ""}, "200"),
    ):
        response = post_form(client, "/admin/departments/new", fields)
        assert response.status_code == 400, fields
        assert message in response.text, fields
        if fields["name_en"]:
            assert f'value="{fields["name_en"]}"' in response.text
    renamed = post_form(
        client, f"/admin/departments/{other.id}/edit", {"name": "工学部", "name_en": "x"}
    )
    assert renamed.status_code == 400
    assert _count(db_session) == 2
    assert _entries(db_session) == []
    assert client.get("/admin/departments/999999/edit").status_code == 404


def test_a_department_needs_the_issuer_profile_first(
    client: FlaskClient, db_session: Session
) -> None:
    log_in(client, UserFactory(staff=True))
    assert "先に発行者プロフィールを登録してください" in client.get("/admin/departments").text
    response = post_form(client, "/admin/departments/new", {"name": "工学部", "name_en": ""})
    assert response.status_code == 400
    assert "発行者プロフィール" in response.text
    assert db_session.scalar(select(func.count()).select_from(Issuer)) == 0


def _two_departments(client: FlaskClient) -> tuple[FlaskClient, BadgeClass, BadgeClass]:
    """Logged in as 工学部's staff; a badge with an award in 工学部 and in 教育学部."""
    _admin_client, _admin, issuer = staff_client(client)
    engineering = issuer.departments[0]
    education = DepartmentFactory(issuer=issuer, name="教育学部", name_en="Faculty of Education")
    ours = BadgeClassFactory(department=engineering, name="ロボット工学")
    theirs = BadgeClassFactory(department=education, name="教職実践")
    AwardFactory(badge_class=ours, recipient_name="工学 太郎", recipient_email="t@x.jp")
    AwardFactory(badge_class=theirs, recipient_name="教育 花子", recipient_email="h@x.jp")
    staff = UserFactory(department_staff=True, departments=[engineering])
    fresh = client.application.test_client()
    log_in(fresh, staff)
    return fresh, ours, theirs


def test_department_staff_see_only_their_departments_everywhere(
    client: FlaskClient, db_session: Session
) -> None:
    client, _ours, theirs = _two_departments(client)
    index = client.get("/admin/").text
    assert "ロボット工学" in index
    assert "教職実践" not in index
    menu = index.split('class="admin-nav"', 1)[1].split("</nav>", 1)[0]
    assert "/admin/issuer" not in menu
    assert "/admin/audit" not in menu
    assert "/admin/awards" in menu
    search = client.get("/admin/awards").text
    assert "工学 太郎" in search
    assert "教育 花子" not in search
    assert f'value="{theirs.id}"' not in search  # nor in the badge filter
    assert client.get(f"/admin/awards?badge_class={theirs.id}").status_code == 400
    assert "すべての学部・研究科等" not in search  # one department: nothing to choose
    assert client.get(f"/admin/awards?department={theirs.department_id}").status_code == 400
    exported = client.get("/admin/awards.csv").get_data(as_text=True).removeprefix("\ufeff")
    names = [row[0] for row in csv.reader(io.StringIO(exported))][1:]
    assert names == ["工学 太郎"]
    dashboard = client.get("/admin/dashboard").text
    assert "ロボット工学" in dashboard
    assert "教職実践" not in dashboard
    by_department = dashboard.split("dashboard-departments", 1)[1].split("</table>", 1)[0]
    assert "工学部" in by_department
    assert "教育学部" not in by_department


def test_department_staff_create_badges_only_in_their_departments(
    client: FlaskClient, db_session: Session
) -> None:
    client, ours, theirs = _two_departments(client)
    form = client.get("/admin/badges/new").text
    assert f'value="{ours.department_id}"' in form
    assert f'value="{theirs.department_id}"' not in form
    fields = {
        "name": "新しいバッジ",
        "name_en": "",
        "description": "説明",
        "description_en": "",
        "criteria_text": "基準",
        "criteria_url": "",
        "kind": "hosted",
        "valid_days": "",
        "tags": "",
    }
    elsewhere = post_form(
        client,
        "/admin/badges/new",
        {**fields, "department_id": theirs.department_id, "image": upload("b.png", png_bytes(200))},
        content_type="multipart/form-data",
    )
    assert elsewhere.status_code == 400
    assert 'value="新しいバッジ"' in elsewhere.text
    moved = post_form(
        client,
        f"/admin/badges/{ours.id}/edit",
        {**fields, "department_id": theirs.department_id, "image": upload("", b"")},
        content_type="multipart/form-data",
    )
    assert moved.status_code == 400
    db_session.refresh(ours)
    assert ours.department_id != theirs.department_id
    made = post_form(
        client,
        "/admin/badges/new",
        {**fields, "department_id": ours.department_id, "image": upload("b.png", png_bytes(200))},
        content_type="multipart/form-data",
    )
    assert made.status_code == 302
    badge = db_session.scalars(select(BadgeClass).where(BadgeClass.name == "新しいバッジ")).one()
    assert badge.department_id == ours.department_id


def test_administrators_move_a_badge_to_another_department(
    client: FlaskClient, db_session: Session
) -> None:
    client, _admin, issuer = staff_client(client)
    badge = BadgeClassFactory(department=issuer.departments[0], name="移るバッジ")
    law = DepartmentFactory(issuer=issuer, name="法学部", name_en="Faculty of Law")
    page = client.get(f"/admin/badges/{badge.id}/edit").text
    assert f'<option selected value="{badge.department_id}">' in page
    fields = {
        "department_id": law.id,
        "name": badge.name,
        "name_en": badge.name_en,
        "description": badge.description,
        "description_en": badge.description_en,
        "criteria_text": badge.criteria_text,
        "criteria_url": "",
        "kind": badge.kind,
        "valid_days": "",
        "tags": "data-science",
        "image": upload("", b""),
    }
    response = post_form(
        client, f"/admin/badges/{badge.id}/edit", fields, content_type="multipart/form-data"
    )
    assert response.status_code == 302
    db_session.refresh(badge)
    assert badge.department_id == law.id
    (entry,) = _entries(db_session)
    assert entry.details["changed"] == ["department_id"]
    assert "法学部" in client.get(f"/admin/badges/{badge.id}").text
