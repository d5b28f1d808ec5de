"""Who may open what under /admin: every route, walked, for every kind of visitor.

The routes come from ``app.url_map``: a route added under /admin must be named in
``ACCESS`` (who may open it), or the first test fails; once named it is walked by
all the others. An id in a route is filled in from the world below by its name; a
new kind of id fails the walk until it is taught here.

- nobody logged in: every page sends to the login page;
- a student: 403 on every page, as before departments;
- department staff of 工学部: 404 on the administrators' pages and on everything of
  教育学部, the same page as for an id that does not exist; their own department's
  pages open;
- an administrator: every page opens.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.routing import Rule
from werkzeug.test import TestResponse

from tests.factories import (
    AwardFactory,
    BadgeClassFactory,
    DepartmentFactory,
    IssuerFactory,
    UserFactory,
)
from tests.helpers import csrf_token
from tests.web.admin_helpers import log_in
from wallet import extensions as ext
from wallet.db import ID_MAX
from wallet.models import Department, MailStatus, User
from wallet.services.outbox import queue_mail

ADMIN = "administrators"
DEPARTMENT = "department staff too"
# Every route under /admin and who may open it. Department staff see, in the pages
# marked DEPARTMENT, their own departments' badge classes and awards only.
ACCESS = {
    "admin.index": DEPARTMENT,
    "admin.new_badge_class": DEPARTMENT,
    "admin.show_badge_class": DEPARTMENT,
    "admin.edit_badge_class": DEPARTMENT,
    "admin.upload_completers": DEPARTMENT,
    "admin.confirm_completers": DEPARTMENT,
    "admin.resend_award": DEPARTMENT,
    "admin.revoke_award": DEPARTMENT,
    "admin_reports.search_awards": DEPARTMENT,
    "admin_reports.export_awards": DEPARTMENT,
    "admin_reports.show_dashboard": DEPARTMENT,
    "admin.edit_issuer": ADMIN,
    "admin.list_failed_mail": ADMIN,
    "admin.retry_failed_mail": ADMIN,
    "admin.retry_all_failed_mail": ADMIN,
    "admin_reports.show_audit_log": ADMIN,
    "admin_reports.export_audit_log": ADMIN,
    "admin_staff.list_staff": ADMIN,
    "admin_staff.invite_staff": ADMIN,
    "admin_staff.edit_staff": ADMIN,
    "admin_staff.deactivate_staff": ADMIN,
    "admin_staff.reactivate_staff": ADMIN,
    "admin_staff.reinvite_staff": ADMIN,
    "admin_staff.list_departments": ADMIN,
    "admin_staff.new_department": ADMIN,
    "admin_staff.edit_department": ADMIN,
}
ARGUMENT = re.compile(r"<(?:\w+(?:\([^)]*\))?:)?(\w+)>")
_VARYING = re.compile(r'(name="(?:csrf_token|next)"[^>]*value=")[^"]*"')


@dataclass(frozen=True)
class Side:
    """One department's things, as ids for the routes."""

    department_id: int
    badge_class_id: int
    award_id: int


@dataclass(frozen=True)
class World:
    ours: Side  # 工学部: the department staff member's own
    theirs: Side  # 教育学部
    mail_id: int  # a failed mail
    colleague_id: int  # a staff account to manage
    admin: User
    department_staff: User
    student: User


@pytest.fixture
def world(db_session: object) -> World:
    issuer = IssuerFactory()

    def side(department: Department) -> Side:
        award = AwardFactory(badge_class=BadgeClassFactory(department=department))
        return Side(department.id, award.badge_class_id, award.id)

    engineering = DepartmentFactory(issuer=issuer, name="工学部", name_en="Faculty of Engineering")
    education = DepartmentFactory(issuer=issuer, name="教育学部", name_en="Faculty of Education")
    mail = queue_mail(
        ext.db.session(), template="award_notice", to_email="a@x.jp", locale="ja", context={}
    )
    mail.status = MailStatus.FAILED
    return World(
        ours=side(engineering),
        theirs=side(education),
        mail_id=mail.id,
        colleague_id=UserFactory(department_staff=True, departments=[education]).id,
        admin=UserFactory(staff=True),
        department_staff=UserFactory(department_staff=True, departments=[engineering]),
        student=UserFactory(),
    )


def _rules(app: Flask) -> Iterator[Rule]:
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/admin"):
            yield rule


def _methods(rule: Rule) -> list[str]:
    return sorted((rule.methods or set()) & {"GET", "POST"})


def _url(rule: Rule, world: World, side: Side) -> str:
    values = {
        "badge_class_id": side.badge_class_id,
        "award_id": side.award_id,
        "department_id": side.department_id,
        "mail_id": world.mail_id,
        "user_id": world.colleague_id,
    }
    path = rule.rule
    for name in ARGUMENT.findall(rule.rule):
        assert name in values, f"{rule.rule}: teach the walk what a {name} is"
        path = ARGUMENT.sub(str(values[name]), path, count=1)
    return path


def _client(app: Flask, user: User | None) -> tuple[FlaskClient, str]:
    client = app.test_client()
    if user is not None:
        log_in(client, user)
    return client, csrf_token(client, "/")


def _ask(client: FlaskClient, token: str, method: str, url: str) -> TestResponse:
    if method == "POST":
        return client.post(url, data={"csrf_token": token})
    return client.get(url)


def _page(response: TestResponse) -> str:
    """The page without the parts that differ from request to request."""
    return _VARYING.sub(r'\1"', response.get_data(as_text=True))


def test_every_admin_route_says_who_may_open_it(app: Flask) -> None:
    endpoints = {rule.endpoint for rule in _rules(app)}
    assert endpoints - ACCESS.keys() == set(), "new /admin routes: add them to ACCESS"
    assert ACCESS.keys() - endpoints == set(), "routes in ACCESS that no longer exist"


def test_visitors_are_sent_to_the_login_page(app: Flask, world: World) -> None:
    client, token = _client(app, None)
    for rule in _rules(app):
        for method in _methods(rule):
            url = _url(rule, world, world.ours)
            response = _ask(client, token, method, url)
            assert response.status_code == 302, (method, url, response.status_code)
            assert response.location.startswith("/login"), (method, url)


def test_students_are_refused_everywhere(app: Flask, world: World) -> None:
    client, token = _client(app, world.student)
    for rule in _rules(app):
        for method in _methods(rule):
            url = _url(rule, world, world.ours)
            assert _ask(client, token, method, url).status_code == 403, (method, url)


def _not_found_page(client: FlaskClient) -> str:
    response = client.get(f"/admin/badges/{ID_MAX}")
    assert response.status_code == 404
    return _page(response)


def test_department_staff_find_no_administrators_page(app: Flask, world: World) -> None:
    client, token = _client(app, world.department_staff)
    unknown = _not_found_page(client)
    walked = 0
    for rule in _rules(app):
        if ACCESS[rule.endpoint] != ADMIN:
            continue
        for method in _methods(rule):
            url = _url(rule, world, world.ours)
            response = _ask(client, token, method, url)
            assert response.status_code == 404, (method, url, response.status_code)
            assert _page(response) == unknown, (method, url)
            walked += 1
    assert walked >= 15


def test_department_staff_find_nothing_of_another_department(app: Flask, world: World) -> None:
    client, token = _client(app, world.department_staff)
    unknown = _not_found_page(client)
    walked = 0
    for rule in _rules(app):
        if ACCESS[rule.endpoint] != DEPARTMENT or not rule.arguments:
            continue
        for method in _methods(rule):
            url = _url(rule, world, world.theirs)
            response = _ask(client, token, method, url)
            assert response.status_code == 404, (method, url, response.status_code)
            assert _page(response) == unknown, (method, url)
            walked += 1
    assert walked >= 8


def _opens(response: TestResponse, method: str) -> bool:
    """A GET shows the page; a POST (with nothing filled in) is answered, not refused."""
    if method == "GET":
        return response.status_code == 200
    return response.status_code < 500 and response.status_code not in (403, 404)


def test_department_staff_open_their_own_departments_pages(app: Flask, world: World) -> None:
    client, token = _client(app, world.department_staff)
    for rule in _rules(app):
        if ACCESS[rule.endpoint] != DEPARTMENT:
            continue
        for method in _methods(rule):
            url = _url(rule, world, world.ours)
            response = _ask(client, token, method, url)
            assert _opens(response, method), (method, url, response.status_code)


@pytest.mark.parametrize("side", ["ours", "theirs"])
def test_administrators_open_every_page(app: Flask, world: World, side: str) -> None:
    client, token = _client(app, world.admin)
    for rule in _rules(app):
        for method in _methods(rule):
            url = _url(rule, world, getattr(world, side))
            response = _ask(client, token, method, url)
            assert _opens(response, method), (method, url, response.status_code)
