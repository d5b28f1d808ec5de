"""What every form takes from a post: text where text belongs, files where files do,
every field a browser sends, numbers in range; refusals said where they can be seen."""

from __future__ import annotations

from io import BytesIO

import pytest
from flask.testing import FlaskClient
from flask_wtf import FlaskForm
from sqlalchemy.orm import Session

from tests.factories import BadgeClassFactory
from tests.helpers import post_form
from tests.web.admin_helpers import staff_client
from wallet.forms import WalletForm


def test_every_form_reads_posts_the_wallet_way() -> None:
    pending = list(FlaskForm.__subclasses__())
    while pending:
        form = pending.pop()
        pending.extend(form.__subclasses__())
        assert issubclass(form, WalletForm), f"{form.__qualname__} should extend WalletForm"


def test_a_badge_edit_without_the_tags_field_is_refused_and_keeps_the_badge(
    client: FlaskClient, db_session: Session
) -> None:
    client, _staff, _issuer = staff_client(client)
    badge = BadgeClassFactory(tags=["data-science"])
    form = {
        "name": "データサイエンス入門",
        "name_en": "",
        "description": "所定の科目を修了しました。",
        "description_en": "",
        "criteria_text": "全科目の単位を修得すること。",
        "criteria_url": "",
        "kind": "hosted",
        "valid_days": "",
    }
    response = post_form(client, f"/admin/badges/{badge.id}/edit", form)
    assert response.status_code == 400
    assert "この項目がフォームに含まれていません" in response.text
    assert 'value="データサイエンス入門"' in response.text  # what was typed is kept
    db_session.refresh(badge)
    assert badge.tags == ["data-science"]
    assert badge.name != "データサイエンス入門"


def test_a_file_where_text_belongs_and_a_nul_are_errors_next_to_their_fields(
    client: FlaskClient,
) -> None:
    response = post_form(
        client,
        "/login",
        {"email": (BytesIO(b"x"), "x.txt"), "password": "pass\x00word"},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert "ファイルではなく文字を入力してください" in response.text
    assert "保存できない NUL 文字が含まれています" in response.text


def test_a_damaged_hidden_field_is_said_on_top_of_the_form(client: FlaskClient) -> None:
    response = post_form(
        client, "/login", {"email": "a@shizuoka.ac.jp", "password": "x", "next": "/\x00"}
    )
    assert response.status_code == 400
    assert "フォームが正しく届きませんでした" in response.text


@pytest.mark.parametrize("days", [str(2**64), "9" * 5000, "-1", "1e3", "١٢٣٤٥٦"])
def test_validity_days_out_of_range_are_refused_next_to_the_field(
    client: FlaskClient, db_session: Session, days: str
) -> None:
    client, _staff, _issuer = staff_client(client)
    badge = BadgeClassFactory(valid_days=365)
    form = {
        "name": badge.name,
        "name_en": "",
        "description": badge.description,
        "description_en": "",
        "criteria_text": badge.criteria_text,
        "criteria_url": "",
        "kind": "hosted",
        "valid_days": days,
        "tags": "",
    }
    response = post_form(client, f"/admin/badges/{badge.id}/edit", form)
    assert response.status_code == 400
    assert "1 から 36500 までの数値を入力してください" in response.text
    db_session.refresh(badge)
    assert badge.valid_days == 365
