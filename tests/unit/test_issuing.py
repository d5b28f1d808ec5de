"""Issuing services, image checks and the two commands."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from PIL import Image
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from tests.factories import AwardFactory, BadgeClassFactory, UserFactory, png_bytes
from wallet.models import Award, AwardBatch, BadgeClass, EmailAddress, OutboxMail, Token, User
from wallet.services import issuing
from wallet.services.csv_import import CompleterRow, RowProblem
from wallet.services.images import ImageRejectedError, check_image

NOW = datetime(2026, 4, 1, 15, 30, tzinfo=UTC)
LIFETIME = timedelta(days=90)


def _count(session: Session, model: type) -> int:
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


def _row(email: str, name: str = "静岡 花子", locale: str = "ja") -> CompleterRow:
    return CompleterRow(line=1, name=name, email=email, locale=locale)


def _issue(session: Session, badge_id: int, rows: list[CompleterRow]) -> AwardBatch:
    return issuing.issue_awards(
        session,
        badge_id,
        rows,
        base_url="https://wallet.example/",
        claim_lifetime=LIFETIME,
        now=NOW,
    )


def test_issuing_twice_creates_nothing_the_second_time(db_session: Session) -> None:
    badge = BadgeClassFactory(valid_days=10)
    rows = [_row("a@example.ac.jp"), _row("b@example.ac.jp", locale="en"), _row("a@example.ac.jp")]
    first = _issue(db_session, badge.id, rows)
    assert (first.created_count, first.skipped_count) == (2, 1)
    second = _issue(db_session, badge.id, rows)
    assert (second.created_count, second.skipped_count) == (0, 3)
    assert _count(db_session, Award) == 2
    assert _count(db_session, OutboxMail) == 2
    assert _count(db_session, Token) == 2
    assert _count(db_session, AwardBatch) == 1  # the empty repeat is not recorded


def test_each_award_gets_its_expiry_locale_and_mail(db_session: Session) -> None:
    badge = BadgeClassFactory(valid_days=10, name_en="Data Science")
    _issue(db_session, badge.id, [_row("b@example.ac.jp", "Bob", "en")])
    award = db_session.scalars(select(Award)).one()
    assert award.expires_at == NOW + timedelta(days=10)
    assert award.locale == "en"
    mail = db_session.scalars(select(OutboxMail)).one()
    assert mail.locale == "en"
    assert mail.context["badge_name_en"] == "Data Science"
    assert mail.context["issuer_name_en"] == "Shizuoka University"
    assert str(mail.context["claim_url"]).startswith("https://wallet.example/claim/")
    # 90 days after 2026-04-01 15:30 UTC is 2026-07-01 00:30 in Tokyo
    assert mail.context["claim_expires_on"] == "2026-07-01"


def test_mail_1_without_a_language_is_in_the_owners_language(db_session: Session) -> None:
    english = UserFactory(locale="en", email="english@example.ac.jp")
    english.emails.append(EmailAddress(email="second@example.ac.jp", verified_at=NOW))
    english.emails.append(EmailAddress(email="unproven@example.ac.jp", verified_at=None))
    UserFactory(locale="en", email="chose-ja@example.ac.jp")
    db_session.flush()
    badge = BadgeClassFactory()
    rows = [
        _row("english@example.ac.jp", locale=""),  # the account's login address
        _row("second@example.ac.jp", locale=""),  # a verified address of it
        _row("unproven@example.ac.jp", locale=""),  # not verified: not the account's
        _row("nobody@example.ac.jp", locale=""),  # no account
        _row("chose-ja@example.ac.jp", locale="ja"),  # the list's language wins
    ]
    _issue(db_session, badge.id, rows)
    mails = db_session.scalars(select(OutboxMail)).all()
    assert {mail.to_email: mail.locale for mail in mails} == {
        "english@example.ac.jp": "en",
        "second@example.ac.jp": "en",
        "unproven@example.ac.jp": "ja",
        "nobody@example.ac.jp": "ja",
        "chose-ja@example.ac.jp": "ja",
    }
    awards = db_session.scalars(select(Award)).all()
    assert {award.recipient_email: award.locale for award in awards} == {
        mail.to_email: mail.locale for mail in mails
    }


def test_the_owners_languages_are_read_in_one_query(db_session: Session) -> None:
    for i in range(30):
        UserFactory(locale="en", email=f"owner{i}@example.ac.jp")
    badge = BadgeClassFactory()
    rows = [_row(f"owner{i}@example.ac.jp", locale="") for i in range(60)]
    statements: list[str] = []

    def record(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        statements.append(statement)

    engine = db_session.get_bind()
    event.listen(engine, "before_cursor_execute", record)
    try:
        _issue(db_session, badge.id, rows)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert len([s for s in statements if "email_address" in s]) == 1
    locales = db_session.scalars(select(OutboxMail.locale)).all()
    assert sorted(locales) == ["en"] * 30 + ["ja"] * 30


def test_preview_marks_the_already_awarded_and_writes_nothing(db_session: Session) -> None:
    award = AwardFactory(recipient_email="a@example.ac.jp")
    data = "氏名,メール\n花子,A@example.ac.jp\n次郎,b@example.ac.jp\n".encode()
    result = issuing.preview_completers(
        db_session, award.badge_class_id, data, max_bytes=10_000, max_rows=10
    )
    assert [r.problem for r in result.rows] == [RowProblem.ALREADY_AWARDED, None]
    assert _count(db_session, Award) == 1
    assert _count(db_session, OutboxMail) == 0


def test_revoke_and_resend_rules(db_session: Session) -> None:
    award = AwardFactory()
    with pytest.raises(issuing.IssuingError) as caught:
        issuing.revoke_award(db_session, award.id, "  ")
    assert caught.value.code == "reason_missing"
    issuing.revoke_award(db_session, award.id, "誤って授与したため", now=NOW)
    assert award.revoked_at == NOW
    with pytest.raises(issuing.IssuingError) as caught:
        issuing.resend_claim(
            db_session, award.id, base_url="https://w.example", claim_lifetime=LIFETIME
        )
    assert caught.value.code == "award_revoked"
    with pytest.raises(issuing.IssuingError):
        issuing.revoke_award(db_session, award.id, "again")


def test_tags_are_split_on_either_comma() -> None:
    assert issuing.parse_tags(" AI、データ , AI,, 統計 ") == ["AI", "データ", "統計"]
    with pytest.raises(issuing.IssuingError):
        issuing.parse_tags(",".join(f"t{i}" for i in range(30)))


def _png(width: int, height: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("L", (width, height)).save(buffer, format="PNG")
    return buffer.getvalue()


SVG = '<svg xmlns="http://www.w3.org/2000/svg">{}</svg>'


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (_png(5000, 20), "png_too_big"),
        (_png(8, 8), "png_too_small"),
        (png_bytes()[:60], "png_broken"),
        (b"\xff\xd8\xff\xe0 jpeg", "image_type"),
        (b"", "image_empty"),
        (SVG.format('<rect style="fill:url(https://x.example/a)"/>').encode(), "svg_external"),
        (SVG.format("<style>@import 'https://x.example/a.css';</style>").encode(), "svg_external"),
        (
            b'<?xml-stylesheet href="https://x.example/a.css"?>' + SVG.format("").encode(),
            "svg_external",
        ),
        (
            SVG.format('<image href="data:image/svg+xml;base64,PHN2Zz4="/>').encode(),
            "svg_embedded_image",
        ),
        (SVG.format('<set attributeName="href" to="javascript:alert(1)"/>').encode(), "svg_script"),
        (b'<svg xmlns="http://www.w3.org/2000/svg"><rect></svg>', "svg_broken"),
        (b"<html><svg></svg></html>", "image_type"),
    ],
)
def test_images_refused_with_a_reason(data: bytes, code: str) -> None:
    with pytest.raises(ImageRejectedError) as caught:
        check_image(data, max_bytes=512 * 1024)
    assert caught.value.code == code


def test_acceptable_images_keep_their_sniffed_type() -> None:
    assert check_image(png_bytes(), max_bytes=10**6).content_type == "image/png"
    svg = SVG.format('<image href="data:image/png;base64,iVBORw0KGgo=" width="1" height="1"/>')
    assert check_image(svg.encode(), max_bytes=10**6).content_type == "image/svg+xml"


def test_create_staff_prints_a_generated_password(app: Flask, db_session: Session) -> None:
    result = app.test_cli_runner().invoke(
        args=[
            "create-staff",
            "Office@Shizuoka.ac.jp",
            "--name",
            "教務課",
            "--role",
            "admin",
            "--generate-password",
        ]
    )
    assert result.exit_code == 0, result.output
    assert "Password: " in result.output
    user = db_session.scalars(select(User).where(User.email == "office@shizuoka.ac.jp")).one()
    assert user.is_admin
    assert user.is_activated
    again = app.test_cli_runner().invoke(
        args=[
            "create-staff",
            "office@shizuoka.ac.jp",
            "--name",
            "x",
            "--role",
            "admin",
            "--generate-password",
        ]
    )
    assert again.exit_code != 0


def test_demo_data_is_idempotent(app: Flask, db_session: Session) -> None:
    runner = app.test_cli_runner()
    first = runner.invoke(args=["demo-data"])
    assert first.exit_code == 0, first.output
    assert "office@demo.shizuoka.ac.jp" in first.output
    assert "4 new awards" in first.output
    second = runner.invoke(args=["demo-data"])
    assert "0 new awards" in second.output
    assert _count(db_session, BadgeClass) == 2
    assert _count(db_session, Award) == 4
    # mail 1 four times, mail 2 for the demo student's hosted badge (her anchored one is
    # pending: its mail 2 follows the anchoring run)
    assert _count(db_session, OutboxMail) == 5
    anchored = db_session.scalars(select(BadgeClass).where(BadgeClass.kind == "anchored")).one()
    image = Image.open(io.BytesIO(anchored_image(db_session, anchored)))
    assert image.size == (400, 400)


def anchored_image(session: Session, badge: BadgeClass) -> bytes:
    from wallet.models import Blob

    blob = session.get(Blob, badge.image_sha256)
    assert blob is not None
    return blob.data


def test_demo_data_refuses_production(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    production = app.config["WALLET_SETTINGS"].with_overrides(env="production")
    monkeypatch.setitem(app.config, "WALLET_SETTINGS", production)
    result = app.test_cli_runner().invoke(args=["demo-data"])
    assert result.exit_code != 0
    assert "development only" in result.output
