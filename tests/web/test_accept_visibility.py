"""Every way of accepting a badge asks who may see it, public pre-selected, and keeps
the answer: the wallet's button, the claim page's two buttons, and registration from
mail 1 (the badge is accepted at the first login after activation)."""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from tests.accounts_support import STRONG, activate, agree_terms, log_in, make_claim, register
from tests.factories import PASSWORD, AwardFactory, UserFactory
from tests.helpers import post_form
from wallet.models import Award, AwardState

CHOICES = {"public": True, "private": False}
CHECKED_PUBLIC = re.compile(r'<input type="radio" name="visibility" value="public" checked>')


def _choice(visibility: str | None) -> dict[str, str]:
    return {} if visibility is None else {"visibility": visibility}


def _expected(visibility: str | None) -> bool:
    return CHOICES.get(visibility or "public", True)


@pytest.mark.parametrize("visibility", [None, "public", "private"])
def test_wallet_accept_button(
    client: FlaskClient, db_session: Session, visibility: str | None
) -> None:
    user = UserFactory()
    award = AwardFactory(recipient_email=user.email)
    log_in(client, user.email, PASSWORD)
    assert CHECKED_PUBLIC.search(client.get("/wallet").text)
    assert CHECKED_PUBLIC.search(client.get(f"/wallet/badges/{award.id}").text)
    response = post_form(
        client, f"/wallet/badges/{award.id}/accept", _choice(visibility), page="/wallet"
    )
    assert response.status_code == 302
    db_session.refresh(award)
    assert award.state == AwardState.ISSUED
    assert award.is_public is _expected(visibility)


@pytest.mark.parametrize("visibility", [None, "public", "private"])
def test_claim_page_accept_button(
    client: FlaskClient, db_session: Session, visibility: str | None
) -> None:
    user = UserFactory()
    award, raw = make_claim(recipient_email=user.email)
    log_in(client, user.email, PASSWORD)
    assert CHECKED_PUBLIC.search(client.get(f"/claim/{raw}").text)
    response = post_form(client, f"/claim/{raw}/accept", _choice(visibility), page=f"/claim/{raw}")
    assert response.status_code == 302
    db_session.refresh(award)
    assert award.state == AwardState.ISSUED
    assert award.is_public is _expected(visibility)


@pytest.mark.parametrize("visibility", [None, "public", "private"])
def test_claim_page_add_the_address_and_accept(
    client: FlaskClient, db_session: Session, visibility: str | None
) -> None:
    user = UserFactory()
    award, raw = make_claim(recipient_email="second.address@example.jp")
    log_in(client, user.email, PASSWORD)
    assert CHECKED_PUBLIC.search(client.get(f"/claim/{raw}").text)
    response = post_form(
        client, f"/claim/{raw}/add-email", _choice(visibility), page=f"/claim/{raw}"
    )
    assert response.status_code == 302
    db_session.refresh(award)
    assert award.user_id == user.id
    assert award.is_public is _expected(visibility)


@pytest.mark.parametrize("visibility", [None, "public", "private"])
def test_registration_choice_is_kept_until_the_first_login(
    client: FlaskClient, db_session: Session, visibility: str | None
) -> None:
    award, raw = make_claim(recipient_email="hanako@shizuoka.ac.jp")
    agree_terms(client, raw)
    form = client.get(f"/claim/{raw}/register")
    assert CHECKED_PUBLIC.search(form.text)
    assert register(client, raw, **_choice(visibility)).status_code == 302
    activate(client, "hanako@shizuoka.ac.jp")
    assert log_in(client, "hanako@shizuoka.ac.jp", STRONG).status_code == 302
    db_session.refresh(award)
    assert award.state == AwardState.ISSUED
    assert award.is_public is _expected(visibility)


def test_a_private_choice_survives_a_refused_registration(
    client: FlaskClient, db_session: Session
) -> None:
    _award, raw = make_claim(recipient_email="taro@shizuoka.ac.jp")
    refused = register(client, raw, visibility="private", confirm="something else 2026")
    assert refused.status_code == 400
    assert '<input type="radio" name="visibility" value="private" checked>' in refused.text


@pytest.mark.parametrize("path", ["wallet", "claim"])
def test_an_unknown_choice_is_refused(client: FlaskClient, db_session: Session, path: str) -> None:
    user = UserFactory()
    award, raw = make_claim(recipient_email=user.email)
    log_in(client, user.email, PASSWORD)
    url = f"/wallet/badges/{award.id}/accept" if path == "wallet" else f"/claim/{raw}/accept"
    response = post_form(client, url, {"visibility": "everyone"}, page="/wallet")
    assert response.status_code == 400
    db_session.refresh(award)
    assert award.state == AwardState.OFFERED


def test_accepted_badges_show_their_mark_in_the_wallet(
    client: FlaskClient, db_session: Session
) -> None:
    user = UserFactory()
    public: Award = AwardFactory(issued=True, user=user, recipient_email=user.email, is_public=True)
    private: Award = AwardFactory(
        issued=True, user=user, recipient_email=user.email, is_public=False
    )
    log_in(client, user.email, PASSWORD)
    page = client.get("/wallet").text
    cards = {
        award.id: page.split(f"/wallet/badges/{award.id}")[1][:1500] for award in (public, private)
    }
    assert 'class="mark mark-public"' in cards[public.id]
    assert 'class="mark mark-private"' in cards[private.id]
