"""A badge's owner controls and shares it; the world sees only what is public.

Visibility switch, the detail page's share panel, the LinkedIn redirect, the e-mail
signature and CV kit pages, and baked downloads (which ``openbadges-bakery`` extracts;
the 1EdTech validator checks them in ``tests/interop/``).
"""

from __future__ import annotations

import io
import json
import re
from datetime import UTC, datetime
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

import openbadges_bakery
import pytest
from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy.orm import Session

from tests.accounts_support import log_in, without_csrf
from tests.conftest import BASE_URL
from tests.factories import (
    PASSWORD,
    AwardFactory,
    BadgeClassFactory,
    BlobFactory,
    IssuerFactory,
    UserFactory,
)
from tests.helpers import csrf_token, post_form
from wallet.models import Award, AwardState, User
from wallet.openbadges.baking import extract_details

# openbadges-bakery calls a deprecated rfc3986 helper; that is its business, not ours.
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:rfc3986.*")

SVG = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n'
    b'<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64" viewBox="0 0 64 64">'
    b'<circle cx="32" cy="32" r="30" fill="#1d5fa0"/></svg>\n'
)
HOSTILE = '<script>alert(1)</script> "><img src=x onerror=alert(1)> \u202eevil'


def _owned(user: User, **award: object) -> Award:
    values: dict[str, object] = {
        "issued": True,
        "user": user,
        "recipient_email": user.email,
        "is_public": True,
        "accepted_at": datetime.now(UTC),
    }
    values.update(award)
    return AwardFactory(**values)  # type: ignore[no-any-return]


def _logged_in(client: FlaskClient, user: User | None = None) -> User:
    user = user or UserFactory()
    assert log_in(client, user.email, PASSWORD).status_code == 302
    return user


def _switch(client: FlaskClient, award: Award, visibility: str, **extra: str) -> object:
    return post_form(
        client,
        f"/wallet/badges/{award.id}/visibility",
        {"visibility": visibility, **extra},
        page="/wallet",
    )


# --- visibility -----------------------------------------------------------------------------


def test_the_owner_makes_a_badge_private_and_public_again(
    client: FlaskClient, db_session: Session
) -> None:
    owner = _logged_in(client)
    award = _owned(owner)
    response = _switch(client, award, "private")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/wallet/badges/{award.id}"
    db_session.refresh(award)
    assert award.is_public is False
    page = client.get(f"/wallet/badges/{award.id}").text
    assert "非公開" in page
    back = _switch(client, award, "public", next=f"/wallet/badges/{award.id}/cv")
    assert back.headers["Location"] == f"/wallet/badges/{award.id}/cv"
    db_session.refresh(award)
    assert award.is_public is True


def test_switching_goes_back_only_to_a_page_of_this_site(
    client: FlaskClient, db_session: Session
) -> None:
    owner = _logged_in(client)
    award = _owned(owner)
    response = _switch(client, award, "private", next="https://evil.example/")
    assert response.headers["Location"] == f"/wallet/badges/{award.id}"


def test_someone_elses_badge_cannot_be_switched(client: FlaskClient, db_session: Session) -> None:
    _logged_in(client)
    theirs = _owned(UserFactory())
    assert _switch(client, theirs, "private").status_code == 404
    db_session.refresh(theirs)
    assert theirs.is_public is True


def test_switching_needs_csrf_login_and_a_choice(client: FlaskClient, db_session: Session) -> None:
    owner = UserFactory()
    award = _owned(owner)
    url = f"/wallet/badges/{award.id}/visibility"
    anonymous = client.post(url, data={"visibility": "private", "csrf_token": csrf_token(client)})
    assert anonymous.status_code == 302
    assert "/login" in anonymous.headers["Location"]
    _logged_in(client, owner)
    assert client.post(url, data={"visibility": "private"}).status_code == 400
    assert post_form(client, url, {}, page="/wallet").status_code == 400
    assert post_form(client, url, {"visibility": "hidden"}, page="/wallet").status_code == 400
    db_session.refresh(award)
    assert award.is_public is True


# --- the detail page ------------------------------------------------------------------------


class Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.hrefs: list[str] = []
        self.inputs: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "a" and attributes.get("href"):
            self.hrefs.append(attributes["href"] or "")
        if tag == "input" and attributes.get("id"):
            self.inputs[attributes["id"] or ""] = attributes.get("value") or ""


def _links(html: str) -> Links:
    parser = Links()
    parser.feed(html)
    return parser


def test_a_public_badge_page_offers_every_share_link(
    client: FlaskClient, db_session: Session
) -> None:
    owner = _logged_in(client)
    award = _owned(owner)
    share = f"{BASE_URL}/b/{award.share_id}"
    page = _links(client.get(f"/wallet/badges/{award.id}").text)
    assert page.inputs["share-url"] == share
    by_site = {urlsplit(href).netloc: href for href in page.hrefs if href.startswith("https://")}
    x = parse_qs(urlsplit(by_site["twitter.com"]).query)
    assert x["url"] == [share]
    assert award.badge_class.name in x["text"][0]
    assert parse_qs(urlsplit(by_site["www.facebook.com"]).query) == {"u": [share]}
    assert parse_qs(urlsplit(by_site["www.linkedin.com"]).query) == {"url": [share]}
    assert f"{share}/linkedin" in page.hrefs
    assert f"/wallet/badges/{award.id}/signature" in page.hrefs
    assert f"/wallet/badges/{award.id}/cv" in page.hrefs
    assert f"/wallet/badges/{award.id}/download.png" in page.hrefs
    assert f"/wallet/badges/{award.id}/download.svg" not in page.hrefs


def test_a_private_badge_page_offers_to_make_it_public_first(
    client: FlaskClient, db_session: Session
) -> None:
    owner = _logged_in(client)
    award = _owned(owner, is_public=False)
    html = client.get(f"/wallet/badges/{award.id}").text
    page = _links(html)
    assert "share-url" not in page.inputs
    assert not [href for href in page.hrefs if href.startswith("https://")]
    assert f"{BASE_URL}/b/{award.share_id}/linkedin" not in page.hrefs
    assert "公開にする" in html
    assert f'name="next" value="/wallet/badges/{award.id}#share"' in html
    # a private badge can still be downloaded: the file verifies whatever the visibility
    assert f"/wallet/badges/{award.id}/download.png" in page.hrefs


def test_offered_and_revoked_badges_have_nothing_to_share(
    client: FlaskClient, db_session: Session
) -> None:
    owner = _logged_in(client)
    offered = AwardFactory(recipient_email=owner.email)
    revoked = _owned(owner, revoked_at=datetime.now(UTC), revocation_reason="誤り")
    for award in (offered, revoked):
        html = client.get(f"/wallet/badges/{award.id}").text
        page = _links(html)
        assert "share-url" not in page.inputs
        assert not [h for h in page.hrefs if "/signature" in h or "/download." in h]
    # an offered badge: the choice comes with the Accept button, there is no switch yet
    assert 'id="visibility"' not in client.get(f"/wallet/badges/{offered.id}").text
    assert "非公開にする" in client.get(f"/wallet/badges/{revoked.id}").text


def test_a_pending_badge_shows_when_it_completes(client: FlaskClient, db_session: Session) -> None:
    owner = _logged_in(client)
    award = _owned(
        owner,
        issued=False,
        state=AwardState.PENDING,
        badge_class=BadgeClassFactory(anchored=True),
        accepted_at=datetime(2026, 4, 1, 1, 0, tzinfo=UTC),
    )
    assert "2026/04/02" in client.get(f"/wallet/badges/{award.id}").text
    assert "2026/04/02" in client.get("/wallet").text


# --- LinkedIn -------------------------------------------------------------------------------


def _linkedin(client: FlaskClient, award: Award) -> object:
    return client.get(f"/b/{award.share_id}/linkedin")


def _page(response: object, share_id: str) -> str:
    """A page without what differs by request: the CSRF token, and the address itself
    (the language switch sends the reader back to it)."""
    return without_csrf(response.text).replace(share_id, "SHARE_ID")  # type: ignore[attr-defined]


def test_linkedin_redirect_for_a_public_badge(client: FlaskClient, db_session: Session) -> None:
    issuer = IssuerFactory(linkedin_organization_id="1234567")
    award = _owned(
        UserFactory(),
        badge_class=BadgeClassFactory(issuer=issuer, name="データ & AI"),
        issued_on=datetime(2026, 3, 31, 16, 0, tzinfo=UTC),
    )
    response = _linkedin(client, award)
    assert response.status_code == 302
    assert response.headers["Cache-Control"] == "no-store"
    target = urlsplit(response.headers["Location"])
    assert (target.scheme, target.netloc, target.path) == (
        "https",
        "www.linkedin.com",
        "/profile/add",
    )
    assert parse_qs(target.query) == {
        "startTask": ["CERTIFICATION_NAME"],
        "name": ["データ & AI"],
        "organizationId": ["1234567"],
        "issueYear": ["2026"],
        "issueMonth": ["4"],
        "certUrl": [f"{BASE_URL}/b/{award.share_id}"],
        "certId": [award.share_id],
    }


def test_linkedin_gets_english_names_for_an_english_reader(
    client: FlaskClient, db_session: Session
) -> None:
    award = _owned(UserFactory())
    client.set_cookie("wallet_lang", "en")
    query = parse_qs(urlsplit(_linkedin(client, award).headers["Location"]).query)
    assert query["name"] == [award.badge_class.name_en]
    assert query["organizationName"] == ["Shizuoka University"]


def test_linkedin_redirect_of_a_private_badge_is_not_found_for_strangers(
    client: FlaskClient, db_session: Session
) -> None:
    owner = UserFactory()
    award = _owned(owner, is_public=False)
    unknown = client.get("/b/NoSuchId/linkedin")
    private = _linkedin(client, award)
    assert (unknown.status_code, private.status_code) == (404, 404)
    assert _page(private, award.share_id) == _page(unknown, "NoSuchId")
    _logged_in(client, UserFactory())
    private = _linkedin(client, award)
    assert private.status_code == 404
    unknown = client.get("/b/NoSuchId/linkedin")
    assert _page(private, award.share_id) == _page(unknown, "NoSuchId")
    client.post("/logout", data={"csrf_token": csrf_token(client)})
    _logged_in(client, owner)
    assert _linkedin(client, award).status_code == 302


def test_linkedin_redirect_is_not_found_for_revoked_or_unaccepted_badges(
    client: FlaskClient, db_session: Session
) -> None:
    owner = _logged_in(client)
    revoked = _owned(owner, revoked_at=datetime.now(UTC))
    offered = AwardFactory(recipient_email=owner.email, is_public=True)
    assert _linkedin(client, revoked).status_code == 404
    assert _linkedin(client, offered).status_code == 404


# --- signature and CV kit ------------------------------------------------------------------


def test_signature_page_shows_the_snippet_escaped(client: FlaskClient, db_session: Session) -> None:
    owner = _logged_in(client)
    award = _owned(
        owner,
        badge_class=BadgeClassFactory(name=HOSTILE, issuer=IssuerFactory(name="大学 " + HOSTILE)),
    )
    html = client.get(f"/wallet/badges/{award.id}/signature").text
    assert "<script>alert(1)</script>" not in html
    assert "onerror=alert(1)>" not in html
    textarea = re.search(r'<textarea id="signature-html"[^>]*>([^<]*)</textarea>', html)
    assert textarea, html
    shown = textarea.group(1)
    # the snippet's own markup shows as source, and inside it the badge text is escaped twice
    assert "&lt;table" in shown
    assert f"{BASE_URL}/b/{award.share_id}/badge.png" in shown
    assert "&amp;lt;script&amp;gt;" in shown
    assert "\u202e" not in shown
    assert f'src="/wallet/badges/{award.id}/signature/preview"' in html


def test_signature_preview_is_framed_only_by_the_site(
    client: FlaskClient, db_session: Session
) -> None:
    owner = _logged_in(client)
    award = _owned(owner, badge_class=BadgeClassFactory(name=HOSTILE))
    response = client.get(f"/wallet/badges/{award.id}/signature/preview")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp
    assert "frame-ancestors 'self'" in csp
    assert "script-src" not in csp  # so none runs
    assert response.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert "<script>" not in response.text
    assert 'style="' in response.text
    # every other page still refuses to be framed
    assert client.get("/wallet").headers["X-Frame-Options"] == "DENY"


def test_cv_kit_page_has_the_qr_codes_and_the_link(
    client: FlaskClient, db_session: Session
) -> None:
    owner = _logged_in(client)
    award = _owned(owner)
    html = client.get(f"/wallet/badges/{award.id}/cv").text
    share = f"{BASE_URL}/b/{award.share_id}"
    assert f'src="{share}/qr.svg"' in html
    assert f'href="{share}/qr.png" download' in html
    assert f'href="{share}/qr.svg" download' in html
    assert f">{share}</figcaption>" in html
    assert "badge_tools.css" in html


@pytest.mark.parametrize("page", ["signature", "cv"])
def test_tool_pages_of_a_private_badge_offer_to_make_it_public(
    client: FlaskClient, db_session: Session, page: str
) -> None:
    owner = _logged_in(client)
    award = _owned(owner, is_public=False)
    html = client.get(f"/wallet/badges/{award.id}/{page}").text
    assert award.share_id not in html
    assert f'name="next" value="/wallet/badges/{award.id}/{page}"' in html


@pytest.mark.parametrize(
    "path", ["signature", "signature/preview", "cv", "download.png", "download.svg"]
)
def test_tools_are_not_found_for_other_peoples_revoked_or_offered_badges(
    client: FlaskClient, db_session: Session, path: str
) -> None:
    owner = _logged_in(client)
    others = _owned(UserFactory())
    revoked = _owned(owner, revoked_at=datetime.now(UTC))
    offered = AwardFactory(recipient_email=owner.email)
    for award in (others, revoked, offered):
        assert client.get(f"/wallet/badges/{award.id}/{path}").status_code == 404, award
    assert client.get(f"/wallet/badges/987654/{path}").status_code == 404


def test_tools_need_a_login(client: FlaskClient, db_session: Session) -> None:
    award = _owned(UserFactory())
    for path in ("signature", "cv", "download.png"):
        response = client.get(f"/wallet/badges/{award.id}/{path}")
        assert response.status_code == 302
        assert "/login" in response.headers["Location"]


# --- baked downloads ------------------------------------------------------------------------


def test_png_download_carries_the_hosted_assertion(
    client: FlaskClient, db_session: Session
) -> None:
    owner = _logged_in(client)
    award = _owned(owner, badge_class=BadgeClassFactory(name="データ/AI: 基礎*"))
    response = client.get(f"/wallet/badges/{award.id}/download.png")
    assert response.status_code == 200
    assert response.mimetype == "image/png"
    assert response.headers["Cache-Control"] == "no-store"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment")
    assert "filename*=UTF-8''" in disposition
    assert "/" not in disposition.split("filename*=UTF-8''", 1)[1]
    assertion_url = f"{BASE_URL}/ob/assertions/{award.public_id}"
    baked = extract_details(response.data)
    assert (baked.format, baked.chunk) == ("png", "iTXt")
    assertion = json.loads(baked.payload)
    assert assertion["id"] == assertion_url
    assert assertion == client.get(f"/ob/assertions/{award.public_id}").json
    assert json.loads(openbadges_bakery.unbake(io.BytesIO(response.data))) == assertion
    # SVG only where the class image is SVG
    assert client.get(f"/wallet/badges/{award.id}/download.svg").status_code == 404


def test_svg_download_carries_the_assertion_url(client: FlaskClient, db_session: Session) -> None:
    owner = _logged_in(client)
    image = BlobFactory(data=SVG, content_type="image/svg+xml")
    award = _owned(owner, is_public=False, badge_class=BadgeClassFactory(image_sha256=image.sha256))
    page = _links(client.get(f"/wallet/badges/{award.id}").text)
    assert f"/wallet/badges/{award.id}/download.svg" in page.hrefs
    assert f"/wallet/badges/{award.id}/download.png" in page.hrefs
    response = client.get(f"/wallet/badges/{award.id}/download.svg")
    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml"
    assert "sandbox" in response.headers["Content-Security-Policy"]
    assertion_url = f"{BASE_URL}/ob/assertions/{award.public_id}"
    baked = extract_details(response.data)
    assert baked.verify == assertion_url
    assert json.loads(baked.payload)["id"] == assertion_url
    assert openbadges_bakery.unbake(io.BytesIO(response.data)) == assertion_url


def test_an_svg_badge_downloads_as_png_too(client: FlaskClient, db_session: Session) -> None:
    """Many backpacks take only PNG: the SVG is drawn (once) and baked as PNG."""
    owner = _logged_in(client)
    image = BlobFactory(data=SVG, content_type="image/svg+xml")
    award = _owned(owner, badge_class=BadgeClassFactory(image_sha256=image.sha256))
    response = client.get(f"/wallet/badges/{award.id}/download.png")
    assert response.status_code == 200
    assert response.mimetype == "image/png"
    baked = extract_details(response.data)
    assert baked.format == "png"
    assert json.loads(baked.payload)["id"] == f"{BASE_URL}/ob/assertions/{award.public_id}"
    with Image.open(io.BytesIO(response.data)) as drawn:
        assert drawn.size == (512, 512)
        assert drawn.convert("RGB").getpixel((256, 256)) == (0x1D, 0x5F, 0xA0)  # the circle
    again = client.get(f"/wallet/badges/{award.id}/download.png")
    assert again.data == response.data  # drawn once, baked the same way


def test_a_pending_badge_downloads_too(client: FlaskClient, db_session: Session) -> None:
    owner = _logged_in(client)
    award = _owned(owner, issued=False, state=AwardState.PENDING)
    assert client.get(f"/wallet/badges/{award.id}/download.png").status_code == 200
