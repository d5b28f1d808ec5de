"""The hosted Open Badges 2.0 documents, as a verifier fetching them sees them."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.conftest import BASE_URL
from tests.factories import AwardFactory, BadgeClassFactory, BlobFactory, IssuerFactory
from wallet.models import Award, AwardState
from wallet.openbadges.hashing import identity_matches
from wallet.openbadges.v2 import CONTEXT, Assertion, IdentityObject
from wallet.services.documents import issuer_profile

JSONLD = "application/ld+json"


def fetch(client: FlaskClient, url: str, accept: str = JSONLD) -> TestResponse:
    """GET an absolute document URL through the test client."""
    assert url.startswith(BASE_URL + "/"), url
    return client.get(url.removeprefix(BASE_URL), headers={"Accept": accept})


def fetch_json(client: FlaskClient, url: str) -> dict[str, Any]:
    response = fetch(client, url)
    assert response.status_code == 200, (url, response.status_code)
    assert response.mimetype == JSONLD
    body: dict[str, Any] = response.get_json(force=True)
    return body


def assertion_url(award: Award) -> str:
    return f"{BASE_URL}/ob/assertions/{award.public_id}"


@pytest.fixture
def award() -> Award:
    logo = BlobFactory()
    issuer = IssuerFactory(image_sha256=logo.sha256, description="静岡大学の教育プログラム")
    badge_class = BadgeClassFactory(issuer=issuer, criteria_url="https://www.shizuoka.ac.jp/ds/")
    return AwardFactory(
        badge_class=badge_class,
        issued=True,
        recipient_email="hanako@shizuoka.ac.jp",
        expires_at=datetime(2031, 3, 31, 15, 0, tzinfo=UTC),
    )


def test_assertion_holds_the_required_fields_and_no_name(client: FlaskClient, award: Award) -> None:
    doc = fetch_json(client, assertion_url(award))
    assert doc["@context"] == CONTEXT
    assert doc["type"] == "Assertion"
    assert doc["id"] == assertion_url(award)
    assert doc["badge"] == f"{BASE_URL}/ob/badges/{award.badge_class.public_id}"
    assert doc["verification"] == {"type": "HostedBadge"}
    assert doc["recipient"]["type"] == "email"
    assert doc["recipient"]["hashed"] is True
    assert doc["recipient"]["salt"] == award.salt
    text = fetch(client, assertion_url(award)).get_data(as_text=True)
    assert award.recipient_name not in text
    assert award.recipient_email not in text
    Assertion.from_json(doc)  # our own parser accepts what we publish


def test_badge_class_holds_the_required_fields_in_the_primary_language(
    client: FlaskClient, award: Award
) -> None:
    badge_class = award.badge_class
    doc = fetch_json(client, f"{BASE_URL}/ob/badges/{badge_class.public_id}")
    assert doc["@context"] == CONTEXT
    assert doc["type"] == "BadgeClass"
    assert doc["name"] == badge_class.name
    assert doc["description"] == badge_class.description
    assert doc["image"] == f"{BASE_URL}/ob/images/{badge_class.image_sha256}"
    assert doc["criteria"] == {
        "id": "https://www.shizuoka.ac.jp/ds/",
        "narrative": badge_class.criteria_text,
    }
    assert doc["issuer"] == f"{BASE_URL}/ob/issuers/{badge_class.issuer.public_id}"
    assert doc["tags"] == ["data-science"]
    text = fetch(client, doc["id"]).get_data(as_text=True)
    assert badge_class.name_en not in text
    assert badge_class.description_en not in text


def test_badge_class_without_criteria_text_uses_the_criteria_url_alone(
    client: FlaskClient,
) -> None:
    badge_class = BadgeClassFactory(criteria_text="", criteria_url="https://example.ac.jp/c")
    doc = fetch_json(client, f"{BASE_URL}/ob/badges/{badge_class.public_id}")
    assert doc["criteria"] == {"id": "https://example.ac.jp/c"}


def test_issuer_profile_holds_the_required_fields_and_an_origin_policy(
    client: FlaskClient, award: Award
) -> None:
    issuer = award.badge_class.issuer
    doc = fetch_json(client, f"{BASE_URL}/ob/issuers/{issuer.public_id}")
    assert doc["@context"] == CONTEXT
    assert doc["type"] == "Issuer"
    assert doc["name"] == "静岡大学"
    assert doc["url"] == issuer.url
    assert doc["email"] == issuer.email
    assert doc["description"] == "静岡大学の教育プログラム"
    assert doc["image"] == f"{BASE_URL}/ob/images/{issuer.image_sha256}"
    assert doc["revocationList"] == f"{doc['id']}/revocations"
    assert doc["verification"] == {
        "type": "VerificationObject",
        "startsWith": [f"{BASE_URL}/ob/assertions/"],
        "allowedOrigins": ["wallet.test"],
    }
    assert "Shizuoka University" not in fetch(client, doc["id"]).get_data(as_text=True)


def test_origin_policy_is_left_to_the_default_with_a_port_or_an_ip(db_session: object) -> None:
    issuer = IssuerFactory()
    for base_url in ("http://127.0.0.1:5000", "https://wallet.example.ac.jp:8443"):
        policy = issuer_profile(issuer, base_url).to_json()["verification"]
        assert policy == {
            "type": "VerificationObject",
            "startsWith": [f"{base_url}/ob/assertions/"],
        }


def _urls_in(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value] if value.startswith(BASE_URL + "/") else []
    if isinstance(value, dict):  # startsWith holds URL prefixes, not ids
        return [url for key, item in value.items() if key != "startsWith" for url in _urls_in(item)]
    if isinstance(value, list):
        return [url for item in value for url in _urls_in(item)]
    return []


def test_every_id_resolves_to_a_document_with_that_id(client: FlaskClient, award: Award) -> None:
    revoked = AwardFactory(badge_class=award.badge_class, revoked_at=datetime.now(UTC))
    seen: set[str] = set()
    queue = [assertion_url(award)]
    while queue:
        url = queue.pop()
        if url in seen:
            continue
        seen.add(url)
        if "/ob/images/" in url:
            image = fetch(client, url, accept="image/png")
            assert image.status_code == 200, url
            assert image.mimetype == "image/png"
            continue
        response = fetch(client, url)
        assert response.status_code == (410 if url == assertion_url(revoked) else 200), url
        assert response.mimetype == JSONLD
        doc = response.get_json(force=True)
        assert doc["id"] == url
        queue.extend(_urls_in(doc))
    kinds = {url.removeprefix(BASE_URL).split("/")[2] for url in seen}
    assert kinds == {"assertions", "badges", "issuers", "images"}
    assert any(url.endswith("/revocations") for url in seen)
    # the assertion, the revoked one (via the list), badge class, issuer, list, two images
    assert len(seen) == 7


def test_recipient_hash_is_sha256_of_the_email_and_salt(client: FlaskClient, award: Award) -> None:
    recipient = fetch_json(client, assertion_url(award))["recipient"]
    expected = hashlib.sha256(("hanako@shizuoka.ac.jp" + award.salt).encode()).hexdigest()
    assert recipient["identity"] == "sha256$" + expected
    identity = IdentityObject.from_value(recipient, "recipient")
    assert identity_matches(identity, ["hanako@shizuoka.ac.jp"])
    assert identity_matches(identity, ["  Hanako@Shizuoka.AC.JP \n"])
    assert not identity_matches(identity, ["taro@shizuoka.ac.jp"])


def test_recipient_hash_uses_the_normalised_email(client: FlaskClient) -> None:
    award = AwardFactory(recipient_email=" Jiro.Suzuki@Shizuoka.AC.jp")
    recipient = fetch_json(client, assertion_url(award))["recipient"]
    expected = hashlib.sha256(("jiro.suzuki@shizuoka.ac.jp" + award.salt).encode()).hexdigest()
    assert recipient["identity"] == "sha256$" + expected


def test_dates_carry_a_zone(client: FlaskClient, award: Award) -> None:
    doc = fetch_json(client, assertion_url(award))
    issued_on = datetime.fromisoformat(doc["issuedOn"])
    expires = datetime.fromisoformat(doc["expires"])
    assert issued_on.tzinfo is not None
    assert abs(issued_on - award.issued_on) < timedelta(seconds=1)
    assert expires == datetime(2031, 3, 31, 15, 0, tzinfo=UTC)


def test_assertion_without_expiry_has_no_expires(client: FlaskClient) -> None:
    doc = fetch_json(client, assertion_url(AwardFactory(issued=True)))
    assert "expires" not in doc


def test_offered_and_private_awards_are_still_served(client: FlaskClient) -> None:
    award = AwardFactory(state=AwardState.OFFERED, is_public=False)
    assert fetch(client, assertion_url(award)).status_code == 200


def test_declined_award_is_not_found(client: FlaskClient) -> None:
    award = AwardFactory(state=AwardState.DECLINED)
    response = fetch(client, assertion_url(award))
    assert response.status_code == 404
    assert response.get_json(force=True) == {"error": "not_found"}


def test_revoked_assertion_answers_410_and_is_in_the_revocation_list(
    client: FlaskClient, award: Award
) -> None:
    award.revoked_at = datetime.now(UTC)
    award.revocation_reason = "受講記録の誤りのため"
    kept = AwardFactory(badge_class=award.badge_class, issued=True)
    elsewhere = AwardFactory(revoked_at=datetime.now(UTC))  # another issuer's award

    response = fetch(client, assertion_url(award))
    assert response.status_code == 410
    assert response.mimetype == JSONLD
    assert response.get_json(force=True) == {
        "@context": CONTEXT,
        "id": assertion_url(award),
        "revoked": True,
        "revocationReason": "受講記録の誤りのため",
    }

    issuer = fetch_json(client, f"{BASE_URL}/ob/issuers/{award.badge_class.issuer.public_id}")
    revocations = fetch_json(client, issuer["revocationList"])
    assert revocations["type"] == "RevocationList"
    assert revocations["issuer"] == issuer["id"]
    assert revocations["revokedAssertions"] == [
        {"id": assertion_url(award), "revocationReason": "受講記録の誤りのため"}
    ]
    listed = str(revocations)
    assert assertion_url(kept) not in listed
    assert assertion_url(elsewhere) not in listed


def test_revocation_list_of_an_issuer_with_nothing_revoked_is_empty(
    client: FlaskClient, award: Award
) -> None:
    issuer = award.badge_class.issuer
    doc = fetch_json(client, f"{BASE_URL}/ob/issuers/{issuer.public_id}/revocations")
    assert doc["revokedAssertions"] == []


def test_content_type_caching_and_cors(client: FlaskClient, award: Award) -> None:
    url = assertion_url(award)
    default = fetch(client, url, accept="*/*")
    assert default.mimetype == JSONLD
    assert default.headers["Access-Control-Allow-Origin"] == "*"
    assert default.headers["Cache-Control"].startswith("public, max-age=")
    assert "Accept" in default.headers["Vary"]
    plain = fetch(client, url, accept="application/json")
    assert plain.mimetype == "application/json"
    assert plain.get_json() == default.get_json(force=True)


@pytest.mark.parametrize(
    "path",
    [
        "/ob/issuers/nobody",
        "/ob/issuers/nobody/revocations",
        "/ob/badges/nothing",
        "/ob/assertions/nothing",
        "/ob/assertions/" + "x" * 300,
    ],
)
def test_unknown_documents_are_json_404s(client: FlaskClient, path: str) -> None:
    response = client.get(path, headers={"Accept": JSONLD})
    assert response.status_code == 404
    assert response.mimetype == JSONLD
    assert response.get_json(force=True) == {"error": "not_found"}
