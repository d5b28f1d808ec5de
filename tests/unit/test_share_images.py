"""Images are drawn once per content and kept: what the database holds after each request.

Concurrent first requests on two connections are in tests/web/test_share_image_races.py.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from PIL import Image
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.factories import AwardFactory, BadgeClassFactory, BlobFactory, UserFactory
from wallet.models import Award, AwardState, Blob, RenderedImage
from wallet.services import share_images
from wallet.services.share_images import DrawnImage

BASE = "https://openbadge.shizuoka.ac.jp"
NOW = datetime(2026, 11, 1, tzinfo=UTC)


def rendered(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(RenderedImage)) or 0


def preview(session: Session, award: Award, locale: str = "ja", now: datetime = NOW) -> DrawnImage:
    return share_images.share_preview(session, award, locale=locale, base_url=BASE, now=now)


@pytest.fixture
def award(db_session: Session) -> Award:
    return AwardFactory(issued=True, user=UserFactory(), is_public=True)


def test_the_first_request_draws_and_keeps_the_image(db_session: Session, award: Award) -> None:
    drawn = preview(db_session, award)
    assert rendered(db_session) == 1
    data = share_images.image_bytes(db_session, drawn)
    assert hashlib.sha256(data).hexdigest() == drawn.sha256
    assert drawn.content_type == "image/png"
    assert Image.open(io.BytesIO(data)).size == (1200, 630)


def test_later_requests_draw_nothing(db_session: Session, award: Award) -> None:
    first = preview(db_session, award)
    row = db_session.scalar(select(RenderedImage))
    assert row is not None
    for _ in range(3):
        assert preview(db_session, award) == first
    assert rendered(db_session) == 1
    assert db_session.scalar(select(RenderedImage)) is row
    assert row.blob_sha256 == first.sha256


def test_a_renamed_badge_draws_a_new_preview(db_session: Session, award: Award) -> None:
    before = preview(db_session, award)
    award.badge_class.name = "データサイエンス応用プログラム"
    after = preview(db_session, award)
    assert after.sha256 != before.sha256
    assert rendered(db_session) == 2
    assert preview(db_session, award) == after


@pytest.mark.parametrize(
    "change",
    [
        lambda award: setattr(award.badge_class.issuer, "name", "浜松キャンパス"),
        lambda award: setattr(award.badge_class, "image_sha256", BlobFactory().sha256),
        lambda award: setattr(award, "revoked_at", NOW),
        lambda award: setattr(award, "expires_at", NOW - timedelta(days=1)),
        lambda award: setattr(award, "state", AwardState.PENDING),
    ],
    ids=["issuer", "class image", "revoked", "expired", "pending"],
)
def test_every_input_of_the_preview_is_in_its_key(
    db_session: Session, award: Award, change: Callable[[Award], None]
) -> None:
    before = preview(db_session, award)
    change(award)
    assert preview(db_session, award) != before


def test_each_language_has_its_own_preview(db_session: Session, award: Award) -> None:
    assert preview(db_session, award, "ja") != preview(db_session, award, "en")
    assert rendered(db_session) == 2


def test_an_english_name_only_matters_to_english_viewers(db_session: Session, award: Award) -> None:
    ja, en = preview(db_session, award, "ja"), preview(db_session, award, "en")
    award.badge_class.name_en = "Applied Data Science"
    assert preview(db_session, award, "ja") == ja
    assert preview(db_session, award, "en") != en


def test_expiry_is_judged_at_the_time_of_the_request(db_session: Session, award: Award) -> None:
    award.expires_at = NOW + timedelta(days=30)
    valid = preview(db_session, award, now=NOW)
    expired = preview(db_session, award, now=NOW + timedelta(days=31))
    assert valid != expired
    assert share_images.preview_state(award, NOW + timedelta(days=31)) == "expired"


def test_two_awards_of_one_badge_share_one_preview(db_session: Session, award: Award) -> None:
    other = AwardFactory(issued=True, user=UserFactory(), badge_class=award.badge_class)
    assert preview(db_session, award) == preview(db_session, other)
    assert rendered(db_session) == 1


def test_qr_codes_are_kept_per_share_url_and_format(db_session: Session, award: Award) -> None:
    png = share_images.share_qr(db_session, award, base_url=BASE, as_svg=False)
    svg = share_images.share_qr(db_session, award, base_url=BASE, as_svg=True)
    assert (png.content_type, svg.content_type) == ("image/png", "image/svg+xml")
    assert share_images.share_qr(db_session, award, base_url=BASE, as_svg=False) == png
    assert rendered(db_session) == 2
    moved = share_images.share_qr(db_session, award, base_url=BASE + "/wallet", as_svg=False)
    assert moved != png
    assert rendered(db_session) == 3


def test_signature_badges_depend_only_on_the_class_image(db_session: Session, award: Award) -> None:
    drawn = share_images.signature_badge(db_session, award)
    same_image = BadgeClassFactory(image_sha256=award.badge_class.image_sha256)
    other = AwardFactory(issued=True, user=UserFactory(), badge_class=same_image)
    assert share_images.signature_badge(db_session, other) == drawn
    assert rendered(db_session) == 1


def test_identical_bytes_are_stored_once(db_session: Session, award: Award) -> None:
    """A new renderer version that draws the same bytes adds a key, not a second blob."""
    drawn = share_images.share_qr(db_session, award, base_url=BASE, as_svg=True)
    blobs = db_session.scalar(select(func.count()).select_from(Blob))
    version, content_type = share_images.KINDS["qr-svg"]
    kinds = {**share_images.KINDS, "qr-svg": (version + 1, content_type)}
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(share_images, "KINDS", kinds)
        again = share_images.share_qr(db_session, award, base_url=BASE, as_svg=True)
    assert again == drawn
    assert rendered(db_session) == 2
    assert db_session.scalar(select(func.count()).select_from(Blob)) == blobs


def test_the_key_covers_kind_version_and_every_input() -> None:
    key = share_images.render_key("og", {"name": "a", "issuer": "b"})
    assert len(key) == 64
    assert key == share_images.render_key("og", {"issuer": "b", "name": "a"})
    assert key != share_images.render_key("og", {"name": "a", "issuer": "c"})
    assert key != share_images.render_key("signature", {"name": "a", "issuer": "b"})
    # no two sets of inputs run together into the same text
    assert share_images.render_key("og", {"name": "ab", "issuer": ""}) != share_images.render_key(
        "og", {"name": "a", "issuer": "b"}
    )
