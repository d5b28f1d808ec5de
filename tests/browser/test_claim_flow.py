"""A student's whole path on a phone: mail 1, terms, register, activate, log in, wallet."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from datetime import timedelta

from playwright.sync_api import Page, expect

from tests.browser.conftest import (
    LiveServer,
    assert_fits_width,
    save_university,
    university_department,
)
from tests.factories import png_bytes
from tests.smtp import Received
from wallet import extensions as ext
from wallet.models import BadgeKind
from wallet.services import issuing
from wallet.services.csv_import import CompleterRow

PASSWORD = "夏の富士山に登る 2026"
LINK = re.compile(r"https?://\S+/(?:claim|activate)/[A-Za-z0-9_\-]+")

TEXT = {
    "ja": {
        "create": "ウォレットアカウントを作成",
        "agree": "利用規約を読み、同意します。",
        "next": "同意して次へ",
        "name": "氏名",
        "password": "パスワード",
        "confirm": "パスワード（確認）",
        "register": "登録する",
        "check_mail": "メールをご確認ください",
        "activate": "アカウントを有効化する",
        "email": "メールアドレス",
        "login": "ログイン",
        "pending": "発行処理中",
        "accept": "受け取る",
        "issued": "バッジが発行されました。",
        "mail1": "オープンバッジ授与のお知らせ",
        "mail2": "オープンバッジ発行完了のお知らせ",
    },
    "en": {
        "create": "Create a wallet account",
        "agree": "I have read and agree to the terms of use.",
        "next": "Agree and continue",
        "name": "Name (氏名)",
        "password": "Password",
        "confirm": "Password (again)",
        "register": "Register",
        "check_mail": "Check your mail",
        "activate": "Activate my account",
        "email": "Email address",
        "login": "Log in",
        "pending": "pending",
        "accept": "Accept",
        "issued": "Your badge has been issued.",
        "mail1": "You have been awarded an Open Badge",
        "mail2": "Your Open Badge has been issued",
    },
}


def issue(live: LiveServer, email: str, name: str, kind: str, locale: str) -> str:
    """A badge class and one award to ``email`` through the issuing service; mail 1 goes out."""
    with live.app.app_context():
        session = ext.db.session()
        save_university(session)
        department = university_department(session)
        badge = issuing.create_badge_class(
            session,
            issuing.BadgeClassDetails(
                name=name,
                name_en=name + " (en)",
                description="修了を証明します。",
                criteria_text="全科目の単位を修得すること。",
                kind=kind,
            ),
            department_id=department.id,
            image=png_bytes(),
            max_image_bytes=512 * 1024,
        )
        issuing.issue_awards(
            session,
            badge.id,
            [CompleterRow(line=1, name="静岡 花子", email=email, locale=locale)],
            base_url=live.url,
            claim_lifetime=timedelta(days=90),
        )
        session.commit()
        ext.db.session.remove()
    return name


def mails_to(live: LiveServer, email: str, wanted: Callable[[Received], bool]) -> list[Received]:
    """The mails to ``email`` that match, waiting up to ten seconds for at least one."""
    deadline = time.monotonic() + 10
    while True:
        found = [m for m in live.smtp.to(email) if wanted(m)]
        if found or time.monotonic() > deadline:
            return found
        time.sleep(0.1)


def mail_to(live: LiveServer, email: str, subject: str, count: int = 1) -> Received:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        found = mails_to(live, email, lambda m: m.subject == subject)
        if len(found) >= count:
            return found[count - 1]
        time.sleep(0.1)
    raise AssertionError(f"no mail {subject!r} number {count} to {email}")


def link(mail: Received) -> str:
    match = LINK.search(mail.body("plain"))
    assert match, mail.body("plain")
    return match.group(0)


def walk(live: LiveServer, page: Page, lang: str, email: str) -> None:
    t = TEXT[lang]
    first = issue(live, email, f"ブロックチェーン型バッジ {lang}", BadgeKind.ANCHORED, lang)
    mail1 = mail_to(live, email, t["mail1"])
    page.goto(link(mail1))
    assert_fits_width(page)
    page.get_by_role("link", name=t["create"]).click()
    assert_fits_width(page)
    page.get_by_label(t["agree"]).check()
    page.get_by_role("button", name=t["next"]).click()
    assert_fits_width(page)
    expect(page.get_by_text(email, exact=True)).to_be_visible()
    page.get_by_label(t["name"], exact=True).fill("静岡 花子")
    page.get_by_label(t["password"], exact=True).fill(PASSWORD)
    page.get_by_label(t["confirm"], exact=True).fill(PASSWORD)
    page.get_by_role("button", name=t["register"]).click()
    expect(page.get_by_role("heading", name=t["check_mail"])).to_be_visible()
    assert_fits_width(page)

    activation = mails_to(live, email, lambda m: "/activate/" in m.body("plain"))
    assert len(activation) == 1, [(m.subject, m.body("plain")[:300]) for m in live.smtp.to(email)]
    page.goto(link(activation[0]))
    assert_fits_width(page)
    page.get_by_role("button", name=t["activate"]).click()
    assert_fits_width(page)
    page.get_by_label(t["email"]).fill(email)
    page.get_by_label(t["password"], exact=True).fill(PASSWORD)
    page.get_by_role("button", name=t["login"]).click()
    expect(page).to_have_url(re.compile(r"/wallet$"))
    expect(page.get_by_text(first).first).to_be_visible()
    expect(page.get_by_text(t["pending"]).first).to_be_visible()
    assert_fits_width(page)

    second = issue(live, email, f"ホスト型バッジ {lang}", BadgeKind.HOSTED, lang)
    mail_to(live, email, t["mail1"], count=2)
    page.reload()
    card = page.locator(".badge-card", has_text=second)
    card.get_by_role("button", name=t["accept"], exact=True).click()
    expect(page.get_by_text(t["issued"])).to_be_visible()
    assert_fits_width(page)
    mail2 = mail_to(live, email, t["mail2"])
    assert "/wallet/badges/" in mail2.body("plain")
    assert len([m for m in live.smtp.to(email) if m.subject == t["mail2"]]) == 1


def test_a_student_claims_registers_and_accepts_in_japanese(
    live_server: LiveServer, page: Page
) -> None:
    walk(live_server, page, "ja", "hanako@shizuoka.ac.jp")


def test_the_same_path_in_english(
    live_server: LiveServer, phone_page: Callable[[str], Page]
) -> None:
    walk(live_server, phone_page("en-US"), "en", "alex@shizuoka.ac.jp")
