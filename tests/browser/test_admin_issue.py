"""Staff issue a badge on a phone: create it, upload a list, fix it, issue; mail 1 arrives.

The staff member is department staff (工学部): what a faculty's office does day to day.
"""

from __future__ import annotations

import re
import urllib.request

from playwright.sync_api import Page, expect
from sqlalchemy import select

from tests.browser.conftest import LiveServer, assert_fits_width, save_university
from tests.factories import PASSWORD, png_bytes
from wallet.extensions import db
from wallet.models import Award, StaffRole, Token
from wallet.security import hash_token
from wallet.services import issuing
from wallet.services.staff import StaffAccess, create_staff_user

STAFF = "office@shizuoka.ac.jp"
SUBJECT = "オープンバッジ授与のお知らせ"
BAD_LIST = (
    "氏名,メールアドレス,学籍番号\n"
    "静岡 花子,hanako@example.ac.jp,70310001\n"
    "浜松 次郎,jiro(at)example.ac.jp,70310002\n"
    "伊豆 三郎,saburo@example.ac.jp,70310003\n"
)
GOOD_LIST = BAD_LIST.replace("jiro(at)example", "jiro@example")


def _prepare(live_server: LiveServer) -> None:
    with live_server.app.app_context():
        session = db.session()
        save_university(session)
        engineering = issuing.create_department(session, "工学部", "Faculty of Engineering")
        issuing.create_department(session, "教育学部", "Faculty of Education")
        access = StaffAccess(StaffRole.DEPARTMENT, (engineering.id,))
        create_staff_user(session, STAFF, "工学部 学務係", PASSWORD, access=access)
        session.commit()


def test_staff_issue_badges_from_a_phone(live_server: LiveServer, page: Page) -> None:
    _prepare(live_server)
    url = live_server.url

    page.goto(url + "/admin/")
    expect(page).to_have_url(re.compile(r"/login"))
    page.fill("input[name=email]", STAFF)
    page.fill("input[name=password]", PASSWORD)
    page.locator("form button[type=submit]").last.click()

    page.goto(url + "/admin/badges/new")
    assert_fits_width(page)
    options = page.get_by_label("学部・研究科等", exact=True).locator("option")
    expect(options).to_have_text(["工学部"])  # their own department only
    page.get_by_label("バッジ名（日本語）").fill("データサイエンス特別教育プログラム")
    page.get_by_label("説明（日本語）").fill("所定の科目を修了したことを証明します。")
    page.get_by_label("取得基準", exact=True).fill("全科目の単位を修得すること。")
    page.get_by_label("バッジ画像（PNG または SVG）").set_input_files(
        files=[{"name": "badge.png", "mimeType": "image/png", "buffer": png_bytes(256)}]
    )
    page.get_by_role("button", name="バッジを作成する").click()
    expect(page.get_by_text("バッジを作成しました。")).to_be_visible()
    expect(page.get_by_role("heading", name="データサイエンス特別教育プログラム")).to_be_visible()
    assert_fits_width(page)

    page.get_by_role("link", name="このバッジを授与する（CSV アップロード）").click()
    page.get_by_label("修了者名簿（CSV）").set_input_files(
        files=[{"name": "list.csv", "mimeType": "text/csv", "buffer": BAD_LIST.encode("cp932")}]
    )
    page.get_by_role("button", name="名簿の確認").click()
    expect(page.get_by_text("メールアドレスの形式が正しくありません。")).to_be_visible()
    expect(page.get_by_text("問題あり 1 件")).to_be_visible()
    assert_fits_width(page)

    page.get_by_label("修了者名簿（CSV）").set_input_files(
        files=[{"name": "list.csv", "mimeType": "text/csv", "buffer": GOOD_LIST.encode()}]
    )
    page.get_by_role("button", name="修正したファイルを確認する").click()
    expect(page.get_by_text("授与予定 3 件")).to_be_visible()
    expect(page.get_by_text("メールアドレスの形式が正しくありません。")).to_have_count(0)
    page.get_by_role("button", name="3 件を授与してメールを送信する").click()
    expect(page.get_by_text("3 件を授与し")).to_be_visible()
    expect(page.get_by_text("jiro@example.ac.jp")).to_be_visible()
    assert_fits_width(page)

    mails = live_server.smtp.wait_for(3, timeout=20)
    assert sorted(address for m in mails for address in m.rcpt_tos) == [
        "hanako@example.ac.jp",
        "jiro@example.ac.jp",
        "saburo@example.ac.jp",
    ]
    hanako = live_server.smtp.to("hanako@example.ac.jp")[0]
    assert hanako.subject == SUBJECT
    link = re.search(re.escape(url) + r"/claim/[A-Za-z0-9_-]{43}", hanako.body())
    assert link, hanako.body()
    token = link.group(0).rsplit("/", 1)[1]
    with live_server.app.app_context():
        stored = db.session.scalar(select(Token).where(Token.token_hash == hash_token(token)))
        assert stored is not None
        award = db.session.get(Award, stored.award_id)
        assert award is not None
        assert award.recipient_email == "hanako@example.ac.jp"
    with urllib.request.urlopen(link.group(0), timeout=10) as response:
        assert response.status == 200
