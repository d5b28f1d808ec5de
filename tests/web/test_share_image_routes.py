"""The image URLs of a share link: who gets them, with which headers, and nothing else."""

from __future__ import annotations

import hashlib
import io

import pytest
import zxingcpp
from defusedxml import ElementTree
from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.accounts_support import log_in, without_csrf
from tests.conftest import BASE_URL
from tests.factories import PASSWORD, AwardFactory, UserFactory
from wallet import urls
from wallet.db import utcnow
from wallet.models import Award, AwardState, RenderedImage, User

IMAGES = ["og.png", "qr.png", "qr.svg", "badge.png"]
TYPES = {"og.png": "image/png", "qr.png": "image/png", "qr.svg": "image/svg+xml"}


@pytest.fixture
def owner(db_session: Session) -> User:
    return UserFactory()


def shared(owner: User, **changes: object) -> Award:
    values: dict[str, object] = {"issued": True, "user": owner, "is_public": True}
    return AwardFactory(**{**values, **changes})


def opened(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def rendered(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(RenderedImage)) or 0


@pytest.mark.parametrize("name", IMAGES)
def test_a_public_badge_serves_each_image_to_anyone(
    client: FlaskClient, owner: User, name: str
) -> None:
    award = shared(owner)
    response = client.get(f"/b/{award.share_id}/{name}")
    assert response.status_code == 200
    assert response.mimetype == TYPES.get(name, "image/png")
    assert response.headers["Cache-Control"] == "public, max-age=300"
    assert response.headers["ETag"] == '"' + hashlib.sha256(response.data).hexdigest() + '"'
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_the_preview_is_1200_by_630_in_the_asked_language(client: FlaskClient, owner: User) -> None:
    award = shared(owner)
    ja = client.get(f"/b/{award.share_id}/og.png?lang=ja")
    en = client.get(f"/b/{award.share_id}/og.png?lang=en")
    assert opened(ja.data).size == opened(en.data).size == (1200, 630)
    assert ja.data != en.data
    assert client.get(f"/b/{award.share_id}/og.png").data == ja.data  # Japanese by default


@pytest.mark.parametrize("lang", ["xx", "EN", "../../etc", "%00", "ja,en", "e" * 5000])
def test_an_odd_language_gets_the_default_preview(
    client: FlaskClient, owner: User, lang: str
) -> None:
    award = shared(owner)
    default = client.get(f"/b/{award.share_id}/og.png")
    odd = client.get(f"/b/{award.share_id}/og.png", query_string={"lang": lang})
    assert odd.status_code == 200
    assert odd.data == default.data


def test_the_qr_png_opens_the_share_page(client: FlaskClient, owner: User) -> None:
    award = shared(owner)
    response = client.get(f"/b/{award.share_id}/qr.png")
    image = opened(response.data)
    found = zxingcpp.read_barcodes(image.convert("L"))
    assert [result.text for result in found] == [urls.share(BASE_URL, award.share_id)]
    assert image.width >= 354
    assert tuple(round(dpi) for dpi in image.info["dpi"]) == (300, 300)
    assert f"badge-{award.share_id}-qr.png" in response.headers["Content-Disposition"]


def test_the_qr_svg_is_sandboxed_and_well_formed(client: FlaskClient, owner: User) -> None:
    award = shared(owner)
    response = client.get(f"/b/{award.share_id}/qr.svg")
    assert ElementTree.fromstring(response.data).tag == "{http://www.w3.org/2000/svg}svg"
    assert "sandbox" in response.headers["Content-Security-Policy"]


def test_the_signature_badge_is_small(client: FlaskClient, owner: User) -> None:
    award = shared(owner)
    response = client.get(f"/b/{award.share_id}/badge.png")
    assert opened(response.data).size == (192, 192)
    assert len(response.data) <= 20 * 1024


@pytest.mark.parametrize("name", IMAGES)
def test_a_private_badge_is_not_found_like_an_unknown_id(
    client: FlaskClient, owner: User, name: str
) -> None:
    award = shared(owner, is_public=False)
    unknown = client.get(f"/b/AAAAAAAA/{name}")
    private = client.get(f"/b/{award.share_id}/{name}")
    assert unknown.status_code == private.status_code == 404
    # the same page: only the address it echoes (the language switch's "next") differs
    # (and the CSRF token, which carries the second it was made)
    assert without_csrf(private.text).replace(award.share_id, "ID") == without_csrf(
        unknown.text
    ).replace("AAAAAAAA", "ID")
    assert "ETag" not in private.headers
    assert private.headers["Cache-Control"] == "no-store"
    log_in(client, UserFactory().email, PASSWORD)
    assert client.get(f"/b/{award.share_id}/{name}").status_code == 404


@pytest.mark.parametrize("name", IMAGES)
def test_the_owner_sees_a_private_badges_images_uncached(
    client: FlaskClient, owner: User, name: str
) -> None:
    award = shared(owner, is_public=False)
    log_in(client, owner.email, PASSWORD)
    response = client.get(f"/b/{award.share_id}/{name}")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "private, no-store"


@pytest.mark.parametrize("state", [AwardState.OFFERED, AwardState.DECLINED])
@pytest.mark.parametrize("name", IMAGES)
def test_a_badge_never_accepted_has_no_images(
    client: FlaskClient, owner: User, state: str, name: str
) -> None:
    log_in(client, owner.email, PASSWORD)  # first: logging in accepts offered badges
    award = shared(owner, issued=False, state=state)
    assert client.get(f"/b/{award.share_id}/{name}").status_code == 404


def test_a_revoked_or_pending_badge_still_has_its_preview(client: FlaskClient, owner: User) -> None:
    revoked = shared(owner, revoked_at=utcnow(), revocation_reason="誤って発行")
    pending = shared(owner, issued=False, state=AwardState.PENDING)
    for award in (revoked, pending):
        assert client.get(f"/b/{award.share_id}/og.png").status_code == 200


@pytest.mark.parametrize("name", IMAGES)
def test_a_conditional_get_is_answered_304_without_drawing(
    client: FlaskClient, db_session: Session, owner: User, name: str
) -> None:
    award = shared(owner)
    first = client.get(f"/b/{award.share_id}/{name}")
    rows = rendered(db_session)
    etag = first.headers["ETag"]
    for validator in (etag, "W/" + etag, f'"other", {etag}'):
        again = client.get(f"/b/{award.share_id}/{name}", headers={"If-None-Match": validator})
        assert again.status_code == 304
        assert again.data == b""
        assert again.headers["ETag"] == etag
        assert again.headers["Cache-Control"] == "public, max-age=300"
    stale = client.get(f"/b/{award.share_id}/{name}", headers={"If-None-Match": '"stale"'})
    assert stale.status_code == 200
    assert stale.data == first.data
    assert rendered(db_session) == rows


def test_a_renamed_badge_gets_a_new_etag(client: FlaskClient, owner: User) -> None:
    award = shared(owner)
    before = client.get(f"/b/{award.share_id}/og.png")
    award.badge_class.name = "新しい名前"
    after = client.get(
        f"/b/{award.share_id}/og.png", headers={"If-None-Match": before.headers["ETag"]}
    )
    assert after.status_code == 200
    assert after.headers["ETag"] != before.headers["ETag"]


def test_making_a_badge_private_hides_its_images_at_once(client: FlaskClient, owner: User) -> None:
    award = shared(owner)
    assert client.get(f"/b/{award.share_id}/og.png").status_code == 200
    award.is_public = False
    assert client.get(f"/b/{award.share_id}/og.png").status_code == 404


@pytest.mark.parametrize(
    "share_id",
    ["x" * 17, "x" * 2000, "%00", "a%00b", "<script>", "%E2%80%AE", "..", "静岡", "%FF%FE"],
)
@pytest.mark.parametrize("name", IMAGES)
def test_odd_ids_are_not_found_never_an_error(
    client: FlaskClient, share_id: str, name: str
) -> None:
    assert client.get(f"/b/{share_id}/{name}").status_code == 404


def test_head_requests_get_the_headers(client: FlaskClient, owner: User) -> None:
    award = shared(owner)
    response = client.head(f"/b/{award.share_id}/og.png")
    assert response.status_code == 200
    assert response.headers["ETag"]
