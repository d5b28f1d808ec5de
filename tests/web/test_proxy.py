"""Behind a proxy, rate limits count each client, not the proxy."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import make_settings
from tests.helpers import csrf_token
from wallet import create_app
from wallet import extensions as ext


@pytest.fixture
def app_with(tmp_path: Path) -> Iterator[Callable[..., Flask]]:
    """Build an app with extra settings on its own database; limits reset around it."""
    made: list[Flask] = []

    def build(**changes: object) -> Flask:
        app = create_app(make_settings(tmp_path, **changes), TESTING=True)
        with app.app_context():
            ext.db.metadata.create_all(ext.db.engine)
        made.append(app)
        ext.limiter.reset()
        return app

    yield build
    ext.limiter.reset()
    for app in made:
        with app.app_context():
            ext.db.engine.dispose()


def _failed_logins(client: FlaskClient, address: str, times: int) -> list[int]:
    """Wrong passwords for a new address each time: the per-address throttle stays out of it."""
    headers = {"X-Forwarded-For": address}
    token = csrf_token(client, "/login")
    return [
        client.post(
            "/login",
            data={"email": f"ghost{n}.{address}@example.jp", "password": "x", "csrf_token": token},
            headers=headers,
        ).status_code
        for n in range(times)
    ]


def test_each_client_behind_a_trusted_proxy_has_its_own_budget(
    app_with: Callable[..., Flask],
) -> None:
    app = app_with(trusted_proxies=1)
    first = _failed_logins(app.test_client(), "203.0.113.7", 12)
    assert 429 in first  # the limit works...
    second = _failed_logins(app.test_client(), "198.51.100.9", 3)
    assert 429 not in second  # ...per client, not for everyone behind the proxy


def test_without_a_trusted_proxy_forwarded_headers_are_ignored(
    app_with: Callable[..., Flask],
) -> None:
    app = app_with()
    _failed_logins(app.test_client(), "203.0.113.7", 12)
    # a client cannot dodge the limit by inventing a forwarded address
    assert 429 in _failed_logins(app.test_client(), "198.51.100.9", 1)
