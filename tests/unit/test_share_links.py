"""Share links carry exactly the parameters each site documents, percent-encoded."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import pytest

from wallet.services import share_links
from wallet.services.share_links import Certification

SHARE = "https://badges.example.ac.jp/b/Ab3_x-9Z"
NAME = "データサイエンス特別教育プログラム & AI <応用基礎>"
TOKYO = "Asia/Tokyo"


def _parts(url: str) -> tuple[str, dict[str, str]]:
    """The address before the query, and the query as a dict (each key exactly once)."""
    split = urlsplit(url)
    query = parse_qs(split.query, keep_blank_values=True, strict_parsing=True)
    assert all(len(values) == 1 for values in query.values()), query
    return f"{split.scheme}://{split.netloc}{split.path}", {k: v[0] for k, v in query.items()}


def _raw_values(url: str) -> list[str]:
    return [pair.split("=", 1)[1] for pair in urlsplit(url).query.split("&")]


def _cert(**changes: object) -> Certification:
    values: dict[str, object] = {
        "name": NAME,
        "organization_name": "静岡大学",
        "organization_id": "",
        "issued_on": datetime(2026, 3, 10, 6, 0, tzinfo=UTC),
        "expires_at": None,
        "cert_url": SHARE,
        "cert_id": "Ab3_x-9Z",
    }
    values.update(changes)
    return Certification(**values)  # type: ignore[arg-type]


def test_add_to_profile_without_expiry_or_company_id() -> None:
    address, query = _parts(share_links.linkedin_add_to_profile(_cert(), TOKYO))
    assert address == "https://www.linkedin.com/profile/add"
    assert query == {
        "startTask": "CERTIFICATION_NAME",
        "name": NAME,
        "organizationName": "静岡大学",
        "issueYear": "2026",
        "issueMonth": "3",
        "certUrl": SHARE,
        "certId": "Ab3_x-9Z",
    }


def test_add_to_profile_with_company_id_and_expiry() -> None:
    cert = _cert(organization_id="1234567", expires_at=datetime(2029, 12, 20, 0, 0, tzinfo=UTC))
    _address, query = _parts(share_links.linkedin_add_to_profile(cert, TOKYO))
    assert query == {
        "startTask": "CERTIFICATION_NAME",
        "name": NAME,
        "organizationId": "1234567",
        "issueYear": "2026",
        "issueMonth": "3",
        "expirationYear": "2029",
        "expirationMonth": "12",
        "certUrl": SHARE,
        "certId": "Ab3_x-9Z",
    }


@pytest.mark.parametrize(
    ("moment", "year", "month"),
    [
        # 31 March 16:00 UTC is 1 April 01:00 in Tokyo: April, not March
        (datetime(2026, 3, 31, 16, 0, tzinfo=UTC), "2026", "4"),
        (datetime(2026, 3, 31, 14, 59, tzinfo=UTC), "2026", "3"),
        # New Year in Tokyo, still 31 December in UTC; January is 1, not 0
        (datetime(2025, 12, 31, 15, 30, tzinfo=UTC), "2026", "1"),
        (datetime(2026, 12, 1, 0, 0, tzinfo=UTC), "2026", "12"),
    ],
)
def test_months_are_one_to_twelve_in_tokyo(moment: datetime, year: str, month: str) -> None:
    cert = _cert(issued_on=moment, expires_at=moment)
    _address, query = _parts(share_links.linkedin_add_to_profile(cert, TOKYO))
    assert (query["issueYear"], query["issueMonth"]) == (year, month)
    assert (query["expirationYear"], query["expirationMonth"]) == (year, month)


def test_every_value_is_percent_encoded() -> None:
    url = share_links.linkedin_add_to_profile(_cert(), TOKYO)
    assert url.isascii()
    for value in _raw_values(url):
        # nothing that could end or split a value, and no "+" for a space
        assert not set(value) & set(" &=?/:<>#+"), value
    assert "name=%E3%83%87%E3%83%BC%E3%82%BF" in url  # UTF-8 of データ
    assert "%20%26%20AI%20%3C" in url  # " & AI <"
    assert "certUrl=https%3A%2F%2Fbadges.example.ac.jp%2Fb%2FAb3_x-9Z" in url


def test_x_facebook_and_linkedin_posts() -> None:
    text = "「AI & データ」のバッジを受け取りました #1"
    address, query = _parts(share_links.x_post(SHARE, text))
    assert (address, query) == ("https://twitter.com/intent/tweet", {"text": text, "url": SHARE})
    address, query = _parts(share_links.facebook_post(SHARE))
    assert (address, query) == ("https://www.facebook.com/sharer/sharer.php", {"u": SHARE})
    address, query = _parts(share_links.linkedin_post(SHARE))
    assert (address, query) == ("https://www.linkedin.com/sharing/share-offsite/", {"url": SHARE})
    for url in (share_links.x_post(SHARE, text), share_links.facebook_post(SHARE)):
        assert url.isascii()
        assert all("/" not in value and " " not in value for value in _raw_values(url))
