"""The programme office: who may enter, CSRF, issuer profile and badge classes."""

from __future__ import annotations

import io

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from tests.factories import (
    AwardFactory,
    BadgeClassFactory,
    IssuerFactory,
    UserFactory,
    png_bytes,
)
from tests.helpers import csrf_token, post_form
from tests.svg_support import CORPUS, corpus
from tests.web.admin_helpers import first_department, log_in, staff_client, upload
from wallet.models import BadgeClass, Blob, Issuer
from wallet.services.svg import sanitise_svg

INKSCAPE_BADGE = CORPUS / "benign" / "inkscape-gradient-badge.svg"

GET_PAGES = [
    "/admin/",
    "/admin/issuer",
    "/admin/badges/new",
    "/admin/badges/{badge}",
    "/admin/badges/{badge}/edit",
    "/admin/badges/{badge}/upload",
    "/admin/awards/{award}/revoke",
    "/admin/awards",
    "/admin/awards.csv",
    "/admin/dashboard",
    "/admin/audit",
    "/admin/audit.csv",
    "/admin/staff",
    "/admin/staff/new",
    "/admin/staff/{staff}",
    "/admin/departments",
    "/admin/departments/new",
    "/admin/departments/{department}/edit",
]
POST_PAGES = [
    "/admin/issuer",
    "/admin/badges/new",
    "/admin/badges/{badge}/edit",
    "/admin/badges/{badge}/upload",
    "/admin/badges/{badge}/confirm",
    "/admin/awards/{award}/resend",
    "/admin/awards/{award}/revoke",
    "/admin/staff/new",
    "/admin/staff/{staff}",
    "/admin/staff/{staff}/deactivate",
    "/admin/staff/{staff}/reactivate",
    "/admin/departments/new",
    "/admin/departments/{department}/edit",
]


def _urls(urls: list[str]) -> list[str]:
    award = AwardFactory()
    department = award.badge_class.department
    staff = UserFactory(department_staff=True, departments=[department])
    return [
        u.format(
            badge=award.badge_class_id, award=award.id, staff=staff.id, department=department.id
        )
        for u in urls
    ]


def test_anonymous_visitors_are_sent_to_the_login_page(client: FlaskClient) -> None:
    for url in _urls(GET_PAGES):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.headers["Location"].startswith("/login"), url


def test_students_are_refused(client: FlaskClient) -> None:
    log_in(client, UserFactory())
    token = csrf_token(client, "/")
    for url in _urls(GET_PAGES):
        assert client.get(url).status_code == 403, url
    for url in _urls(POST_PAGES):
        response = client.post(url, data={"csrf_token": token})
        assert response.status_code == 403, (url, response.get_data(as_text=True)[-800:])


def test_every_post_needs_the_csrf_token(client: FlaskClient) -> None:
    client, _staff, _issuer = staff_client(client)
    for url in _urls(POST_PAGES):
        response = client.post(url, data={"name": "x", "reason": "x"})
        assert response.status_code == 400, url


def test_staff_see_the_programme_office(client: FlaskClient) -> None:
    client, _staff, _issuer = staff_client(client)
    badge = BadgeClassFactory(name="データサイエンス入門")
    page = client.get("/admin/").get_data(as_text=True)
    assert "静岡大学" in page
    assert "データサイエンス入門" in page
    assert f"/admin/badges/{badge.id}" in page


def test_issuer_profile_is_created_and_saved(client: FlaskClient, db_session: Session) -> None:
    log_in(client, UserFactory(staff=True))
    page = client.get("/admin/").get_data(as_text=True)
    assert "/admin/issuer" in page
    response = post_form(
        client,
        "/admin/issuer",
        {
            "name": "静岡大学",
            "name_en": "Shizuoka University",
            "url": "https://www.shizuoka.ac.jp/",
            "email": "openbadge@shizuoka.ac.jp",
            "description": "国立大学法人",
            "linkedin_organization_id": "",
            "mail_domains": "",
            "logo": upload("logo.png", png_bytes(128)),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    issuer = db_session.scalars(select(Issuer)).one()
    assert issuer.name_en == "Shizuoka University"
    assert issuer.image_sha256 is not None
    assert client.get(f"/ob/images/{issuer.image_sha256}").mimetype == "image/png"


def test_issuer_profile_keeps_input_on_error(client: FlaskClient, db_session: Session) -> None:
    log_in(client, UserFactory(staff=True))
    response = post_form(
        client,
        "/admin/issuer",
        {"name": "静岡大学", "url": "not a url", "email": "nobody"},
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'value="静岡大学"' in page
    assert "有効なメールアドレス" in page or "メールアドレスを入力" in page
    assert db_session.scalar(select(func.count()).select_from(Issuer)) == 0


def _issuer_form(logo: bytes) -> dict[str, object]:
    return {
        "name": "静岡大学",
        "name_en": "Shizuoka University",
        "url": "https://www.shizuoka.ac.jp/",
        "email": "openbadge@shizuoka.ac.jp",
        "description": "",
        "linkedin_organization_id": "",
        "mail_domains": "",
        "logo": upload("logo.svg", logo),
    }


def _badge_form(**changes: object) -> dict[str, object]:
    form: dict[str, object] = {
        "name": "データサイエンス特別教育プログラム",
        "name_en": "Data Science Programme",
        "description": "所定の科目を修了しました。",
        "description_en": "",
        "criteria_text": "全科目の単位を修得すること。",
        "criteria_url": "",
        "kind": "anchored",
        "valid_days": "365",
        "tags": "データサイエンス、AI, statistics",
        "image": upload("badge.png", png_bytes(200)),
    }
    if "department_id" not in changes:
        form["department_id"] = str(first_department().id)
    form.update(changes)
    return form


def test_staff_create_a_badge_class(client: FlaskClient, db_session: Session) -> None:
    client, _staff, _issuer = staff_client(client)
    response = post_form(
        client, "/admin/badges/new", _badge_form(), content_type="multipart/form-data"
    )
    assert response.status_code == 302
    badge = db_session.scalars(select(BadgeClass)).one()
    assert badge.is_anchored
    assert badge.valid_days == 365
    assert badge.tags == ["データサイエンス", "AI", "statistics"]
    assert len(badge.public_id) >= 16
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "データサイエンス特別教育プログラム" in page
    assert f"/ob/images/{badge.image_sha256}" in page


def test_a_badge_class_needs_a_department(client: FlaskClient, db_session: Session) -> None:
    log_in(client, UserFactory(staff=True))
    IssuerFactory()
    response = post_form(
        client,
        "/admin/badges/new",
        _badge_form(department_id="1"),
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "学部・研究科等を作成してください" in page
    assert "/admin/departments/new" in page
    assert db_session.scalar(select(func.count()).select_from(BadgeClass)) == 0


SVG_HEAD = '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">'
BAD_IMAGES = [
    ("script.svg", SVG_HEAD + "<script>alert(1)</script></svg>", "スクリプト"),
    ("onload.svg", SVG_HEAD.replace(">", ' onload="alert(1)">', 1) + "</svg>", "イベント"),
    (
        "foreign.svg",
        SVG_HEAD + "<foreignObject><p>x</p></foreignObject></svg>",
        "foreignObject",
    ),
    (
        "external.svg",
        SVG_HEAD + '<image href="https://evil.example/x.png" width="1" height="1"/></svg>',
        "外部",
    ),
    (
        "xlink.svg",
        SVG_HEAD + '<a xlink:href="javascript:alert(1)"><rect width="9" height="9"/></a></svg>',
        "スクリプト",
    ),
    (
        "entity.svg",
        '<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY x "boom">]>' + SVG_HEAD + "&x;</svg>",
        "エンティティ",
    ),
    (
        "escaped-url.svg",
        SVG_HEAD + '<rect width="9" height="9" style="fill:u\\72l(https://evil.example/p)"/></svg>',
        "外部",
    ),
    (
        "presentation.svg",
        SVG_HEAD + '<rect width="9" height="9" fill="url(https://evil.example/p.svg#g)"/></svg>',
        "外部",
    ),
    (
        "animate.svg",
        SVG_HEAD + '<rect width="9" height="9"><animate attributeName="x" to="1"/></rect></svg>',
        "animate",
    ),
    ("media.svg", SVG_HEAD + "<style>@media print { rect { fill: red } }</style></svg>", "@media"),
    ("photo.png", "GIF89a not really", "PNG または SVG"),
    ("broken.png", "\x89PNG\r\n\x1a\nnot a png at all", "破損"),
]


@pytest.mark.parametrize(("filename", "content", "reason"), BAD_IMAGES)
def test_bad_images_are_refused_with_the_reason(
    client: FlaskClient, db_session: Session, filename: str, content: str, reason: str
) -> None:
    client, _staff, _issuer = staff_client(client)
    data = content.encode("latin-1") if content.startswith("\x89") else content.encode()
    response = post_form(
        client,
        "/admin/badges/new",
        _badge_form(image=upload(filename, data)),
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert reason in page
    assert 'value="データサイエンス特別教育プログラム"' in page  # the input is kept
    assert db_session.scalar(select(func.count()).select_from(BadgeClass)) == 0
    assert db_session.scalar(select(func.count()).select_from(Blob)) == 0


def test_a_clean_svg_is_accepted(client: FlaskClient, db_session: Session) -> None:
    client, _staff, _issuer = staff_client(client)
    svg = (
        SVG_HEAD + '<defs><linearGradient id="g"><stop offset="0"/></linearGradient></defs>'
        '<circle cx="50" cy="50" r="40" fill="url(#g)"/><use href="#g"/></svg>'
    )
    response = post_form(
        client,
        "/admin/badges/new",
        _badge_form(image=upload("badge.svg", svg.encode())),
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    badge = db_session.scalars(select(BadgeClass)).one()
    assert client.get(f"/ob/images/{badge.image_sha256}").mimetype == "image/svg+xml"


def test_an_svg_badge_image_is_stored_sanitised(client: FlaskClient, db_session: Session) -> None:
    client, _staff, _issuer = staff_client(client)
    original = INKSCAPE_BADGE.read_bytes()
    response = post_form(
        client,
        "/admin/badges/new",
        _badge_form(image=upload("badge.svg", original)),
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    badge = db_session.scalars(select(BadgeClass)).one()
    served = client.get(f"/ob/images/{badge.image_sha256}").data
    assert served == sanitise_svg(original)
    assert b"inkscape" not in served
    assert b"<circle" in served


def test_a_new_svg_image_on_edit_is_stored_sanitised(
    client: FlaskClient, db_session: Session
) -> None:
    client, _staff, _issuer = staff_client(client)
    badge = BadgeClassFactory()
    original = INKSCAPE_BADGE.read_bytes()
    response = post_form(
        client,
        f"/admin/badges/{badge.id}/edit",
        _badge_form(
            kind=badge.kind,
            department_id=badge.department_id,
            image=upload("badge.svg", original),
        ),
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    db_session.refresh(badge)
    assert client.get(f"/ob/images/{badge.image_sha256}").data == sanitise_svg(original)


def test_an_svg_logo_is_stored_sanitised(client: FlaskClient, db_session: Session) -> None:
    log_in(client, UserFactory(staff=True))
    original = INKSCAPE_BADGE.read_bytes()
    response = post_form(
        client, "/admin/issuer", _issuer_form(logo=original), content_type="multipart/form-data"
    )
    assert response.status_code == 302
    issuer = db_session.scalars(select(Issuer)).one()
    served = client.get(f"/ob/images/{issuer.image_sha256}")
    assert served.mimetype == "image/svg+xml"
    assert served.data == sanitise_svg(original)


def test_a_refused_svg_logo_keeps_the_profile_input(
    client: FlaskClient, db_session: Session
) -> None:
    log_in(client, UserFactory(staff=True))
    logo = (SVG_HEAD + '<foreignObject width="9" height="9"/></svg>').encode()
    response = post_form(
        client, "/admin/issuer", _issuer_form(logo=logo), content_type="multipart/form-data"
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "foreignObject" in page
    assert 'value="Shizuoka University"' in page
    assert db_session.scalar(select(func.count()).select_from(Issuer)) == 0


def test_hostile_svg_uploads_get_an_answer_not_an_error(
    client: FlaskClient, db_session: Session
) -> None:
    client, _staff, _issuer = staff_client(client)
    for path in corpus("hostile"):
        response = post_form(
            client,
            "/admin/badges/new",
            _badge_form(image=upload(path.name, path.read_bytes())),
            content_type="multipart/form-data",
        )
        assert response.status_code in (302, 400), path.name
        if response.status_code == 400:
            page = response.get_data(as_text=True)
            assert 'value="データサイエンス特別教育プログラム"' in page, path.name


def test_an_oversized_image_is_refused(client: FlaskClient, db_session: Session) -> None:
    client, _staff, _issuer = staff_client(client)
    big = png_bytes(64) + b"\0" * (600 * 1024)
    image = FileStorage(io.BytesIO(big), filename="big.png", content_type="image/png")
    fields = {**_badge_form(image=image), "csrf_token": csrf_token(client, "/")}
    # a ready-made body: the test client would otherwise spool it to a file it never closes
    boundary, body = encode_multipart(fields)
    response = client.post(
        "/admin/badges/new",
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )
    assert response.status_code == 400
    assert "512 KB" in response.get_data(as_text=True)


def test_a_badge_class_is_edited_and_keeps_its_image(
    client: FlaskClient, db_session: Session
) -> None:
    client, _staff, _issuer = staff_client(client)
    badge = BadgeClassFactory(tags=["a", "b"])
    image = badge.image_sha256
    form = client.get(f"/admin/badges/{badge.id}/edit").get_data(as_text=True)
    assert 'value="a, b"' in form
    response = post_form(
        client,
        f"/admin/badges/{badge.id}/edit",
        _badge_form(
            name="新しい名前",
            kind="hosted",
            department_id=badge.department_id,
            image=upload("", b""),
        ),
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    db_session.refresh(badge)
    assert badge.name == "新しい名前"
    assert badge.image_sha256 == image


def test_the_kind_is_fixed_once_awarded(client: FlaskClient, db_session: Session) -> None:
    client, _staff, _issuer = staff_client(client)
    award = AwardFactory()
    response = post_form(
        client,
        f"/admin/badges/{award.badge_class_id}/edit",
        _badge_form(
            kind="anchored",
            department_id=award.badge_class.department_id,
            image=upload("", b""),
        ),
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert not award.badge_class.is_anchored


def test_unknown_badge_is_a_404(client: FlaskClient) -> None:
    client, _staff, _issuer = staff_client(client)
    assert client.get("/admin/badges/999999").status_code == 404
    assert client.get("/admin/awards/999999/revoke").status_code == 404
