from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from tests.accounts_support import log_in
from tests.factories import PASSWORD, UserFactory
from tests.helpers import post_form


def test_a_visitor_gets_japanese_first_and_english_from_the_browser(client: FlaskClient) -> None:
    assert 'lang="ja"' in client.get("/").text
    assert 'lang="en"' in client.get("/", headers={"Accept-Language": "en-US,en"}).text


def test_the_switch_is_remembered_for_the_account_on_every_device(
    app: Flask, client: FlaskClient
) -> None:
    user = UserFactory(locale="ja")
    log_in(client, user.email, PASSWORD)
    post_form(client, "/lang", {"lang": "en", "next": "/wallet"}, page="/wallet")
    assert user.locale == "en"

    other_device = app.test_client()
    log_in(other_device, user.email, PASSWORD)
    assert 'lang="en"' in other_device.get("/wallet").text


def test_an_unknown_language_changes_nothing(client: FlaskClient) -> None:
    response = post_form(client, "/lang", {"lang": "xx"}, page="/")
    assert response.status_code == 302
    assert 'lang="ja"' in client.get("/").text
