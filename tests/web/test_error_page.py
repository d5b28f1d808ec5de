"""A failure mid-transaction still gets the friendly error page, in the reader's language."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from tests.conftest import fresh_app
from tests.factories import PASSWORD, UserFactory
from tests.helpers import post_form
from wallet import extensions as ext
from wallet.models import User


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Flask]:
    with fresh_app(tmp_path, ratelimit_enabled=False) as app:

        @app.get("/test/broken-flush")
        def broken_flush() -> str:
            # a second account with a taken address: the flush fails and leaves the
            # session's transaction broken, as a lost lock or connection would
            ext.db.session.add(User(email="taken@example.ac.jp", name="x", password_hash="x"))
            ext.db.session.flush()
            return "unreachable"

        with app.app_context():
            UserFactory(email="taken@example.ac.jp", locale="en")
            ext.db.session.commit()
        yield app


def test_a_broken_transaction_still_gets_the_error_page(app: Flask) -> None:
    client = app.test_client()
    assert (
        post_form(client, "/login", {"email": "taken@example.ac.jp", "password": PASSWORD})
    ).status_code == 302

    response = client.get("/test/broken-flush")

    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert "Something went wrong. Please try again." in page  # the account's language
    assert "Log out" in page  # the page knows who is logged in: the user was loaded afresh
    assert client.get("/account").status_code == 200  # and the next request is fine
