from __future__ import annotations

from flask.testing import FlaskClient


def test_every_page_carries_a_strict_csp_and_safe_headers(client: FlaskClient) -> None:
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert "HttpOnly" in response.headers.get("Set-Cookie", "")
    assert "SameSite=Lax" in response.headers.get("Set-Cookie", "")


def test_post_without_csrf_token_is_refused(client: FlaskClient) -> None:
    response = client.post("/lang", data={"lang": "en"})
    assert response.status_code == 400


def test_language_switch_never_redirects_off_site(client: FlaskClient) -> None:
    from tests.helpers import post_form

    response = post_form(client, "/lang", {"lang": "en", "next": "//evil.example/"}, page="/")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
