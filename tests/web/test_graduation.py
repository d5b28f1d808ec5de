"""Keeping the wallet after graduation: log in with any verified address; a student with
only university addresses is asked once a term to add a personal one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from tests.accounts_support import link_in, log_in, mails
from tests.factories import PASSWORD, IssuerFactory, UserFactory
from tests.helpers import post_form
from wallet.db import utcnow
from wallet.models import EmailAddress, User

PROMPT = {"ja": "卒業後もバッジを持ち続けるために", "en": "Keep your badges after graduation"}
POSTPONED = {"ja": "次の学期にもう一度お知らせします。", "en": "We will ask again next term."}
# a day in the second term (October to March), and the first morning of the next one
AUTUMN = datetime(2026, 11, 29, 3, 0, tzinfo=UTC)
APRIL = datetime(2027, 3, 31, 15, 30, tzinfo=UTC)  # 1 April 2027, 00:30 in Tokyo


def _student(locale: str = "ja", *others: str) -> User:
    user: User = UserFactory(email="hanako@shizuoka.ac.jp", locale=locale)
    for email in others:
        user.emails.append(EmailAddress(email=email, verified_at=utcnow()))
    return user


def _wallet(client: FlaskClient) -> str:
    response = client.get("/wallet")
    assert response.status_code == 200
    return response.text


def test_a_student_logs_in_with_any_verified_address(client: FlaskClient) -> None:
    user = _student("ja", "hanako@example.com")
    user.emails.append(EmailAddress(email="unconfirmed@example.net"))
    assert log_in(client, "hanako@example.com", PASSWORD).status_code == 302
    assert user.name in _wallet(client)
    fresh = client.application.test_client()
    refused = log_in(fresh, "unconfirmed@example.net", PASSWORD)
    assert refused.status_code == 400  # an address never confirmed logs nobody in


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_the_prompt_appears_when_every_address_is_the_universitys(
    client: FlaskClient, lang: str
) -> None:
    IssuerFactory(mail_domains=["shizuoka.ac.jp"])
    _student(lang, "h.shizuoka@inf.shizuoka.ac.jp")
    log_in(client, "hanako@shizuoka.ac.jp", PASSWORD)
    page = _wallet(client)
    assert PROMPT[lang] in page
    assert 'href="/account#emails-heading"' in page
    assert 'action="/wallet/graduation/later"' in page


def test_no_prompt_without_domains_or_with_a_personal_address(client: FlaskClient) -> None:
    issuer = IssuerFactory(mail_domains=[])
    _student("ja", "hanako@example.com")
    log_in(client, "hanako@shizuoka.ac.jp", PASSWORD)
    assert PROMPT["ja"] not in _wallet(client)
    issuer.mail_domains = ["shizuoka.ac.jp"]
    assert PROMPT["ja"] not in _wallet(client)  # example.com is a personal address


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_later_postpones_the_prompt_to_the_next_term(client: FlaskClient, lang: str) -> None:
    IssuerFactory(mail_domains=["shizuoka.ac.jp"])
    _student(lang)
    with time_machine.travel(AUTUMN, tick=False):
        log_in(client, "hanako@shizuoka.ac.jp", PASSWORD, remember="y")
        assert PROMPT[lang] in _wallet(client)
        later = post_form(client, "/wallet/graduation/later", {}, page="/wallet")
        assert later.status_code == 302
        assert later.headers["Location"] == "/wallet"
        page = _wallet(client)
        assert POSTPONED[lang] in page
        assert PROMPT[lang] not in page
    with time_machine.travel(AUTUMN + timedelta(days=100), tick=False):  # still March
        log_in(client, "hanako@shizuoka.ac.jp", PASSWORD)
        assert PROMPT[lang] not in _wallet(client)
    with time_machine.travel(APRIL, tick=False):
        log_in(client, "hanako@shizuoka.ac.jp", PASSWORD)
        assert PROMPT[lang] in _wallet(client)


def test_the_prompt_goes_once_a_personal_address_is_verified(
    client: FlaskClient, db_session: Session
) -> None:
    IssuerFactory(mail_domains=["shizuoka.ac.jp"])
    _student("ja")
    log_in(client, "hanako@shizuoka.ac.jp", PASSWORD)
    assert PROMPT["ja"] in _wallet(client)
    post_form(client, "/account/emails", {"email": "hanako@example.com"}, page="/account")
    assert PROMPT["ja"] in _wallet(client)  # asked for, not yet confirmed
    path = link_in(mails("add_email", "hanako@example.com")[-1], "verify_url")
    assert post_form(client, path, {}).status_code == 302
    assert PROMPT["ja"] not in _wallet(client)
    # and the new address opens the wallet by itself
    fresh = client.application.test_client()
    assert log_in(fresh, "hanako@example.com", PASSWORD).status_code == 302


def test_later_needs_the_csrf_token_and_a_login(client: FlaskClient) -> None:
    assert client.post("/wallet/graduation/later").status_code in {302, 400}
    IssuerFactory(mail_domains=["shizuoka.ac.jp"])
    user = _student("ja")
    log_in(client, user.email, PASSWORD)
    assert client.post("/wallet/graduation/later", data={"csrf_token": "x"}).status_code == 400
    assert user.graduation_prompt_postponed_at is None
    assert PROMPT["ja"] in _wallet(client)


def test_staff_are_not_asked(client: FlaskClient) -> None:
    IssuerFactory(mail_domains=["shizuoka.ac.jp"])
    staff = UserFactory(staff=True)
    log_in(client, staff.email, PASSWORD)
    assert PROMPT["ja"] not in _wallet(client)
