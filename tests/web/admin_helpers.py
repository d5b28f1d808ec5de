"""Shared pieces of the programme office tests."""

from __future__ import annotations

import io
import re

from flask.testing import FlaskClient

from tests.factories import PASSWORD, IssuerFactory, UserFactory
from tests.helpers import post_form
from wallet.models import Issuer, User

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
    staff = UserFactory(staff=True)
    issuer = IssuerFactory()
    log_in(client, staff)
    return client, staff, issuer


def upload(name: str, data: bytes) -> tuple[io.BytesIO, str]:
    return io.BytesIO(data), name
