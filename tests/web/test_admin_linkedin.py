"""The issuer profile's optional LinkedIn company id: digits only, said clearly otherwise."""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.factories import UserFactory
from tests.helpers import post_form
from tests.web.admin_helpers import log_in
from wallet.models import Issuer
from wallet.services import issuing
from wallet.services.issuing import IssuingError

FORM = {
    "name": "静岡大学",
    "name_en": "Shizuoka University",
    "url": "https://www.shizuoka.ac.jp/",
    "email": "openbadge@shizuoka.ac.jp",
    "description": "",
    "mail_domains": "",
}


def _save(client: FlaskClient, linkedin: str) -> object:
    return post_form(client, "/admin/issuer", {**FORM, "linkedin_organization_id": linkedin})


@pytest.mark.parametrize(
    ("typed", "stored"),
    [("1234567", "1234567"), (" 1234567 ", "1234567"), ("１２３４５", "12345"), ("", "")],
)
def test_a_company_id_is_saved_as_digits(
    client: FlaskClient, db_session: Session, typed: str, stored: str
) -> None:
    log_in(client, UserFactory(staff=True))
    assert _save(client, typed).status_code == 302
    issuer = db_session.scalars(select(Issuer)).one()
    assert issuer.linkedin_organization_id == stored
    assert f'value="{stored}"' in client.get("/admin/issuer").text


@pytest.mark.parametrize(
    "typed", ["shizuoka-university", "linkedin.com/company/123", "12 34", "1" * 33]
)
@pytest.mark.parametrize(
    ("lang", "said"), [("ja", "LinkedIn の企業 ID"), ("en", "LinkedIn company ID")]
)
def test_anything_but_digits_is_refused_with_a_clear_message(
    client: FlaskClient, db_session: Session, typed: str, lang: str, said: str
) -> None:
    log_in(client, UserFactory(staff=True, locale=lang))
    refused = _save(client, typed)
    assert refused.status_code == 400
    [error] = re.findall(
        r'<p class="error" id="linkedin_organization_id-error">([^<]*)</p>', refused.text
    )
    assert said in error
    assert db_session.scalar(select(Issuer)) is None


def test_the_service_refuses_non_digits_too(db_session: Session) -> None:
    details = issuing.IssuerDetails(
        name="静岡大学", name_en="", url="https://www.shizuoka.ac.jp/",
        email="openbadge@shizuoka.ac.jp", linkedin_organization_id="١٢٣",  # Arabic-Indic digits
    )  # fmt: skip
    with pytest.raises(IssuingError) as refused:
        issuing.save_issuer(db_session, details, max_image_bytes=1024)
    assert refused.value.field == "linkedin_organization_id"
