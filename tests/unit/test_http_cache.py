"""The process's short shared cache of public answers (wallet/http_cache.py)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pytest
from werkzeug.test import Client
from werkzeug.wrappers import Request, Response

from wallet.http_cache import PublicAnswerCache

PUBLIC = {"Cache-Control": "public, max-age=60", "Vary": "Accept-Language, Cookie"}


class Origin:
    """A WSGI app that counts its calls and answers what the test tells it."""

    def __init__(self) -> None:
        self.calls = 0
        self.status = 200
        self.headers: dict[str, str] = dict(PUBLIC)
        self.body = b"page 1"
        self.etag = "abc"

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        self.calls += 1
        request = Request(environ)
        response = Response(self.body, status=self.status, headers=self.headers)
        if self.etag:
            response.set_etag(self.etag, weak=True)
            if request.if_none_match.contains_weak(self.etag):
                response = Response(status=304, headers=self.headers)
                response.set_etag(self.etag, weak=True)
        response.headers["Accept-Language-Seen"] = request.headers.get("Accept-Language", "")
        return response(environ, start_response)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def origin() -> Origin:
    return Origin()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def client(origin: Origin, clock: Clock) -> Client:
    return Client(PublicAnswerCache(origin, 2.0, clock=clock))


def test_a_public_answer_is_given_again_with_its_age_until_the_seconds_pass(
    client: Client, origin: Origin, clock: Clock
) -> None:
    first = client.get("/b/x")
    assert "Age" not in first.headers
    origin.body = b"page 2"
    clock.now += 1.5
    again = client.get("/b/x")
    assert again.data == b"page 1"
    assert again.headers["Age"] == "1"
    assert again.headers["Cache-Control"] == "public, max-age=60"
    assert origin.calls == 1
    clock.now += 0.5
    assert client.get("/b/x").data == b"page 2"
    assert origin.calls == 2


def test_the_key_holds_the_query_and_the_headers_answers_vary_on(
    client: Client, origin: Origin
) -> None:
    client.get("/b/x", headers={"Accept-Language": "ja"})
    client.get("/b/x", headers={"Accept-Language": "en"})
    client.get("/b/x?lang=en", headers={"Accept-Language": "ja"})
    client.get("/b/y", headers={"Accept-Language": "ja"})
    assert origin.calls == 4
    english = client.get("/b/x", headers={"Accept-Language": "en"})
    assert english.headers["Accept-Language-Seen"] == "en"
    assert origin.calls == 4


def test_requests_with_credentials_always_reach_the_app(client: Client, origin: Origin) -> None:
    client.get("/b/x")
    client.get("/b/x", headers={"Authorization": "Bearer x"})
    client.get("/b/x", headers={"Authorization": "Bearer x"})
    assert origin.calls == 3


def test_requests_with_a_cookie_always_reach_the_app(client: Client, origin: Origin) -> None:
    client.get("/b/x")
    client.set_cookie("session", "someone")
    client.get("/b/x")
    client.get("/b/x")
    assert origin.calls == 3


def test_only_get_is_served_from_here(client: Client, origin: Origin) -> None:
    client.get("/b/x")
    client.head("/b/x")
    client.post("/b/x")
    assert origin.calls == 3


@pytest.mark.parametrize(
    ("status", "headers"),
    [
        (200, {"Cache-Control": "no-store"}),
        (200, {"Cache-Control": "private, max-age=60"}),
        (200, {"Cache-Control": "public, no-cache, max-age=60"}),
        (200, {"Cache-Control": "public"}),
        (200, {"Cache-Control": "public, max-age=60", "Set-Cookie": "a=b"}),
        (200, {"Cache-Control": "public, max-age=60", "Vary": "User-Agent"}),
        (200, {"Cache-Control": "public, max-age=60", "Vary": "*"}),
        (404, {"Cache-Control": "public, max-age=60"}),
        (500, {"Cache-Control": "public, max-age=60"}),
    ],
)
def test_answers_the_app_does_not_mark_public_are_never_kept(
    client: Client, origin: Origin, status: int, headers: dict[str, str]
) -> None:
    origin.status, origin.headers = status, headers
    client.get("/b/x")
    client.get("/b/x")
    assert origin.calls == 2


def test_a_410_is_kept_like_a_200(client: Client, origin: Origin) -> None:
    origin.status = 410
    client.get("/ob/assertions/x")
    assert client.get("/ob/assertions/x").status_code == 410
    assert origin.calls == 1


def test_never_longer_than_the_answers_own_max_age(
    client: Client, origin: Origin, clock: Clock
) -> None:
    origin.headers = {"Cache-Control": "public, max-age=1"}
    client.get("/b/x")
    clock.now += 1
    client.get("/b/x")
    assert origin.calls == 2


def test_a_revalidation_with_the_kept_etag_is_answered_304_here(
    client: Client, origin: Origin
) -> None:
    client.get("/b/x")
    not_modified = client.get("/b/x", headers={"If-None-Match": 'W/"abc"'})
    assert not_modified.status_code == 304
    assert not_modified.data == b""
    assert not_modified.headers["ETag"] == 'W/"abc"'
    assert not_modified.headers["Cache-Control"] == "public, max-age=60"
    stale = client.get("/b/x", headers={"If-None-Match": 'W/"old"'})
    assert stale.status_code == 200
    assert stale.data == b"page 1"
    assert origin.calls == 1


def test_an_apps_304_is_kept_as_its_etag_alone(client: Client, origin: Origin) -> None:
    assert client.get("/b/x", headers={"If-None-Match": 'W/"abc"'}).status_code == 304
    assert client.get("/b/x", headers={"If-None-Match": 'W/"abc"'}).status_code == 304
    assert origin.calls == 1
    whole = client.get("/b/x")  # no copy to give: the app draws it
    assert whole.status_code == 200
    assert whole.data == b"page 1"
    assert origin.calls == 2
    client.get("/b/x")
    assert origin.calls == 2


def test_memory_is_bounded_by_entries_and_bytes(origin: Origin, clock: Clock) -> None:
    cache = PublicAnswerCache(origin, 2.0, entries=2, max_bytes=15, clock=clock)
    client = Client(cache)
    for path in ("/a", "/b", "/c"):
        client.get(path)
    client.get("/a")  # the oldest was forgotten
    assert origin.calls == 4
    origin.body = b"x" * 100
    big = PublicAnswerCache(origin, 2.0, max_body=50, clock=clock)
    Client(big).get("/big")
    Client(big).get("/big")
    assert origin.calls == 6


def test_switched_off_it_passes_everything_through(origin: Origin) -> None:
    client = Client(PublicAnswerCache(origin, 0))
    client.get("/b/x")
    client.get("/b/x")
    assert origin.calls == 2
