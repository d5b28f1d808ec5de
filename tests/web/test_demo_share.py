"""``flask demo-data`` leaves a public badge, so a newcomer opens a share page at once."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import BASE_URL
from tests.helpers import post_form
from wallet.cli import DEMO_STUDENT_PASSWORD


def test_demo_data_prints_a_student_login_and_her_public_badge(
    app: Flask, client: FlaskClient
) -> None:
    output = app.test_cli_runner().invoke(args=["demo-data"]).output
    assert "hanako@demo.shizuoka.ac.jp" in output
    assert DEMO_STUDENT_PASSWORD in output
    share = re.search(rf"{re.escape(BASE_URL)}(/b/\S+)", output)
    profile = re.search(rf"{re.escape(BASE_URL)}(/u/\S+)", output)
    assert share, output
    assert profile, output

    page = client.get(share.group(1), headers={"Accept-Language": "ja"})
    assert page.status_code == 200
    assert "有効なバッジです" in page.text
    assert "静岡 花子" in page.text
    assert share.group(1) in client.get(profile.group(1)).text

    again = app.test_cli_runner().invoke(args=["demo-data"]).output
    assert share.group(0) in again  # the same badge, not a second one

    login = post_form(
        client,
        "/login",
        {"email": "hanako@demo.shizuoka.ac.jp", "password": DEMO_STUDENT_PASSWORD},
    )
    assert login.status_code == 302
    # her addresses are all the demo university's: the wallet asks for a personal one
    assert "卒業後もバッジを持ち続けるために" in client.get("/wallet").text
