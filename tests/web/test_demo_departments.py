"""``flask demo-data`` shows departments at work: two departments, a badge and a staff
login in each beside the administrator's, every login printed."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.helpers import post_form
from wallet.cli import DEMO_DEPARTMENT_PASSWORD, DEMO_STAFF_PASSWORD
from wallet.models import BadgeClass, Department, StaffRole, User

DEPARTMENT_LOGIN = re.compile(r"Department staff login: (\S+) \((\S+) only\)")


def _log_in(client: FlaskClient, email: str, password: str) -> None:
    response = post_form(client, "/login", {"email": email, "password": password})
    assert response.status_code == 302, response.text


def test_two_departments_with_a_badge_and_a_staff_member_each(
    app: Flask, db_session: Session
) -> None:
    output = app.test_cli_runner().invoke(args=["demo-data"]).output
    printed = dict(DEPARTMENT_LOGIN.findall(output))
    assert set(printed.values()) == {"工学部", "教育学部"}, output
    assert output.count(DEMO_DEPARTMENT_PASSWORD) == 2
    assert "office@demo.shizuoka.ac.jp (administrator: everything)" in output
    assert DEMO_STAFF_PASSWORD in output
    departments = db_session.scalars(select(Department).order_by(Department.id)).all()
    assert [(d.name, d.name_en) for d in departments] == [
        ("工学部", "Faculty of Engineering"),
        ("教育学部", "Faculty of Education"),
    ]
    for department in departments:
        assert len(department.badge_classes) == 1
        (member,) = department.staff
        assert member.staff_role == StaffRole.DEPARTMENT
        assert printed[member.email] == department.name
    admin = db_session.scalars(select(User).where(User.email == "office@demo.shizuoka.ac.jp"))
    assert admin.one().is_admin
    again = app.test_cli_runner().invoke(args=["demo-data"]).output
    assert dict(DEPARTMENT_LOGIN.findall(again)) == printed
    assert len(db_session.scalars(select(Department)).all()) == 2


def test_each_printed_department_login_sees_its_own_badge_only(
    app: Flask, db_session: Session
) -> None:
    output = app.test_cli_runner().invoke(args=["demo-data"]).output
    badges = {b.department.name: b for b in db_session.scalars(select(BadgeClass))}
    for email, department in DEPARTMENT_LOGIN.findall(output):
        client = app.test_client()
        _log_in(client, email, DEMO_DEPARTMENT_PASSWORD)
        page = client.get("/admin/").text
        (other,) = set(badges) - {department}
        assert badges[department].name in page
        assert badges[other].name not in page
        assert client.get(f"/admin/badges/{badges[other].id}").status_code == 404
        assert client.get("/admin/issuer").status_code == 404
