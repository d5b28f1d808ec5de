"""Shared pieces of the programme office tests."""

from __future__ import annotations

import io

from flask.testing import FlaskClient

from tests.factories import PASSWORD, IssuerFactory, UserFactory
from tests.helpers import post_form
from wallet.models import Issuer, User


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
