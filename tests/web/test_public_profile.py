"""The public profile ``/u/<profile_id>``: off by default, turned on in the account settings."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from html import unescape

from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from tests.conftest import BASE_URL
from tests.factories import AwardFactory, BadgeClassFactory, UserFactory
from tests.helpers import post_form
from tests.web.admin_helpers import log_in
from wallet.db import utcnow
from wallet.models import AwardState, User

PROFILE_URL = re.compile(r'id="profile-url" value="([^"]+)"')


def turn_profile(client: FlaskClient, value: str) -> str:
    """Use the switch on the account page; the account page it lands on."""
    response = post_form(client, "/account/profile", {"public": value}, page="/account")
    assert response.status_code == 302
    assert response.headers["Location"] == "/account#profile-heading"
    return client.get("/account").text


def profile_path(account_page: str) -> str:
    match = PROFILE_URL.search(account_page)
    assert match, "no profile address on the account page"
    url = unescape(match.group(1))
    assert url.startswith(BASE_URL + "/u/")
    return url[len(BASE_URL) :]


def test_the_profile_is_off_until_turned_on_and_404_once_off_again(
    client: FlaskClient, db_session: Session
) -> None:
    user = UserFactory()
    log_in(client, user)
    page = client.get("/account").text
    assert "公開プロフィール" in page
    assert "公開プロフィールをオンにする" in page
    assert user.profile_id is None
    assert not PROFILE_URL.search(page)

    page = turn_profile(client, "on")
    path = profile_path(page)
    profile_id = path.removeprefix("/u/")
    assert profile_id != str(user.id)
    assert len(profile_id) >= 12
    assert "公開プロフィールをオフにする" in page
    assert client.get(path).status_code == 200

    turn_profile(client, "off")
    stranger = client.application.test_client()
    assert stranger.get(path).status_code == 404
    assert client.get(path).status_code == 404  # its owner too: off is off

    page = turn_profile(client, "on")
    assert profile_path(page) == path  # the same address comes back


def test_a_switch_without_a_valid_value_changes_nothing(client: FlaskClient) -> None:
    user = UserFactory()
    log_in(client, user)
    response = post_form(client, "/account/profile", {"public": "maybe"}, page="/account")
    assert response.status_code == 400
    assert not user.is_profile_public


def _public_profile(user: User) -> str:
    user.profile_id = f"p{user.id}x{utcnow().microsecond:06d}"
    user.is_profile_public = True
    return f"/u/{user.profile_id}"


def test_a_profile_lists_only_public_accepted_badges_newest_first(client: FlaskClient) -> None:
    user = UserFactory(name="静岡 花子")
    now = utcnow()

    def award(**values: object) -> object:
        values.setdefault("state", AwardState.ISSUED)
        values.setdefault("is_public", True)
        return AwardFactory(user=user, recipient_email=user.email, **values)

    older = award(issued_on=now - timedelta(days=30))
    newer = award(issued_on=now - timedelta(days=1))
    pending = award(state=AwardState.PENDING, badge_class=BadgeClassFactory(anchored=True))
    private = award(is_public=False)
    revoked = award(revoked_at=now)
    offered = AwardFactory(recipient_email=user.email, is_public=True)
    someone_elses = AwardFactory(issued=True, user=UserFactory(), is_public=True)
    path = _public_profile(user)

    page = client.get(path, headers={"Accept-Language": "ja"}).text
    assert "静岡 花子 さんのオープンバッジ" in page
    names = [a.badge_class.name for a in (pending, newer, older)]  # type: ignore[attr-defined]
    positions = [page.index(name) for name in names]
    assert positions == sorted(positions)
    for shown in (pending, newer, older):
        assert f'href="/b/{shown.share_id}"' in page  # type: ignore[attr-defined]
    for hidden in (private, revoked, offered, someone_elses):
        assert hidden.badge_class.name not in page  # type: ignore[attr-defined]
        assert hidden.share_id not in page  # type: ignore[attr-defined]
    assert "あなたの公開プロフィールです" not in page


def test_the_owner_sees_a_note_and_their_view_is_not_stored(client: FlaskClient) -> None:
    user = UserFactory()
    AwardFactory(user=user, recipient_email=user.email, issued=True, is_public=True)
    path = _public_profile(user)
    stranger = client.get(path)
    assert stranger.headers["Cache-Control"] == "public, max-age=60"
    assert stranger.headers["ETag"].startswith('W/"')
    assert "Set-Cookie" not in stranger.headers
    assert client.get(path, headers={"If-None-Match": stranger.headers["ETag"]}).status_code == 304
    log_in(client, user)
    own = client.get(path)
    assert "あなたの公開プロフィールです" in own.text
    assert own.headers["Cache-Control"] == "private, no-store"


def test_the_profile_has_open_graph_meta(client: FlaskClient) -> None:
    user = UserFactory(name="静岡 花子")
    first = AwardFactory(
        user=user,
        recipient_email=user.email,
        issued=True,
        is_public=True,
        issued_on=datetime(2026, 4, 1, tzinfo=UTC),
    )
    path = _public_profile(user)
    page = client.get(path, headers={"Accept-Language": "en"}).text
    assert f'<meta property="og:url" content="{BASE_URL}{path}">' in page
    assert "Open Badges of 静岡 花子" in page
    assert (
        f'<meta property="og:image" content="{BASE_URL}/b/{first.share_id}/og.png?lang=en">' in page
    )
    empty = UserFactory()
    empty_page = client.get(_public_profile(empty)).text
    assert "og:image" not in empty_page
    assert "公開しているバッジはまだありません。" in empty_page


def test_unknown_profiles_are_404(client: FlaskClient) -> None:
    user = UserFactory()
    assert client.get(f"/u/{user.id}").status_code == 404
    assert client.get("/u/nope").status_code == 404
    assert client.get("/u/" + "x" * 17).status_code == 404
