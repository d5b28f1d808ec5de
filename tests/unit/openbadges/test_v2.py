from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from tests.unit.openbadges import world
from wallet.openbadges.errors import DocumentError, OpenBadgesError
from wallet.openbadges.v2 import (
    CONTEXT,
    Alignment,
    Assertion,
    BadgeClass,
    Criteria,
    CryptographicKey,
    Evidence,
    IdentityObject,
    Image,
    Profile,
    RevocationList,
    RevokedAssertion,
    VerificationObject,
    parse,
)

FULL_ISSUER = world.issuer(
    description="Faculty of Science",
    image=Image("https://badges.example.ac.jp/i.png", caption="Crest", author="Design office"),
    telephone="+81312345678",
    verification=VerificationObject(
        type="VerificationObject",
        verification_property="id",
        starts_with=("https://badges.example.ac.jp/ob/",),
        allowed_origins=("badges.example.ac.jp", "www.example.ac.jp"),
    ),
)
FULL_BADGE = world.badge(
    image=Image("https://badges.example.ac.jp/b.png", caption="Badge"),
    criteria="https://www.example.ac.jp/criteria/ds",
    issuer=FULL_ISSUER,
    alignment=(
        Alignment(
            "Statistics",
            "https://example.org/frameworks/stats",
            target_description="Basic statistics",
            target_framework="Example framework",
            target_code="ST-1",
        ),
    ),
)
FULL_ASSERTION = world.assertion(
    badge=FULL_BADGE,
    image=Image("https://badges.example.ac.jp/baked/1.png"),
    expires=datetime(2030, 3, 31, 23, 59, tzinfo=timezone(timedelta(hours=9))),
    evidence=(
        Evidence(
            id="https://portfolio.example.ac.jp/1",
            narrative="Final project",
            name="Project",
            description="A notebook",
            genre="Report",
            audience="Employers",
        ),
        Evidence(narrative="Oral exam"),
    ),
    narrative="Top of the class.",
    revoked=False,
    revocation_reason=None,
)

DOCUMENTS = [
    world.issuer(),
    FULL_ISSUER,
    world.badge(),
    FULL_BADGE,
    world.assertion(),
    FULL_ASSERTION,
    world.signed_assertion(),
    RevocationList(
        world.LIST_ID,
        world.ISSUER_ID,
        (RevokedAssertion("urn:uuid:1"), RevokedAssertion(world.ASSERTION_ID, "Misconduct")),
    ),
    world.key(),
]


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda d: type(d).__name__)
def test_every_document_round_trips_through_json(document: Any) -> None:
    data = document.to_json()
    assert data["@context"] == CONTEXT
    assert parse(data) == document
    assert type(document).from_json(data) == document


def test_assertion_json_has_the_shape_validators_expect() -> None:
    data = FULL_ASSERTION.to_json()
    assert data["type"] == "Assertion"
    assert data["issuedOn"] == "2026-04-01T09:30:00+00:00"
    assert data["expires"] == "2030-03-31T23:59:00+09:00"
    assert data["recipient"]["hashed"] is True
    assert data["recipient"]["identity"].startswith("sha256$")
    assert data["verification"] == {"type": "HostedBadge"}
    assert "@context" not in data["badge"]
    assert data["badge"]["issuer"]["type"] == "Issuer"
    assert "revocationReason" not in data


def test_naive_datetime_is_refused_when_serialising() -> None:
    with pytest.raises(DocumentError) as error:
        world.assertion(issued_on=datetime(2026, 4, 1, 9, 30)).to_json()
    assert error.value.field == "issuedOn"


def _hosted(**changes: Any) -> dict[str, Any]:
    return world.assertion().to_json() | changes


@pytest.mark.parametrize(
    ("document", "field", "reason"),
    [
        (_hosted(issuedOn="2026-04-01T09:30:00"), "issuedOn",
         "must carry a time zone (Z or +hh:mm)"),
        (_hosted(issuedOn="yesterday"), "issuedOn", "must be an ISO 8601 date-time"),
        (_hosted(id="ftp://x/1"), "id", "must be an http(s) URL, a urn:uuid: or a _: identifier"),
        (_hosted(type="assertion"), "type", "must be Assertion"),
        (_hosted(badge=None), "badge", "is required"),
        (_hosted(recipient={"type": "email", "hashed": True, "identity": "sha256$abc"}),
         "recipient.identity", "a hashed identity must be sha256$ or md5$ + hex"),
        (_hosted(badge={"type": "BadgeClass", "id": world.BADGE_ID, "name": "N",
                        "description": "D", "image": "https://x/i.png",
                        "criteria": {}, "issuer": world.ISSUER_ID}),
         "badge.criteria", "needs an id (URL) or a narrative"),
        (_hosted(badge=world.badge(issuer=world.issuer()).to_json()
                 | {"issuer": {"type": "Issuer", "id": world.ISSUER_ID, "name": "U",
                               "url": "https://x"}}),
         "badge.issuer.email", "is required"),
        (_hosted(evidence=[{"id": 5}]), "evidence[0].id", "must be a string"),
        (_hosted(revoked="yes"), "revoked", "must be true or false"),
    ],
)  # fmt: skip
def test_bad_documents_name_the_field_and_the_reason(
    document: dict[str, Any], field: str, reason: str
) -> None:
    with pytest.raises(DocumentError) as error:
        Assertion.from_json(document)
    assert (error.value.field, error.value.reason) == (field, reason)


def test_real_world_shapes_are_accepted() -> None:
    document = {
        "@context": CONTEXT,
        "type": ["Assertion", "extensions:Something"],
        "id": world.ASSERTION_ID,
        "recipient": {"type": "email", "identity": "sha256$" + "a" * 64},  # no "hashed"
        "badge": {
            "type": "BadgeClass",
            "id": world.BADGE_ID,
            "name": "N",
            "description": "D",
            "image": {"id": "data:image/png;base64,iVBORw0KGgo="},
            "criteria": "https://x/criteria",
            "tags": "single-tag",
            "alignment": {"targetName": "T", "targetUrl": "https://t"},
            "issuer": {
                "type": "Profile",
                "id": world.ISSUER_ID,
                "name": "U",
                "url": "https://x",
                "email": "a@x",
                "publicKey": {"id": world.KEY_ID, "type": "CryptographicKey"},
                "verification": {"allowedOrigins": "badges.example.ac.jp"},
            },
        },
        "verify": {"type": "hosted", "url": world.ASSERTION_ID},
        "issuedOn": "2026-04-01T09:30:00Z",
        "evidence": "https://portfolio.example/1",
    }
    parsed = parse(document)
    assert isinstance(parsed, Assertion)
    assert parsed.recipient.hashed is True
    assert parsed.verification.type == "HostedBadge"
    assert parsed.issued_on == datetime(2026, 4, 1, 9, 30, tzinfo=UTC)
    assert parsed.evidence == (Evidence(id="https://portfolio.example/1"),)
    assert isinstance(parsed.badge, BadgeClass)
    assert parsed.badge.tags == ("single-tag",)
    assert parsed.badge.alignment[0].target_name == "T"
    assert isinstance(parsed.badge.issuer, Profile)
    assert parsed.badge.issuer.public_key == (world.KEY_ID,)
    assert parsed.badge.issuer.verification is not None
    assert parsed.badge.issuer.verification.allowed_origins == ("badges.example.ac.jp",)


def test_single_entry_and_legacy_revocation_lists_are_read() -> None:
    single = parse(
        {
            "type": "RevocationList",
            "id": world.LIST_ID,
            "issuer": world.ISSUER_ID,
            "revokedAssertions": {"id": world.ASSERTION_ID, "revocationReason": "Error"},
        }
    )
    assert isinstance(single, RevocationList)
    assert single.is_revoked(world.ASSERTION_ID) == RevokedAssertion(world.ASSERTION_ID, "Error")
    legacy = RevocationList.from_json(
        {"id": world.LIST_ID, "issuer": world.ISSUER_ID, "revokedAssertions": [{"uid": "abc"}, "x"]}
    )
    assert [entry.id for entry in legacy.revoked_assertions] == ["abc", "x"]


def test_unplain_recipient_and_key_documents() -> None:
    recipient = IdentityObject("student@example.ac.jp", hashed=False)
    assert parse(world.assertion(recipient=recipient).to_json()).recipient == recipient  # type: ignore[union-attr]
    assert isinstance(parse(world.key().to_json()), CryptographicKey)
    assert Criteria.from_value({"id": "https://c"}, "criteria") == Criteria(id="https://c")


@pytest.mark.parametrize("document", [[], "x", {"type": "Achievement"}, {}, {"type": 3}])
def test_parse_refuses_what_is_not_an_ob2_document(document: Any) -> None:
    with pytest.raises(OpenBadgesError):
        parse(document)
