"""Badge texts, issuer and recipient names are data: shown as typed, never run or evaluated.

Every value carries a script tag, an attribute break-out and a template expression.
Each page that shows a value must show it literally (so the reader sees what was
typed) while the page holds no script, no event handler and no injected image,
and ``{{7*7}}`` stays ``{{7*7}}``.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.accounts_support import log_in, make_claim
from tests.factories import PASSWORD, AwardFactory, BadgeClassFactory, IssuerFactory, UserFactory
from tests.helpers import csrf_token, post_form
from wallet.mail import Envelope, FolderTransport, render_message
from wallet.mail.folder import message_part
from wallet.models import AwardState, OutboxMail

SCRIPT = "<script>alert(1)</script>"
BREAK_OUT = '"><img src=x onerror=alert(1)>'
TEMPLATE = "{{7*7}}"
HOSTILE = f"{SCRIPT} {BREAK_OUT} {TEMPLATE}"


def hostile(label: str) -> str:
    return f"{label}{HOSTILE}"


@dataclass
class Page:
    tags: list[tuple[str, dict[str, str | None]]] = field(default_factory=list)
    shown: list[str] = field(default_factory=list)  # text and form values, unescaped


class _Reader(HTMLParser):
    def __init__(self, page: Page) -> None:
        super().__init__(convert_charrefs=True)
        self.page = page

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        self.page.tags.append((tag, attributes))
        for name in ("value", "content", "alt", "title"):
            if attributes.get(name):
                self.page.shown.append(attributes[name] or "")

    def handle_data(self, data: str) -> None:
        self.page.shown.append(data)


def assert_inert(html: str, *values: str, where: str = "") -> None:
    """``values`` are shown literally; nothing in the page came from them as markup."""
    page = Page()
    _Reader(page).feed(html)
    injected = [
        (tag, attrs)
        for tag, attrs in page.tags
        if (tag == "script" and not attrs.get("src"))
        or any(name.startswith("on") for name in attrs)
        or (tag == "img" and attrs.get("src") == "x")
    ]
    assert not injected, f"{where}: markup from data: {injected}"
    shown = "\n".join(page.shown)
    missing = [value for value in values if value not in shown]
    assert not missing, f"{where}: not shown literally: {missing}"


@dataclass
class Hostile:
    student_email: str
    staff_email: str
    badge_id: int
    issued_id: int
    revoked_id: int
    claim: str


@pytest.fixture
def world(db_session: Session) -> Hostile:
    issuer = IssuerFactory(name=hostile("大学"), name_en=hostile("University "))
    badge = BadgeClassFactory(
        issuer=issuer,
        name=hostile("名前"),
        name_en=hostile("Name "),
        description=hostile("説明"),
        description_en=hostile("Description "),
        criteria_text=hostile("基準"),
        tags=[hostile("tag")],
    )
    other = BadgeClassFactory(issuer=issuer, name=hostile("別名"))
    student = UserFactory(name=hostile("氏名"))
    staff = UserFactory(staff=True)
    now = datetime.now(UTC)
    mine = {"recipient_email": student.email, "user_id": student.id, "accepted_at": now}
    issued = AwardFactory(
        badge_class=badge,
        recipient_name=hostile("受領者"),
        state=AwardState.ISSUED,
        issued_at=now,
        **mine,
    )
    revoked = AwardFactory(
        badge_class=other,
        recipient_name=hostile("受領者"),
        state=AwardState.ISSUED,
        issued_at=now,
        revoked_at=now,
        revocation_reason=hostile("理由"),
        **mine,
    )
    _offer, raw = make_claim(badge_class=badge, recipient_name=hostile("受領予定者"))
    return Hostile(student.email, staff.email, badge.id, issued.id, revoked.id, raw)


def _get(client: FlaskClient, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    return response.get_data(as_text=True)


def test_student_pages_show_badge_texts_literally(client: FlaskClient, world: Hostile) -> None:
    raw = world.claim
    for lang in ("ja", "en"):
        client.set_cookie("wallet_lang", lang)
        claim = _get(client, f"/claim/{raw}")
        badge_name, issuer = (
            (hostile("名前"), hostile("大学"))
            if lang == "ja"
            else (hostile("Name "), hostile("University "))
        )
        assert_inert(claim, badge_name, issuer, where=f"claim page {lang}")
        assert_inert(_get(client, f"/claim/{raw}/terms"), where="terms")

    client.set_cookie("wallet_lang", "ja")
    assert log_in(client, world.student_email, PASSWORD).status_code == 302
    wallet = _get(client, "/wallet")
    assert_inert(
        wallet, hostile("名前"), hostile("別名"), hostile("大学"), hostile("氏名"), where="wallet"
    )
    detail = _get(client, f"/wallet/badges/{world.issued_id}")
    assert_inert(
        detail,
        hostile("名前"),
        hostile("大学"),
        hostile("受領者"),
        hostile("説明"),
        hostile("基準"),
        where="badge detail",
    )
    revoked = _get(client, f"/wallet/badges/{world.revoked_id}")
    assert_inert(revoked, hostile("別名"), hostile("理由"), where="revoked badge")
    assert_inert(_get(client, "/account"), hostile("氏名"), where="account")


def test_programme_office_pages_show_badge_texts_literally(
    client: FlaskClient, world: Hostile
) -> None:
    assert log_in(client, world.staff_email, PASSWORD).status_code == 302
    badge = world.badge_id
    assert_inert(_get(client, "/admin/"), hostile("名前"), hostile("大学"), where="office")
    assert_inert(
        _get(client, f"/admin/badges/{badge}"),
        hostile("名前"),
        hostile("Name "),
        hostile("説明"),
        hostile("Description "),
        hostile("基準"),
        hostile("tag"),
        hostile("受領者"),
        where="badge page",
    )
    assert_inert(
        _get(client, f"/admin/badges/{badge}/edit"),
        hostile("名前"),
        hostile("Name "),
        hostile("説明"),
        hostile("基準"),
        where="edit form",
    )
    assert_inert(_get(client, "/admin/issuer"), hostile("大学"), where="issuer form")
    assert_inert(_get(client, f"/admin/badges/{badge}/upload"), hostile("名前"), where="upload")
    assert_inert(
        _get(client, f"/admin/awards/{world.issued_id}/revoke"),
        hostile("受領者"),
        hostile("名前"),
        where="revoke form",
    )
    assert_inert(
        _get(client, f"/admin/awards/{world.revoked_id}/revoke"),
        hostile("理由"),
        where="revoked award",
    )


def _csv(name: str) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["氏名", "メールアドレス"])
    writer.writerow([name, "jiro@shizuoka.ac.jp"])
    writer.writerow([name, "not-an-address" + HOSTILE])
    return buffer.getvalue().encode()


def test_an_uploaded_list_is_previewed_issued_and_mailed_literally(
    app: Flask, client: FlaskClient, world: Hostile, db_session: Session
) -> None:
    assert log_in(client, world.staff_email, PASSWORD).status_code == 302
    url = f"/admin/badges/{world.badge_id}/upload"
    filename = 'list"><img src=x onerror=alert(1)>.csv'
    preview = client.post(
        url,
        data={
            "file": (io.BytesIO(_csv(hostile("花子"))), filename),
            "csrf_token": csrf_token(client, url),
        },
        content_type="multipart/form-data",
    )
    assert preview.status_code == 200
    assert_inert(preview.text, hostile("花子"), hostile("名前"), where="preview")
    sealed = re.search(r'name="sealed"[^>]*value="([^"]+)"', preview.text)
    assert sealed, preview.text
    confirm = client.post(
        f"/admin/badges/{world.badge_id}/confirm",
        data={"sealed": sealed.group(1), "csrf_token": csrf_token(client, url)},
        follow_redirects=True,
    )
    assert confirm.status_code == 200
    assert_inert(confirm.text, hostile("花子"), where="badge page after issuing")

    mail = db_session.scalar(select(OutboxMail).where(OutboxMail.to_email == "jiro@shizuoka.ac.jp"))
    assert mail is not None
    message = render_message(
        Envelope(mail.id, mail.template, mail.to_email, mail.locale, mail.context, mail.created_at),
        app.config["WALLET_SETTINGS"],
    )
    assert_inert(message_part(message, "html"), hostile("花子"), hostile("名前"), where="mail 1")
    text = message_part(message, "plain")
    assert hostile("花子") in text  # plain text: shown as typed, and {{7*7}} not evaluated
    assert "49" not in message["Subject"]


MAILS: dict[str, dict[str, object]] = {
    "account_deleted": {"recipient_name": hostile("氏名"), "badge_count": 2},
    "award_notice": {
        "recipient_name": hostile("氏名"),
        "badge_name": hostile("名前"),
        "badge_name_en": hostile("Name "),
        "issuer_name": hostile("大学"),
        "issuer_name_en": hostile("University "),
        "claim_url": "http://wallet.test/claim/abc",
        "claim_expires_on": "2026-07-01",
    },
    "claim_reminder": {
        "recipient_name": hostile("氏名"),
        "badge_name": hostile("名前"),
        "badge_name_en": hostile("Name "),
        "issuer_name": hostile("大学"),
        "issuer_name_en": hostile("University "),
        "claim_url": "http://wallet.test/claim/abc",
        "claim_expires_on": "2026-07-01",
        "awarded_on": "2026-04-01",
    },
    "badge_issued": {
        "recipient_name": hostile("氏名"),
        "badge_name": hostile("名前"),
        "badge_name_en": hostile("Name "),
        "issuer_name": hostile("大学"),
        "issuer_name_en": hostile("University "),
        "badge_url": "http://wallet.test/wallet/badges/1",
    },
    "activation": {"recipient_name": hostile("氏名"), "activate_url": "http://wallet.test/a"},
    "password_reset": {"recipient_name": hostile("氏名"), "reset_url": "http://wallet.test/r"},
    "add_email": {"recipient_name": hostile("氏名"), "verify_url": "http://wallet.test/v"},
    "address_added": {
        "recipient_name": hostile("氏名"),
        "account_name": hostile("氏名"),
        "badge_name": hostile("名前"),
        "badge_name_en": hostile("Name "),
        "issuer_name": hostile("大学"),
        "issuer_name_en": hostile("University "),
        "added_at": "2026-07-01T06:04:00+00:00",
        "undo_url": "http://wallet.test/claim/undo/u",
        "days": 30,
    },
    "address_removed": {
        "recipient_name": hostile("氏名"),
        "address": "hanako@example.jp",
        "badges": [{"badge_name": hostile("名前"), "badge_name_en": hostile("Name ")}],
        "account_url": "http://wallet.test/account",
    },
    "login_throttled": {
        "recipient_name": hostile("氏名"),
        "attempts": 5,
        "attempted_at": "2026-04-01T09:05:00+00:00",
        "client_address": "203.0.113.7",
        "reset_url": "http://wallet.test/password/reset",
    },
    "staff_invitation": {
        "recipient_name": hostile("氏名"),
        "email": "kogaku@shizuoka.ac.jp",
        "inviter_name": hostile("氏名"),
        "issuer_name": hostile("大学"),
        "issuer_name_en": hostile("University "),
        "role": "department",
        "departments": [{"name": hostile("名前"), "name_en": hostile("Name ")}],
        "set_password_url": "http://wallet.test/password/reset/t",
        "office_url": "http://wallet.test/admin/",
        "days": 7,
    },
}
EXPECTED = {
    "ja": [hostile("氏名"), hostile("名前"), hostile("大学")],
    "en": [hostile("氏名"), hostile("Name "), hostile("University ")],
}


@pytest.mark.parametrize("lang", ["ja", "en"])
@pytest.mark.parametrize("template", sorted(MAILS))
def test_mails_show_names_literally(app: Flask, template: str, lang: str) -> None:
    context = {"hours": 24, "minutes": 60, **MAILS[template]}
    with app.app_context():
        message = render_message(
            Envelope(1, template, "hanako@shizuoka.ac.jp", lang, context, datetime.now(UTC)),
            app.config["WALLET_SETTINGS"],
        )
    expected = [v for v in EXPECTED[lang] if v in {str(x) for x in context.values()}]
    assert_inert(message_part(message, "html"), *expected, where=f"{template} {lang} html")
    text = message_part(message, "plain")
    for value in expected:
        assert value in text, (template, lang, value)
    assert HOSTILE not in message["Subject"]


def test_the_dev_outbox_shows_a_mail_literally(app: Flask, client: FlaskClient) -> None:
    folder: Path = app.config["WALLET_SETTINGS"].outbox_dir
    with app.app_context():
        message = render_message(
            Envelope(
                9,
                "award_notice",
                "hanako@shizuoka.ac.jp",
                "ja",
                MAILS["award_notice"],
                datetime.now(UTC),
            ),
            app.config["WALLET_SETTINGS"],
        )
    before = set(folder.iterdir()) if folder.exists() else set()
    FolderTransport(folder).send(message)
    (path,) = set(folder.iterdir()) - before
    try:
        page = _get(client, f"/dev/outbox/{path.name}")
        assert_inert(page, hostile("氏名"), hostile("名前"), where="dev outbox")
    finally:
        path.unlink()


def test_an_added_address_notice_and_its_undo_page_show_the_account_name_literally(
    app: Flask, client: FlaskClient, db_session: Session, world: Hostile
) -> None:
    """The account's name is whatever its holder typed; the mailbox owner reads it."""
    assert log_in(client, world.student_email, PASSWORD).status_code == 302
    _award, raw = make_claim(recipient_email="owner@example.jp")
    added = post_form(client, f"/claim/{raw}/add-email", {}, page=f"/claim/{raw}")
    assert added.status_code == 302
    mail = db_session.scalar(select(OutboxMail).where(OutboxMail.template == "address_added"))
    assert mail is not None
    message = render_message(
        Envelope(mail.id, mail.template, mail.to_email, mail.locale, mail.context, mail.created_at),
        app.config["WALLET_SETTINGS"],
    )
    assert_inert(message_part(message, "html"), hostile("氏名"), where="address_added mail")
    assert hostile("氏名") in message_part(message, "plain")
    undo = str(mail.context["undo_url"]).removeprefix("http://wallet.test")
    assert_inert(_get(client, undo), hostile("氏名"), where="undo page")


def test_an_imported_badge_shows_its_issuers_texts_literally(
    app: Flask, client: FlaskClient, db_session: Session
) -> None:
    """Another issuer's texts are the least trusted of all: wallet, badge page, share
    page, preview meta and profile show them as typed."""
    from tests.factories import ImportedBadgeFactory
    from wallet.services.sharing import set_profile_public

    student = UserFactory(name=hostile("氏名"))
    imported = ImportedBadgeFactory(
        user=student,
        is_public=True,
        badge_name=hostile("外部バッジ"),
        issuer_name=hostile("外部発行者"),
        description=hostile("外部説明"),
        criteria_text=hostile("外部基準"),
        status="revoked",
        revocation_reason=hostile("外部理由"),
    )
    set_profile_public(db_session, student, True)
    texts = (hostile("外部バッジ"), hostile("外部発行者"))
    stranger = app.test_client()
    share = _get(stranger, f"/b/{imported.share_id}")
    assert_inert(share, *texts, hostile("外部説明"), hostile("外部理由"), where="share page")
    assert_inert(_get(stranger, f"/u/{student.profile_id}"), where="profile")
    assert log_in(client, student.email, PASSWORD).status_code == 302
    assert_inert(_get(client, "/wallet"), *texts, where="wallet")
    detail = _get(client, f"/wallet/imported/{imported.id}")
    assert_inert(detail, *texts, hostile("外部基準"), hostile("外部理由"), where="imported badge")
