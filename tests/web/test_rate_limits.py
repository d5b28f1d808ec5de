"""Every rate-limited endpoint refuses with a friendly 429 page and recovers after its window.

The limit itself is read from the limiter (``@limiter.limit`` on the view), so the
test follows a changed number; an endpoint that gains a limit must be added here.
"""

from __future__ import annotations

import io
import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from flask import Flask
from flask.testing import FlaskClient
from flask_limiter.util import get_qualified_name
from werkzeug.test import TestResponse

from tests.accounts_support import STRONG, agree_terms, log_in, make_claim
from tests.factories import PASSWORD, AwardFactory, UserFactory, png_bytes
from tests.helpers import csrf_token
from wallet.extensions import limiter

TOO_MANY = {
    "ja": (
        "しばらくお待ちください",
        "試行回数が多すぎます。しばらく待ってからもう一度お試しください。",
    ),
    "en": ("Please wait a moment", "Too many attempts. Please wait a moment and try again."),
}
GHOST = "ghost@shizuoka.ac.jp"
Hit = Callable[[], TestResponse]


@dataclass
class Target:
    """How to make one request that the endpoint's limit counts."""

    setup: Callable[[FlaskClient, str], Hit]  # (client, lang) -> one request


def _form(client: FlaskClient, url: str, data: dict[str, str], page: str | None = None) -> Hit:
    token = csrf_token(client, page or url)
    return lambda: client.post(url, data={**data, "csrf_token": token})


def _logged_in(client: FlaskClient, lang: str) -> None:
    user = UserFactory(locale=lang)
    assert log_in(client, user.email, PASSWORD).status_code == 302


def _login(client: FlaskClient, lang: str) -> Hit:
    token = csrf_token(client, "/login")
    numbers = itertools.count()
    # a new address each time: the per-address throttle (test_login_throttle) stays out of it
    return lambda: client.post(
        "/login",
        data={
            "email": f"ghost{next(numbers)}@shizuoka.ac.jp",
            "password": "wrong",
            "csrf_token": token,
        },
    )


def _activation_resend(client: FlaskClient, lang: str) -> Hit:
    return _form(client, "/activate/resend", {"email": GHOST})


def _reset_request(client: FlaskClient, lang: str) -> Hit:
    return _form(client, "/password/reset", {"email": GHOST})


def _reset(client: FlaskClient, lang: str) -> Hit:
    return _form(
        client, "/password/reset/not-a-token", {"password": STRONG, "confirm": STRONG}, page="/"
    )


def _add_email(client: FlaskClient, lang: str) -> Hit:
    _logged_in(client, lang)
    return _form(client, "/account/emails", {"email": "second@example.ac.jp"}, page="/account")


def _delete_account(client: FlaskClient, lang: str) -> Hit:
    _logged_in(client, lang)  # a wrong password: 400, still counted, nothing deleted
    return _form(client, "/account/delete", {"password": "wrong", "understood": "y"})


def _export(client: FlaskClient, lang: str) -> Hit:
    _logged_in(client, lang)
    return _form(client, "/account/export", {}, page="/account")


def _claim(client: FlaskClient, lang: str) -> Hit:
    _award, raw = make_claim()
    return lambda: client.get(f"/claim/{raw}")


def _terms(client: FlaskClient, lang: str) -> Hit:
    _award, raw = make_claim()
    return _form(client, f"/claim/{raw}/terms", {})  # not agreed: 400, still counted


def _register(client: FlaskClient, lang: str) -> Hit:
    _award, raw = make_claim()
    agree_terms(client, raw)
    wrong = {"name": "静岡 花子", "password": STRONG, "confirm": STRONG + "x"}
    return _form(client, f"/claim/{raw}/register", wrong)


def _claim_accept(client: FlaskClient, lang: str) -> Hit:
    _logged_in(client, lang)
    _award, raw = make_claim()
    return _form(client, f"/claim/{raw}/accept", {}, page="/account")


def _claim_add_email(client: FlaskClient, lang: str) -> Hit:
    _logged_in(client, lang)
    _award, raw = make_claim()
    return _form(client, f"/claim/{raw}/add-email", {}, page="/account")


def _claim_undo(client: FlaskClient, lang: str) -> Hit:
    return _form(client, "/claim/undo/not-a-token", {}, page="/")  # 404, still counted


def _claim_resend(client: FlaskClient, lang: str) -> Hit:
    return _form(client, "/claim/resend", {"email": GHOST})


def _wallet_decision(action: str) -> Callable[[FlaskClient, str], Hit]:
    def setup(client: FlaskClient, lang: str) -> Hit:
        _logged_in(client, lang)
        award = AwardFactory()  # someone else's: 404, still counted
        return _form(client, f"/wallet/badges/{award.id}/{action}", {}, page="/account")

    return setup


def _verify(client: FlaskClient, lang: str) -> Hit:
    # an address that is refused before anything is fetched: still counted
    return lambda: client.get("/verify", query_string={"url": "http://10.0.0.1/badge"})


def _import_url(client: FlaskClient, lang: str) -> Hit:
    _logged_in(client, lang)  # an internal address: refused before any connection, counted
    return _form(client, "/wallet/import/url", {"url": "http://10.0.0.1/"}, page="/wallet/import")


def _import_image(client: FlaskClient, lang: str) -> Hit:
    _logged_in(client, lang)
    token = csrf_token(client, "/wallet/import")
    return lambda: client.post(  # an image with no badge: 422, still counted
        "/wallet/import/image",
        data={"image": (io.BytesIO(png_bytes()), "badge.png"), "csrf_token": token},
        content_type="multipart/form-data",
    )


TARGETS: dict[str, Callable[[FlaskClient, str], Hit]] = {
    "auth.login": _login,
    "auth.resend_activation": _activation_resend,
    "auth.request_reset": _reset_request,
    "auth.reset_password": _reset,
    "auth.add_email": _add_email,
    "auth.delete_account": _delete_account,
    "data_export.download_data": _export,
    "claim.start": _claim,
    "claim.terms": _terms,
    "claim.register": _register,
    "claim.accept": _claim_accept,
    "claim.add_email": _claim_add_email,
    "claim.resend": _claim_resend,
    "claim.undo_add_email": _claim_undo,
    "wallet.accept": _wallet_decision("accept"),
    "wallet.decline": _wallet_decision("decline"),
    "verify.check": _verify,
    "importing.import_url": _import_url,
    "importing.import_image": _import_image,
}
# the design's list: these must stay limited
MUST_BE_LIMITED = {
    "auth.login",
    "claim.register",
    "claim.start",
    "auth.request_reset",
    "auth.resend_activation",
    "claim.resend",
}


def _limit(app: Flask, endpoint: str) -> tuple[int, int]:
    """(requests, seconds) of the endpoint's decorated limit."""
    view = app.view_functions[endpoint]
    limits = limiter.limit_manager.decorated_limits(get_qualified_name(view))
    assert len(limits) == 1, (endpoint, limits)
    return int(limits[0].limit.amount), int(limits[0].limit.get_expiry())


def _limited_endpoints(app: Flask) -> set[str]:
    return {
        endpoint
        for endpoint, view in app.view_functions.items()
        if limiter.limit_manager.decorated_limits(get_qualified_name(view))
    }


def test_every_limited_endpoint_is_tested_here(app: Flask) -> None:
    limited = _limited_endpoints(app)
    assert limited >= MUST_BE_LIMITED, MUST_BE_LIMITED - limited
    assert limited == TARGETS.keys()


@pytest.mark.parametrize("lang", ["ja", "en"])
@pytest.mark.parametrize("endpoint", sorted(TARGETS))
def test_limit_kicks_in_with_a_friendly_page_and_recovers(
    app: Flask, client: FlaskClient, endpoint: str, lang: str
) -> None:
    client.set_cookie("wallet_lang", lang)  # anonymous visitors; users have their setting
    hit = TARGETS[endpoint](client, lang)
    amount, seconds = _limit(app, endpoint)
    assert amount <= 30, "a limit this loose does not slow anyone down"
    limiter.reset()  # what the setup cost is not part of the count
    start = datetime.now(UTC)
    with time_machine.travel(start, tick=False):
        allowed = [hit().status_code for _ in range(amount)]
        refused = hit()
    assert 429 not in allowed, allowed
    assert max(allowed) < 500, allowed
    assert refused.status_code == 429
    heading, explanation = TOO_MANY[lang]
    assert f"<h1>{heading}</h1>" in refused.text
    assert explanation in refused.text
    assert f'<html lang="{lang}">' in refused.text
    assert "Retry-After" in refused.headers
    with time_machine.travel(start + timedelta(seconds=seconds - 1), tick=False):
        assert hit().status_code == 429  # still inside the window
    with time_machine.travel(start + timedelta(seconds=seconds + 1), tick=False):
        again = hit()
    assert again.status_code != 429
    assert again.status_code < 500


def test_a_refused_form_keeps_what_was_typed_except_passwords(client: FlaskClient) -> None:
    token = csrf_token(client, "/login")
    data = {"email": "hanako@shizuoka.ac.jp", "password": "secret-typed", "csrf_token": token}
    start = datetime.now(UTC)
    with time_machine.travel(start, tick=False):
        for _ in range(10):
            client.post("/login", data=data)
        refused = client.post("/login", data=data)
    assert refused.status_code == 429
    page = refused.text
    assert 'action="/login"' in page
    assert 'value="hanako@shizuoka.ac.jp"' in page
    assert "secret-typed" not in page
    assert "もう一度試す" in page
    with time_machine.travel(start + timedelta(seconds=61), tick=False):
        again = client.post("/login", data=_hidden_fields(page))
    assert again.status_code == 400  # back on the login form, the address still there
    assert 'value="hanako@shizuoka.ac.jp"' in again.text


def _hidden_fields(page: str) -> dict[str, str]:
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page))
