"""The issuer profile's university mail domains: saved in one form, refused clearly."""

from __future__ import annotations

import html
import re

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.factories import IssuerFactory, UserFactory
from tests.helpers import post_form
from tests.web.admin_helpers import log_in
from wallet.models import Issuer

FORM = {
    "name": "静岡大学",
    "name_en": "Shizuoka University",
    "url": "https://www.shizuoka.ac.jp/",
    "email": "openbadge@shizuoka.ac.jp",
    "description": "",
    "linkedin_organization_id": "",
}


def _save(client: FlaskClient, domains: str) -> object:
    return post_form(client, "/admin/issuer", {**FORM, "mail_domains": domains})


def _textarea(page: str) -> str:
    match = re.search(r'<textarea[^>]*name="mail_domains"[^>]*>\r?\n?([^<]*)</textarea>', page)
    assert match, "no mail domains field"
    return html.unescape(match.group(1))


def test_domains_are_saved_normalised_and_shown_one_a_line(
    client: FlaskClient, db_session: Session
) -> None:
    log_in(client, UserFactory(staff=True))
    response = _save(client, "Shizuoka.ac.jp, @inf.shizuoka.ac.jp\n静岡大学.jp\nshizuoka.ac.jp")
    assert response.status_code == 302
    issuer = db_session.scalars(select(Issuer)).one()
    assert issuer.mail_domains == ["shizuoka.ac.jp", "inf.shizuoka.ac.jp", "xn--pss25c70a687m.jp"]
    page = client.get("/admin/issuer").text
    assert _textarea(page) == "shizuoka.ac.jp\ninf.shizuoka.ac.jp\nxn--pss25c70a687m.jp"


def test_emptying_the_field_removes_the_domains(client: FlaskClient, db_session: Session) -> None:
    IssuerFactory(mail_domains=["shizuoka.ac.jp"])
    log_in(client, UserFactory(staff=True))
    assert _save(client, "").status_code == 302
    assert db_session.scalars(select(Issuer)).one().mail_domains == []


@pytest.mark.parametrize(
    ("lang", "said"),
    [
        ("ja", "「shizuoka_ac.jp」はメールのドメインではありません"),
        ("en", "“shizuoka_ac.jp” is not a mail domain"),
    ],
)
def test_a_bad_domain_is_refused_keeping_what_was_typed(
    client: FlaskClient, db_session: Session, lang: str, said: str
) -> None:
    IssuerFactory(mail_domains=["shizuoka.ac.jp"])
    log_in(client, UserFactory(staff=True, locale=lang))
    typed = "shizuoka.ac.jp\nshizuoka_ac.jp"
    refused = _save(client, typed)
    assert refused.status_code == 400
    [error] = re.findall(r'<p class="error" id="mail_domains-error">([^<]*)</p>', refused.text)
    assert said in html.unescape(error)
    assert _textarea(refused.text) == typed
    db_session.expire_all()
    assert db_session.scalars(select(Issuer)).one().mail_domains == ["shizuoka.ac.jp"]


def test_a_typed_entry_is_escaped_in_the_message(client: FlaskClient) -> None:
    log_in(client, UserFactory(staff=True, locale="en"))
    refused = _save(client, "<b>x</b>.jp")
    assert refused.status_code == 400
    assert "<b>" not in refused.text
    assert "&lt;b&gt;x&lt;/b&gt;.jp" in refused.text


def test_too_many_domains_are_refused(client: FlaskClient, db_session: Session) -> None:
    log_in(client, UserFactory(staff=True, locale="en"))
    refused = _save(client, "\n".join(f"d{n}.ac.jp" for n in range(21)))
    assert refused.status_code == 400
    assert "Enter at most 20 mail domains." in refused.text
    assert db_session.scalar(select(Issuer)) is None
