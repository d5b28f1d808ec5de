"""``/verify``: anyone checks any badge (ours or another issuer's) with no account.

Other issuers' badges come from a second "issuer" on loopback (``tests/remote_issuer.py``)
reached through the safe fetcher and an explicit allow-list; our own are read from the
database and never fetched over HTTP.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from html import unescape

import pytest
import time_machine
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.conftest import BASE_URL
from tests.factories import AwardFactory, UserFactory
from tests.helpers import csrf_token
from tests.loopback_http import answer, drip, redirect
from tests.remote_issuer import RECIPIENT, RemoteIssuer, baked_by_bakery, remote_issuer
from tests.unit.openbadges import world
from wallet.db import utcnow
from wallet.models import Award
from wallet.openbadges import baking
from wallet.openbadges.fetching import FetchError, FetchResult
from wallet.views import verify as verify_view

JA = {"Accept-Language": "ja"}
EN = {"Accept-Language": "en"}
NOW = datetime(2026, 11, 29, 3, 0, tzinfo=UTC)
BOUNDARY = "verify-test-boundary"
# openbadges-bakery calls a deprecated rfc3986 helper; that is its business, not ours.
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:rfc3986.*")


@pytest.fixture(autouse=True)
def _no_results_kept() -> Iterator[None]:
    verify_view.RESULTS.clear()
    yield
    verify_view.RESULTS.clear()


@pytest.fixture
def issuer(app: Flask, db_session: object) -> Iterator[RemoteIssuer]:
    with remote_issuer(app) as running:
        yield running


class NoRemote:
    """A remote fetcher that fails the test: our own badges are never fetched over HTTP."""

    def __call__(self, url: str) -> FetchResult:
        pytest.fail(f"fetched {url} over HTTP")


@pytest.fixture
def no_remote(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(app.extensions, "wallet.fetcher", NoRemote())


def verdict_block(page: str) -> str:
    return page.split('<section class="verdict', 1)[1].split("</section>", 1)[0]


def check_url(client: FlaskClient, url: str, headers: dict[str, str] = EN) -> TestResponse:
    return client.get("/verify", query_string={"url": url}, headers=headers)


def post(
    client: FlaskClient,
    kind: str,
    headers: dict[str, str] = EN,
    image: tuple[bytes, str] | None = None,
    **data: str,
) -> TestResponse:
    """POST one of the page's forms, the body built here: the test client spools a large
    body to a temporary file it never closes."""
    fields = {"kind": kind, "csrf_token": csrf_token(client, "/verify", headers=headers), **data}
    body = b"".join(
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
        + value.encode()
        + b"\r\n"
        for name, value in fields.items()
    )
    if image is not None:
        content, filename = image
        body += (
            (
                f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="image"; '
                f'filename="{filename}"\r\nContent-Type: application/octet-stream\r\n\r\n'
            ).encode()
            + content
            + b"\r\n"
        )
    body += f"--{BOUNDARY}--\r\n".encode()
    return client.post(
        "/verify",
        data=body,
        content_type=f"multipart/form-data; boundary={BOUNDARY}",
        headers=headers,
    )


def upload(
    client: FlaskClient, image: bytes, name: str = "badge.png", headers: dict[str, str] = EN
) -> TestResponse:
    return post(client, "image", headers, image=(image, name))


def field_error(page: str) -> str:
    errors = re.findall(r'<p class="error" id="[^"]+">([^<]+)</p>', page)
    assert errors, "no error next to a field"
    return unescape(" ".join(errors))


def shared(**values: object) -> Award:
    owner = UserFactory()
    values.setdefault("issued", True)
    values.setdefault("is_public", True)
    values.setdefault("accepted_at", utcnow())
    return AwardFactory(user=owner, recipient_email=owner.email, **values)


# -- the form ---------------------------------------------------------------------------


@pytest.mark.parametrize(("headers", "heading"), [(JA, "バッジを検証する"), (EN, "Verify a badge")])
def test_the_form_is_there_for_anyone(
    client: FlaskClient, headers: dict[str, str], heading: str
) -> None:
    response = client.get("/verify", headers=headers)
    assert response.status_code == 200
    assert f"<h1>{heading}</h1>" in response.text
    assert 'name="url"' in response.text
    assert 'name="image"' in response.text
    assert 'name="text"' in response.text


# -- other issuers' badges ---------------------------------------------------------------


def test_a_hosted_badge_from_another_issuer_is_valid(
    client: FlaskClient, issuer: RemoteIssuer
) -> None:
    assertion = issuer.hosted("1")
    response = check_url(client, assertion.id)
    assert response.status_code == 200, field_error(response.text)
    block = verdict_block(response.text)
    assert "Valid badge" in block
    assert "Issued by Example College:" in block
    assert "<strong>Python Programming</strong>" in block
    assert "Not revoked by the issuer" in block
    assert "Checked at" in block
    assert "Wrote and tested three programs." in response.text
    assert "March 20, 2026" in response.text


def test_a_hosted_badge_in_japanese(client: FlaskClient, issuer: RemoteIssuer) -> None:
    response = check_url(client, issuer.hosted("1").id, JA)
    block = verdict_block(response.text)
    assert "有効なバッジです" in block
    assert "確認日時" in block


def test_a_signed_badge_pasted_as_jws_is_valid(client: FlaskClient, issuer: RemoteIssuer) -> None:
    response = post(client, "text", text=issuer.signed("s1"))
    assert response.status_code == 200, field_error(response.text)
    block = verdict_block(response.text)
    assert "Valid badge" in block
    assert "The issuer's signature is valid" in block


def test_pasted_assertion_json_is_checked_against_the_hosted_one(
    client: FlaskClient, issuer: RemoteIssuer
) -> None:
    assertion = issuer.hosted("1")
    response = post(client, "text", text=json.dumps(assertion.to_json()))
    assert "Valid badge" in verdict_block(response.text)


@pytest.mark.parametrize("kind", ["png", "svg"])
@pytest.mark.parametrize("baker", ["ours", "openbadges-bakery"])
@pytest.mark.parametrize("signed", [False, True])
def test_a_baked_image_is_valid(
    client: FlaskClient, issuer: RemoteIssuer, kind: str, baker: str, signed: bool
) -> None:
    payload = issuer.signed("s1") if signed else json.dumps(issuer.hosted("1").to_json())
    if baker == "ours":
        image = baking.bake(world.png_bytes() if kind == "png" else world.SVG, payload)
    else:
        image = baked_by_bakery(payload, kind)
    response = upload(client, image, f"badge.{kind}")
    assert response.status_code == 200, field_error(response.text)
    assert "Valid badge" in verdict_block(response.text)


# -- revoked, three ways --------------------------------------------------------------------


def test_revoked_by_410(client: FlaskClient, issuer: RemoteIssuer) -> None:
    url = issuer.revoke_by_gone("r1", "Issued by mistake")
    block = verdict_block(check_url(client, url).text)
    assert "Revoked by the issuer" in block
    assert "Issued by mistake" in block


def test_revoked_in_the_document(client: FlaskClient, issuer: RemoteIssuer) -> None:
    url = issuer.revoke_in_document("r2", "Academic misconduct")
    block = verdict_block(check_url(client, url).text)
    assert "Revoked by the issuer" in block
    assert "Academic misconduct" in block


def test_revoked_in_the_revocation_list(client: FlaskClient, issuer: RemoteIssuer) -> None:
    jws = issuer.signed("s9")
    issuer.revoke_in_list(issuer.url("/assertions/s9"), "Duplicate award")
    block = verdict_block(post(client, "text", text=jws).text)
    assert "Revoked by the issuer" in block
    assert "Duplicate award" in block


def test_revoked_in_japanese(client: FlaskClient, issuer: RemoteIssuer) -> None:
    url = issuer.revoke_by_gone("r1", "誤って発行")
    block = verdict_block(check_url(client, url, JA).text)
    assert "発行者により取り消されました" in block
    assert "誤って発行" in block


# -- our own badges: from the database, never over HTTP -----------------------------------


@pytest.mark.usefixtures("no_remote")
def test_our_share_link_is_resolved_to_its_badge(client: FlaskClient) -> None:
    award = shared()
    response = check_url(client, f"{BASE_URL}/b/{award.share_id}")
    assert response.status_code == 200, field_error(response.text)
    block = verdict_block(response.text)
    assert "Valid badge" in block
    assert award.badge_class.name in block


@pytest.mark.usefixtures("no_remote")
def test_our_assertion_url_is_read_from_the_database(client: FlaskClient) -> None:
    award = shared()
    response = check_url(client, f"{BASE_URL}/ob/assertions/{award.public_id}")
    assert "Valid badge" in verdict_block(response.text)


@pytest.mark.usefixtures("no_remote")
def test_our_baked_badge_is_read_from_the_database(client: FlaskClient) -> None:
    award = shared()
    image = baking.bake(world.png_bytes(), f"{BASE_URL}/ob/assertions/{award.public_id}")
    assert "Valid badge" in verdict_block(upload(client, image).text)


@pytest.mark.usefixtures("no_remote")
def test_our_revoked_badge_says_so(client: FlaskClient) -> None:
    award = shared(revoked_at=utcnow(), revocation_reason="取り消し理由")
    block = verdict_block(check_url(client, f"{BASE_URL}/b/{award.share_id}").text)
    assert "Revoked by the issuer" in block
    assert "取り消し理由" in block


@pytest.mark.usefixtures("no_remote")
def test_a_private_share_link_reads_like_one_that_never_existed(client: FlaskClient) -> None:
    private = shared(is_public=False)
    answers = [
        check_url(client, f"{BASE_URL}/b/{share_id}")
        for share_id in (private.share_id, "nosuchid1234", f"{private.share_id}x")
    ]
    assert {a.status_code for a in answers} == {400}
    errors = {field_error(a.text) for a in answers}
    assert errors == {"Nothing was found at this address."}
    pages = {re.sub(r'value="[^"]*"', "", a.text) for a in answers}  # what was typed, kept
    assert len(pages) == 1


# -- other formats -------------------------------------------------------------------------


def test_a_malformed_open_badges_3_credential_is_reported_as_such(client: FlaskClient) -> None:
    """(3.0 credentials are checked: tests/web/test_ob3_verify.py.)"""
    credential = {
        "@context": [
            "https://www.w3.org/ns/credentials/v2",
            "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
        ],
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
    }
    for headers, words in (
        (EN, "Not a valid Open Badges 3.0 credential"),
        (JA, "オープンバッジ 3.0 の資格情報として正しくありません"),
    ):
        response = post(client, "text", headers, text=json.dumps(credential))
        assert response.status_code == 200
        assert words in verdict_block(response.text)


# -- bad input: a clear reason, 4xx, what was typed kept, never a 500 ------------------------


def test_text_that_is_not_json(client: FlaskClient) -> None:
    response = post(client, "text", text="hello <b>badge</b>")
    assert response.status_code == 400
    assert "neither JSON nor a signed badge" in field_error(response.text)
    assert "hello &lt;b&gt;badge&lt;/b&gt;</textarea>" in response.text


def test_json_that_is_not_a_badge(client: FlaskClient) -> None:
    response = post(client, "text", text='{"name": "not a badge"}')
    assert response.status_code == 400
    assert field_error(response.text) == "This is not an Open Badges assertion."


def test_an_image_with_no_badge(client: FlaskClient) -> None:
    response = upload(client, world.png_bytes())
    assert response.status_code == 400
    assert "There is no badge in this image" in field_error(response.text)


def test_an_image_with_several_badges(client: FlaskClient) -> None:
    png = world.png_bytes()
    chunks = b"".join(
        baking._png_chunk(b"iTXt", b"openbadges\x00\x00\x00\x00\x00" + url.encode())
        for url in ("https://a.example/1", "https://b.example/2")
    )
    image = png[:-12] + chunks + png[-12:]  # before IEND
    response = upload(client, image)
    assert response.status_code == 400
    assert "holds 2 badges" in field_error(response.text)


def test_a_file_that_is_not_an_image(client: FlaskClient) -> None:
    response = upload(client, b"%PDF-1.7 not an image", "cv.pdf")
    assert response.status_code == 400
    assert field_error(response.text) == "This is not a PNG or SVG image."


def test_no_file_chosen(client: FlaskClient) -> None:
    response = post(client, "image")
    assert response.status_code == 400
    assert field_error(response.text) == "Choose the badge image to check."


def test_an_upload_over_the_limit(client: FlaskClient) -> None:
    image = world.png_bytes() + b"\0" * (2 * 1024 * 1024)
    response = upload(client, image)
    assert response.status_code == 400
    assert "larger than 2048 KB" in field_error(response.text)


def test_an_upload_far_over_the_limit_is_refused_before_reading(client: FlaskClient) -> None:
    response = upload(client, b"\0" * (3 * 1024 * 1024), headers=JA)
    assert response.status_code == 413
    assert "2048 KB" in field_error(response.text)
    assert '<html lang="ja">' in response.text


def test_an_address_that_is_not_a_url(client: FlaskClient) -> None:
    response = check_url(client, "ftp://example.org/badge")
    assert response.status_code == 400
    assert "starting with https://" in field_error(response.text)
    assert 'value="ftp://example.org/badge"' in response.text


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://10.0.0.1/assertion", "inside a private or internal network"),
        ("http://169.254.169.254/latest/meta-data/", "inside a private or internal network"),
        ("http://127.0.0.1:5000/ob/assertions/1", "inside a private or internal network"),
        ("http://nowhere.test/assertion", "No site was found at that address"),
    ],
)
def test_internal_and_unknown_hosts(
    client: FlaskClient, issuer: RemoteIssuer, url: str, message: str
) -> None:
    response = check_url(client, url)
    assert response.status_code == 400
    assert message in field_error(response.text)
    assert f'value="{url}"' in response.text


def test_the_apps_own_fetcher_refuses_internal_addresses(
    client: FlaskClient, app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delitem(app.extensions, "wallet.fetcher", raising=False)
    response = check_url(client, "http://192.168.1.1/assertion")
    assert response.status_code == 400
    assert "inside a private or internal network" in field_error(response.text)


@pytest.mark.parametrize(
    ("route", "message"),
    [
        (answer(b"<!doctype html><p>Hi</p>", "text/html"), "That is a web page, not a badge."),
        (answer(b"{" * 10, "application/json"), "This is not an Open Badges assertion."),
        (answer(b" " * (2 * 1024 * 1024 + 10), "application/json"), "too large to be a badge"),
        (answer(b"no", "text/plain", status=404), "Nothing was found at this address."),
        (answer(b"oops", "text/plain", status=500), "(HTTP 500)"),
        (drip(0.8, count=20), "took too long to answer"),
        (redirect("http://10.0.0.1/a"), "inside a private or internal network"),
    ],
)
def test_odd_answers_from_the_address(
    client: FlaskClient, issuer: RemoteIssuer, route: object, message: str
) -> None:
    issuer.server.routes["/odd"] = route  # type: ignore[assignment]
    response = check_url(client, issuer.url("/odd"))
    assert response.status_code == 400
    assert message in field_error(response.text)


def test_a_failing_badge_class_is_shown_with_its_reason(
    client: FlaskClient, issuer: RemoteIssuer
) -> None:
    issuer.server.routes["/badges/python"] = answer(b"<html></html>", "text/html")
    response = check_url(client, issuer.hosted("1").id)
    assert response.status_code == 200
    block = verdict_block(response.text)
    assert "Could not be verified" in block
    assert "That is a web page, not a badge." in block


# -- cached briefly ---------------------------------------------------------------------------


def test_a_repeat_check_is_answered_from_the_cache(
    client: FlaskClient, issuer: RemoteIssuer
) -> None:
    url = issuer.hosted("1").id
    with time_machine.travel(NOW, tick=False):
        first = check_url(client, url)
        fetched = len(issuer.server.requests)
    with time_machine.travel(NOW + timedelta(seconds=30), tick=False):
        again = check_url(client, url)
    assert len(issuer.server.requests) == fetched
    checked_at = re.compile(r'<p class="checked-at">[^<]*</p>')
    assert checked_at.findall(first.text) == checked_at.findall(again.text)
    with time_machine.travel(NOW + timedelta(seconds=61), tick=False):
        check_url(client, url)
    assert len(issuer.server.requests) > fetched


# -- the recipient, without script -------------------------------------------------------------


def _recipient_form(page: str) -> dict[str, str]:
    form = page.split('class="recipient-form"', 1)[1].split("</form>", 1)[0]
    return dict(re.findall(r'name="([^"]+)" type="hidden" value="([^"]*)"', form)) | dict(
        re.findall(r'type="hidden" name="([^"]+)" value="([^"]*)"', form)
    )


@pytest.mark.parametrize(
    ("email", "answer_text"),
    [
        (RECIPIENT, "This address is the badge's recipient."),
        ("  Taro.Suzuki@Example.ORG ", "This address is the badge's recipient."),
        ("someone@example.org", "This address is not the badge's recipient."),
    ],
)
def test_the_recipient_check_without_script(
    client: FlaskClient,
    issuer: RemoteIssuer,
    caplog: pytest.LogCaptureFixture,
    email: str,
    answer_text: str,
) -> None:
    page = check_url(client, issuer.hosted("1").id).text
    assert 'data-identity="sha256$' in page
    fields = _recipient_form(page)
    assert fields["identity"].startswith("sha256$")
    caplog.set_level(logging.DEBUG)
    response = client.post("/verify/recipient", data={**fields, "email": email}, headers=EN)
    assert response.status_code == 200
    assert answer_text in unescape(response.text)
    assert email.strip() not in caplog.text


def test_the_recipient_check_needs_an_address(client: FlaskClient, issuer: RemoteIssuer) -> None:
    fields = _recipient_form(check_url(client, issuer.hosted("1").id).text)
    response = client.post(
        "/verify/recipient", data={**fields, "email": "not-an-address"}, headers=EN
    )
    assert response.status_code == 400
    assert "valid e-mail address" in response.text


# -- every verdict view links here -------------------------------------------------------------


def test_the_share_page_links_to_the_verify_page(client: FlaskClient) -> None:
    award = shared()
    page = client.get(f"/b/{award.share_id}", headers=EN).text
    assert 'href="/verify"' in page
    assert "Check another badge" in page
    assert f"/ob/assertions/{award.public_id}" not in page.split("<body", 1)[1]


def test_a_fetch_error_of_a_fetcher_without_codes_is_still_explained(
    client: FlaskClient, app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    def failing(url: str) -> FetchResult:
        raise FetchError("no")

    monkeypatch.setitem(app.extensions, "wallet.fetcher", failing)
    response = check_url(client, "https://elsewhere.example/a")
    assert response.status_code == 400
    assert "could not be reached" in field_error(response.text)


def test_an_address_pasted_in_the_text_box_is_checked_and_answered_there(
    client: FlaskClient, issuer: RemoteIssuer
) -> None:
    assert "Valid badge" in verdict_block(post(client, "text", text=issuer.hosted("1").id).text)
    response = post(client, "text", text=issuer.url("/assertions/missing"))
    assert response.status_code == 400
    assert field_error(response.text) == "Nothing was found at this address."
    assert 'id="text-error"' in response.text


def test_another_issuers_texts_are_escaped(client: FlaskClient, issuer: RemoteIssuer) -> None:
    hostile = "<script>alert(1)</script>\u202e"
    issuer.badge = replace(issuer.badge, name=hostile, description=hostile)
    issuer.issuer = replace(issuer.issuer, name=hostile, url="javascript:alert(1)")
    issuer.publish(issuer.badge, issuer.issuer)
    page = check_url(client, issuer.hosted("1").id).text
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert 'href="javascript:' not in page
