"""Odd but possible requests get a 4xx with a message, never a 500: every route, walked.

The routes come from ``app.url_map``, so a route added later is walked too. Each
one is asked with ids beyond the database's range, odd path parts and query
strings, and (POST routes) with JSON bodies, repeated fields and odd values. The
session is of the kind the route serves (staff for /admin, a student where a
login is needed, a visitor who agreed to a claim's terms) and sends a valid CSRF
token, so a request gets as far as the form code.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from io import BytesIO

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_wtf import FlaskForm
from sqlalchemy import Integer, String
from werkzeug.datastructures import MultiDict
from werkzeug.routing import Rule
from werkzeug.test import TestResponse
from wtforms.fields.core import UnboundField

from tests.accounts_support import agree_terms, make_claim
from tests.factories import PASSWORD, BlobFactory, UserFactory, password_hash
from tests.helpers import csrf_token, post_form
from wallet import extensions as ext
from wallet.db import ID_MAX, Base
from wallet.models import Award, TokenPurpose, User
from wallet.services.tokens import issue_token
from wallet.views.guards import REPEATABLE_FIELDS

ARGUMENT = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>")
ODD_IDS = (
    str(2**31),  # beyond PostgreSQL's integer
    str(2**63),  # beyond SQLite's
    str(2**64),
    str(10**30),
    "9" * 5000,  # more digits than Python turns into an int by default
    "0",
    "-1",
    "١٢",  # digits, but not ASCII ones
    str(ID_MAX),  # in range, but no such row
)
ODD_PATH_TEXTS = ("%00", "%07", "%E2%80%AE", "%EF%BF%BF", "x" * 2000)
ODD_QUERIES = (
    f"page={2**64}",
    "page=-1",
    "page=%00",
    "page=1&page=2",
    "next=%00",
    "next=%E2%80%AE",
)
# what HTML forms never send but a client can: JSON, as the whole body and as
# the value of every field
JSON_VALUES: tuple[object, ...] = (12, 2**64, 1.5, True, None, [], ["a", "b"], {"a": 1}, "x")
ODD_FORM_VALUES = ("", "\x00", "\u202e", "\u200b", "9" * 40, "-1", "\r\n")
FIELDS_READ_BY_VIEWS = ("lang", "next")  # /lang and /logout read request.form directly
NOT_A_FORM = "ウォレットのページから送信されたフォームだけ"
REPEATED = "同じ項目が複数回"


@dataclass
class World:
    student: User
    staff: User
    award: Award  # offered to the student
    tokens: dict[str, str]  # first path segment -> a usable token for routes under it
    blob_sha256: str


@pytest.fixture
def world(client: FlaskClient) -> World:
    student = UserFactory()
    award, claim = make_claim(recipient_email=student.email)
    tokens = {"claim": claim}
    for segment, purpose, email in (
        ("activate", TokenPurpose.ACTIVATE, student.email),
        ("password", TokenPurpose.RESET, student.email),
        ("account", TokenPurpose.ADD_EMAIL, "another@shizuoka.ac.jp"),
    ):
        tokens[segment] = issue_token(
            ext.db.session(),
            purpose=purpose,
            email=email,
            lifetime=timedelta(days=1),
            user_id=student.id,
        )
    return World(
        student=student,
        staff=UserFactory(staff=True),
        award=award,
        tokens=tokens,
        blob_sha256=BlobFactory().sha256,
    )


@dataclass
class Visitors:
    """One test client per kind of visitor, made anew once a post has worked (it may
    have logged out, changed the password or spent a token)."""

    app: Flask
    world: World
    clients: dict[str, tuple[FlaskClient, str]] = field(default_factory=dict)
    kinds: dict[str, str] = field(default_factory=dict)

    def client(self, rule: Rule) -> tuple[FlaskClient, str]:
        """A client for ``rule`` and its CSRF token."""
        kind = self.kind(rule)
        if kind not in self.clients:
            client = self.app.test_client()
            if kind in ("staff", "student"):
                self._log_in(client, self.world.staff if kind == "staff" else self.world.student)
            elif kind == "claim":
                agree_terms(client, self.world.tokens["claim"])
            self.clients[kind] = (client, csrf_token(client, "/"))
        return self.clients[kind]

    def forget(self, rule: Rule) -> None:
        self.clients.pop(self.kind(rule), None)

    def kind(self, rule: Rule) -> str:
        if rule.rule not in self.kinds:
            self.kinds[rule.rule] = self._kind(rule)
        return self.kinds[rule.rule]

    def _kind(self, rule: Rule) -> str:
        if rule.rule.startswith("/admin"):
            return "staff"
        if rule.rule.startswith(("/account", "/wallet")):
            return "student"
        if rule.rule.startswith("/claim/<token>"):
            return "claim"
        client = self.app.test_client()  # does a visitor get sent to the login page?
        method = "GET" if "GET" in (rule.methods or ()) else "POST"
        headers = {"X-CSRFToken": csrf_token(client, "/")}
        response = _ask(client, method, _url(rule, self.world), headers=headers)
        if response.status_code == 302 and response.location.startswith("/login"):
            return "student"
        return "visitor"

    @staticmethod
    def _log_in(client: FlaskClient, user: User) -> None:
        user.password_hash = password_hash()  # an earlier odd post may have reset it
        ext.limiter.reset()
        response = post_form(client, "/login", {"email": user.email, "password": PASSWORD})
        assert response.status_code == 302, response.text


@pytest.fixture
def visitors(app: Flask, world: World) -> Visitors:
    return Visitors(app, world)


def _field_names() -> list[str]:
    """Every field of every form in the app, and the fields views read directly."""
    names = set(FIELDS_READ_BY_VIEWS)
    pending = list(FlaskForm.__subclasses__())
    while pending:
        form = pending.pop()
        pending.extend(form.__subclasses__())
        names |= {name for name in dir(form) if isinstance(getattr(form, name), UnboundField)}
    return sorted(names)


def _rules(app: Flask, method: str | None = None) -> Iterator[Rule]:
    for rule in app.url_map.iter_rules():
        if rule.endpoint != "static" and (method is None or method in (rule.methods or ())):
            yield rule


def _arguments(rule: Rule) -> list[tuple[str, str]]:
    """(converter, name) of each variable part, as written in the route."""
    return [(converter or "default", name) for converter, name in ARGUMENT.findall(rule.rule)]


def _real_value(rule: Rule, converter: str, name: str, world: World) -> str:
    if converter == "int":
        ids = {
            "award_id": world.award.id,
            "user_id": world.staff.id,
            "department_id": world.award.badge_class.department_id,
        }
        return str(ids.get(name, world.award.badge_class_id))
    if name == "token":
        return world.tokens.get(rule.rule.strip("/").split("/")[0], "unknown-token")
    if name == "sha256":
        return world.blob_sha256
    if name == "public_id":
        return world.award.badge_class.public_id
    return "unknown"


def _url(rule: Rule, world: World, odd: tuple[str, str] | None = None) -> str:
    """The rule's path with real values, or with ``odd`` = (name, value) for one part."""
    path = rule.rule
    for converter, name in _arguments(rule):
        value = _real_value(rule, converter, name, world)
        if odd is not None and odd[0] == name:
            value = odd[1]
        path = ARGUMENT.sub(value, path, count=1)
    return path


def _ask(client: FlaskClient, method: str, url: str, **kw: object) -> TestResponse:
    ext.limiter.reset()  # the walk asks far more often than a person could
    return client.open(url, method=method, **kw)


def _shows_a_message(response: TestResponse) -> bool:
    """A 4xx page says what went wrong: a field error, an alert, or a page of its own."""
    if response.mimetype != "text/html":
        return True
    page = response.text
    if 'class="error"' in page or 'role="alert"' in page:
        return True
    main = page.split('<main class="content">', 1)[-1]
    return "<h1>" in main and "<p" in main


def _check(
    problems: list[str], label: str, client: FlaskClient, method: str, url: str, **kw: object
) -> TestResponse | None:
    """Ask; note a server error (the test client lets its exception through) or a
    4xx page without a message in ``problems``."""
    try:
        response = _ask(client, method, url, **kw)
    except Exception as error:  # every failure of the walk, not only the first
        problems.append(f"{label}: {type(error).__name__}: {error}"[:300])
        return None
    if response.status_code >= 500:
        problems.append(f"{label}: {response.status_code}")
    elif response.status_code >= 400 and not _shows_a_message(response):
        problems.append(f"{label}: {response.status_code} without a message")
    return response


def test_odd_ids_and_path_parts_are_not_found(app: Flask, visitors: Visitors) -> None:
    problems: list[str] = []
    walked = 0
    for rule in _rules(app):
        client, token = visitors.client(rule)
        for converter, name in _arguments(rule):
            for value in ODD_IDS if converter == "int" else ODD_PATH_TEXTS:
                url = _url(rule, visitors.world, (name, value))
                for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
                    label = f"{method} {url[:80]}"
                    headers = {"X-CSRFToken": token}
                    response = _check(problems, label, client, method, url, headers=headers)
                    walked += 1
                    if response and response.status_code != 404 and converter == "int":
                        problems.append(f"{label}: {response.status_code}, not 404")
    assert walked > 100
    assert not problems, "\n".join(problems)


def test_the_id_bound_fits_every_id_column() -> None:
    """``ID_MAX`` is PostgreSQL's integer: every id column must be no wider (if ids
    become BigInteger, raise ``ID_MAX`` with them)."""
    assert ID_MAX == 2**31 - 1
    for table in Base.metadata.tables.values():
        for column in table.columns:
            if column.primary_key or column.foreign_keys:
                assert type(column.type) in (Integer, String), column


def test_odd_query_strings_are_not_server_errors(app: Flask, visitors: Visitors) -> None:
    problems: list[str] = []
    for rule in _rules(app, "GET"):
        client, _token = visitors.client(rule)
        for query in ODD_QUERIES:
            url = f"{_url(rule, visitors.world)}?{query}"
            _check(problems, f"GET {url}", client, "GET", url)
    assert not problems, "\n".join(problems)


def _post_rules(app: Flask) -> list[Rule]:
    rules = list(_rules(app, "POST"))
    assert len(rules) > 15
    return rules


def test_json_bodies_are_refused_with_a_message(app: Flask, visitors: Visitors) -> None:
    """Forms take form posts only: JSON is a 415 whatever it holds, never a success."""
    fields = _field_names()
    bodies = [*JSON_VALUES, *({name: value for name in fields} for value in JSON_VALUES)]
    problems: list[str] = []
    for rule in _post_rules(app):
        client, token = visitors.client(rule)
        url = _url(rule, visitors.world)
        for body in bodies:
            label = f"POST {url} {json.dumps(body)[:60]}"
            response = _check(
                problems,
                label,
                client,
                "POST",
                url,
                data=json.dumps(body),
                content_type="application/json",
                headers={"X-CSRFToken": token},
            )
            if response is None:
                continue
            if response.status_code != 415:
                problems.append(f"{label}: {response.status_code}, not 415")
                visitors.forget(rule)
            elif NOT_A_FORM not in response.text:
                problems.append(f"{label}: no explanation")
    assert not problems, "\n".join(problems)


def test_repeated_fields_are_refused_with_a_message(app: Flask, visitors: Visitors) -> None:
    problems: list[str] = []
    for rule in _post_rules(app):
        client, token = visitors.client(rule)
        url = _url(rule, visitors.world)
        for name in sorted(set(_field_names()) - REPEATABLE_FIELDS):  # checkbox lists may
            body = MultiDict([("csrf_token", token), (name, "a"), (name, "b")])
            label = f"POST {url} {name} twice"
            response = _check(problems, label, client, "POST", url, data=body)
            if response is None:
                continue
            if response.status_code != 400:
                problems.append(f"{label}: {response.status_code}, not 400")
                visitors.forget(rule)
            elif REPEATED not in response.text:
                problems.append(f"{label}: no explanation")
    assert not problems, "\n".join(problems)


def test_odd_form_values_are_not_server_errors(app: Flask, visitors: Visitors) -> None:
    """Form posts with odd values reach the forms: NUL, bidi, huge numbers, files where
    text belongs, fields left out. Every answer is below 500, every 4xx explains."""
    fields = _field_names()
    bodies: list[tuple[str, dict[str, object]]] = [
        (f"every field {value!r}", dict.fromkeys(fields, value)) for value in ODD_FORM_VALUES
    ]
    bodies.append(("no fields", {}))
    problems: list[str] = []
    for rule in _post_rules(app):
        bodies_with_files = [
            *bodies,
            ("files everywhere", {name: (BytesIO(b"x"), "x.txt") for name in fields}),
        ]
        url = _url(rule, visitors.world)
        for label, body in bodies_with_files:
            client, token = visitors.client(rule)
            response = _check(
                problems,
                f"POST {url} {label}",
                client,
                "POST",
                url,
                data={**body, "csrf_token": token},
            )
            if response is None or response.status_code < 400:
                visitors.forget(rule)
    assert not problems, "\n".join(problems)
