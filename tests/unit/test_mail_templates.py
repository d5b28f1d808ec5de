"""The mails as their recipients read them, in Japanese and in English."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from tests.unit.test_outbox_delivery import award_context
from wallet.config import Settings
from wallet.mail import Envelope, FolderTransport, MailRenderError, render_message
from wallet.mail.folder import html_links, message_part

BADGE_URL = "http://wallet.test/wallet/badges/42"


def issued_context(**changes: Any) -> dict[str, Any]:
    context = {
        "recipient_name": "静岡 花子",
        "badge_name": "データサイエンス基礎",
        "badge_name_en": "Data Science Basics",
        "issuer_name": "静岡大学",
        "issuer_name_en": "Shizuoka University",
        "badge_url": BADGE_URL,
    }
    return {**context, **changes}


@pytest.fixture
def mail_settings(app: Flask) -> Iterator[Settings]:
    with app.app_context():
        yield app.config["WALLET_SETTINGS"]


def render(
    settings: Settings, template: str, locale: str, context: dict[str, Any], mail_id: int = 7
) -> EmailMessage:
    envelope = Envelope(
        mail_id=mail_id,
        template=template,
        to_email="hanako@shizuoka.ac.jp",
        locale=locale,
        context=context,
        created_at=datetime(2026, 4, 1, 9, 0, tzinfo=UTC),
    )
    return render_message(envelope, settings)


def test_award_notice_in_japanese(mail_settings: Settings) -> None:
    message = render(mail_settings, "award_notice", "ja", award_context())

    assert message["Subject"] == "オープンバッジ授与のお知らせ"
    assert message["To"] == "hanako@shizuoka.ac.jp"
    assert message["From"] == mail_settings.mail_from
    assert message.get_content_type() == "multipart/alternative"
    text = message_part(message, "plain")
    assert "静岡 花子 様" in text
    assert "データサイエンス基礎" in text
    assert "静岡大学" in text
    assert "Data Science Basics" not in text
    assert "http://wallet.test/claim/secret-claim-token" in text
    assert "2026年7月1日" in text
    html = message_part(message, "html")
    assert ("バッジを受け取る", "http://wallet.test/claim/secret-claim-token") in html_links(html)
    assert '<html lang="ja">' in html


def test_award_notice_in_english(mail_settings: Settings) -> None:
    message = render(mail_settings, "award_notice", "en", award_context())

    assert message["Subject"] == "You have been awarded an Open Badge"
    text = message_part(message, "plain")
    assert "Dear 静岡 花子," in text
    assert "Data Science Basics" in text
    assert "Shizuoka University has awarded you" in text
    assert "July 1, 2026" in text
    html = message_part(message, "html")
    assert ("Receive your badge", "http://wallet.test/claim/secret-claim-token") in html_links(html)


def test_english_mail_falls_back_to_the_primary_names(mail_settings: Settings) -> None:
    context = {**award_context(), "badge_name_en": "", "issuer_name_en": ""}
    text = message_part(render(mail_settings, "award_notice", "en", context), "plain")
    assert "Badge: データサイエンス基礎" in text
    assert "静岡大学 has awarded you" in text


def test_badge_issued_in_both_languages(mail_settings: Settings) -> None:
    ja = render(mail_settings, "badge_issued", "ja", issued_context())
    en = render(mail_settings, "badge_issued", "en", issued_context())

    assert ja["Subject"] == "オープンバッジ発行完了のお知らせ"
    assert en["Subject"] == "Your Open Badge has been issued"
    assert "以下のオープンバッジの発行が完了し" in message_part(ja, "plain")
    assert BADGE_URL in message_part(ja, "plain")
    assert ("View your badge", BADGE_URL) in html_links(message_part(en, "html"))
    assert ("バッジを確認する", BADGE_URL) in html_links(message_part(ja, "html"))


UNDO_URL = "http://wallet.test/claim/undo/secret-undo-token"


def added_context(**changes: Any) -> dict[str, Any]:
    context = {
        **issued_context(),
        "account_name": "浜松 次郎",
        "added_at": "2026-07-01T06:04:00+00:00",
        "undo_url": UNDO_URL,
        "days": 30,
    }
    del context["badge_url"]
    return {**context, **changes}


def test_address_added_notice_in_japanese(mail_settings: Settings) -> None:
    message = render(mail_settings, "address_added", "ja", added_context())

    assert (
        message["Subject"] == "メールアドレスがオープンバッジウォレットのアカウントに追加されました"
    )
    text = message_part(message, "plain")
    assert "静岡 花子 様" in text
    assert "浜松 次郎 さんのオープンバッジウォレットのアカウントに追加されました" in text
    assert "hanako@shizuoka.ac.jp" in text
    assert "2026年7月1日 15:04（日本標準時）" in text  # 06:04 UTC, shown in Asia/Tokyo
    assert "データサイエンス基礎" in text
    assert "30日間" in text
    assert UNDO_URL in text
    assert "破棄してください" not in text  # "ignore this mail" is the wrong advice here
    html = message_part(message, "html")
    assert ("心当たりがないので取り消す", UNDO_URL) in html_links(html)
    assert "破棄してください" not in html


def test_address_added_notice_in_english(mail_settings: Settings) -> None:
    message = render(mail_settings, "address_added", "en", added_context(recipient_name=""))

    assert message["Subject"] == "Your email address was added to an Open Badge Wallet account"
    text = message_part(message, "plain")
    assert text.startswith("Hello,")  # the award had no name
    assert "the Open Badge Wallet account of 浜松 次郎" in text
    assert "July 1, 2026 3:04\u202fPM (Japan Standard Time)" in text
    assert "Badge: Data Science Basics" in text
    assert "works once and for 30 days" in text
    assert ("This was not me: undo it", UNDO_URL) in html_links(message_part(message, "html"))


def test_address_removed_notice_in_both_languages(mail_settings: Settings) -> None:
    context = {
        "recipient_name": "浜松 次郎",
        "address": "hanako@example.jp",
        "badges": [{k: v for k, v in issued_context().items() if k.startswith("badge_name")}],
        "account_url": "http://wallet.test/account",
    }
    ja = render(mail_settings, "address_removed", "ja", context)
    en = render(mail_settings, "address_removed", "en", context)

    assert (
        ja["Subject"] == "オープンバッジウォレットのアカウントからメールアドレスが取り除かれました"
    )
    assert en["Subject"] == "An email address was removed from your Open Badge Wallet account"
    ja_text = message_part(ja, "plain")
    assert "浜松 次郎 様" in ja_text
    assert "hanako@example.jp" in ja_text
    assert "- データサイエンス基礎" in ja_text
    assert "- Data Science Basics" in message_part(en, "plain")
    account = ("Account settings", "http://wallet.test/account")
    assert account in html_links(message_part(en, "html"))


def test_badge_text_is_escaped_in_html(mail_settings: Settings) -> None:
    context = issued_context(badge_name='<script>alert("x")</script>', recipient_name="<b>me</b>")
    message = render(mail_settings, "badge_issued", "ja", context)
    html = message_part(message, "html")
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    assert "<b>me</b>" not in html
    assert "<script>" in message_part(message, "plain")  # plain text shows it as written


def test_message_id_is_stable_per_outbox_row(mail_settings: Settings) -> None:
    first = render(mail_settings, "badge_issued", "ja", issued_context(), mail_id=7)
    again = render(mail_settings, "badge_issued", "ja", issued_context(), mail_id=7)
    other = render(mail_settings, "badge_issued", "ja", issued_context(), mail_id=8)
    assert first["Message-ID"] == again["Message-ID"]
    assert first["Message-ID"] != other["Message-ID"]
    assert first["Message-ID"].endswith("@wallet.test>")


def test_unknown_locale_uses_the_default_language(mail_settings: Settings) -> None:
    message = render(mail_settings, "badge_issued", "fr", issued_context())
    assert message["Subject"] == "オープンバッジ発行完了のお知らせ"


@pytest.mark.parametrize("template", ["no_such_mail", "../base", "award_notice/../x"])
def test_missing_or_odd_template_is_a_render_error(mail_settings: Settings, template: str) -> None:
    with pytest.raises(MailRenderError):
        render(mail_settings, template, "ja", {})


def test_folder_transport_writes_a_readable_eml(mail_settings: Settings, tmp_path: Path) -> None:
    message = render(mail_settings, "award_notice", "ja", award_context())
    FolderTransport(tmp_path / "outbox").send(message)

    (path,) = (tmp_path / "outbox").iterdir()
    assert path.suffix == ".eml"
    parsed = message_from_bytes(path.read_bytes(), policy=policy.default)
    assert isinstance(parsed, EmailMessage)
    assert parsed["Subject"] == "オープンバッジ授与のお知らせ"
    assert parsed["To"] == "hanako@shizuoka.ac.jp"
    assert "secret-claim-token" in message_part(parsed, "plain")


def throttled_context(**changes: Any) -> dict[str, Any]:
    context = {
        "recipient_name": "静岡 花子",
        "attempts": 5,
        "attempted_at": "2026-04-01T09:05:00+00:00",
        "client_address": "203.0.113.7",
        "minutes": 15,
        "reset_url": "http://wallet.test/password/reset",
    }
    return {**context, **changes}


def test_login_throttled_in_japanese(mail_settings: Settings) -> None:
    message = render(mail_settings, "login_throttled", "ja", throttled_context())

    assert message["Subject"] == "オープンバッジウォレット ログイン失敗のお知らせ"
    text = message_part(message, "plain")
    assert "静岡 花子 様" in text
    assert "誤ったパスワードで5回ログインが試みられました" in text
    assert "最長15分間停止しています" in text
    assert "失敗した回数：5回" in text
    assert "最後の試行：2026年4月1日 18:05（日本標準時）" in text  # 09:05 UTC in Tokyo
    assert "接続元IPアドレス：203.0.113.7" in text
    assert "アカウントの内容は何も変更されていません" in text
    assert "http://wallet.test/password/reset" in text
    html = message_part(message, "html")
    assert ("新しいパスワードの設定", "http://wallet.test/password/reset") in html_links(html)
    assert "203.0.113.7" in html


def test_login_throttled_in_english(mail_settings: Settings) -> None:
    message = render(mail_settings, "login_throttled", "en", throttled_context())

    assert message["Subject"] == "Failed logins to your Open Badge Wallet"
    text = message_part(message, "plain")
    assert "Dear 静岡 花子," in text
    assert "5 times with a wrong password" in text
    assert "paused for up to 15 minutes" in text
    assert "Last attempt: April 1, 2026 6:05\u202fPM (Japan Standard Time)" in text
    assert "From IP address: 203.0.113.7" in text
    assert "Nothing in your account has been changed" in text
    html = message_part(message, "html")
    assert ("Set a new password", "http://wallet.test/password/reset") in html_links(html)


@pytest.mark.parametrize(
    ("locale", "subject", "line"),
    [
        (
            "ja",
            "オープンバッジウォレットのアカウントを削除しました",
            "2件のバッジがウォレットから削除されました",
        ),
        ("en", "Your Open Badge Wallet account has been deleted", "2 badges left your wallet."),
    ],
)
def test_account_deleted_in_both_languages(
    mail_settings: Settings, locale: str, subject: str, line: str
) -> None:
    message = render(
        mail_settings, "account_deleted", locale, {"recipient_name": "静岡 花子", "badge_count": 2}
    )
    assert message["Subject"] == subject
    assert line in message_part(message, "plain")
    assert line in message_part(message, "html")


@pytest.mark.parametrize(
    ("locale", "subject", "lines"),
    [
        (
            "ja",
            "【再送】オープンバッジ受け取りのお願い",
            ["2026年4月1日に", "まだ受け取られていません", "2026年7月1日"],
        ),
        (
            "en",
            "Reminder: your Open Badge is waiting to be received",
            ["on April 1, 2026 that you have not received yet", "until July 1, 2026"],
        ),
    ],
)
def test_claim_reminder(
    mail_settings: Settings, locale: str, subject: str, lines: list[str]
) -> None:
    context = {**award_context(), "awarded_on": "2026-04-01"}
    message = render(mail_settings, "claim_reminder", locale, context)

    assert message["Subject"] == subject
    for part in ("plain", "html"):
        body = message_part(message, part)
        assert all(line in body for line in lines), (part, body)
        assert "secret-claim-token" in body
    assert "<script>" not in message_part(message, "html")
