"""A text others will read that hides something is refused next to its field.

Bidi overrides, control characters and names made of nothing visible: every form
that takes such a text answers 400, says why next to the field, keeps what was
typed and saves nothing. A completers list shows them as row problems.
"""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.accounts_support import make_claim, register
from tests.factories import AwardFactory, BadgeClassFactory, UserFactory, png_bytes
from tests.helpers import post_form
from tests.web.admin_helpers import first_department, log_in, staff_client, upload
from wallet.models import Award, BadgeClass, Issuer, User

BIDI = "データ\u202eサイエンス"
BIDI_MESSAGE = "目に見えない制御文字（U+202E）"
INVISIBLE = "\u3164\u200d"
INVISIBLE_MESSAGE = "表示される文字を入力してください"

ISSUER = {
    "name": "静岡大学",
    "name_en": "Shizuoka University",
    "url": "https://www.shizuoka.ac.jp/",
    "email": "openbadge@shizuoka.ac.jp",
    "description": "静岡県の国立大学です。",
    "linkedin_organization_id": "",
    "mail_domains": "",
}
BADGE = {
    "name": "データサイエンス特別教育プログラム",
    "name_en": "Data Science Programme",
    "description": "所定の科目を修了しました。",
    "description_en": "Completed the programme.",
    "criteria_text": "全科目の単位を修得すること。",
    "criteria_url": "https://www.shizuoka.ac.jp/ds/",
    "kind": "hosted",
    "valid_days": "",
    "tags": "データサイエンス, AI",
}


def _count(session: Session, model: type) -> int:
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


def _refused(response_text: str, status: int, value: str, message: str) -> None:
    assert status == 400
    assert message in response_text
    assert value in response_text  # what was typed is still in the form


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", BIDI, BIDI_MESSAGE),
        ("name", INVISIBLE, INVISIBLE_MESSAGE),
        ("name_en", "Shizuoka\u2066 University", "U+2066"),
        ("url", "https://www.shizuoka.ac.jp/\u202e", BIDI_MESSAGE),
        ("description", f"一行目\r\n{BIDI}", BIDI_MESSAGE),
    ],
)
def test_the_issuer_profile_refuses_hidden_characters(
    client: FlaskClient, db_session: Session, field: str, value: str, message: str
) -> None:
    log_in(client, UserFactory(staff=True))
    response = post_form(client, "/admin/issuer", {**ISSUER, field: value})
    _refused(response.text, response.status_code, value, message)
    assert _count(db_session, Issuer) == 0


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", BIDI, BIDI_MESSAGE),
        ("name", "\u2800", INVISIBLE_MESSAGE),
        ("name_en", "Data\x07Science", "U+0007"),
        ("description", BIDI, BIDI_MESSAGE),
        ("description_en", "\u200b", "U+200B"),
        ("criteria_text", f"科目A\r\n{BIDI}", BIDI_MESSAGE),
        ("criteria_url", "https://www.shizuoka.ac.jp/\u2067x", "U+2067"),
        ("tags", f"AI, {BIDI}", BIDI_MESSAGE),
        ("tags", f"AI, {INVISIBLE}", INVISIBLE_MESSAGE),
    ],
)
def test_badge_texts_refuse_hidden_characters(
    client: FlaskClient, db_session: Session, field: str, value: str, message: str
) -> None:
    client, _staff, _issuer = staff_client(client)
    response = post_form(
        client,
        "/admin/badges/new",
        {
            **BADGE,
            "department_id": first_department().id,
            field: value,
            "image": upload("badge.png", png_bytes(200)),
        },
        content_type="multipart/form-data",
    )
    _refused(response.text, response.status_code, value, message)
    assert _count(db_session, BadgeClass) == 0


def test_badge_texts_are_kept_as_typed_apart_from_nfc_and_line_ends(
    client: FlaskClient, db_session: Session
) -> None:
    client, _staff, _issuer = staff_client(client)
    response = post_form(
        client,
        "/admin/badges/new",
        {
            **BADGE,
            "department_id": first_department().id,
            "name": "データ　サイエンス Ⅱ",
            "description": "一行目\r\n二行目 🧑\u200d💻",
            "tags": "Jose\u0301",
            "image": upload("badge.png", png_bytes(200)),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    badge = db_session.scalars(select(BadgeClass)).one()
    assert badge.name == "データ　サイエンス Ⅱ"
    assert badge.description == "一行目\n二行目 🧑\u200d💻"
    assert badge.tags == ["José"]


def test_an_edited_badge_refuses_hidden_characters_and_keeps_its_texts(
    client: FlaskClient, db_session: Session
) -> None:
    client, _staff, _issuer = staff_client(client)
    badge = BadgeClassFactory(name="データサイエンス入門")
    response = post_form(
        client,
        f"/admin/badges/{badge.id}/edit",
        {**BADGE, "department_id": badge.department_id, "name": BIDI},
    )
    _refused(response.text, response.status_code, BIDI, BIDI_MESSAGE)
    db_session.refresh(badge)
    assert badge.name == "データサイエンス入門"


def test_a_revocation_reason_refuses_hidden_characters(
    client: FlaskClient, db_session: Session
) -> None:
    client, _staff, _issuer = staff_client(client)
    award = AwardFactory(issued=True)
    reason = f"成績評価の誤り\r\n{BIDI}"
    response = post_form(client, f"/admin/awards/{award.id}/revoke", {"reason": reason})
    _refused(response.text, response.status_code, BIDI, BIDI_MESSAGE)
    db_session.refresh(award)
    assert award.revoked_at is None


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("\u202e子花 岡静", BIDI_MESSAGE),
        (INVISIBLE, INVISIBLE_MESSAGE),
        ("静岡\x00花子", "NUL 文字"),  # PostgreSQL cannot store it: refused before
    ],
)
def test_registration_refuses_a_name_with_hidden_characters(
    client: FlaskClient, db_session: Session, name: str, message: str
) -> None:
    _award, raw = make_claim(recipient_email="hanako@shizuoka.ac.jp")
    response = register(client, raw, name=name)
    assert response.status_code == 400
    assert message in response.text
    assert 'value="' + name.replace("\x00", "") in response.text.replace("\x00", "")
    assert _count(db_session, User) == 0


def test_a_name_change_refuses_hidden_characters_and_keeps_the_old_name(
    client: FlaskClient, db_session: Session
) -> None:
    user = UserFactory(name="静岡 花子")
    log_in(client, user)
    response = post_form(client, "/account/name", {"name": BIDI}, page="/account")
    _refused(response.text, response.status_code, BIDI, BIDI_MESSAGE)
    db_session.refresh(user)
    assert user.name == "静岡 花子"


def test_a_full_width_space_in_a_name_still_works(client: FlaskClient, db_session: Session) -> None:
    user = UserFactory()
    log_in(client, user)
    response = post_form(client, "/account/name", {"name": "静岡　花子"}, page="/account")
    assert response.status_code == 302
    db_session.refresh(user)
    assert user.name == "静岡 花子"


def test_a_completers_list_shows_hidden_characters_as_row_problems(
    client: FlaskClient, db_session: Session
) -> None:
    client, _staff, _issuer = staff_client(client)
    badge = BadgeClassFactory()
    data = (
        "氏名,メールアドレス\n"
        "静岡 花子,hanako@example.ac.jp\n"
        f"{BIDI},rtl@example.ac.jp\n"
        "\u3164,blank@example.ac.jp\n"
    ).encode()
    response = post_form(
        client,
        f"/admin/badges/{badge.id}/upload",
        {"file": upload("evil\u202evsc.csv", data)},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200
    page = response.text
    assert "氏名に目に見えない制御文字が含まれています" in page
    assert "データ[U+202E]サイエンス" in page  # shown where it is, not acted on
    assert "\u202e" not in page
    assert "氏名に表示される文字がありません" in page
    assert "evil[U+202E]vsc.csv" in page
    assert "授与予定 1 件" in page
    assert _count(db_session, Award) == 0
