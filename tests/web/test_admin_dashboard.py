"""The office's dashboard: counts per badge class and in total, claims over time."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import time_machine
from flask.testing import FlaskClient

from tests.factories import AwardFactory, BadgeClassFactory
from tests.helpers import post_form
from tests.web.admin_helpers import staff_client
from wallet.models import AwardState

NOW = datetime(2026, 6, 15, 3, 0, tzinfo=UTC)


def _cells(page: str, label: str) -> list[str]:
    """The numbers in the row whose heading holds ``label``."""
    row = re.search(
        r"<tr>\s*<th scope=\"row\">(?:<a [^>]*>)?" + re.escape(label) + r".*?</tr>", page, re.S
    )
    assert row, label
    return re.findall(r"<td[^>]*>([^<]*)</td>", row.group(0))


def _seed() -> None:
    data = BadgeClassFactory(name="データサイエンス入門", name_en="Intro to Data Science")
    robots = BadgeClassFactory(name="ロボット工学", name_en="Robotics")
    BadgeClassFactory(name="まだ誰にも授与していないバッジ")
    accepted = {"accepted_at": NOW - timedelta(days=3)}
    for sent in (0, 1, 2):
        AwardFactory(badge_class=data, reminders_sent=sent)  # waiting
    AwardFactory(badge_class=data, state=AwardState.ISSUED, is_public=True, **accepted)
    AwardFactory(badge_class=data, state=AwardState.ISSUED, is_public=False, **accepted)
    AwardFactory(badge_class=data, state=AwardState.DECLINED)
    AwardFactory(badge_class=robots, state=AwardState.PENDING, is_public=True, **accepted)
    AwardFactory(  # accepted in April, revoked since
        badge_class=robots,
        state=AwardState.ISSUED,
        is_public=True,
        accepted_at=datetime(2026, 4, 10, tzinfo=UTC),
        revoked_at=NOW,
    )
    AwardFactory(badge_class=robots, revoked_at=NOW)  # revoked before it was claimed


@time_machine.travel(NOW, tick=False)
def test_counts_per_badge_and_in_total(client: FlaskClient) -> None:
    client, _staff, _issuer = staff_client(client)
    _seed()
    response = client.get("/admin/dashboard")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    # awarded, waiting, accepted, pending, issued, declined, revoked, reminders sent,
    # claim rate, share rate
    assert _cells(page, "データサイエンス入門") == [
        "6", "3", "2", "0", "2", "1", "0", "3", "33%", "50%",
    ]  # fmt: skip
    assert _cells(page, "ロボット工学") == ["3", "0", "2", "1", "0", "0", "2", "0", "67%", "100%"]
    assert _cells(page, "まだ誰にも授与していないバッジ") == ["0"] * 8 + ["–", "–"]
    assert _cells(page, "すべてのバッジ（合計）") == [
        "9",
        "3",
        "4",
        "1",
        "2",
        "1",
        "2",
        "3",
        "44%",
        "67%",
    ]


@time_machine.travel(NOW, tick=False)
def test_claims_per_month_and_week_as_an_svg_chart(client: FlaskClient) -> None:
    client, _staff, _issuer = staff_client(client)
    _seed()
    # 1 June 00:30 in Tokyo is still May in UTC: it counts for June; a year ago, not drawn
    AwardFactory(state=AwardState.ISSUED, accepted_at=datetime(2026, 5, 31, 15, 30, tzinfo=UTC))
    AwardFactory(state=AwardState.ISSUED, accepted_at=datetime(2025, 6, 30, 14, 0, tzinfo=UTC))
    page = client.get("/admin/dashboard").get_data(as_text=True)
    svg = page[page.index("<svg") : page.index("</svg>")]
    assert "<script" not in svg
    bars = dict(re.findall(r"<title>([^<:]+): (\d+)</title>", svg))
    labels = list(bars)
    assert labels[0] == "7月"  # July 2025: twelve months up to June 2026
    assert labels[-1] == "6月"
    assert bars["6月"] == "4"  # three days ago: three awards, and 1 June 00:30 Tokyo
    assert bars["4月"] == "1"
    assert bars["5月"] == "0"
    assert len(bars) == 12
    assert "2025-06-30" not in svg  # before the first month: not drawn

    weekly = client.get("/admin/dashboard?period=week").get_data(as_text=True)
    svg = weekly[weekly.index("<svg") : weekly.index("</svg>")]
    weeks = re.findall(r"<title>([^<:]+): (\d+)</title>", svg)
    assert len(weeks) == 12
    assert weeks[-1] == ("6/15", "0")  # Monday 15 June, this week
    assert weeks[-2] == ("6/8", "3")


@time_machine.travel(NOW, tick=False)
def test_the_dashboard_in_english(client: FlaskClient) -> None:
    client, _staff, _issuer = staff_client(client)
    _seed()
    post_form(client, "/lang", {"lang": "en", "next": "/admin/dashboard"}, page="/admin/")
    page = client.get("/admin/dashboard").get_data(as_text=True)
    assert '<html lang="en">' in page
    assert "Public share rate" in page
    assert "Intro to Data Science" in page
    assert "<title>Jun: 3</title>" in page
    assert "<title>Apr: 1</title>" in page


def test_a_bad_period_is_a_400_with_a_message(client: FlaskClient) -> None:
    client, _staff, _issuer = staff_client(client)
    response = client.get("/admin/dashboard?period=fortnight")
    assert response.status_code == 400
    assert "月ごとか週ごとを選んでください" in response.get_data(as_text=True)
