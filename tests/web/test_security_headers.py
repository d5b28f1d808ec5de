from __future__ import annotations

from flask.testing import FlaskClient

from tests.accounts_support import make_claim
from tests.factories import AwardFactory, BadgeClassFactory, UserFactory
from tests.web.admin_helpers import log_in


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


def test_pages_with_personal_data_are_never_cached(client: FlaskClient) -> None:
    staff = UserFactory(staff=True)
    badge = BadgeClassFactory()
    award = AwardFactory(badge_class=badge, recipient_email=staff.email, user=staff, issued=True)
    award_offered, claim = make_claim()
    log_in(client, staff)
    pages = [
        "/wallet",
        f"/wallet/badges/{award.id}",
        "/account",
        "/admin/",
        "/admin/issuer",
        f"/admin/badges/{badge.id}",
        f"/admin/badges/{badge.id}/edit",
        f"/admin/badges/{badge.id}/upload",
        f"/admin/awards/{award_offered.id}/revoke",
        f"/claim/{claim}",
        "/login",  # redirects a logged-in user: the redirect is not cached either
    ]
    for path in pages:
        response = client.get(path)
        assert response.status_code in {200, 302}, path
        assert response.headers.get("Cache-Control") == "no-store", path


def test_public_documents_and_files_keep_their_caching(client: FlaskClient) -> None:
    award = AwardFactory(issued=True)
    image = client.get(f"/ob/images/{award.badge_class.image_sha256}")
    assert "immutable" in image.headers["Cache-Control"]
    document = client.get(f"/ob/assertions/{award.public_id}")
    assert document.headers["Cache-Control"].startswith("public")
    with client.get("/static/css/site.css") as stylesheet:
        assert "no-store" not in stylesheet.headers.get("Cache-Control", "")
