"""Behind a proxy, rate limits count each client, not the proxy."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import make_settings
from tests.helpers import csrf_token
from wallet import create_app
from wallet import extensions as ext


def _failed_logins(client, address: str, times: int) -> list[int]:  # type: ignore[no-untyped-def]
    headers = {"X-Forwarded-For": address}
    token = csrf_token(client, "/login")
    data = {"email": "ghost@shizuoka.ac.jp", "password": "wrong", "csrf_token": token}
    return [client.post("/login", data=data, headers=headers).status_code for _ in range(times)]


def test_each_client_behind_a_trusted_proxy_has_its_own_budget(tmp_path: Path) -> None:
    app = create_app(make_settings(tmp_path, trusted_proxies=1), TESTING=True)
    with app.app_context():
        ext.db.metadata.create_all(ext.db.engine)
    ext.limiter.reset()
    try:
        first = _failed_logins(app.test_client(), "203.0.113.7", 12)
        assert 429 in first  # the limit works...
        second = _failed_logins(app.test_client(), "198.51.100.9", 3)
        assert 429 not in second  # ...per client, not for everyone behind the proxy
    finally:
        ext.limiter.reset()
        with app.app_context():
            ext.db.engine.dispose()


def test_without_a_trusted_proxy_forwarded_headers_are_ignored(tmp_path: Path) -> None:
    app = create_app(make_settings(tmp_path), TESTING=True)
    with app.app_context():
        ext.db.metadata.create_all(ext.db.engine)
    ext.limiter.reset()
    try:
        _failed_logins(app.test_client(), "203.0.113.7", 12)
        # a client cannot dodge the limit by inventing a forwarded address
        assert 429 in _failed_logins(app.test_client(), "198.51.100.9", 1)
    finally:
        ext.limiter.reset()
        with app.app_context():
            ext.db.engine.dispose()
