"""Small helpers for driving forms through the test client (CSRF stays on)."""

from __future__ import annotations

import re
from typing import Any

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_token(client: FlaskClient, url: str = "/", **kw: Any) -> str:
    """The CSRF token on the page at ``url`` (``kw`` go to the GET, e.g. ``environ_base``)."""
    page = client.get(url, **kw)
    match = _CSRF.search(page.get_data(as_text=True))
    assert match, f"no CSRF token on {url} ({page.status_code})"
    return match.group(1)


def post_form(
    client: FlaskClient, url: str, data: dict[str, Any], *, page: str | None = None, **kw: Any
) -> TestResponse:
    """POST ``data`` to ``url`` with the CSRF token read from ``page`` (default ``url``)."""
    token = csrf_token(client, page or url)
    return client.post(url, data={**data, "csrf_token": token}, **kw)


def similar(a: float, b: float) -> bool:
    """Within 3x of each other, or both below the noise of a shared machine (10 ms apart)."""
    return 1 / 3 < a / b < 3 or abs(a - b) < 0.010
