"""Helpers for the claim, account and wallet tests: awards with claim links, mails, forms."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from tests.conftest import BASE_URL
from tests.factories import AwardFactory
from tests.helpers import post_form
from wallet import extensions as ext
from wallet.jobs import answer_mail_requests
from wallet.models import Award, OutboxMail, TokenPurpose
from wallet.services.tokens import issue_token

STRONG = "夏の富士山に登る 2026"
_CSRF_VALUE = re.compile(r'(name="csrf_token"[^>]*value=")[^"]+(")')


def make_claim(**award: Any) -> tuple[Award, str]:
    """An offered award and the raw claim token mail 1 would carry."""
    made: Award = AwardFactory(**award)
    raw = issue_token(
        ext.db.session(),
        purpose=TokenPurpose.CLAIM,
        email=made.recipient_email,
        lifetime=timedelta(days=90),
        award_id=made.id,
    )
    return made, raw


def mails(template: str, to: str | None = None) -> list[OutboxMail]:
    """The queued mails of ``template``, after the worker has answered the mail requests
    (password reset, mail 1 again, ...) that requests left for it."""
    answer_mail_requests()
    query = select(OutboxMail).where(OutboxMail.template == template).order_by(OutboxMail.id)
    if to is not None:
        query = query.where(OutboxMail.to_email == to)
    return list(ext.db.session().scalars(query))


def link_in(mail: OutboxMail, key: str) -> str:
    """The site-relative path of the link in a queued mail's context."""
    url = str(mail.context[key])
    assert url.startswith(BASE_URL)
    return url[len(BASE_URL) :]


def agree_terms(client: FlaskClient, raw: str) -> TestResponse:
    return post_form(client, f"/claim/{raw}/terms", {"agree": "y"})


def register(
    client: FlaskClient, raw: str, *, name: str = "静岡 花子", password: str = STRONG, **extra: str
) -> TestResponse:
    agree_terms(client, raw)
    data = {"name": name, "password": password, "confirm": extra.pop("confirm", password)}
    return post_form(client, f"/claim/{raw}/register", {**data, **extra})


def log_in(client: FlaskClient, email: str, password: str, **extra: str) -> TestResponse:
    return post_form(client, "/login", {"email": email, "password": password, **extra})


def activate(client: FlaskClient, email: str) -> TestResponse:
    path = link_in(mails("activation", email)[-1], "activate_url")
    return post_form(client, path, {})


def without_csrf(body: str) -> str:
    """A page with its (per-request) CSRF token blanked, for comparing two answers."""
    return _CSRF_VALUE.sub(r"\1-\2", body)
