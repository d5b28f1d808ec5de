"""The URLs services hand out (mails, documents, QR codes) are the routes the app serves."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask, url_for

from wallet import urls

BASE = "https://badges.example.ac.jp"
TOKEN = "Zm9vYmFy_-0123456789abcdefghijklmnopqrstuv"
# builder, its arguments after the base URL, the endpoint and its values
CASES: list[tuple[Callable[..., str], tuple[Any, ...], str, dict[str, Any]]] = [
    (urls.claim, (TOKEN,), "claim.start", {"token": TOKEN}),
    (urls.activate, (TOKEN,), "auth.activate", {"token": TOKEN}),
    (urls.password_reset, (), "auth.request_reset", {}),
    (urls.password_reset, (TOKEN,), "auth.reset_password", {"token": TOKEN}),
    (urls.verify_added_email, (TOKEN,), "auth.verify_email", {"token": TOKEN}),
    (urls.undo_added_email, (TOKEN,), "claim.undo_add_email", {"token": TOKEN}),
    (urls.account, (), "auth.account", {}),
    (urls.office, (), "admin.index", {}),
    (urls.wallet_badge, (42,), "wallet.show_badge", {"award_id": 42}),
    (urls.share_linkedin, ("Ab3_x-9Z",), "badge_tools.add_to_linkedin", {"share_id": "Ab3_x-9Z"}),
    (urls.issuer, ("iss1",), "public.issuer_document", {"public_id": "iss1"}),
    (
        urls.revocation_list,
        ("iss1",),
        "public.revocation_list_document",
        {"public_id": "iss1"},
    ),
    (urls.badge_class, ("bc1",), "public.badge_class_document", {"public_id": "bc1"}),
    (urls.assertion, ("as1",), "public.assertion_document", {"public_id": "as1"}),
    (urls.image, ("ab" * 32,), "public.image", {"sha256": "ab" * 32}),
    (
        urls.share_preview_image,
        ("Ab-_12cd", "en"),
        "share_images.preview",
        {"share_id": "Ab-_12cd", "lang": "en"},
    ),
    (urls.share_qr_png, ("Ab-_12cd",), "share_images.qr_png", {"share_id": "Ab-_12cd"}),
    (urls.share_qr_svg, ("Ab-_12cd",), "share_images.qr_svg", {"share_id": "Ab-_12cd"}),
    (
        urls.share_signature_badge,
        ("Ab-_12cd",),
        "share_images.signature_badge",
        {"share_id": "Ab-_12cd"},
    ),
    (urls.share, ("Ab-_12cd",), "share.show_share", {"share_id": "Ab-_12cd"}),
    (urls.profile, ("Pr0f-_1d",), "share.show_profile", {"profile_id": "Pr0f-_1d"}),
    (
        urls.blockcerts_issuer,
        ("iss1",),
        "public.blockcerts_issuer_document",
        {"public_id": "iss1"},
    ),
    (urls.ob3_issuer, ("iss1",), "ob3.issuer_profile", {"public_id": "iss1"}),
    (urls.ob3_issuer_did_document, ("iss1",), "ob3.issuer_did", {"public_id": "iss1"}),
    (
        urls.ob3_status_list,
        ("iss1", 3),
        "ob3.status_list",
        {"public_id": "iss1", "number": 3},
    ),
    (urls.ob3_credential, ("as1",), "ob3.credential", {"public_id": "as1"}),
    (urls.ledger, (), "ledger.index", {}),
    (urls.ledger_json, (), "ledger.summary_json", {}),
    (urls.ledger_entries, (), "ledger.entries_json", {}),
    (urls.ledger_checkpoints, (), "ledger.checkpoints_json", {}),
    (urls.ledger_entry, (7,), "ledger.entry", {"index": 7}),
    (urls.ledger_entry_json, (7,), "ledger.entry_json", {"index": 7}),
    (urls.wallet_badge_blockcerts, (42,), "wallet.download_blockcerts", {"award_id": 42}),
    (urls.share_blockcerts, ("Ab-_12cd",), "share.download_blockcerts", {"share_id": "Ab-_12cd"}),
]


@pytest.mark.parametrize(("build", "args", "endpoint", "values"), CASES)
def test_each_url_is_the_route_it_names(
    app: Flask,
    build: Callable[..., str],
    args: tuple[Any, ...],
    endpoint: str,
    values: dict[str, Any],
) -> None:
    with app.test_request_context(base_url=BASE):
        assert build(BASE, *args) == url_for(endpoint, **values, _external=True)


def test_a_trailing_slash_on_the_base_url_changes_nothing() -> None:
    assert urls.claim(BASE + "/", TOKEN) == urls.claim(BASE, TOKEN)


def test_parts_are_percent_encoded() -> None:
    assert urls.claim(BASE, "a/b?c") == f"{BASE}/claim/a%2Fb%3Fc"


def test_every_share_page_starts_with_the_shares_prefix() -> None:
    assert urls.share(BASE, "Ab-_12cd") == urls.shares_prefix(BASE) + "Ab-_12cd"


def test_every_assertion_starts_with_the_verification_prefix() -> None:
    assert urls.assertion(BASE, "as1").startswith(urls.assertions_prefix(BASE))


def test_the_preview_image_is_the_share_page_plus_og_png_in_a_language() -> None:
    """The Open Graph image (drawn by the share images, 1200 x 630) beside its page."""
    page = urls.share(BASE, "Ab-_12cd")
    assert urls.share_preview_image(BASE, "Ab-_12cd", "ja") == f"{page}/og.png?lang=ja"
    assert urls.share_preview_image(BASE + "/", "Ab-_12cd", "en") == f"{page}/og.png?lang=en"


@pytest.mark.parametrize(
    ("base", "did"),
    [
        ("https://badges.example.ac.jp", "did:web:badges.example.ac.jp:ob:v3:issuers:iss1"),
        ("https://example.ac.jp/wallet", "did:web:example.ac.jp:wallet:ob:v3:issuers:iss1"),
        ("http://127.0.0.1:5000", "did:web:127.0.0.1%3A5000:ob:v3:issuers:iss1"),
    ],
)
def test_the_issuer_did_web_resolves_to_its_did_document(base: str, did: str) -> None:
    from wallet.openbadges.ob3.keys import did_web_url

    assert urls.ob3_issuer_did(base, "iss1") == did
    https_base = base.replace("http://", "https://")
    assert did_web_url(did) == urls.ob3_issuer_did_document(https_base, "iss1")
