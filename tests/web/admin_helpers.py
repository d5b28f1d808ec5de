"""Shared pieces of the programme office tests."""

from __future__ import annotations

import io
import re

from flask.testing import FlaskClient
from sqlalchemy import select

from tests.factories import PASSWORD, DepartmentFactory, IssuerFactory, UserFactory
from tests.helpers import post_form
from wallet import extensions as ext
from wallet.models import Department, Issuer, User

SEALED = re.compile(r'<input[^>]*name="sealed"[^>]*>')


def sealed_value(page: str) -> str:
    """The sealed list on an upload preview page, to post to the confirm step."""
    match = SEALED.search(page)
    assert match, "no confirm form"
    value = re.search(r'value="([^"]+)"', match.group(0))
    assert value
    return value.group(1)


def log_in(client: FlaskClient, user: User) -> None:
    """Log in through the real login form."""
    response = post_form(client, "/login", {"email": user.email, "password": PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)


def staff_client(client: FlaskClient) -> tuple[FlaskClient, User, Issuer]:
    """An administrator, logged in; the issuer has one department (``first_department``)."""
    staff = UserFactory(staff=True)
    issuer = IssuerFactory()
    DepartmentFactory(issuer=issuer, name="工学部", name_en="Faculty of Engineering")
    log_in(client, staff)
    return client, staff, issuer


def first_department() -> Department:
    """The first issuer's first department (``staff_client``'s): a badge form's default."""
    found = ext.db.session.scalars(
        select(Department).order_by(Department.issuer_id, Department.id).limit(1)
    ).first()
    assert found is not None, "no department: use staff_client"
    return found


def upload(name: str, data: bytes) -> tuple[io.BytesIO, str]:
    return io.BytesIO(data), name
